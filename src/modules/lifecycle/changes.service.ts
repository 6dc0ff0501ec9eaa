import { AppError } from '../../platform/errors.js'
import type { Clock } from '../../platform/clock.js'
import { fromJson, toJson, type Db, type Executor } from '../../platform/db/create-db.js'
import type { AuditService } from '../audit/index.js'
import type { Principal, TenancyService } from '../tenancy/index.js'
import { computeEndDate, normaliseDate } from '../ingest/index.js'
import { RULE_CATEGORIES } from '../rules/index.js'
import {
  CHUNK,
  descendants,
  existing,
  heldError,
  heldUnits,
  resolveSelection,
  SelectionErrors,
  type Selection,
  type UnitLister,
} from './selection.js'

export interface ChangesDeps {
  readonly db: Db
  readonly audit: AuditService
  readonly tenancy: TenancyService
  readonly clock: Clock
  readonly catalog: UnitLister
  readonly rules: {
    recompute(trx: Executor, tenantId: string, unitIds: readonly string[]): Promise<{ units: number }>
  }
  /** The search index (search module), kept in step with the catalogue in the same transaction. */
  readonly searchIndex?: {
    indexUnits(trx: Executor, tenantId: string, unitIds: readonly string[]): Promise<unknown>
    removeFromIndex(trx: Executor, unitIds: readonly string[]): Promise<void>
  }
}

/** One move: the unit (with its branch) gets exactly these parents; `[]` detaches it to the root. */
export interface Move {
  readonly unitId: string
  readonly parentIds: readonly string[]
}

/** One change of a category's rules on every unit of the selection. */
export interface RuleChange {
  readonly category: string
  /** add: add (or re-date) rules; replace: the category's rules become `rules`; remove: drop `ruleIds` (all when absent). */
  readonly action: 'add' | 'replace' | 'remove' | 'set'
  readonly rules?: readonly { readonly ruleId: string; readonly startDate?: string | null }[]
  readonly ruleIds?: readonly string[]
  readonly finalAction?: string | null
  readonly preventInheritance?: boolean
  readonly refNonRuleIds?: readonly string[]
}

interface RuleRow {
  category: string
  rule_id: string | null
  start_date: string | null
  end_date: string | null
  final_action: string | null
  data: Record<string, unknown>
}

const FINAL_ACTIONS: Record<string, readonly string[]> = {
  AppraisalRule: ['Keep', 'Destroy'],
  StorageRule: ['RestrictAccess', 'Transfer', 'Copy'],
}

export interface ChangeResult {
  readonly operationId: string
  readonly units: number
  readonly recomputed: number
}

const issue = (unitIds: readonly string[], ruleId: string | null, code: string, message: string) => ({
  code,
  ruleId,
  message,
  unitIds: unitIds.slice(0, 100),
  count: unitIds.length,
})

/**
 * Reclassification and mass rules updates (docs/lifecycle.md): each is one logged operation that keeps
 * the state before and after (`lifecycle_change`), recomputes the inherited rules of the touched
 * branches only, and can be reverted once.
 */
export class ChangesService {
  constructor(private readonly deps: ChangesDeps) {}

  async reclassify(principal: Principal, tenantId: string, moves: readonly Move[]): Promise<ChangeResult> {
    await this.deps.tenancy.requireAccess(principal, tenantId, 'archive.manage')
    if (!Array.isArray(moves) || moves.length === 0)
      throw SelectionErrors.invalid('Aucun déplacement demandé')
    for (const m of moves) {
      if (
        typeof m?.unitId !== 'string' ||
        !Array.isArray(m.parentIds) ||
        (m.parentIds as readonly unknown[]).some((p) => typeof p !== 'string')
      )
        throw SelectionErrors.invalid('Déplacement invalide : { unitId, parentIds[] } attendu')
      if (m.parentIds.includes(m.unitId)) throw cycleError(m.unitId, m.unitId)
    }
    const unitIds = [...new Set(moves.map((m) => m.unitId))]
    if (unitIds.length !== moves.length)
      throw SelectionErrors.invalid('Une même unité est déplacée deux fois')
    const k = this.deps.db.kysely
    const all = [...new Set([...unitIds, ...moves.flatMap((m) => m.parentIds)])]
    const found = await existing(k, tenantId, all)
    const missing = all.filter((i) => !found.has(i))
    if (missing.length > 0) throw SelectionErrors.unknown(missing)
    const held = await heldUnits(k, tenantId, [...(await descendants(k, tenantId, unitIds))])
    if (held.length > 0) throw heldError('RECLASSIFY_HELD_UNITS', 'Reclassement', held)
    return this.run(principal, tenantId, 'RECLASSIFICATION', async (trx) => {
      const before = await this.parentsOf(trx, tenantId, unitIds)
      const after: Record<string, string[]> = {}
      for (const m of moves) after[m.unitId] = [...new Set<string>(m.parentIds)].sort()
      await this.setParents(trx, tenantId, after)
      // A cycle: some new parent now lies below the unit it receives.
      for (const m of moves) {
        const below = await descendants(trx, tenantId, [m.unitId])
        const bad = m.parentIds.find((p: string) => below.has(p))
        if (bad) throw cycleError(m.unitId, bad)
      }
      return {
        unitIds,
        before,
        after,
        message: `${moves.length} unité(s) reclassée(s) : ${moves
          .map((m) => `${m.unitId} → [${m.parentIds.join(', ') || 'racine'}]`)
          .slice(0, 5)
          .join(' ; ')}`,
      }
    })
  }

