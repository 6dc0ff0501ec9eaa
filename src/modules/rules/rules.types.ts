/** The seven SEDA rule categories, in the order of the ManagementGroup. */
export const RULE_CATEGORIES = [
  'StorageRule',
  'AppraisalRule',
  'AccessRule',
  'DisseminationRule',
  'ReuseRule',
  'ClassificationRule',
  'HoldRule',
] as const

/** Category properties inherited like rules (SEDA tails; Vitam `InheritedRules.*.Properties`). */
export const PROPERTY_NAMES = [
  'FinalAction',
  'ClassificationLevel',
  'ClassificationOwner',
  'NeedReassessingAuthorization',
] as const

/** A rule as declared on a unit (a `unit_rule` row). `ruleId` null: a block with properties only. */
export interface DeclaredRule {
  readonly category: string
  readonly ruleId: string | null
  readonly startDate: string | null
  readonly endDate: string | null
  readonly finalAction: string | null
  readonly data: Record<string, unknown>
}

/** A rule in force on a unit (a `unit_effective_rule` row). */
export interface EffectiveRule {
  readonly category: string
  readonly ruleId: string
  readonly originUnitId: string
  readonly inherited: boolean
  readonly startDate: string | null
  readonly endDate: string | null
  readonly finalAction: string | null
  /** Unit ids from the origin down to the unit (the first path found). */
  readonly path: readonly string[]
  readonly data: Record<string, unknown>
}

/** A category property in force on a unit (a `unit_effective_property` row). */
export interface EffectiveProperty {
  readonly category: string
  readonly name: string
  readonly value: string
  readonly originUnitId: string
  readonly inherited: boolean
}

/** What the engine needs to know of a rule of the referential. */
export interface RuleInfo {
  readonly ruleId: string
  readonly ruleType: string
  readonly ruleValue: string
  readonly duration: string | null
  readonly measurement: string | null
  /** Never communicable whatever the date (L213-2 II), when the referential says so. */
  readonly never?: boolean
  /** Article / paragraph of the law the rule applies. */
  readonly legalBasis?: string | null
}

export type CommunicabilityStatus = 'immediate' | 'date' | 'never' | 'unknown'

export interface Communicability {
  readonly status: CommunicabilityStatus
  /** The date from which the unit is communicable (status `date`), else null. */
  readonly from: string | null
  readonly legalBasis: string | null
  /** The effective access rules the status derives from. */
  readonly ruleIds: readonly string[]
  /** Why the status is `unknown` or `never` (French), else absent. */
  readonly reason?: string
}

/** A unit's summary row (`unit_lifecycle`). */
export interface Lifecycle {
  readonly appraisalEndDate: string | null
  readonly appraisalRules: number
  /** 1 when an effective appraisal rule has no end date (no StartDate): the DUA cannot be said over. */
  readonly appraisalIncomplete: boolean
  readonly finalAction: 'Keep' | 'Destroy' | 'Conflict' | null
  readonly held: boolean
  readonly holdEndDate: string | null
  readonly holdRuleIds: readonly string[]
  readonly communicability: Communicability
}

/** The effective state of one unit, as computed by the engine. */
export interface UnitComputation {
  readonly rules: EffectiveRule[]
  readonly properties: EffectiveProperty[]
  readonly lifecycle: Lifecycle
}

export interface RecomputeResult {
  /** Units whose rows were rewritten (the given units and all their descendants). */
  readonly units: number
  readonly rules: number
}

/** Per-category view returned by `unit show` as `computedRules`. */
export interface CategoryView {
  readonly rules: readonly {
    ruleId: string
    startDate: string | null
    endDate: string | null
    inherited: boolean
    origin: string
    path: readonly string[]
  }[]
  readonly maxEndDate: string | null
  readonly finalAction: { value: string; origin: string; inherited: boolean } | null
  readonly properties: readonly { name: string; value: string; origin: string; inherited: boolean }[]
  readonly conflicts: readonly { name: string; values: readonly { value: string; origin: string }[] }[]
}
