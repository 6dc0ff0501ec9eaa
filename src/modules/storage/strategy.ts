import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import type { OfferConfig } from '../../config/config.js'
import { AppError } from '../../platform/errors.js'
import type { Logger } from '../../platform/log.js'
import { CHUNK_SIZE, VerifyingStream, isSha512Hex } from './digest.js'
import { StorageErrors } from './errors.js'
import { FsBlobStore } from './fs-store.js'
import { validateKey } from './keys.js'
import { S3BlobStore } from './s3-store.js'
import { drive } from './tee.js'
import type {
  BadCopyEvent,
  BadCopyHook,
  BlobStore,
  ByteRange,
  ByteSource,
  Durability,
  PutOptions,
  StagedWrite,
  SweepOptions,
} from './types.js'

export interface StorageDeps {
  readonly log?: Logger
  /** Called for every copy found missing or corrupt while reading (besides the per-call hook). */
  readonly onBadCopy?: BadCopyHook
  /** S3 credentials; default: the AWS SDK's standard chain (AWS_ACCESS_KEY_ID …). */
  readonly s3Credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string }
  /** SDK attempts per S3 request (default 3). */
  readonly s3MaxAttempts?: number
  /** How batches are made durable on fs offers (default `syncfs`, the fastest measured: PERFORMANCE.md). */
  readonly durability?: Durability
  /** Whole reads of objects up to this size are verified before the first byte is served, so that a bad
   * copy falls back to the next offer transparently. Larger ones are verified as they stream. Default 1 MiB. */
  readonly verifyBeforeServeBytes?: number
}

/** A binary held by every offer. */
export interface StoredBlob {
  readonly key: string
  readonly size: number
  readonly sha512: string
  /** Offers that received new bytes (the others already held exactly these). */
  readonly createdOn: readonly string[]
}

export interface OfferStatus {
  readonly id: string
  readonly kind: 'fs' | 's3'
  readonly ok: boolean
  readonly error?: AppError
}

export interface OpenOptions {
  /** The digest recorded in the database: the bytes are verified against it. */
  readonly sha512: string
  /** The size recorded in the database, when known: a copy of another size is skipped as corrupt. */
  readonly size?: number
  /** Byte range. Range reads are not digest-verified (a digest covers the whole object); fixity
   * checks cover them. */
  readonly range?: ByteRange
  /** Called for each copy found missing or corrupt, so the caller can mark it for repair. */
  readonly onBadCopy?: BadCopyHook
  /** Offers tried only after the others (e.g. copies already marked for repair). */
  readonly avoidOffers?: readonly string[]
}

export interface OpenedBlob {
  readonly body: Readable
  /** The offer the bytes come from. */
  readonly offerId: string
  readonly size: number
  readonly range?: { readonly start: number; readonly end: number }
}

/**
 * Puts many objects and makes them durable together: `put` writes each to every offer (fs: temp
 * files, not yet visible), `commit` flushes them all at once, links them into place and flushes the
 * folders, and only then resolves. Nothing put in a batch is visible before `commit`, and a failed
 * commit or `abort` removes what the batch created.
 */
export interface StorageBatch {
  put(key: string, source: ByteSource, opts?: PutOptions): Promise<StoredBlob>
  commit(): Promise<void>
  abort(): Promise<void>
  readonly count: number
}

export interface StorageStrategy {
  readonly offers: readonly BlobStore[]
  /** Start-up check of every offer: throws STORAGE_OFFER_UNAVAILABLE naming each offer that is down. */
  checkOffers(): Promise<OfferStatus[]>
  /** Removes temp files / staging objects left by crashed writers, on every offer that answers. */
  sweepTemp(opts?: SweepOptions): Promise<number>
  /** Stores one binary on every offer, durably (reading the source once). */
  put(key: string, source: ByteSource, opts?: PutOptions): Promise<StoredBlob>
  batch(opts?: { readonly durability?: Durability }): StorageBatch
  /** Opens a binary from the first offer that has a good copy, verifying its SHA-512. */
  open(key: string, opts: OpenOptions): Promise<OpenedBlob>
  /** Deletes a binary from every offer (elimination, rollback). Returns the offers that held it. */
  delete(key: string, reason: string): Promise<string[]>
}