  async updateRules(
    principal: Principal,
    tenantId: string,
    selection: Selection,
    changes: readonly RuleChange[],
  ): Promise<ChangeResult> {
    await this.deps.tenancy.requireAccess(principal, tenantId, 'archive.manage')
    if (!Array.isArray(changes) || changes.length === 0)
      throw SelectionErrors.invalid('Aucune modification de règles demandée')
    const k = this.deps.db.kysely
    const unitIds = await resolveSelection(k, this.deps.catalog, tenantId, selection, false)
    const referential = new Map(
      (
        await k
          .selectFrom('rule')
          .select(['rule_id', 'rule_type', 'duration', 'measurement'])
          .where('tenant_id', '=', tenantId)
          .execute()
      ).map((r) => [r.rule_id, r]),
    )
    const problems: ReturnType<typeof issue>[] = []
    // Static checks of the request, against the tenant's referential.
    for (const ch of changes) {
      if (!RULE_CATEGORIES.includes(ch?.category as (typeof RULE_CATEGORIES)[number])) {
        problems.push(
          issue([], null, 'UNKNOWN_CATEGORY', `Catégorie de règle inconnue : ${String(ch?.category)}`),
        )
        continue
      }
      if (!['add', 'replace', 'remove', 'set'].includes(ch.action)) {
        problems.push(
          issue(
            [],
            null,
            'UNKNOWN_ACTION',
            `Action inconnue : ${String(ch.action)} (add, replace, remove, set)`,
          ),
        )
        continue
      }
      const ids = [
        ...(ch.rules ?? []).map((r: { ruleId: string }) => r.ruleId),
        ...(ch.ruleIds ?? []),
        ...(ch.refNonRuleIds ?? []),
      ]
      for (const id of ids) {
        const r = referential.get(id)
        if (!r)
          problems.push(
            issue(unitIds, id, 'UNKNOWN_RULE', `Règle ${id} inconnue du référentiel des règles du service`),
          )
        else if (r.rule_type !== ch.category)
          problems.push(
            issue(
              unitIds,
              id,
              'WRONG_CATEGORY',
              `La règle ${id} est de catégorie ${r.rule_type}, pas ${ch.category}`,
            ),
          )
      }
      for (const r of ch.rules ?? [])
        if (r.startDate !== undefined && r.startDate !== null && 'error' in normaliseDate(r.startDate))
          problems.push(
            issue(
              unitIds,
              r.ruleId,
              'BAD_START_DATE',
              `Date de début invalide pour ${r.ruleId} : ${r.startDate}`,
            ),
          )
      if (ch.finalAction !== undefined && ch.finalAction !== null) {
        const allowed = FINAL_ACTIONS[ch.category]
        if (!allowed || !allowed.includes(ch.finalAction))
          problems.push(
            issue(
              [],
              null,
              'BAD_FINAL_ACTION',
              `FinalAction « ${ch.finalAction} » non admise pour ${ch.category}${allowed ? ` (${allowed.join(', ')})` : ''}`,
            ),
          )
      }
    }
    if (problems.length > 0) throw rulesInvalid(problems)
    return this.run(principal, tenantId, 'UPDATE_RULES', async (trx) => {
      const before = await this.rulesOf(trx, tenantId, unitIds)
      const after: Record<string, RuleRow[]> = {}
      const noStart = new Map<string, string[]>()
      const noFinal = new Map<string, string[]>()
      for (const id of unitIds) {
        let rows = (before[id] ?? []).map((r) => ({ ...r, data: { ...r.data } }))
        for (const ch of changes) rows = applyChange(rows, ch, referential)
        for (const r of rows) {
          const info = r.rule_id ? referential.get(r.rule_id) : undefined
          const hasDuration = !!info?.duration && info.duration.trim() !== ''
          if (hasDuration && r.start_date === null && changes.some((c) => c.category === r.category))
            noStart.set(r.rule_id!, [...(noStart.get(r.rule_id!) ?? []), id])
          r.end_date =
            r.category === 'HoldRule' && !hasDuration
              ? r.end_date
              : r.start_date && info
                ? computeEndDate(r.start_date, info.duration, info.measurement)
                : null
        }
        for (const cat of ['AppraisalRule', 'StorageRule'])
          if (
            changes.some((c) => c.category === cat) &&
            rows.some((r) => r.category === cat && r.rule_id) &&
            !rows.some((r) => r.category === cat && r.final_action)
          )
            noFinal.set(cat, [...(noFinal.get(cat) ?? []), id])
        after[id] = rows
      }
      const errs = [
        ...[...noStart].map(([rule, ids]) =>
          issue(
            ids,
            rule,
            'MISSING_START_DATE',
            `La règle ${rule} a une durée : une date de début est nécessaire (${ids.length} unité(s))`,
          ),
        ),
        ...[...noFinal].map(([cat, ids]) =>
          issue(ids, null, 'MISSING_FINAL_ACTION', `${cat} sans FinalAction sur ${ids.length} unité(s)`),
        ),
      ]
      if (errs.length > 0) throw rulesInvalid(errs)
      await this.setRules(trx, tenantId, after)
      return {
        unitIds,
        before,
        after,
        message: `Règles modifiées sur ${unitIds.length} unité(s) : ${changes.map((c) => `${c.action} ${c.category}`).join(', ')}`,
      }
    })
  }

