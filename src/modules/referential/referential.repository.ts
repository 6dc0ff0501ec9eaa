import type { Kysely, Transaction } from 'kysely'
import { fromJson, toJson, type Db, type Executor } from '../../platform/db/create-db.js'
import type { AgencyTable, Schema } from '../../platform/db/schema.js'
import type {
  AgencyEntry,
  EntryStatus,
  JsonEntry,
  JsonReferentialKind,
  RuleEntry,
  RuleMeasurement,
  RuleType,
} from './referential.types.js'

/** `agency.extra` comes with migration 2026-11-29T09-00_agency-extra. */
type RefSchema = Omit<Schema, 'agency'> & { agency: AgencyTable & { extra: unknown } }
type RefExecutor = Kysely<RefSchema> | Transaction<RefSchema>
const q = (e: Executor) => e as unknown as RefExecutor

const CHUNK = 200

function chunks<T>(list: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = []
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size))
  return out
}

export type RuleData = Omit<RuleEntry, 'createdAt' | 'updatedAt'>
export type AgencyData = Omit<AgencyEntry, 'createdAt' | 'updatedAt'>
export type EntryData = Omit<JsonEntry, 'createdAt' | 'updatedAt' | 'kind'>

/** Every query takes the tenant first: no referential query exists without one. */
export class ReferentialRepository {
  constructor(private readonly db: Db) {}

  /**
   * Serialises referential imports of one tenant (PostgreSQL row lock; SQLite writers are already serial).
   * NO KEY UPDATE, not UPDATE: the operation row inserted just before holds a KEY SHARE lock on the tenant
   * (its foreign key), which FOR UPDATE would wait on, deadlocking two concurrent imports.
   */
  async lockTenant(trx: Executor, tenantId: string): Promise<boolean> {
    let query = trx.selectFrom('tenant').select('id').where('id', '=', tenantId)
    if (this.db.dialect === 'postgres') query = query.forNoKeyUpdate()
    return (await query.executeTakeFirst()) !== undefined
  }

  async tenantExists(e: Executor, tenantId: string): Promise<boolean> {
    return (
      (await e.selectFrom('tenant').select('id').where('id', '=', tenantId).executeTakeFirst()) !== undefined
    )
  }

  // ---- rules

  async listRules(e: Executor, tenantId: string): Promise<RuleEntry[]> {
    const rows = await e.selectFrom('rule').selectAll().where('tenant_id', '=', tenantId).execute()
    return rows.map(toRule).sort((a, b) => byCodePoint(a.ruleId, b.ruleId))
  }

  async findRule(e: Executor, tenantId: string, ruleId: string): Promise<RuleEntry | undefined> {
    const r = await e
      .selectFrom('rule')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('rule_id', '=', ruleId)
      .executeTakeFirst()
    return r && toRule(r)
  }

  async insertRules(e: Executor, tenantId: string, rules: readonly RuleData[], now: string): Promise<void> {
    for (const part of chunks(rules)) {
      await e
        .insertInto('rule')
        .values(
          part.map((r) => ({
            tenant_id: tenantId,
            rule_id: r.ruleId,
            rule_type: r.ruleType,
            value: r.ruleValue,
            description: r.ruleDescription,
            duration: r.ruleDuration,
            measurement: r.ruleMeasurement,
            created_at: now,
            updated_at: now,
          })),
        )
        .execute()
    }
  }

  async updateRule(e: Executor, tenantId: string, r: RuleData, now: string): Promise<void> {
    await e
      .updateTable('rule')
      .set({
        rule_type: r.ruleType,
        value: r.ruleValue,
        description: r.ruleDescription,
        duration: r.ruleDuration,
        measurement: r.ruleMeasurement,
        updated_at: now,
      })
      .where('tenant_id', '=', tenantId)
      .where('rule_id', '=', r.ruleId)
      .execute()
  }

  async deleteRules(e: Executor, tenantId: string, ids: readonly string[]): Promise<void> {
    for (const part of chunks(ids, 500)) {
      await e.deleteFrom('rule').where('tenant_id', '=', tenantId).where('rule_id', 'in', part).execute()
    }
  }

  // ---- agencies

  async listAgencies(e: Executor, tenantId: string): Promise<AgencyEntry[]> {
    const rows = await q(e).selectFrom('agency').selectAll().where('tenant_id', '=', tenantId).execute()
    return rows.map(toAgency).sort((a, b) => byCodePoint(a.identifier, b.identifier))
  }

  async findAgency(e: Executor, tenantId: string, identifier: string): Promise<AgencyEntry | undefined> {
    const r = await q(e)
      .selectFrom('agency')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('identifier', '=', identifier)
      .executeTakeFirst()
    return r && toAgency(r)
  }

  async insertAgencies(
    e: Executor,
    tenantId: string,
    list: readonly AgencyData[],
    now: string,
  ): Promise<void> {
    for (const part of chunks(list)) {
      await q(e)
        .insertInto('agency')
        .values(
          part.map((a) => ({
            tenant_id: tenantId,
            identifier: a.identifier,
            name: a.name,
            description: a.description,
            extra: toJson(a.extra),
            created_at: now,
            updated_at: now,
          })),
        )
        .execute()
    }
  }

