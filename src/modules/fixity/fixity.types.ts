/** Fixity audits: types shared by the service, the routes and the CLI. */
export type AuditType = 'existence' | 'integrity'
export const AUDIT_TYPES: readonly AuditType[] = ['existence', 'integrity']

export type AuditTrigger = 'manual' | 'schedule'

/** What an audit found for one copy. */
export type CopyOutcome = 'ok' | 'missing' | 'size' | 'digest' | 'unreadable'
/** Anomaly kinds of a report: a bad copy, or an object with no good copy left (`lost`). */
export type AnomalyKind = Exclude<CopyOutcome, 'ok'> | 'lost'

export interface AuditRequest {
  /** null: the whole platform (platform administrators only). */
  readonly tenantId: string | null
  /** Originating agency (service producteur) whose objects are audited. */
  readonly producer?: string | null
  readonly type: AuditType
  readonly agent: string | null
  readonly trigger?: AuditTrigger
}

export interface OfferTotals {
  readonly offerId: string
  checked: number
  ok: number
  bytes: number
  missing: number
  size: number
  digest: number
  unreadable: number
  repaired: number
}

/** Counters kept in the audit row (checkpointed with the cursor). */
export interface AuditTotals {
  /** Objects in scope when the audit started. */
  total: number
  objects: number
  copies: number
  bytes: number
  anomalies: number
  repaired: number
  repairFailed: number
  lost: number
  offers: Record<string, OfferTotals>
  /** Offers found down during the audit (their copies are reported `unreadable`, never repaired). */
  offersDown: string[]
}

export interface AuditAnomaly {
  readonly tenant: string
  readonly objectId: string
  /** '*' for `lost`. */
  readonly offer: string
  readonly kind: AnomalyKind
  readonly detail: string | null
  /** `repaired` (from `repairedFrom`), `failed`, or `none` (not repairable: offer down, no good copy). */
  readonly repair: 'repaired' | 'failed' | 'none'
  readonly repairedFrom: string | null
  readonly detectedAt: string
}

export interface AuditReport {
  readonly auditId: string
  readonly operationId: string
  readonly type: AuditType
  readonly tenant: string | null
  readonly producer: string | null
  readonly trigger: AuditTrigger
  readonly status: 'PENDING' | 'RUNNING' | 'OK' | 'WARNING' | 'KO' | 'FATAL'
  readonly createdAt: string
  readonly startedAt: string | null
  readonly finishedAt: string | null
  readonly progress: { readonly objects: number; readonly total: number }
  readonly counts: {
    readonly objects: number
    readonly copies: number
    readonly bytes: number
    readonly anomalies: number
    readonly repaired: number
    readonly repairFailed: number
    readonly lost: number
  }
  readonly offers: readonly OfferTotals[]
  readonly offersDown: readonly string[]
  /** Objects with no good copy left: raised loudly, never "repaired". */
  readonly alerts: readonly { readonly tenant: string; readonly objectId: string; readonly message: string }[]
  readonly anomalies: readonly AuditAnomaly[]
  /** True when more anomalies exist than listed (see `anomaliesTotal`). */
  readonly anomaliesTotal: number
}

export interface CopyFixity {
  readonly offer: string
  readonly outcome: CopyOutcome | 'repaired'
  readonly checkedAt: string
  readonly auditId: string
  readonly auditType: AuditType
  readonly digest: string | null
  readonly detail: string | null
}

/** What the audits know of one object: the last result per offer and every anomaly ever found. */
export interface FixityHistory {
  readonly objectId: string
  readonly tenant: string
  readonly sha512: string | null
  readonly lost: boolean
  readonly copies: readonly CopyFixity[]
  readonly anomalies: readonly (AuditAnomaly & { readonly auditId: string })[]
}

export interface LostObject {
  readonly tenant: string
  readonly objectId: string
  readonly auditId: string
  readonly detectedAt: string
  readonly detail: string | null
}