  /** Restores the state before `operationId` (once), if the units are still as it left them. */
  async revert(principal: Principal, tenantId: string, operationId: string): Promise<ChangeResult> {
    await this.deps.tenancy.requireAccess(principal, tenantId, 'archive.manage')
    const k = this.deps.db.kysely
    const ch = await k
      .selectFrom('lifecycle_change')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('operation_id', '=', operationId)
      .executeTakeFirst()
    if (!ch)
      throw new AppError(
        'CHANGE_NOT_FOUND',
        'not_found',
        `Opération de reclassement ou de mise à jour inconnue : ${operationId}`,
        {
          operationId,
        },
      )
    if (ch.reverted_by)
      throw new AppError(
        'CHANGE_ALREADY_REVERTED',
        'conflict',
        `L'opération ${operationId} a déjà été annulée (${ch.reverted_by})`,
        {
          operationId,
          revertedBy: ch.reverted_by,
        },
      )
    const unitIds = fromJson<string[]>(ch.unit_ids)
    const found = await existing(k, tenantId, unitIds)
    const gone = unitIds.filter((i) => !found.has(i))
    if (gone.length > 0)
      throw new AppError(
        'CHANGE_NOT_REVERTIBLE',
        'conflict',
        `Unité(s) sorties du service depuis : ${gone.slice(0, 10).join(', ')}`,
        {
          unitIds: gone,
        },
      )
    const before = fromJson<Record<string, unknown>>(ch.before)
    const after = fromJson<Record<string, unknown>>(ch.after)
    const kind = ch.kind
    return this.run(principal, tenantId, `REVERT_${kind}`, async (trx) => {
      const now =
        kind === 'RECLASSIFICATION'
          ? await this.parentsOf(trx, tenantId, unitIds)
          : await this.rulesOf(trx, tenantId, unitIds)
      const changed = unitIds.filter((id) => canon(now[id]) !== canon(after[id]))
      if (changed.length > 0)
        throw new AppError(
          'CHANGE_NOT_REVERTIBLE',
          'conflict',
          `Unité(s) modifiée(s) depuis l'opération ${operationId} : ${changed.slice(0, 10).join(', ')}`,
          { unitIds: changed.slice(0, 100) },
        )
      if (kind === 'RECLASSIFICATION')
        await this.setParents(trx, tenantId, before as Record<string, string[]>)
      else await this.setRules(trx, tenantId, before as Record<string, RuleRow[]>)
      await trx
        .updateTable('lifecycle_change')
        .set({ reverted_by: 'pending' })
        .where('operation_id', '=', operationId)
        .execute()
      return {
        unitIds,
        before: now,
        after: before,
        message: `Annulation de l'opération ${operationId}`,
        reverts: operationId,
      }
    })
  }

