import { sql, type RawBuilder } from 'kysely'
import type { DialectName, Executor } from '../../platform/db/create-db.js'
import type { ColumnInfo, ColumnKind, PlannedTable, TableInfo } from './introspect.js'
import { tenantCondition } from './introspect.js'

/**
 * One portable representation of a row, whichever the dialect it comes from or goes to:
 * - JSON columns as their JSON text (a string), as SQLite stores them (PostgreSQL's jsonb is serialised);
 * - booleans as JSON booleans or 0/1 (SQLite); written back as the target dialect needs;
 * - bytes as `{ "$base64": "…" }`; dates as ISO-8601 text; 64-bit integers as numbers.
 */
export type PortableRow = Record<string, unknown>

export function encodeValue(dialect: DialectName, kind: ColumnKind, v: unknown): unknown {
  if (v === null || v === undefined) return null
  if (dialect === 'postgres' && kind === 'json') return JSON.stringify(v)
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return { $base64: Buffer.from(v).toString('base64') }
  if (v instanceof Date) return v.toISOString()
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()
  return v
}

export function decodeValue(dialect: DialectName, kind: ColumnKind, v: unknown): unknown {
  if (v === null || v === undefined) return null
  if (typeof v === 'object' && !Array.isArray(v) && v !== null && '$base64' in v)
    return Buffer.from(String((v as { $base64: unknown }).$base64), 'base64')
  if (dialect === 'postgres') {
    if (kind === 'json') return typeof v === 'string' ? v : JSON.stringify(v)
    return v
  }
  if (typeof v === 'boolean') return v ? 1 : 0
  if (typeof v === 'object') return JSON.stringify(v)
  return v
}

export function encodeRow(dialect: DialectName, cols: readonly ColumnInfo[], r: Record<string, unknown>) {
  const out: PortableRow = {}
  for (const c of cols) out[c.name] = encodeValue(dialect, c.kind, r[c.name])
  return out
}

/**
 * Pages through one tenant's rows of a table in a stable order: keyset pagination on the primary key
 * (row-value comparison, both dialects), or, for a table without one, in physical order with OFFSET.
 * Memory is one page.
 */
export async function* tenantRows(
  ex: Executor,
  dialect: DialectName,
  p: PlannedTable,
  tenantId: string,
  plan: ReadonlyMap<string, PlannedTable>,
  pageSize = 1000,
): AsyncGenerator<Record<string, unknown>> {
  const t = p.info
  const where = tenantCondition(p, tenantId, plan)
  const cols = sql.join(t.columns.map((c) => sql.ref(`${t.name}.${c.name}`)))
  if (t.primaryKey.length > 0) {
    const pk = sql.join(t.primaryKey.map((c) => sql.ref(`${t.name}.${c}`)))
    let after: unknown[] | null = null
    for (;;) {
      const cond: RawBuilder<unknown> = after
        ? sql`${where} and (${pk}) > (${sql.join(after.map((v) => sql`${v}`))})`
        : where
      const res: { rows: Record<string, unknown>[] } = await sql<Record<string, unknown>>`
        select ${cols} from ${sql.table(t.name)} where ${cond} order by ${pk} limit ${pageSize}`.execute(ex)
      const rows = res.rows
      for (const r of rows) yield r
      if (rows.length < pageSize) return
      const last: Record<string, unknown> = rows[rows.length - 1]!
      after = t.primaryKey.map((c) => last[c])
    }
  }
  // No primary key: the physical order, which for these insert-only tables is the insertion order (some
  // readers rely on it, e.g. a unit's rules), so the import re-creates rows in the same order.
  const order = dialect === 'sqlite' ? sql`${sql.ref(`${t.name}.rowid`)}` : sql`${sql.ref(`${t.name}.ctid`)}`
  for (let offset = 0; ; offset += pageSize) {
    const { rows } = await sql<Record<string, unknown>>`
      select ${cols} from ${sql.table(t.name)} where ${where} order by ${order}
      limit ${pageSize} offset ${offset}`.execute(ex)
    for (const r of rows) yield r
    if (rows.length < pageSize) return
  }
}

export async function countTenantRows(
  ex: Executor,
  p: PlannedTable,
  tenantId: string,
  plan: ReadonlyMap<string, PlannedTable>,
): Promise<number> {
  const { rows } = await sql<{ n: number | string }>`
    select count(*) as n from ${sql.table(p.info.name)} where ${tenantCondition(p, tenantId, plan)}`.execute(
    ex,
  )
  return Number(rows[0]?.n ?? 0)
}

/** Inserts portable rows into a table of the target database, in chunks that fit both dialects' limits. */
export async function insertRows(
  ex: Executor,
  dialect: DialectName,
  t: TableInfo,
  rows: readonly PortableRow[],
): Promise<void> {
  if (rows.length === 0) return
  const kinds = new Map(t.columns.map((c) => [c.name, c.kind] as const))
  const names = [...new Set(rows.flatMap((r) => Object.keys(r)))]
  const per = Math.max(1, Math.min(500, Math.floor(30000 / Math.max(1, names.length))))
  for (let i = 0; i < rows.length; i += per) {
    const part = rows.slice(i, i + per)
    const values = sql.join(
      part.map(
        (r) =>
          sql`(${sql.join(names.map((n) => sql`${decodeValue(dialect, kinds.get(n) ?? 'other', r[n] ?? null)}`))})`,
      ),
    )
    await sql`insert into ${sql.table(t.name)} (${sql.join(names.map((n) => sql.ref(n)))}) values ${values}`.execute(
      ex,
    )
  }
}
