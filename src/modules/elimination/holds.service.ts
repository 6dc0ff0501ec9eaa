import type { Clock } from '../../platform/clock.js'
import type { IdSource } from '../../platform/ids.js'
import type { Db, Executor } from '../../platform/db/create-db.js'
import type { LegalHoldTable } from '../../platform/db/schema.js'
import type { AuditService } from '../audit/index.js'
import type { RulesService } from '../rules/index.js'
import type { Principal, TenancyService } from '../tenancy/index.js'
import { ElimErrors } from './errors.js'

export interface LegalHold {
  readonly id: string
  readonly tenantId: string
  readonly unitId: string
  readonly includeDescendants: boolean
  readonly reason: string
  readonly startDate: string
  readonly endDate: string | null
  readonly createdBy: string
  readonly createdAt: string
  readonly liftedAt: string | null
  readonly liftedBy: string | null
  readonly liftReason: string | null
  /** In force today (started, not ended, not lifted). */
  readonly active: boolean
}

export interface HoldInput {
  readonly unitId?: unknown
  readonly reason?: unknown
  readonly includeDescendants?: unknown
  readonly startDate?: unknown
  readonly endDate?: unknown
}

const DATE = /^\d{4}-\d{2}-\d{2}$/
const MAX_REASON = 2000

export function isIsoDate(v: string): boolean {
  if (!DATE.test(v)) return false
  const d = new Date(`${v}T00:00:00Z`)
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v
}

function text(field: string, v: unknown, max: number): string {
  if (typeof v !== 'string' || v.trim() === '') throw ElimErrors.holdInvalid(field, 'texte obligatoire', v)
  if (v.length > max) throw ElimErrors.holdInvalid(field, `plus de ${max} caractères`, v.length)
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(v))
    throw ElimErrors.holdInvalid(field, 'caractère de contrôle interdit')
  return v.trim()
}

function date(field: string, v: unknown): string {
  if (typeof v !== 'string' || !isIsoDate(v))
    throw ElimErrors.holdInvalid(field, 'date attendue au format AAAA-MM-JJ', v)
  return v
}

/**
 * Manual legal holds (gel juridique): created and lifted by an archivist, logged; each change recomputes
 * the unit's (and its branch's) `unit_lifecycle.held` through the rules engine.
 */
export class HoldService {
  constructor(
    private readonly deps: {
      db: Db
      clock: Clock
      ids: IdSource
      audit: AuditService
      tenancy: TenancyService
      rules: RulesService
    },
  ) {}

  private today(): string {
    return this.deps.clock.now().toISOString().slice(0, 10)
  }

  async create(actor: Principal, tenantId: string, input: HoldInput): Promise<LegalHold> {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.manage')
    if (typeof input !== 'object' || input === null) throw ElimErrors.holdInvalid('body', 'objet attendu')
    const unitId = text('unitId', input.unitId, 200)
    const reason = text('reason', input.reason, MAX_REASON)
    if (input.includeDescendants !== undefined && typeof input.includeDescendants !== 'boolean')
      throw ElimErrors.holdInvalid('includeDescendants', 'booléen attendu', input.includeDescendants)
    const startDate = input.startDate === undefined ? this.today() : date('startDate', input.startDate)
    const endDate =
      input.endDate === undefined || input.endDate === null ? null : date('endDate', input.endDate)
    if (endDate !== null && endDate < startDate)
      throw ElimErrors.holdInvalid('endDate', `antérieure à la date de début ${startDate}`, endDate)
    const { result } = await this.deps.audit.inOperation(
      { tenantId, type: 'HOLD_CREATE', agent: actor.id },
      async (trx) => {
        await this.requireUnit(trx, tenantId, unitId)
        const row: LegalHoldTable = {
          id: this.deps.ids.next(),
          tenant_id: tenantId,
          unit_id: unitId,
          include_descendants: input.includeDescendants === true ? 1 : 0,
          reason,
          start_date: startDate,
          end_date: endDate,
          created_by: actor.id,
          created_at: this.deps.clock.now().toISOString(),
          lifted_at: null,
          lifted_by: null,
          lift_reason: null,
        }
        await trx.insertInto('legal_hold').values(row).execute()
        const r = await this.deps.rules.recompute(trx, tenantId, [unitId])
        return {
          result: this.toHold(row),
          events: [
            {
              type: 'HOLD_CREATE',
              outcome: 'OK',
              detail: 'HOLD_CREATE.OK',
              agent: actor.id,
              objectId: unitId,
              message: `Gel ${row.id} posé sur l'unité ${unitId}${row.include_descendants ? ' et sa descendance' : ''} : ${reason}`,
              data: {
                holdId: row.id,
                includeDescendants: row.include_descendants === 1,
                startDate,
                endDate,
                reason,
                unitsRecomputed: r.units,
              },
            },
          ],
          summary: { holdId: row.id, unitId },
        }
      },
    )
    return result
  }