export function createBlobStore(offer: OfferConfig, deps: StorageDeps = {}): BlobStore {
  if (offer.kind === 'fs')
    return new FsBlobStore({ id: offer.id, root: offer.root, ...(deps.log ? { log: deps.log } : {}) })
  return new S3BlobStore({
    id: offer.id,
    bucket: offer.bucket,
    endpoint: offer.endpoint,
    region: offer.region,
    forcePathStyle: offer.forcePathStyle,
    ...(deps.s3Credentials ? { credentials: deps.s3Credentials } : {}),
    ...(deps.s3MaxAttempts !== undefined ? { maxAttempts: deps.s3MaxAttempts } : {}),
    ...(deps.log ? { log: deps.log } : {}),
  })
}

export function createStorage(
  offers: readonly (OfferConfig | BlobStore)[],
  deps: StorageDeps = {},
): StorageStrategy {
  if (offers.length === 0)
    throw new AppError('STORAGE_NO_OFFER', 'invalid', 'At least one storage offer is needed')
  const stores = offers.map((o) => ('openWrite' in o ? o : createBlobStore(o, deps)))
  const ids = new Set<string>()
  for (const s of stores) {
    if (ids.has(s.id))
      throw new AppError('STORAGE_OFFER_DUPLICATE', 'invalid', `Offer id ${s.id} is used twice`)
    ids.add(s.id)
  }
  return new Strategy(stores, deps)
}

async function readAll(body: Readable, limit: number): Promise<Buffer | undefined> {
  const parts: Buffer[] = []
  let n = 0
  for await (const c of body) {
    n += (c as Buffer).length
    if (n > limit) {
      body.destroy()
      return undefined
    }
    parts.push(c as Buffer)
  }
  return Buffer.concat(parts, n)
}

class Strategy implements StorageStrategy {
  readonly offers: readonly BlobStore[]
  readonly #deps: StorageDeps
  readonly #durability: Durability
  readonly #verifyBefore: number

  constructor(offers: readonly BlobStore[], deps: StorageDeps) {
    this.offers = offers
    this.#deps = deps
    this.#durability = deps.durability ?? 'syncfs'
    this.#verifyBefore = deps.verifyBeforeServeBytes ?? CHUNK_SIZE
  }

  async checkOffers(): Promise<OfferStatus[]> {
    const results = await Promise.all(
      this.offers.map(async (o): Promise<OfferStatus> => {
        try {
          await o.check()
          return { id: o.id, kind: o.kind, ok: true }
        } catch (e) {
          const err =
            e instanceof AppError && e.code === 'STORAGE_OFFER_UNAVAILABLE'
              ? e
              : StorageErrors.unavailable(o.id, 'start-up check failed', e)
          return { id: o.id, kind: o.kind, ok: false, error: err }
        }
      }),
    )
    const down = results.filter((r) => !r.ok)
    if (down.length > 0) {
      throw new AppError(
        'STORAGE_OFFER_UNAVAILABLE',
        'unavailable',
        down.length === 1 && down[0]?.error
          ? down[0].error.message
          : `Storage offers unavailable: ${down.map((d) => d.error?.message ?? d.id).join('; ')}`,
        { offers: down.map((d) => d.id) },
      )
    }
    return results
  }

  async sweepTemp(opts?: SweepOptions): Promise<number> {
    let n = 0
    for (const o of this.offers) {
      try {
        n += await o.sweepTemp(opts)
      } catch (e) {
        this.#deps.log?.warn({ offer: o.id, err: e }, 'storage: temp sweep failed on an offer')
      }
    }
    return n
  }

