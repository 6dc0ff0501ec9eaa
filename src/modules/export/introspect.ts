import { sql, type RawBuilder } from 'kysely'
import type { Db, Executor } from '../../platform/db/create-db.js'

/**
 * What the export knows about the database, discovered at run time (never from a hard-coded list), so
 * that tables added by later migrations are exported and imported without code changes.
 */

/** Portable column type: only the kinds whose values differ between SQLite and PostgreSQL. */
export type ColumnKind = 'json' | 'bool' | 'bytes' | 'other'

export interface ColumnInfo {
  readonly name: string
  readonly kind: ColumnKind
}

export interface ForeignKey {
  readonly columns: readonly string[]
  readonly refTable: string
  readonly refColumns: readonly string[]
}

export interface TableInfo {
  readonly name: string
  readonly columns: readonly ColumnInfo[]
  /** Primary-key columns in key order (empty when the table has none). */
  readonly primaryKey: readonly string[]
  readonly foreignKeys: readonly ForeignKey[]
}

/**
 * Technical tables never exported: sessions (a login does not move with the data), the job queue and
 * schedules (work of this instance), the instance's own key/value settings, the platform-wide format
 * referential (PRONOM, shipped with the product) and Kysely's migration bookkeeping. The search index
 * (`unit_search`, `unit_search_format`, `unit_search_child`, `unit_search_stale`, SQLite's `unit_fts`) is derived from the catalogue: rebuilt at
 * import (ExportDeps.reindex), never copied (its integer keys belong to the instance).
 */
