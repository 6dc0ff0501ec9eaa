import { sql } from 'kysely'
import { openTestDb, type TestDialect } from '../../../test/helpers/db.js'
import { fixedClock, sequentialIds } from '../../../test/helpers/fixed.js'
import type { Db } from '../../platform/db/create-db.js'
import { agencyExtra } from '../../platform/db/migrations/2026-11-29T09-00_agency-extra.js'
import { AuditService } from '../audit/index.js'
import { ReferentialService } from './index.js'

/**
 * A migrated test database with the referential service. Applies migration 2026-11-29T09-00_agency-extra
 * itself when migrate.ts does not register it yet.
 */
export async function openReferentialTestDb(dialect: TestDialect, tenants: readonly string[] = []) {
  const t = await openTestDb(dialect)
  const db: Db = t.db
  const hasExtra = await sql`select extra from agency where 1 = 0`
    .execute(db.kysely)
    .then(() => true)
    .catch(() => false)
  if (!hasExtra) await agencyExtra(dialect).up(db.kysely)
  const clock = fixedClock()
  const audit = new AuditService({ db, clock, ids: sequentialIds('op') })
  const service = new ReferentialService({ db, audit, clock })
  for (const id of tenants) await addTenant(db, id)
  return { ...t, db, audit, service, clock }
}

export async function addTenant(db: Db, id: string): Promise<void> {
  await db.kysely
    .insertInto('tenant')
    .values({ id, name: `Service ${id}`, controlled_by: null, created_at: '2026-01-01T00:00:00.000Z' })
    .execute()
}

/** Everything a tenant's referentials hold, to prove that a refused import changed nothing. */
export async function snapshot(db: Db, tenantId: string): Promise<string> {
  const k = db.kysely
  const rules = await k
    .selectFrom('rule')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('rule_id')
    .execute()
  const agencies = await k
    .selectFrom('agency')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('identifier')
    .execute()
  const entries = await k
    .selectFrom('referential_entry')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('kind')
    .orderBy('identifier')
    .execute()
  const norm = (rows: Array<Record<string, unknown>>) =>
    rows.map((r) =>
      Object.fromEntries(
        Object.entries(r).map(([key, v]) => [
          key,
          typeof v === 'string' && key !== 'body' && key !== 'extra' ? v : JSON.stringify(v),
        ]),
      ),
    )
  return JSON.stringify({ rules: norm(rules), agencies: norm(agencies), entries: norm(entries) })
}

export const csv = (lines: readonly string[]): Buffer => Buffer.from(lines.join('\n') + '\n', 'utf8')
export const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value, null, 2), 'utf8')
