export interface UnitObject {
  readonly id: string
  readonly kind: 'binary' | 'physical'
  readonly usage: string | null
  readonly size: number | null
  readonly format: string | null
  readonly formatName: string | null
  readonly mimeType: string | null
  readonly filename: string | null
  readonly digest: string | null
  readonly digestAlgorithm: 'SHA-512' | null
  readonly physicalId: string | null
  /** Physical objects: their box and its place (physical module), when known. */
  readonly box?: unknown
}

export interface UnitSummary {
  readonly id: string
  readonly title: string
  readonly descriptionLevel: string | null
  readonly parentIds: readonly string[]
  readonly startDate: string | null
  readonly endDate: string | null
  readonly operationId: string
  readonly objects: readonly UnitObject[]
}

export interface UnitRuleView {
  readonly category: string
  readonly ruleId: string | null
  readonly startDate: string | null
  readonly endDate: string | null
  readonly finalAction: string | null
  readonly inherited: boolean
  /** The unit that declares the rule. */
  readonly origin: string
}

export interface UnitDetail extends UnitSummary {
  readonly sedaId: string | null
  readonly originatingAgency: string | null
  readonly submissionAgency: string | null
  /** Every element of the unit's SEDA Content, as ingested. */
  readonly content: unknown
  readonly management: unknown
  readonly rules: readonly UnitRuleView[]
  /** Per category: effective rules, max end date, final action and its origin, conflicts (rules module). */
  readonly computedRules: Readonly<Record<string, unknown>>
  /** { status, from, legalBasis, ruleIds }; null before the unit's rules were computed. */
  readonly communicability: unknown
  readonly createdAt: string
}

export interface ObjectRecord extends UnitObject {
  readonly tenantId: string
  readonly groupId: string
  readonly blobId: string | null
  readonly operationId: string
  readonly unitIds: readonly string[]
  /** The most restrictive communicability of the units referencing the object's group. */
  readonly communicability: unknown
}

/** What the catalogue reads of the rules module (wired in main/container.ts). */
export interface RulesReader {
  unitView(
    tenantId: string,
    unitId: string,
  ): Promise<{
    rules: UnitRuleView[]
    computedRules: Readonly<Record<string, unknown>>
    communicability: unknown
  }>
  groupCommunicability(tenantId: string, groupId: string): Promise<unknown>
}