  private async run(
    principal: Principal,
    tenantId: string,
    type: string,
    fn: (trx: Executor) => Promise<{
      unitIds: string[]
      before: Record<string, unknown>
      after: Record<string, unknown>
      message: string
      reverts?: string
    }>,
  ): Promise<ChangeResult> {
    const { result, operation } = await this.deps.audit.inOperation(
      { tenantId, type, agent: principal.id },
      async (trx, op) => {
        const r = await fn(trx)
        const rec = await this.deps.rules.recompute(trx, tenantId, r.unitIds)
        await this.deps.searchIndex?.indexUnits(trx, tenantId, r.unitIds)
        if (r.reverts) {
          await trx
            .updateTable('lifecycle_change')
            .set({ reverted_by: op.id })
            .where('operation_id', '=', r.reverts)
            .execute()
        } else {
          await trx
            .insertInto('lifecycle_change')
            .values({
              operation_id: op.id,
              tenant_id: tenantId,
              kind: type,
              unit_ids: toJson(r.unitIds),
              before: toJson(r.before),
              after: toJson(r.after),
              reverted_by: null,
              created_at: op.createdAt,
            })
            .execute()
        }
        return {
          result: { units: r.unitIds.length, recomputed: rec.units },
          summary: {
            units: r.unitIds.length,
            recomputed: rec.units,
            ...(r.reverts ? { reverts: r.reverts } : {}),
          },
          events: [
            {
              type,
              outcome: 'OK',
              detail: `${type}.OK`,
              agent: principal.id,
              message: `${r.message} ; ${rec.units} unité(s) recalculée(s)`,
              data: {
                unitIds: r.unitIds.slice(0, 1000),
                recomputed: rec.units,
                ...(r.reverts ? { reverts: r.reverts } : {}),
              },
            },
          ],
        }
      },
    )
    return { operationId: operation.id, ...result }
  }

  private async parentsOf(
    trx: Executor,
    tenantId: string,
    ids: readonly string[],
  ): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = Object.fromEntries(ids.map((i) => [i, []]))
    for (let i = 0; i < ids.length; i += CHUNK)
      for (const r of await trx
        .selectFrom('unit_parent')
        .select(['unit_id', 'parent_id'])
        .where('tenant_id', '=', tenantId)
        .where('unit_id', 'in', ids.slice(i, i + CHUNK))
        .execute())
        out[r.unit_id]!.push(r.parent_id)
    for (const k of Object.keys(out)) out[k]!.sort()
    return out
  }

  private async setParents(
    trx: Executor,
    tenantId: string,
    parents: Record<string, string[]>,
  ): Promise<void> {
    for (const [id, ps] of Object.entries(parents)) {
      await trx
        .deleteFrom('unit_parent')
        .where('tenant_id', '=', tenantId)
        .where('unit_id', '=', id)
        .execute()
      if (ps.length > 0)
        await trx
          .insertInto('unit_parent')
          .values(ps.map((p) => ({ tenant_id: tenantId, unit_id: id, parent_id: p })))
          .execute()
    }
  }

  private async rulesOf(
    trx: Executor,
    tenantId: string,
    ids: readonly string[],
  ): Promise<Record<string, RuleRow[]>> {
    const out: Record<string, RuleRow[]> = Object.fromEntries(ids.map((i) => [i, []]))
    for (let i = 0; i < ids.length; i += CHUNK)
      for (const r of await trx
        .selectFrom('unit_rule')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('unit_id', 'in', ids.slice(i, i + CHUNK))
        .execute())
        out[r.unit_id]!.push({
          category: r.category,
          rule_id: r.rule_id,
          start_date: r.start_date,
          end_date: r.end_date,
          final_action: r.final_action,
          data: (r.data === null ? {} : fromJson<Record<string, unknown>>(r.data)) ?? {},
        })
    for (const k of Object.keys(out)) out[k]!.sort(ruleOrder)
    return out
  }

  private async setRules(trx: Executor, tenantId: string, rules: Record<string, RuleRow[]>): Promise<void> {
    for (const [id, rows] of Object.entries(rules)) {
      await trx.deleteFrom('unit_rule').where('tenant_id', '=', tenantId).where('unit_id', '=', id).execute()
      if (rows.length > 0)
        await trx
          .insertInto('unit_rule')
          .values(rows.map((r) => ({ tenant_id: tenantId, unit_id: id, ...r, data: toJson(r.data) })))
          .execute()
    }
  }
}

