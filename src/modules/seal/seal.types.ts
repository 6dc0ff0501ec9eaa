/** One chain's slice covered by a seal: events fromSeq..toSeq (inclusive), the last one's hash. */
export interface SealRange {
  readonly chain: string
  readonly fromSeq: number
  readonly toSeq: number
  readonly lastHash: string
}

/** A reference from a seal to an earlier one (its id, number, document digest and token digest). */
export interface SealRef {
  readonly id: string
  readonly number: number
  readonly digest: string
  readonly tokenDigest: string
}

/** The sealed document; its SHA-512 (over these exact canonical JSON bytes) is what the token stamps. */
export interface SealDocument {
  readonly format: string
  readonly id: string
  readonly number: number
  readonly createdAt: string
  readonly hashAlgorithm: 'SHA-512'
  readonly merkleTree: string
  readonly eventHash: string
  readonly ranges: readonly SealRange[]
  readonly events: number
  readonly merkleRoot: string
  readonly previous: SealRef | null
  readonly previousMinusOneMonth: SealRef | null
  readonly previousMinusOneYear: SealRef | null
}

export interface SealRecord {
  readonly id: string
  readonly number: number
  readonly createdAt: string
  /** The canonical JSON document, exactly as digested and stored. */
  readonly document: string
  readonly digest: string
  /** DER TimeStampResp. */
  readonly token: Buffer
  readonly tokenDigest: string
  readonly genTime: string
  readonly events: number
  readonly merkleRoot: string
  readonly storagePrefix: string
}

export interface SealResult {
  readonly sealed: boolean
  readonly seal: {
    readonly id: string
    readonly number: number
    readonly createdAt: string
    readonly genTime: string
    readonly events: number
    readonly merkleRoot: string
    readonly digest: string
    readonly ranges: readonly SealRange[]
    readonly storagePrefix: string
  } | null
  readonly events: number
  readonly durationMs: number
}

export interface SealBreak {
  readonly sealId: string
  readonly number: number
  readonly reason: 'document-altered' | 'chaining' | 'range-gap' | 'merkle-root' | 'token' | 'stored-copy'
  readonly message: string
}

export interface SealReport {
  readonly ok: boolean
  /** Seals checked. */
  readonly seals: number
  readonly sealedEvents: number
  readonly unsealedEvents: number
  readonly lastSeal: { readonly id: string; readonly number: number; readonly genTime: string } | null
  readonly firstBreak: SealBreak | null
  readonly breaks: readonly SealBreak[]
  readonly durationMs: number
}