export const TECHNICAL_TABLES: ReadonlySet<string> = new Set([
  'session',
  'job',
  'schedule',
  'meta',
  'format',
  'saeh_migration',
  'saeh_migration_lock',
  'unit_search',
  'unit_search_format',
  'unit_search_child',
  'unit_search_stale',
])

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`

export async function introspect(db: Db, ex: Executor = db.kysely): Promise<Map<string, TableInfo>> {
  return db.dialect === 'sqlite' ? introspectSqlite(ex) : introspectPostgres(ex)
}

async function introspectSqlite(ex: Executor): Promise<Map<string, TableInfo>> {
  const tables = await sql<{ name: string }>`
    select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`.execute(
    ex,
  )
  const out = new Map<string, TableInfo>()
  for (const { name } of tables.rows) {
    const cols = await sql<{ name: string; type: string; pk: number }>`
      select * from pragma_table_info(${name})`.execute(ex)
    const fks = await sql<{ id: number; seq: number; table: string; from: string; to: string | null }>`
      select * from pragma_foreign_key_list(${name})`.execute(ex)
    const byId = new Map<number, { columns: string[]; refTable: string; refColumns: string[] }>()
    for (const f of [...fks.rows].sort((a, b) => a.id - b.id || a.seq - b.seq)) {
      const fk = byId.get(f.id) ?? { columns: [], refTable: f.table, refColumns: [] }
      fk.columns.push(f.from)
      fk.refColumns.push(f.to ?? 'id')
      byId.set(f.id, fk)
    }
    out.set(name, {
      name,
      columns: cols.rows.map((c) => ({
        name: c.name,
        kind: /blob/i.test(c.type) ? 'bytes' : /bool/i.test(c.type) ? 'bool' : 'other',
      })),
      primaryKey: cols.rows
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((c) => c.name),
      foreignKeys: [...byId.values()],
    })
  }
  return out
}

async function introspectPostgres(ex: Executor): Promise<Map<string, TableInfo>> {
  const cols = await sql<{ table_name: string; column_name: string; data_type: string }>`
    select c.table_name, c.column_name, c.data_type
      from information_schema.columns c
      join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
     where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
     order by c.table_name, c.ordinal_position`.execute(ex)
  const pks = await sql<{ table_name: string; column_name: string }>`
    select tc.table_name, k.column_name
      from information_schema.table_constraints tc
      join information_schema.key_column_usage k
        on k.constraint_schema = tc.constraint_schema and k.constraint_name = tc.constraint_name
     where tc.table_schema = current_schema() and tc.constraint_type = 'PRIMARY KEY'
     order by tc.table_name, k.ordinal_position`.execute(ex)
  // Multi-column foreign keys pair their columns by position: pg_constraint keeps both arrays in order.
  const fks = await sql<{
    conname: string
    table_name: string
    col: string
    ref_table: string
    ref_col: string
  }>`
    select con.conname, cl.relname as table_name, att.attname as col, rcl.relname as ref_table,
           ratt.attname as ref_col
      from pg_constraint con
      join pg_class cl on cl.oid = con.conrelid
      join pg_namespace n on n.oid = cl.relnamespace
      join pg_class rcl on rcl.oid = con.confrelid
      cross join lateral unnest(con.conkey, con.confkey) with ordinality as k(a, b, i)
      join pg_attribute att on att.attrelid = con.conrelid and att.attnum = k.a
      join pg_attribute ratt on ratt.attrelid = con.confrelid and ratt.attnum = k.b
     where con.contype = 'f' and n.nspname = current_schema()
     order by cl.relname, con.conname, k.i`.execute(ex)
  type MutableFk = { columns: string[]; refTable: string; refColumns: string[] }
  const out = new Map<
    string,
    { name: string; columns: ColumnInfo[]; primaryKey: string[]; fks: Map<string, MutableFk> }
  >()
  for (const c of cols.rows) {
    const t = out.get(c.table_name) ?? {
      name: c.table_name,
      columns: [] as ColumnInfo[],
      primaryKey: [] as string[],
      fks: new Map<string, MutableFk>(),
    }
    const dt = c.data_type.toLowerCase()
    t.columns.push({
      name: c.column_name,
      kind:
        dt === 'json' || dt === 'jsonb'
          ? 'json'
          : dt === 'boolean'
            ? 'bool'
            : dt === 'bytea'
              ? 'bytes'
              : 'other',
    })
    out.set(c.table_name, t)
  }
  for (const p of pks.rows) out.get(p.table_name)?.primaryKey.push(p.column_name)
  for (const f of fks.rows) {
    const t = out.get(f.table_name)
    if (!t) continue
    const fk: MutableFk = t.fks.get(f.conname) ?? { columns: [], refTable: f.ref_table, refColumns: [] }
    fk.columns.push(f.col)
    fk.refColumns.push(f.ref_col)
    t.fks.set(f.conname, fk)
  }
  return new Map(
    [...out.values()]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((t) => [
        t.name,
        { name: t.name, columns: t.columns, primaryKey: t.primaryKey, foreignKeys: [...t.fks.values()] },
      ]),
  )
}

/** How the rows of one table that belong to a tenant are found. */
export type Selection =
  | { readonly mode: 'tenant-row' }
  | { readonly mode: 'tenant-column' }
  | { readonly mode: 'chain-column' }
  /** Rows of a table without tenant column that reference a selected table (e.g. blob copies). */
  | { readonly mode: 'child'; readonly fk: ForeignKey; readonly parent: string }
  /** Rows of a shared table referenced by a tenant's rows (e.g. the principals holding its roles). */
  | { readonly mode: 'shared'; readonly fk: ForeignKey; readonly child: string }

export interface PlannedTable {
  readonly info: TableInfo
  readonly selection: Selection
}

export interface ExportPlan {
  /** Tables exported, in foreign-key order (a table after every table it references). */
  readonly tables: readonly PlannedTable[]
  /** Tables present in the database but not exported, with the reason. */
  readonly skipped: readonly { readonly table: string; readonly reason: string }[]
}

const has = (t: TableInfo, col: string) => t.columns.some((c) => c.name === col)

/**
 * Decides, for every table of the database, whether and how it holds a tenant's data:
 * `tenant` (its row), every table with a `tenant_id` column, every table keyed by the tenant's audit
 * `chain` (chain head, seals), tables without tenant column that reference those (children), and shared
 * tables that tenant rows reference (principals). Technical tables are left out by name.
 */
export function planExport(tables: ReadonlyMap<string, TableInfo>): ExportPlan {
  const chosen = new Map<string, Selection>()
  const skipped: { table: string; reason: string }[] = []
  for (const t of tables.values()) {
    if (TECHNICAL_TABLES.has(t.name)) continue
    if (t.name === 'tenant') chosen.set(t.name, { mode: 'tenant-row' })
    else if (has(t, 'tenant_id')) chosen.set(t.name, { mode: 'tenant-column' })
    else if (has(t, 'chain')) chosen.set(t.name, { mode: 'chain-column' })
  }
  const direct = new Set(chosen.keys())
  for (const t of tables.values()) {
    if (TECHNICAL_TABLES.has(t.name) || chosen.has(t.name)) continue
    const fk = t.foreignKeys.find((f) => direct.has(f.refTable) && f.refTable !== t.name)
    if (fk) {
      chosen.set(t.name, { mode: 'child', fk, parent: fk.refTable })
      continue
    }
    const ref = [...tables.values()].find(
      (c) => chosen.get(c.name)?.mode === 'tenant-column' && c.foreignKeys.some((f) => f.refTable === t.name),
    )
    if (ref) {
      const f = ref.foreignKeys.find((x) => x.refTable === t.name)!
      chosen.set(t.name, { mode: 'shared', fk: f, child: ref.name })
      continue
    }
    skipped.push({ table: t.name, reason: 'holds no tenant data (no tenant_id, chain or reference)' })
  }
  for (const name of TECHNICAL_TABLES) {
    if (tables.has(name)) skipped.push({ table: name, reason: 'technical table of the instance' })
  }
  return { tables: fkOrder(tables, chosen), skipped: skipped.sort((a, b) => (a.table < b.table ? -1 : 1)) }
}

/** Topological order by foreign keys among the chosen tables (self-references ignored), ties by name. */
export function fkOrder(
  tables: ReadonlyMap<string, TableInfo>,
  chosen: ReadonlyMap<string, Selection>,
): PlannedTable[] {
  const names = [...chosen.keys()].sort()
  const done = new Set<string>()
  const out: PlannedTable[] = []
  while (out.length < names.length) {
    const next = names.find(
      (n) =>
        !done.has(n) &&
        tables
          .get(n)!
          .foreignKeys.every((f) => f.refTable === n || !chosen.has(f.refTable) || done.has(f.refTable)),
    )
    if (!next) throw new Error(`foreign-key cycle among ${names.filter((n) => !done.has(n)).join(', ')}`)
    done.add(next)
    out.push({ info: tables.get(next)!, selection: chosen.get(next)! })
  }
  return out
}

/** The SQL condition selecting one tenant's rows of a planned table (columns quoted). */
export function tenantCondition(
  p: PlannedTable,
  tenantId: string,
  plan: ReadonlyMap<string, PlannedTable>,
): RawBuilder<unknown> {
  const s = p.selection
  const ref = (c: string) => sql.ref(`${p.info.name}.${c}`)
  switch (s.mode) {
    case 'tenant-row':
      return sql`${ref('id')} = ${tenantId}`
    case 'tenant-column':
      return sql`${ref('tenant_id')} = ${tenantId}`
    case 'chain-column':
      return sql`${ref('chain')} = ${tenantId}`
    case 'child': {
      const parent = plan.get(s.parent)!
      return sql`(${sql.join(s.fk.columns.map((c) => ref(c)))}) in (select ${sql.join(
        s.fk.refColumns.map((c) => sql.ref(`${s.parent}.${c}`)),
      )} from ${sql.table(s.parent)} where ${tenantCondition(parent, tenantId, plan)})`
    }
    case 'shared': {
      const child = plan.get(s.child)!
      return sql`(${sql.join(s.fk.refColumns.map((c) => ref(c)))}) in (select ${sql.join(
        s.fk.columns.map((c) => sql.ref(`${s.child}.${c}`)),
      )} from ${sql.table(s.child)} where ${tenantCondition(child, tenantId, plan)})`
    }
  }
}

export { quoteIdent }
