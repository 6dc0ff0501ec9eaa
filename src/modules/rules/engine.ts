import type {
  Communicability,
  DeclaredRule,
  EffectiveProperty,
  EffectiveRule,
  Lifecycle,
  RuleInfo,
  UnitComputation,
} from './rules.types.js'

/** What a parent hands down: its effective rules and properties (already computed). */
export interface ParentState {
  readonly rules: readonly EffectiveRule[]
  readonly properties: readonly EffectiveProperty[]
}

/** L213-1: public archives are communicable at once unless L213-2 says otherwise. */
export const L213_1 = 'Code du patrimoine, art. L213-1 (communicabilité de plein droit)'

function ownProperties(category: string, own: readonly DeclaredRule[]): Map<string, string> {
  const out = new Map<string, string>()
  for (const r of own) {
    if (r.finalAction) out.set('FinalAction', r.finalAction)
    const d = r.data
    if (typeof d.classificationLevel === 'string') out.set('ClassificationLevel', d.classificationLevel)
    if (typeof d.classificationOwner === 'string') out.set('ClassificationOwner', d.classificationOwner)
    if (typeof d.needReassessingAuthorization === 'boolean')
      out.set('NeedReassessingAuthorization', String(d.needReassessingAuthorization))
  }
  void category
  return out
}

/**
 * The effective rules of one unit, Vitam/SEDA semantics, per category:
 * - the unit's own rules, plus every rule in force on ANY of its parents (multi-parent graph);
 * - `PreventInheritance=true` on the unit's block: nothing of that category is inherited (rules nor
 *   properties); `RefNonRuleId=X`: rule X is not inherited (category-scoped);
 * - a rule id the unit declares itself replaces the same id coming from ancestors;
 * - the same rule from the same origin reached by several paths counts once (first path kept);
 *   the same rule id from two different origins is kept twice (Vitam lists both).
 * - a property (FinalAction, ClassificationLevel…) the unit declares replaces the inherited ones;
 *   otherwise every distinct (value, origin) is inherited, and different values are a conflict.
 */
export function computeUnit(
  unitId: string,
  declared: readonly DeclaredRule[],
  parents: readonly ParentState[],
  referential: ReadonlyMap<string, RuleInfo>,
  today: string,
): UnitComputation {
  const categories = new Set<string>(declared.map((r) => r.category))
  for (const p of parents) {
    for (const r of p.rules) categories.add(r.category)
    for (const r of p.properties) categories.add(r.category)
  }
  const rules: EffectiveRule[] = []
  const properties: EffectiveProperty[] = []
  for (const category of [...categories].sort()) {
    const own = declared.filter((r) => r.category === category)
    const prevent = own.some((r) => r.data.preventInheritance === true)
    const refNon = new Set(
      own.flatMap((r) => (Array.isArray(r.data.refNonRuleIds) ? r.data.refNonRuleIds : [])),
    )
    const seen = new Set<string>()
    for (const r of own) {
      if (r.ruleId === null || seen.has(r.ruleId)) continue
      seen.add(r.ruleId)
      rules.push({
        category,
        ruleId: r.ruleId,
        originUnitId: unitId,
        inherited: false,
        startDate: r.startDate,
        endDate: r.endDate,
        finalAction: r.finalAction,
        path: [unitId],
        data: r.data,
      })
    }
    const ownIds = new Set(seen)
    if (!prevent) {
      for (const p of parents) {
        for (const r of p.rules) {
          if (r.category !== category || refNon.has(r.ruleId) || ownIds.has(r.ruleId)) continue
          const key = `${r.ruleId}\u0000${r.originUnitId}`
          if (seen.has(key)) continue
          seen.add(key)
          rules.push({ ...r, inherited: true, path: [...r.path, unitId] })
        }
      }
    }
    const ownProps = ownProperties(category, own)
    for (const [name, value] of ownProps) {
      properties.push({ category, name, value, originUnitId: unitId, inherited: false })
    }
    if (!prevent) {
      const seenProp = new Set<string>()
      for (const p of parents) {
        for (const pr of p.properties) {
          if (pr.category !== category || ownProps.has(pr.name)) continue
          const key = `${pr.name}\u0000${pr.value}\u0000${pr.originUnitId}`
          if (seenProp.has(key)) continue
          seenProp.add(key)
          properties.push({ ...pr, inherited: true })
        }
      }
    }
  }
  return { rules, properties, lifecycle: lifecycleOf(rules, properties, referential, today) }
}

const maxDate = (ds: readonly string[]): string | null =>
  ds.length === 0 ? null : ds.reduce((a, b) => (b > a ? b : a))

