export type Outcome = 'STARTED' | 'OK' | 'WARNING' | 'KO' | 'FATAL'

/** The chain of platform-level operations (tenants, principals, formats): not any one tenant's. */
export const PLATFORM_CHAIN = '_platform'

export interface NewEvent {
  /** Operation the event belongs to (Vitam's evIdProc). */
  readonly operationId: string
  /** Tenant whose chain receives the event; null for platform-level events. */
  readonly tenantId: string | null
  /** Vitam logbook vocabulary where one exists (CHECK_DIGEST, STP_INGEST_FINALISATION, …). */
  readonly type: string
  readonly outcome: Outcome
  /** Outcome detail code, e.g. CHECK_DIGEST.KO. */
  readonly detail?: string | null
  /** Human-readable message naming the element or file concerned. */
  readonly message?: string | null
  /** Who acted: a principal id, or 'system'. */
  readonly agent?: string | null
  /** The unit, object or entity the event is about (lifecycle events). */
  readonly objectId?: string | null
  readonly data?: Readonly<Record<string, unknown>> | null
}

export interface LogbookEvent {
  readonly chain: string
  readonly seq: number
  readonly operationId: string
  readonly tenantId: string | null
  readonly type: string
  readonly outcome: Outcome
  readonly detail: string | null
  readonly message: string | null
  readonly agent: string | null
  readonly objectId: string | null
  readonly data: Readonly<Record<string, unknown>> | null
  readonly createdAt: string
  readonly prevHash: string
  readonly hash: string
}

export type OperationStatus = 'PENDING' | 'RUNNING' | 'OK' | 'WARNING' | 'KO' | 'FATAL'

export interface Operation {
  readonly id: string
  readonly tenantId: string | null
  readonly type: string
  readonly status: OperationStatus
  readonly agent: string | null
  readonly summary: Readonly<Record<string, unknown>>
  readonly createdAt: string
  readonly updatedAt: string
}

export interface ChainBreak {
  readonly chain: string
  /** Sequence number of the first broken link (the row that does not verify, or the missing one). */
  readonly seq: number
  readonly reason:
    | 'hash-mismatch'
    | 'prev-hash-mismatch'
    | 'missing-event'
    | 'head-mismatch'
    | 'unexpected-event'
  readonly message: string
}

export interface ChainReport {
  readonly chain: string
  readonly events: number
  readonly ok: boolean
  readonly lastHash: string | null
  readonly firstBreak: ChainBreak | null
}

export interface VerifyReport {
  readonly ok: boolean
  readonly chains: readonly ChainReport[]
}