function ruleOrder(a: RuleRow, b: RuleRow): number {
  return a.category.localeCompare(b.category) || (a.rule_id ?? '').localeCompare(b.rule_id ?? '')
}

function canon(v: unknown): string {
  if (Array.isArray(v)) return JSON.stringify(v.map((x) => (typeof x === 'object' ? sortKeys(x) : x)))
  return JSON.stringify(v ?? null)
}
function sortKeys(o: unknown): unknown {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return o
  return Object.fromEntries(
    Object.entries(o as Record<string, unknown>)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, sortKeys(v)]),
  )
}

const cycleError = (unitId: string, parentId: string) =>
  new AppError(
    'RECLASSIFY_CYCLE',
    'conflict',
    `Reclassement refusé : ${parentId} est l'unité ${unitId} elle-même ou l'une de ses descendantes (cycle)`,
    { unitId, parentId },
  )

const rulesInvalid = (problems: readonly ReturnType<typeof issue>[]) =>
  new AppError(
    'RULES_UPDATE_INVALID',
    'invalid',
    `Mise à jour des règles refusée, rien n'a été modifié : ${problems
      .map((p) => p.message)
      .slice(0, 5)
      .join(' ; ')}`,
    { errors: problems },
  )

/** One change applied to one unit's declared rows of the category (properties normalised on every row). */
function applyChange(rows: RuleRow[], ch: RuleChange, referential: ReadonlyMap<string, unknown>): RuleRow[] {
  void referential
  const cat = ch.category
  const mine = rows.filter((r) => r.category === cat)
  const others = rows.filter((r) => r.category !== cat)
  const proto = mine[0]
  let finalAction = proto ? (mine.find((r) => r.final_action)?.final_action ?? null) : null
  let data: Record<string, unknown> = proto
    ? Object.fromEntries(
        Object.entries(proto.data).filter(
          ([k]) =>
            ![
              'holdOwner',
              'holdReason',
              'holdReassessingDate',
              'preventRearrangement',
              'fromPackage',
            ].includes(k),
        ),
      )
    : { preventInheritance: false, refNonRuleIds: [] }
  let ruled = mine.filter((r) => r.rule_id !== null)
  const date = (s: string | null | undefined) => {
    if (s === undefined || s === null) return null
    const d = normaliseDate(s)
    return 'error' in d ? null : d.start
  }
  if (ch.action === 'replace') ruled = []
  if (ch.action === 'add' || ch.action === 'replace') {
    for (const r of ch.rules ?? []) {
      const cur = ruled.find((x) => x.rule_id === r.ruleId)
      if (cur) {
        if (r.startDate !== undefined) cur.start_date = date(r.startDate)
      } else
        ruled.push({
          category: cat,
          rule_id: r.ruleId,
          start_date: date(r.startDate),
          end_date: null,
          final_action: null,
          data: {},
        })
    }
  }
  if (ch.action === 'remove') {
    const drop = ch.ruleIds && ch.ruleIds.length > 0 ? new Set(ch.ruleIds) : null
    ruled = drop ? ruled.filter((r) => !drop.has(r.rule_id!)) : []
    if (!drop) {
      finalAction = null
      data = { preventInheritance: false, refNonRuleIds: [] }
    }
  }
  if (ch.finalAction !== undefined) finalAction = ch.finalAction
  if (ch.preventInheritance !== undefined) data = { ...data, preventInheritance: ch.preventInheritance }
  if (ch.refNonRuleIds !== undefined) data = { ...data, refNonRuleIds: [...ch.refNonRuleIds] }
  const hasProps =
    finalAction !== null ||
    data.preventInheritance === true ||
    (Array.isArray(data.refNonRuleIds) && data.refNonRuleIds.length > 0)
  const out: RuleRow[] = ruled.map((r) => ({ ...r, final_action: finalAction, data: { ...r.data, ...data } }))
  if (out.length === 0 && hasProps)
    out.push({
      category: cat,
      rule_id: null,
      start_date: null,
      end_date: null,
      final_action: finalAction,
      data,
    })
  return [...others, ...out].sort(ruleOrder)
}