  async updateAgency(e: Executor, tenantId: string, a: AgencyData, now: string): Promise<void> {
    await q(e)
      .updateTable('agency')
      .set({ name: a.name, description: a.description, extra: toJson(a.extra), updated_at: now })
      .where('tenant_id', '=', tenantId)
      .where('identifier', '=', a.identifier)
      .execute()
  }

  async deleteAgencies(e: Executor, tenantId: string, ids: readonly string[]): Promise<void> {
    for (const part of chunks(ids, 500)) {
      await q(e)
        .deleteFrom('agency')
        .where('tenant_id', '=', tenantId)
        .where('identifier', 'in', part)
        .execute()
    }
  }

  // ---- contracts and profiles

  async listEntries(e: Executor, tenantId: string, kind: JsonReferentialKind): Promise<JsonEntry[]> {
    const rows = await e
      .selectFrom('referential_entry')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('kind', '=', kind)
      .execute()
    return rows.map(toEntry).sort((a, b) => byCodePoint(a.identifier, b.identifier))
  }

  async findEntry(
    e: Executor,
    tenantId: string,
    kind: JsonReferentialKind,
    identifier: string,
  ): Promise<JsonEntry | undefined> {
    const r = await e
      .selectFrom('referential_entry')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('kind', '=', kind)
      .where('identifier', '=', identifier)
      .executeTakeFirst()
    return r && toEntry(r)
  }

  async insertEntries(
    e: Executor,
    tenantId: string,
    kind: JsonReferentialKind,
    list: readonly EntryData[],
    now: string,
  ): Promise<void> {
    for (const part of chunks(list, 100)) {
      await e
        .insertInto('referential_entry')
        .values(
          part.map((x) => ({
            tenant_id: tenantId,
            kind,
            identifier: x.identifier,
            name: x.name,
            status: x.status,
            body: toJson(x.body),
            created_at: now,
            updated_at: now,
          })),
        )
        .execute()
    }
  }

  async updateEntry(
    e: Executor,
    tenantId: string,
    kind: JsonReferentialKind,
    x: EntryData,
    now: string,
  ): Promise<void> {
    await e
      .updateTable('referential_entry')
      .set({ name: x.name, status: x.status, body: toJson(x.body), updated_at: now })
      .where('tenant_id', '=', tenantId)
      .where('kind', '=', kind)
      .where('identifier', '=', x.identifier)
      .execute()
  }

  async deleteEntries(
    e: Executor,
    tenantId: string,
    kind: JsonReferentialKind,
    ids: readonly string[],
  ): Promise<void> {
    for (const part of chunks(ids, 500)) {
      await e
        .deleteFrom('referential_entry')
        .where('tenant_id', '=', tenantId)
        .where('kind', '=', kind)
        .where('identifier', 'in', part)
        .execute()
    }
  }

  // ---- existence of referenced things

  async existingAgencies(e: Executor, tenantId: string, ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>()
    for (const part of chunks(ids, 500)) {
      const rows = await q(e)
        .selectFrom('agency')
        .select('identifier')
        .where('tenant_id', '=', tenantId)
        .where('identifier', 'in', part)
        .execute()
      for (const r of rows) found.add(r.identifier)
    }
    return found
  }

  async existingEntries(
    e: Executor,
    tenantId: string,
    kind: JsonReferentialKind,
    ids: readonly string[],
  ): Promise<Set<string>> {
    const found = new Set<string>()
    for (const part of chunks(ids, 500)) {
      const rows = await e
        .selectFrom('referential_entry')
        .select('identifier')
        .where('tenant_id', '=', tenantId)
        .where('kind', '=', kind)
        .where('identifier', 'in', part)
        .execute()
      for (const r of rows) found.add(r.identifier)
    }
    return found
  }

  /** The platform's format referential (PRONOM): null when it is not loaded. */
  async existingFormats(e: Executor, puids: readonly string[]): Promise<Set<string> | null> {
    const any = await e.selectFrom('format').select('puid').limit(1).executeTakeFirst()
    if (!any) return null
    const found = new Set<string>()
    for (const part of chunks(puids, 500)) {
      const rows = await e.selectFrom('format').select('puid').where('puid', 'in', part).execute()
      for (const r of rows) found.add(r.puid)
    }
    return found
  }
}

/** The same order on both dialects (PostgreSQL would sort text by its locale's collation). */
function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function toRule(r: Schema['rule']): RuleEntry {
  return {
    ruleId: r.rule_id,
    ruleType: r.rule_type as RuleType,
    ruleValue: r.value,
    ruleDescription: r.description,
    ruleDuration: r.duration,
    ruleMeasurement: r.measurement as RuleMeasurement | null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

function toAgency(r: AgencyTable & { extra: unknown }): AgencyEntry {
  const extra = r.extra === null || r.extra === undefined ? {} : fromJson<Record<string, string>>(r.extra)
  return {
    identifier: r.identifier,
    name: r.name,
    description: r.description,
    extra,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

function toEntry(r: Schema['referential_entry']): JsonEntry {
  return {
    kind: r.kind as JsonReferentialKind,
    identifier: r.identifier,
    name: r.name,
    status: r.status as EntryStatus,
    body: fromJson<Record<string, unknown>>(r.body),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}
