import { AppError } from '../../platform/errors.js'
import type { Clock } from '../../platform/clock.js'
import { fromJson, toJson, type Db, type Executor } from '../../platform/db/create-db.js'
import type { Insertable } from 'kysely'
import type {
  UnitEffectivePropertyTable,
  UnitEffectiveRuleTable,
  UnitLifecycleTable,
} from '../../platform/db/schema.js'
import type { OperationEvent } from '../audit/index.js'
import { computeEndDate } from '../ingest/index.js'
import type { ImportResult, ReferentialService } from '../referential/index.js'
import { readPreset, type PresetRuleMeta } from './presets.js'
import { computeUnit, type ParentState } from './engine.js'
import { manualHoldResolver, mergeHoldEnd, type HoldEnd } from './manual-holds.js'
import type {
  CategoryView,
  Communicability,
  DeclaredRule,
  EffectiveProperty,
  EffectiveRule,
  RecomputeResult,
  RuleInfo,
} from './rules.types.js'

const CHUNK = 500

export const RulesErrors = {
  cycle: (ids: readonly string[]) =>
    new AppError(
      'RULES_GRAPH_CYCLE',
      'conflict',
      `Le graphe des unités contient un cycle : les règles ne peuvent être calculées (unités ${ids.slice(0, 5).join(', ')})`,
      { unitIds: ids.slice(0, 20) },
    ),
}

/** Restrictiveness order used to combine communicabilities (objects: the most restrictive unit wins). */
const RANK = { immediate: 0, date: 1, unknown: 2, never: 3 } as const

/**
 * Materialised management rules: `unit_effective_rule`, `unit_effective_property` and `unit_lifecycle`
 * are rewritten by `recompute` for the given units and their descendants only (docs/rules.md).
 */
export class RulesService {
  constructor(private readonly deps: { db: Db; clock: Clock; referential: ReferentialService }) {}

  /** The tenant's rules referential, as the engine needs it. */
  async ruleInfo(trx: Executor, tenantId: string): Promise<Map<string, RuleInfo>> {
    const rows = await trx
      .selectFrom('rule')
      .select(['rule_id', 'rule_type', 'value', 'duration', 'measurement'])
      .where('tenant_id', '=', tenantId)
      .execute()
    const extra = new Map<string, Partial<RuleInfo>>()
    for (const e of await trx
      .selectFrom('rule_extra')
      .select(['rule_id', 'data'])
      .where('tenant_id', '=', tenantId)
      .execute()) {
      const d = fromJson<PresetRuleMeta>(e.data)
      extra.set(e.rule_id, {
        ...(d.never === true ? { never: true } : {}),
        ...(typeof d.legalBasis === 'string' ? { legalBasis: d.legalBasis } : {}),
      })
    }
    return new Map(
      rows.map((r) => [
        r.rule_id,
        {
          ruleId: r.rule_id,
          ruleType: r.rule_type,
          ruleValue: r.value,
          duration: r.duration,
          measurement: r.measurement,
          ...extra.get(r.rule_id),
        },
      ]),
    )
  }

  /** Every unit below `unitIds` (included), in the tenant; unknown ids are ignored. */
  private async closure(trx: Executor, tenantId: string, unitIds: readonly string[]): Promise<Set<string>> {
    const all = new Set<string>()
    let frontier: string[] = []
    for (let i = 0; i < unitIds.length; i += CHUNK) {
      const rows = await trx
        .selectFrom('archive_unit')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('id', 'in', unitIds.slice(i, i + CHUNK))
        .execute()
      for (const r of rows) {
        if (all.has(r.id)) continue
        all.add(r.id)
        frontier.push(r.id)
      }
    }
    while (frontier.length > 0) {
      const next: string[] = []
      for (let i = 0; i < frontier.length; i += CHUNK) {
        const rows = await trx
          .selectFrom('unit_parent')
          .select('unit_id')
          .where('tenant_id', '=', tenantId)
          .where('parent_id', 'in', frontier.slice(i, i + CHUNK))
          .execute()
        for (const r of rows) {
          if (all.has(r.unit_id)) continue
          all.add(r.unit_id)
          next.push(r.unit_id)
        }
      }
      frontier = next
    }
    return all
  }

