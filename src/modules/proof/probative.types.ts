/** The probative-value report (relevé de valeur probante) of one object: its JSON document. */
export const PROBATIVE_FORMAT = 'saeh-probative-report/1'

export interface ProbativeObject {
  readonly id: string
  readonly sedaId: string | null
  readonly kind: 'binary' | 'physical'
  readonly usage: string | null
  readonly filename: string | null
  readonly format: { readonly puid: string | null; readonly name: string | null }
  readonly mimeType: string | null
  readonly size: number | null
  readonly sha512: string | null
  /** The digest the transfer declared (algorithm and value), as received. */
  readonly declared: { readonly algorithm: string | null; readonly digest: string | null }
  readonly groupId: string
  readonly createdAt: string
}

export interface ProbativeUnit {
  readonly id: string
  readonly sedaId: string | null
  readonly title: string
  readonly descriptionLevel: string | null
  readonly originatingAgency: string | null
  readonly submissionAgency: string | null
}

export interface ProbativeOrigin {
  readonly operationId: string
  readonly status: string | null
  readonly receivedAt: string | null
  readonly finishedAt: string | null
  readonly fileName: string | null
  readonly submissionAgency: string | null
  readonly originatingAgency: string | null
  readonly contractId: string | null
  readonly messageIdentifier: string | null
  readonly sedaVersion: string | null
  readonly replyCode: string | null
  /** The SEDA manifest as stored at ingest (its blob), null when none was kept. */
  readonly manifest: { readonly blobId: string; readonly sha512: string; readonly size: number } | null
}

/** One statement of the object's digest: at ingest, by a fixity check of one copy, or by a logged event. */
export interface DigestStatement {
  readonly at: string
  readonly source: 'declared' | 'ingest' | 'fixity' | 'event'
  readonly offer: string | null
  readonly algorithm: string
  readonly digest: string | null
  /** Whether it equals the catalogue's SHA-512 (null when not comparable: other algorithm, no digest). */
  readonly matches: boolean | null
  readonly detail: string | null
}

export interface ProbativeAudit {
  readonly auditId: string
  readonly type: 'existence' | 'integrity'
  readonly scope: string
  readonly trigger: string
  readonly status: string
  readonly createdAt: string
  readonly finishedAt: string | null
}

export interface ProbativeCopy {
  readonly offer: string
  readonly offerKind: 'fs' | 's3' | null
  /** The storage's own record of the copy (blob_copy), null when it has none. */
  readonly state: string | null
  readonly lastCheck: {
    readonly auditId: string
    readonly type: 'existence' | 'integrity'
    readonly at: string
    readonly outcome: string
    readonly digest: string | null
    readonly detail: string | null
  } | null
}

export interface ProbativeAnomaly {
  readonly auditId: string
  readonly offer: string
  readonly kind: string
  readonly detail: string | null
  readonly repair: string
  readonly repairedFrom: string | null
  readonly detectedAt: string
}

export interface ProbativeEvent {
  readonly chain: string
  readonly seq: number
  readonly operationId: string
  readonly type: string
  readonly outcome: string
  readonly detail: string | null
  readonly message: string | null
  readonly at: string
  readonly agent: string | null
  readonly objectId: string | null
  readonly hash: string
  /** Number of the seal covering the event, null while unsealed. */
  readonly seal: number | null
}

export interface ProbativeSeal {
  readonly id: string
  readonly number: number
  readonly createdAt: string
  readonly events: number
  readonly merkleRoot: string
  readonly tokenTime: string
  readonly tsa: string | null
  readonly tokenSerial: string | null
  /** Verified now: document digest, chaining, Merkle root from the events, token, stored copies. */
  readonly verified: boolean
  readonly problems: readonly string[]
}

export interface ProbativeReport {
  readonly format: typeof PROBATIVE_FORMAT
  readonly tenant: { readonly id: string; readonly name: string }
  readonly generatedAt: string
  readonly generatedBy: string
  readonly object: ProbativeObject
  readonly units: readonly ProbativeUnit[]
  readonly origin: ProbativeOrigin
  readonly digests: readonly DigestStatement[]
  readonly audits: readonly ProbativeAudit[]
  readonly copies: readonly ProbativeCopy[]
  readonly anomalies: readonly ProbativeAnomaly[]
  readonly events: readonly ProbativeEvent[]
  readonly seals: readonly ProbativeSeal[]
  readonly unsealedEvents: number
  readonly conclusion: {
    /** OK: nothing found; WARNING: past anomalies, all repaired, or events not yet sealed; KO: a proof fails. */
    readonly status: 'OK' | 'WARNING' | 'KO'
    readonly integrity: 'OK' | 'ANOMALIES'
    readonly findings: readonly string[]
  }
}
