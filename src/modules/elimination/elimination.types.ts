/** Why a unit cannot be eliminated (analysis, request, execution). */
export type ConflictCode =
  | 'HELD'
  | 'HAS_DESCENDANT_TO_KEEP'
  | 'FINAL_ACTION_CONFLICT'
  | 'FINAL_ACTION_KEEP'
  | 'APPRAISAL_NOT_EXPIRED'
  | 'NO_START_DATE'
  | 'NO_APPRAISAL_RULE'
  | 'OBJECT_GROUP_SHARED'
  /** At the action: a box holding the unit's paper is out (consultation, loan); left for a later request. */
  | 'BOX_OUT'
  | 'UNIT_CHANGED'
  | 'UNIT_GONE'
  | 'NOT_IN_ANALYSIS'

export interface ConflictReason {
  readonly code: ConflictCode
  /** The descendant concerned (HAS_DESCENDANT_TO_KEEP) or the unit sharing the group. */
  readonly unitId?: string
  /** For HAS_DESCENDANT_TO_KEEP: the descendant's own reason code. */
  readonly cause?: ConflictCode
  readonly detail?: string
}

export interface AnalysisUnit {
  readonly unitId: string
  readonly sedaId: string | null
  readonly title: string
  readonly appraisalEndDate: string | null
  readonly finalAction: string | null
  /** DESTROY: eligible; CONFLICT: due or asked for but blocked (see reasons). Vitam's vocabulary. */
  readonly status: 'DESTROY' | 'CONFLICT'
  readonly reasons: readonly ConflictReason[]
  readonly objects: number
  /** Of which physical objects (paper in boxes). */
  readonly physicalObjects: number
  readonly bytes: number
}

export interface AnalysisFilters {
  /** Originating agency identifier. */
  readonly producer?: string
  /** A unit: only it and its descendants are considered. */
  readonly branch?: string
  /** An appraisal rule id in force on the unit. */
  readonly rule?: string
}

export interface AnalysisResult {
  readonly analysisId: string
  readonly tenantId: string
  readonly status: 'PENDING' | 'DONE'
  readonly asOf: string
  readonly filters: AnalysisFilters
  readonly eligible: readonly AnalysisUnit[]
  readonly conflicts: readonly AnalysisUnit[]
  readonly totals: {
    readonly eligible: number
    readonly conflicts: number
    readonly objects: number
    readonly bytes: number
  }
}

export type RequestStatus =
  | 'draft'
  | 'submitted'
  | 'approved'
  | 'refused'
  | 'executing'
  | 'executed'
  | 'expired'
  | 'cancelled'

export interface EliminationRequest {
  readonly id: string
  readonly tenantId: string
  readonly analysisId: string
  readonly status: RequestStatus
  readonly observations: string | null
  readonly validityDays: number
  readonly totals: { readonly units: number; readonly objects: number; readonly bytes: number }
  readonly startDate: string | null
  readonly endDate: string | null
  readonly seal: string | null
  readonly createdBy: string
  readonly createdAt: string
  readonly submittedBy: string | null
  readonly submittedAt: string | null
  readonly visa: {
    readonly id: string | null
    readonly decision: string
    readonly by: string
    readonly at: string
    readonly comment: string
  } | null
  readonly expiresAt: string | null
  readonly executedBy: string | null
  readonly executedAt: string | null
  readonly executionOperationId: string | null
  readonly units: readonly {
    readonly unitId: string
    readonly sedaId: string | null
    readonly title: string
    readonly status: string
    readonly reason: string | null
  }[]
  readonly documents: readonly { readonly name: string; readonly size: number; readonly sha512: string }[]
  readonly result: Record<string, unknown> | null
}