  /**
   * Recomputes the effective rules of `unitIds` and of all their descendants, parents before children,
   * inside the caller's transaction; touches no other unit. Units of another tenant are ignored.
   */
  async recompute(trx: Executor, tenantId: string, unitIds: readonly string[]): Promise<RecomputeResult> {
    const affected = await this.closure(trx, tenantId, [...new Set(unitIds)])
    if (affected.size === 0) return { units: 0, rules: 0 }
    const ids = [...affected]
    const parentsOf = new Map<string, string[]>()
    const declared = new Map<string, DeclaredRule[]>()
    for (let i = 0; i < ids.length; i += CHUNK) {
      const slice = ids.slice(i, i + CHUNK)
      for (const r of await trx
        .selectFrom('unit_parent')
        .select(['unit_id', 'parent_id'])
        .where('tenant_id', '=', tenantId)
        .where('unit_id', 'in', slice)
        .orderBy('parent_id')
        .execute()) {
        parentsOf.set(r.unit_id, [...(parentsOf.get(r.unit_id) ?? []), r.parent_id])
      }
      for (const r of await trx
        .selectFrom('unit_rule')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('unit_id', 'in', slice)
        .execute()) {
        declared.set(r.unit_id, [
          ...(declared.get(r.unit_id) ?? []),
          {
            category: r.category,
            ruleId: r.rule_id,
            startDate: r.start_date,
            endDate: r.end_date,
            finalAction: r.final_action,
            data: (r.data === null ? {} : fromJson<Record<string, unknown>>(r.data)) ?? {},
          },
        ])
      }
    }
    // Parents outside the affected set are up to date: read their materialised state.
    const outside = [...new Set([...parentsOf.values()].flat().filter((p) => !affected.has(p)))]
    const state = await this.loadState(trx, tenantId, outside)
    // Kahn's algorithm over the affected sub-graph.
    const pending = new Map<string, number>()
    const children = new Map<string, string[]>()
    for (const id of ids) {
      const inside = (parentsOf.get(id) ?? []).filter((p) => affected.has(p))
      pending.set(id, inside.length)
      for (const p of inside) children.set(p, [...(children.get(p) ?? []), id])
    }
    const queue = ids.filter((id) => pending.get(id) === 0)
    const referential = await this.ruleInfo(trx, tenantId)
    const now = this.deps.clock.now().toISOString()
    const today = now.slice(0, 10)
    let ruleRows: Insertable<UnitEffectiveRuleTable>[] = []
    let propRows: Insertable<UnitEffectivePropertyTable>[] = []
    let lifeRows: Insertable<UnitLifecycleTable>[] = []
    let done = 0
    let ruleCount = 0
    // Manual legal holds (elimination module) join the SEDA HoldRules in `unit_lifecycle.held`.
    const holds = await manualHoldResolver(trx, tenantId, outside, today)
    const branchHold = new Map<string, HoldEnd>()
    await this.deleteRows(trx, tenantId, ids)
    const flush = async (force: boolean) => {
      if (ruleRows.length >= 400 || (force && ruleRows.length > 0)) {
        await trx.insertInto('unit_effective_rule').values(ruleRows).execute()
        ruleRows = []
      }
      if (propRows.length >= 400 || (force && propRows.length > 0)) {
        await trx.insertInto('unit_effective_property').values(propRows).execute()
        propRows = []
      }
      if (lifeRows.length >= 200 || (force && lifeRows.length > 0)) {
        await trx.insertInto('unit_lifecycle').values(lifeRows).execute()
        lifeRows = []
      }
    }
    while (queue.length > 0) {
      const id = queue.pop()!
      const parents = (parentsOf.get(id) ?? []).map((p) => state.get(p)).filter((s): s is ParentState => !!s)
      const c = computeUnit(id, declared.get(id) ?? [], parents, referential, today)
      state.set(id, { rules: c.rules, properties: c.properties })
      done++
      ruleCount += c.rules.length
      for (const r of c.rules) {
        ruleRows.push({
          tenant_id: tenantId,
          unit_id: id,
          category: r.category,
          rule_id: r.ruleId,
          origin_unit_id: r.originUnitId,
          inherited: r.inherited ? 1 : 0,
          start_date: r.startDate,
          end_date: r.endDate,
          final_action: r.finalAction,
          path: toJson(r.path),
          data: toJson(r.data),
        })
      }
      for (const p of c.properties) {
        propRows.push({
          tenant_id: tenantId,
          unit_id: id,
          category: p.category,
          name: p.name,
          value: p.value,
          origin_unit_id: p.originUnitId,
          inherited: p.inherited ? 1 : 0,
        })
      }
      const l = c.lifecycle
      const manual = holds.resolve(
        id,
        (parentsOf.get(id) ?? []).map((p) => (affected.has(p) ? branchHold.get(p) : holds.outsideBranch(p))),
      )
      branchHold.set(id, manual.branch)
      const ruleHold: HoldEnd = l.held ? l.holdEndDate : undefined
      const holdEnd = mergeHoldEnd(ruleHold, manual.held)
      lifeRows.push({
        unit_id: id,
        tenant_id: tenantId,
        appraisal_end_date: l.appraisalEndDate,
        appraisal_rules: l.appraisalRules,
        appraisal_incomplete: l.appraisalIncomplete ? 1 : 0,
        final_action: l.finalAction,
        held: holdEnd !== undefined ? 1 : 0,
        hold_end_date: holdEnd ?? null,
        hold_rule_ids: toJson(l.holdRuleIds),
        communicability: l.communicability.status,
        communicable_from: l.communicability.from,
        access_rule_ids: toJson(l.communicability.ruleIds),
        legal_basis: l.communicability.legalBasis,
        computed_at: now,
      })
      await flush(false)
      for (const ch of children.get(id) ?? []) {
        const n = pending.get(ch)! - 1
        pending.set(ch, n)
        if (n === 0) queue.push(ch)
      }
      // Children of units already done stay reachable: state of finished parents is kept in memory.
    }
    await flush(true)
    if (done !== ids.length) throw RulesErrors.cycle(ids.filter((id) => pending.get(id)! > 0))
    return { units: done, rules: ruleCount }
  }

