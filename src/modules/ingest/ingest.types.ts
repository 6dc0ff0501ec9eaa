import type { Outcome } from '../audit/index.js'

/** One logbook event of an ingest, with Vitam's outcome semantics. */
export interface IngestEvent {
  readonly type: string
  readonly outcome: Exclude<Outcome, 'STARTED'>
  /** Vitam outcome detail, e.g. CHECK_DIGEST.KO. */
  readonly detail: string
  /** French message naming the element, object or file concerned. */
  readonly message: string
  readonly objectId?: string | null
  readonly data?: Record<string, unknown>
}

export type IngestStatus = 'PENDING' | 'RUNNING' | 'OK' | 'WARNING' | 'KO' | 'FATAL'

/** The operation document of INTERFACES §3. */
export interface IngestResult {
  readonly operationId: string
  readonly type: 'INGEST'
  readonly status: IngestStatus
  readonly tenant: string
  readonly sedaVersion: '2.1' | '2.2' | '2.3' | null
  readonly messageIdentifier: string | null
  readonly units: number
  readonly objects: number
  readonly physicalObjects: number
  readonly bytes: number
  readonly replyCode: string | null
  readonly events: ReadonlyArray<{
    type: string
    outcome: string
    detail: string | null
    message: string | null
  }>
  readonly atr: string
}

export interface IngestLimits {
  readonly maxEntries: number
  readonly maxTotalBytes: number
  readonly maxManifestBytes: number
  readonly maxUploadBytes: number
}

export interface IngestRequest {
  readonly tenantId: string
  /** Path of the package on local disk (an upload already streamed to staging, or the CLI's file). */
  readonly packagePath: string
  /** Name shown in messages (the original file name). */
  readonly fileName: string
  /** Used when the manifest names no ArchivalAgreement; a mismatch with the manifest is KO. */
  readonly contractId?: string | null
  readonly agent: string
}