function basisOf(info: RuleInfo | undefined, ruleId: string): string {
  if (!info) return ruleId
  return info.legalBasis ?? `${info.ruleId} : ${info.ruleValue}`
}

/** True when the referential entry closes the documents for good (L213-2 II, or ≥ 999 years). */
export function isNever(info: RuleInfo): boolean {
  if (info.never) return true
  const d = (info.duration ?? '').trim().toLowerCase()
  if (d === 'unlimited') return true
  const n = Number(d)
  return d !== '' && Number.isFinite(n) && n >= 999 && (info.measurement ?? '').toUpperCase() === 'YEAR'
}

/**
 * Communicability (Code du patrimoine L213-1, L213-2) from the effective access rules: none or all of
 * duration 0 → immediate; any never (999 years, flagged never) → never; any rule with a duration and
 * no start date → unknown (the delay runs from a date nobody gave: not communicable until it is
 * known); otherwise the latest end date.
 */
export function communicabilityOf(
  access: readonly EffectiveRule[],
  referential: ReadonlyMap<string, RuleInfo>,
): Communicability {
  const ruleIds = [...new Set(access.map((r) => r.ruleId))].sort()
  if (access.length === 0) return { status: 'immediate', from: null, legalBasis: L213_1, ruleIds }
  const never: string[] = []
  const unknown: string[] = []
  const missing: string[] = []
  const dated: EffectiveRule[] = []
  const immediate: string[] = []
  for (const r of access) {
    const info = referential.get(r.ruleId)
    if (!info) missing.push(r.ruleId)
    else if (isNever(info)) never.push(r.ruleId)
    else if (info.duration === null || info.duration.trim() === '' || Number(info.duration) === 0)
      immediate.push(r.ruleId)
    else if (r.endDate) dated.push(r)
    else unknown.push(r.ruleId)
  }
  const bases = (ids: readonly string[]) =>
    [...new Set(ids.map((id) => basisOf(referential.get(id), id)))].sort().join(' ; ')
  if (never.length > 0)
    return {
      status: 'never',
      from: null,
      legalBasis: bases(never),
      ruleIds,
      reason: `règle(s) ${[...new Set(never)].join(', ')} : jamais communicable (L213-2 II)`,
    }
  if (missing.length > 0 || unknown.length > 0)
    return {
      status: 'unknown',
      from: null,
      legalBasis: bases([...missing, ...unknown]),
      ruleIds,
      reason:
        missing.length > 0
          ? `règle(s) ${[...new Set(missing)].join(', ')} absente(s) du référentiel`
          : `règle(s) ${[...new Set(unknown)].join(', ')} sans date de départ : le délai ne peut être calculé, l'unité n'est pas communicable tant que la date n'est pas connue`,
    }
  if (dated.length > 0) {
    const from = maxDate(dated.map((r) => r.endDate!))!
    return {
      status: 'date',
      from,
      legalBasis: bases(dated.filter((r) => r.endDate === from).map((r) => r.ruleId)),
      ruleIds,
    }
  }
  return { status: 'immediate', from: null, legalBasis: bases(immediate), ruleIds }
}

function lifecycleOf(
  rules: readonly EffectiveRule[],
  properties: readonly EffectiveProperty[],
  referential: ReadonlyMap<string, RuleInfo>,
  today: string,
): Lifecycle {
  const appraisal = rules.filter((r) => r.category === 'AppraisalRule')
  const incomplete = appraisal.some((r) => r.endDate === null)
  const fa = [
    ...new Set(
      properties
        .filter((p) => p.category === 'AppraisalRule' && p.name === 'FinalAction')
        .map((p) => p.value),
    ),
  ]
  const activeHolds = rules.filter(
    (r) => r.category === 'HoldRule' && (r.endDate === null || r.endDate >= today),
  )
  const holdEnd = activeHolds.some((r) => r.endDate === null)
    ? null
    : maxDate(activeHolds.map((r) => r.endDate!))
  return {
    appraisalEndDate: incomplete ? null : maxDate(appraisal.map((r) => r.endDate!)),
    appraisalRules: appraisal.length,
    appraisalIncomplete: incomplete,
    finalAction: fa.length === 0 ? null : fa.length > 1 ? 'Conflict' : (fa[0] as 'Keep' | 'Destroy'),
    held: activeHolds.length > 0,
    holdEndDate: holdEnd,
    holdRuleIds: [...new Set(activeHolds.map((r) => r.ruleId))].sort(),
    communicability: communicabilityOf(
      rules.filter((r) => r.category === 'AccessRule'),
      referential,
    ),
  }
}