  async lift(actor: Principal, tenantId: string, holdId: string, reason: unknown): Promise<LegalHold> {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.manage')
    const why = text('reason', reason, MAX_REASON)
    const { result } = await this.deps.audit.inOperation(
      { tenantId, type: 'HOLD_LIFT', agent: actor.id },
      async (trx) => {
        const row = await trx
          .selectFrom('legal_hold')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('id', '=', holdId)
          .executeTakeFirst()
        if (!row) throw ElimErrors.holdNotFound(holdId)
        if (row.lifted_at !== null) throw ElimErrors.holdLifted(holdId)
        const now = this.deps.clock.now().toISOString()
        await trx
          .updateTable('legal_hold')
          .set({ lifted_at: now, lifted_by: actor.id, lift_reason: why })
          .where('id', '=', holdId)
          .where('tenant_id', '=', tenantId)
          .execute()
        const r = await this.deps.rules.recompute(trx, tenantId, [row.unit_id])
        return {
          result: this.toHold({ ...row, lifted_at: now, lifted_by: actor.id, lift_reason: why }),
          events: [
            {
              type: 'HOLD_LIFT',
              outcome: 'OK',
              detail: 'HOLD_LIFT.OK',
              agent: actor.id,
              objectId: row.unit_id,
              message: `Gel ${holdId} levé sur l'unité ${row.unit_id} : ${why}`,
              data: { holdId, reason: why, unitsRecomputed: r.units },
            },
          ],
          summary: { holdId, unitId: row.unit_id },
        }
      },
    )
    return result
  }

  async list(
    actor: Principal,
    tenantId: string,
    opts: { unitId?: string; activeOnly?: boolean } = {},
  ): Promise<LegalHold[]> {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.read')
    let q = this.deps.db.kysely.selectFrom('legal_hold').selectAll().where('tenant_id', '=', tenantId)
    if (opts.unitId !== undefined) q = q.where('unit_id', '=', opts.unitId)
    const rows = await q.orderBy('created_at').orderBy('id').execute()
    return rows.map((r) => this.toHold(r)).filter((h) => !opts.activeOnly || h.active)
  }

  /** Manual holds in force today on the units or on one of their ancestors (branch holds). */
  async activeHoldsCovering(
    trx: Executor,
    tenantId: string,
    unitIds: readonly string[],
  ): Promise<Set<string>> {
    const held = new Set<string>()
    if (unitIds.length === 0) return held
    const today = this.today()
    const rows = await trx
      .selectFrom('legal_hold')
      .select(['unit_id', 'include_descendants'])
      .where('tenant_id', '=', tenantId)
      .where('lifted_at', 'is', null)
      .where('start_date', '<=', today)
      .where((eb) => eb.or([eb('end_date', 'is', null), eb('end_date', '>=', today)]))
      .execute()
    if (rows.length === 0) return held
    const direct = new Set(rows.map((r) => r.unit_id))
    const branch = new Set(rows.filter((r) => Number(r.include_descendants) === 1).map((r) => r.unit_id))
    for (const id of unitIds) if (direct.has(id)) held.add(id)
    if (branch.size === 0) return held
    // Walk up from each unit (ancestors are few); memoised over the whole call.
    const parentsOf = new Map<string, string[]>()
    const load = async (ids: string[]) => {
      const need = ids.filter((i) => !parentsOf.has(i))
      for (let i = 0; i < need.length; i += 500) {
        const slice = need.slice(i, i + 500)
        for (const s of slice) parentsOf.set(s, [])
        for (const r of await trx
          .selectFrom('unit_parent')
          .select(['unit_id', 'parent_id'])
          .where('tenant_id', '=', tenantId)
          .where('unit_id', 'in', slice)
          .execute())
          parentsOf.get(r.unit_id)!.push(r.parent_id)
      }
    }
    for (const id of unitIds) {
      const seen = new Set<string>([id])
      let frontier = [id]
      let found = branch.has(id)
      while (!found && frontier.length > 0) {
        await load(frontier)
        const next: string[] = []
        for (const f of frontier)
          for (const p of parentsOf.get(f)!) {
            if (seen.has(p)) continue
            seen.add(p)
            if (branch.has(p)) found = true
            next.push(p)
          }
        frontier = next
      }
      if (found) held.add(id)
    }
    return held
  }

  private async requireUnit(trx: Executor, tenantId: string, unitId: string): Promise<void> {
    const u = await trx
      .selectFrom('archive_unit')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', unitId)
      .executeTakeFirst()
    if (!u) throw ElimErrors.unitNotFound(unitId)
  }

  private toHold(r: LegalHoldTable): LegalHold {
    const today = this.today()
    return {
      id: r.id,
      tenantId: r.tenant_id,
      unitId: r.unit_id,
      includeDescendants: Number(r.include_descendants) === 1,
      reason: r.reason,
      startDate: r.start_date,
      endDate: r.end_date,
      createdBy: r.created_by,
      createdAt: r.created_at,
      liftedAt: r.lifted_at,
      liftedBy: r.lifted_by,
      liftReason: r.lift_reason,
      active: r.lifted_at === null && r.start_date <= today && (r.end_date === null || r.end_date >= today),
    }
  }
}