  /** Recomputes every unit of the tenant (from its roots). */
  async recomputeTenant(trx: Executor, tenantId: string): Promise<RecomputeResult> {
    const roots = await trx
      .selectFrom('archive_unit')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('unit_parent')
              .select('unit_id')
              .whereRef('unit_parent.unit_id', '=', 'archive_unit.id'),
          ),
        ),
      )
      .execute()
    return this.recompute(
      trx,
      tenantId,
      roots.map((r) => r.id),
    )
  }

  /**
   * After a rules referential change (called inside the import's transaction): recomputes the end date
   * of every declared use of the changed rules (`unit_rule.end_date`), then the materialised rows of
   * every unit declaring one of them and of their descendants. Returns the logbook event with counts.
   */
  async onRulesChanged(
    trx: Executor,
    tenantId: string,
    changedIds: readonly string[],
    agent: string,
  ): Promise<OperationEvent[]> {
    const referential = await this.ruleInfo(trx, tenantId)
    const declaring = new Set<string>()
    let endDates = 0
    for (let i = 0; i < changedIds.length; i += CHUNK) {
      const rows = await trx
        .selectFrom('unit_rule')
        .select(['unit_id', 'category', 'rule_id', 'start_date', 'end_date'])
        .where('tenant_id', '=', tenantId)
        .where('rule_id', 'in', changedIds.slice(i, i + CHUNK))
        .execute()
      for (const r of rows) {
        declaring.add(r.unit_id)
        const info = referential.get(r.rule_id!)
        if (!info || r.start_date === null) continue
        const hasDuration = info.duration !== null && info.duration.trim() !== ''
        // A HoldRule without duration ends at its HoldEndDate, which the referential does not change.
        if (r.category === 'HoldRule' && !hasDuration) continue
        const end = computeEndDate(r.start_date, info.duration, info.measurement)
        if (end === r.end_date) continue
        await trx
          .updateTable('unit_rule')
          .set({ end_date: end })
          .where('tenant_id', '=', tenantId)
          .where('unit_id', '=', r.unit_id)
          .where('category', '=', r.category)
          .where('rule_id', '=', r.rule_id)
          .execute()
        endDates++
      }
    }
    const res = await this.recompute(trx, tenantId, [...declaring])
    return [
      {
        type: 'UPDATE_UNIT_RULES',
        outcome: 'OK',
        detail: 'UPDATE_UNIT_RULES.OK',
        agent,
        message:
          `Règles modifiées (${changedIds.length}) : ${endDates} échéance(s) recalculée(s) sur ${declaring.size} ` +
          `unité(s) déclarante(s), ${res.units} unité(s) recalculée(s) avec leurs descendantes`,
        data: {
          changedRules: changedIds.slice(0, 100),
          declaringUnits: declaring.size,
          endDatesChanged: endDates,
          unitsRecomputed: res.units,
          effectiveRules: res.rules,
        },
      },
    ]
  }

  /**
   * Loads a shipped preset (`l213-2`, `communes-retention`): its rules are merged into the tenant's
   * rules referential (others kept) and its per-rule metadata stored in `rule_extra`, as ONE logged
   * operation LOAD_RULES_PRESET; units using a rule whose definition or metadata changed are recomputed.
   */
  async loadPreset(
    tenantId: string,
    name: string,
    agent: string,
  ): Promise<ImportResult & { preset: string }> {
    const preset = await readPreset(name)
    const r = await this.deps.referential.mergeRules(tenantId, preset.csv, agent, {
      operationType: 'LOAD_RULES_PRESET',
      data: { preset: preset.name },
      within: async (trx) => {
        const now = this.deps.clock.now().toISOString()
        const existing = new Map(
          (
            await trx
              .selectFrom('rule_extra')
              .select(['rule_id', 'data'])
              .where('tenant_id', '=', tenantId)
              .execute()
          ).map((e) => [e.rule_id, JSON.stringify(fromJson(e.data))]),
        )
        const changed: string[] = []
        for (const [ruleId, meta] of Object.entries(preset.rules)) {
          const text = JSON.stringify(meta)
          if (existing.get(ruleId) === text) continue
          changed.push(ruleId)
          await trx
            .deleteFrom('rule_extra')
            .where('tenant_id', '=', tenantId)
            .where('rule_id', '=', ruleId)
            .execute()
          await trx
            .insertInto('rule_extra')
            .values({
              tenant_id: tenantId,
              rule_id: ruleId,
              preset: preset.name,
              data: toJson(meta),
              updated_at: now,
            })
            .execute()
        }
        return {
          changedIds: changed,
          events: [
            {
              type: 'STP_LOAD_RULES_PRESET',
              outcome: 'OK',
              detail: 'STP_LOAD_RULES_PRESET.OK',
              agent,
              message: `Préréglage « ${preset.title} » : ${Object.keys(preset.rules).length} règle(s), métadonnées de ${changed.length} règle(s) enregistrées`,
              data: {
                preset: preset.name,
                rules: Object.keys(preset.rules).length,
                metadataChanged: changed.length,
              },
            },
          ],
        }
      },
    })
    return { ...r, preset: preset.name }
  }

  private async deleteRows(trx: Executor, tenantId: string, ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += CHUNK) {
      const slice = ids.slice(i, i + CHUNK)
      for (const t of ['unit_effective_rule', 'unit_effective_property', 'unit_lifecycle'] as const) {
        await trx.deleteFrom(t).where('tenant_id', '=', tenantId).where('unit_id', 'in', slice).execute()
      }
    }
  }

  private async loadState(
    trx: Executor,
    tenantId: string,
    ids: readonly string[],
  ): Promise<Map<string, ParentState>> {
    const rules = new Map<string, EffectiveRule[]>()
    const props = new Map<string, EffectiveProperty[]>()
    for (let i = 0; i < ids.length; i += CHUNK) {
      const slice = ids.slice(i, i + CHUNK)
      for (const r of await trx
        .selectFrom('unit_effective_rule')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('unit_id', 'in', slice)
        .execute()) {
        rules.set(r.unit_id, [...(rules.get(r.unit_id) ?? []), toEffectiveRule(r)])
      }
      for (const p of await trx
        .selectFrom('unit_effective_property')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('unit_id', 'in', slice)
        .execute()) {
        props.set(p.unit_id, [...(props.get(p.unit_id) ?? []), toEffectiveProperty(p)])
      }
    }
    return new Map(ids.map((id) => [id, { rules: rules.get(id) ?? [], properties: props.get(id) ?? [] }]))
  }

  // ── read side ───────────────────────────────────────────────────────────────────────────────

  /** The unit's materialised rules: INTERFACES §3 `rules`, `computedRules` and `communicability`. */
  async unitView(tenantId: string, unitId: string) {
    const k = this.deps.db.kysely
    const state = (await this.loadState(k, tenantId, [unitId])).get(unitId)!
    const life = await k
      .selectFrom('unit_lifecycle')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('unit_id', '=', unitId)
      .executeTakeFirst()
    const rules = [...state.rules]
      .sort(
        (a, b) =>
          Number(a.inherited) - Number(b.inherited) ||
          a.category.localeCompare(b.category) ||
          a.ruleId.localeCompare(b.ruleId) ||
          a.originUnitId.localeCompare(b.originUnitId),
      )
      .map((r) => ({
        category: r.category,
        ruleId: r.ruleId,
        startDate: r.startDate,
        endDate: r.endDate,
        finalAction: r.finalAction,
        inherited: r.inherited,
        origin: r.originUnitId,
      }))
    const computedRules: Record<string, CategoryView> = {}
    const cats = new Set([...state.rules.map((r) => r.category), ...state.properties.map((p) => p.category)])
    for (const c of [...cats].sort()) {
      const rs = state.rules.filter((r) => r.category === c)
      const ps = state.properties.filter((p) => p.category === c)
      const ends = rs.map((r) => r.endDate)
      const conflicts: { name: string; values: { value: string; origin: string }[] }[] = []
      for (const name of new Set(ps.map((p) => p.name))) {
        const of = ps.filter((p) => p.name === name)
        if (new Set(of.map((p) => p.value)).size > 1)
          conflicts.push({ name, values: of.map((p) => ({ value: p.value, origin: p.originUnitId })) })
      }
      const fa = ps.filter((p) => p.name === 'FinalAction')
      computedRules[c] = {
        rules: rs.map((r) => ({
          ruleId: r.ruleId,
          startDate: r.startDate,
          endDate: r.endDate,
          inherited: r.inherited,
          origin: r.originUnitId,
          path: r.path,
        })),
        maxEndDate:
          ends.length === 0 || ends.some((e) => e === null) ? null : ends.reduce((a, b) => (b! > a! ? b : a)),
        finalAction:
          fa.length === 0 || new Set(fa.map((p) => p.value)).size > 1
            ? null
            : { value: fa[0]!.value, origin: fa[0]!.originUnitId, inherited: fa[0]!.inherited },
        properties: ps.map((p) => ({
          name: p.name,
          value: p.value,
          origin: p.originUnitId,
          inherited: p.inherited,
        })),
        conflicts,
      }
    }
    const communicability: Communicability | null = life
      ? {
          status: life.communicability as Communicability['status'],
          from: life.communicable_from,
          legalBasis: life.legal_basis,
          ruleIds: fromJson<string[]>(life.access_rule_ids),
        }
      : null
    return { rules, computedRules, communicability }
  }

  /** An object's communicability: the most restrictive of the units that reference its group. */
  async groupCommunicability(tenantId: string, groupId: string): Promise<Communicability | null> {
    const rows = await this.deps.db.kysely
      .selectFrom('unit_lifecycle')
      .innerJoin('archive_unit', 'archive_unit.id', 'unit_lifecycle.unit_id')
      .select([
        'unit_lifecycle.communicability',
        'unit_lifecycle.communicable_from',
        'unit_lifecycle.legal_basis',
        'unit_lifecycle.access_rule_ids',
      ])
      .where('archive_unit.tenant_id', '=', tenantId)
      .where('archive_unit.object_group_id', '=', groupId)
      .execute()
    let best: Communicability | null = null
    for (const r of rows) {
      const c: Communicability = {
        status: r.communicability as Communicability['status'],
        from: r.communicable_from,
        legalBasis: r.legal_basis,
        ruleIds: fromJson<string[]>(r.access_rule_ids),
      }
      if (
        !best ||
        RANK[c.status] > RANK[best.status] ||
        (c.status === 'date' && best.status === 'date' && c.from! > best.from!)
      )
        best = c
    }
    return best
  }
}

function toEffectiveRule(r: UnitEffectiveRuleTable): EffectiveRule {
  return {
    category: r.category,
    ruleId: r.rule_id,
    originUnitId: r.origin_unit_id,
    inherited: Number(r.inherited) === 1,
    startDate: r.start_date,
    endDate: r.end_date,
    finalAction: r.final_action,
    path: fromJson<string[]>(r.path) ?? [],
    data: fromJson<Record<string, unknown>>(r.data) ?? {},
  }
}

function toEffectiveProperty(p: UnitEffectivePropertyTable): EffectiveProperty {
  return {
    category: p.category,
    name: p.name,
    value: p.value,
    originUnitId: p.origin_unit_id,
    inherited: Number(p.inherited) === 1,
  }
}