  async #write(
    key: string,
    source: ByteSource,
    opts: PutOptions,
    syncOnEnd: boolean,
  ): Promise<StagedWrite[]> {
    validateKey(key)
    if (opts.expectedSha512 !== undefined && !isSha512Hex(opts.expectedSha512.toLowerCase())) {
      throw new AppError(
        'STORAGE_DIGEST_INVALID',
        'invalid',
        `Expected SHA-512 for ${key} is not 128 hex digits`,
        { key },
      )
    }
    const opened = await Promise.allSettled(this.offers.map((o) => o.openWrite(key, { ...opts, syncOnEnd })))
    const failed = opened.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) {
      await Promise.allSettled(opened.map((r) => (r.status === 'fulfilled' ? r.value.abort() : undefined)))
      // the source is not read: let the caller's stream go
      if (source instanceof Readable) source.destroy()
      throw failed.reason
    }
    const legs = opened.map((r, i) => ({
      store: this.offers[i] as BlobStore,
      target: (r as PromiseFulfilledResult<Awaited<ReturnType<BlobStore['openWrite']>>>).value,
    }))
    return drive(key, source, legs, opts)
  }

  /** Publishes on every offer; waits for all (so a rollback never races a publish) before failing. */
  async #publishAll(staged: readonly StagedWrite[], durability: Durability): Promise<void> {
    const settled = await Promise.allSettled(this.offers.map((o) => o.publish(staged, durability)))
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
  }

  async #discardAll(staged: readonly StagedWrite[]): Promise<void> {
    await Promise.allSettled(this.offers.map((o) => o.discard(staged)))
  }

  async put(key: string, source: ByteSource, opts: PutOptions = {}): Promise<StoredBlob> {
    const staged = await this.#write(key, source, opts, true)
    try {
      await this.#publishAll(staged, 'each')
    } catch (e) {
      await this.#discardAll(staged)
      throw e
    }
    return toStored(key, staged)
  }

  batch(opts: { readonly durability?: Durability } = {}): StorageBatch {
    const durability = opts.durability ?? this.#durability
    return new Batch(
      (key, source, putOpts) => this.#write(key, source, putOpts, durability === 'each'),
      (staged) => this.#publishAll(staged, durability),
      (staged) => this.#discardAll(staged),
    )
  }

  async #report(event: BadCopyEvent, hook: BadCopyHook | undefined): Promise<void> {
    this.#deps.log?.warn({ ...event }, 'storage: bad copy found while reading')
    for (const h of [hook, this.#deps.onBadCopy]) {
      if (!h) continue
      try {
        await h(event)
      } catch (e) {
        this.#deps.log?.error({ err: e, ...event }, 'storage: bad-copy hook failed')
      }
    }
  }

  async open(key: string, opts: OpenOptions): Promise<OpenedBlob> {
    validateKey(key)
    const expected = opts.sha512.toLowerCase()
    if (!isSha512Hex(expected)) {
      throw new AppError(
        'STORAGE_DIGEST_INVALID',
        'invalid',
        `Expected SHA-512 for ${key} is not 128 hex digits`,
        { key },
      )
    }
    const errors: AppError[] = []
    const avoid = new Set(opts.avoidOffers ?? [])
    const order = [
      ...this.offers.filter((o) => !avoid.has(o.id)),
      ...this.offers.filter((o) => avoid.has(o.id)),
    ]
    for (const offer of order) {
      let got
      try {
        got = await offer.get(key, opts.range ? { range: opts.range } : {})
      } catch (e) {
        const err = e instanceof AppError ? e : StorageErrors.unavailable(offer.id, `cannot read ${key}`, e)
        if (err.code === 'STORAGE_RANGE_INVALID') throw err
        errors.push(err)
        if (err.code === 'STORAGE_OBJECT_NOT_FOUND') {
          await this.#report(
            { offerId: offer.id, key, reason: 'missing', detail: err.message },
            opts.onBadCopy,
          )
        } else {
          this.#deps.log?.warn(
            { offer: offer.id, key, err: err.message },
            'storage: offer unavailable, trying the next',
          )
        }
        continue
      }
      const onBad = (detail: string) =>
        this.#report({ offerId: offer.id, key, reason: 'corrupt', detail }, opts.onBadCopy)
      if (opts.size !== undefined && got.size !== opts.size) {
        got.body.destroy()
        const detail = `${got.size} bytes instead of ${opts.size}`
        errors.push(StorageErrors.corruptCopy(offer.id, key, detail))
        await onBad(detail)
        continue
      }
      if (got.range) return { body: got.body, offerId: offer.id, size: got.size, range: got.range }
      if (got.size <= this.#verifyBefore) {
        let bytes: Buffer | undefined
        try {
          bytes = await readAll(got.body, this.#verifyBefore)
        } catch (e) {
          errors.push(StorageErrors.unavailable(offer.id, `cannot read ${key}`, e))
          continue
        }
        const v = bytes && (await verifyBuffer(bytes, expected, opts.size))
        if (bytes && v === undefined)
          return { body: Readable.from([bytes]), offerId: offer.id, size: got.size }
        const detail = v ?? 'larger than announced'
        errors.push(StorageErrors.corruptCopy(offer.id, key, detail))
        await onBad(detail)
        continue
      }
      const verifier = new VerifyingStream(expected, opts.size ?? got.size, (detail) => {
        void onBad(detail)
        return StorageErrors.corruptCopy(offer.id, key, detail)
      })
      got.body.on('error', (e) =>
        verifier.destroy(StorageErrors.unavailable(offer.id, `read of ${key} failed`, e)),
      )
      verifier.on('close', () => {
        if (!got.body.destroyed) got.body.destroy()
      })
      return { body: got.body.pipe(verifier), offerId: offer.id, size: got.size }
    }
    if (errors.length > 0 && errors.every((e) => e.code === 'STORAGE_OBJECT_NOT_FOUND')) {
      throw new AppError('STORAGE_OBJECT_NOT_FOUND', 'not_found', `Object ${key} is on no offer`, { key })
    }
    if (
      errors.some((e) => e.code === 'STORAGE_CORRUPT_COPY') &&
      errors.every((e) => e.code !== 'STORAGE_OFFER_UNAVAILABLE')
    ) {
      throw new AppError('STORAGE_CORRUPT_COPY', 'internal', `No good copy of ${key} on any offer`, {
        key,
        offers: errors.map((e) => e.message),
      })
    }
    throw new AppError(
      'STORAGE_UNAVAILABLE',
      'unavailable',
      `No offer could serve ${key}: ${errors.map((e) => e.message).join('; ')}`,
      {
        key,
      },
    )
  }

  async delete(key: string, reason: string): Promise<string[]> {
    validateKey(key)
    const held: string[] = []
    for (const o of this.offers) if (await o.delete(key, reason)) held.push(o.id)
    return held
  }
}

async function verifyBuffer(
  bytes: Buffer,
  expected: string,
  size: number | undefined,
): Promise<string | undefined> {
  if (size !== undefined && bytes.length !== size) return `${bytes.length} bytes instead of ${size}`
  const actual = createHash('sha512').update(bytes).digest('hex')
  return actual === expected
    ? undefined
    : `SHA-512 ${actual.slice(0, 16)}… instead of ${expected.slice(0, 16)}…`
}

function toStored(key: string, staged: readonly StagedWrite[]): StoredBlob {
  const first = staged[0]
  if (!first) throw new Error('no offer')
  return {
    key,
    size: first.size,
    sha512: first.sha512,
    createdOn: staged.filter((s) => !s.existed).map((s) => s.offerId),
  }
}

class Batch implements StorageBatch {
  readonly #staged: StagedWrite[] = []
  readonly #inflight = new Set<Promise<unknown>>()
  #state: 'open' | 'committing' | 'done' = 'open'
  #count = 0

  constructor(
    private readonly write: (key: string, source: ByteSource, opts: PutOptions) => Promise<StagedWrite[]>,
    private readonly publish: (staged: readonly StagedWrite[]) => Promise<void>,
    private readonly discard: (staged: readonly StagedWrite[]) => Promise<void>,
  ) {}

  get count(): number {
    return this.#count
  }

  #isDone(): boolean {
    return this.#state === 'done'
  }

  #closed(): AppError {
    return new AppError(
      'STORAGE_BATCH_CLOSED',
      'internal',
      'This storage batch is already committed or aborted',
    )
  }

  async put(key: string, source: ByteSource, opts: PutOptions = {}): Promise<StoredBlob> {
    if (this.#state !== 'open') throw this.#closed()
    const p = this.write(key, source, opts)
    this.#inflight.add(p)
    try {
      const staged = await p
      if (this.#isDone()) {
        await this.discard(staged)
        throw this.#closed()
      }
      this.#staged.push(...staged)
      this.#count++
      return toStored(key, staged)
    } finally {
      this.#inflight.delete(p)
    }
  }

  async commit(): Promise<void> {
    if (this.#state !== 'open') throw this.#closed()
    this.#state = 'committing'
    await Promise.allSettled([...this.#inflight])
    try {
      await this.publish(this.#staged)
    } catch (e) {
      await this.discard(this.#staged)
      throw e
    } finally {
      this.#state = 'done'
    }
  }

  async abort(): Promise<void> {
    if (this.#state === 'done') return
    this.#state = 'done'
    await Promise.allSettled([...this.#inflight])
    await this.discard(this.#staged)
  }
}
