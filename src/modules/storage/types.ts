import type { Readable } from 'node:stream'

/**
 * The storage port. One small interface per offer (a folder, an S3 bucket); the strategy writes every
 * binary to every offer. Keys are validated relative paths (see `keys.ts`); each stored object is
 * write-once: the same key with other bytes is refused, the same bytes again succeed.
 */

/** A byte source: a Node stream or any async iterable of byte chunks. Read once. */
export type ByteSource = AsyncIterable<Uint8Array>

/** Inclusive byte range, as in HTTP: `{ start: 0, end: 99 }` is the first 100 bytes. */
export interface ByteRange {
  readonly start: number
  /** Inclusive; omitted means up to the last byte. Clamped to the object's last byte. */
  readonly end?: number
}

export interface BlobHead {
  readonly key: string
  readonly size: number
  /** Lowercase hex SHA-512 when the offer keeps it (S3 metadata); fs offers do not store it. */
  readonly sha512?: string
}

export interface PutOptions {
  /** Lowercase hex SHA-512 the caller expects (e.g. from the manifest): a mismatch stores nothing. */
  readonly expectedSha512?: string
  /** Size the caller expects, when known: checked, and used to size multipart parts. */
  readonly expectedSize?: number
}

export interface PutResult {
  readonly key: string
  readonly size: number
  readonly sha512: string
  /** False when the offer already held exactly these bytes (idempotent put). */
  readonly created: boolean
}

export interface GetResult {
  /** The bytes (of the range when one was asked). */
  readonly body: Readable
  /** Size of the whole object on this offer. */
  readonly size: number
  /** The range actually served, when one was asked (end clamped). */
  readonly range?: { readonly start: number; readonly end: number }
}

/**
 * How a batch of writes is made durable before success is reported (fs offers; S3 writes are
 * durable when the server acknowledges them):
 * - `each`: fsync each file then its folder, one after the other (the simple, slow way);
 * - `parallel`: fsync all files concurrently, link them into place, then fsync each touched folder;
 * - `syncfs`: one filesystem-wide flush (`sync -f`) before linking and one after.
 */
export type Durability = 'each' | 'parallel' | 'syncfs'

/** One offer's half of one put, driven chunk by chunk by the caller (the strategy's tee). */
export interface WriteTarget {
  write(chunk: Buffer): Promise<void>
  /** Called once every byte was written, with the digest and size the driver computed. */
  end(actual: { readonly sha512: string; readonly size: number }): Promise<StagedWrite>
  /** Drops everything this target wrote. Safe to call at any time, more than once. */
  abort(): Promise<void>
}

/**
 * A write that is complete on one offer but perhaps not yet durable or visible (fs: a temp file).
 * `publish` makes it durable and visible; `discard` removes what it created.
 */
export interface StagedWrite {
  readonly offerId: string
  readonly key: string
  readonly size: number
  readonly sha512: string
  /** True when the offer already held exactly these bytes: nothing to publish or discard. */
  readonly existed: boolean
}

export interface OpenWriteOptions extends PutOptions {
  /** fs: flush the file's data when it ends (single puts); batches flush at publish instead. */
  readonly syncOnEnd?: boolean
}

export interface SweepOptions {
  /** Temp files of a live process on this host younger than this are kept. Default 24 h. */
  readonly graceMs?: number
}

export interface BlobStore {
  readonly id: string
  readonly kind: 'fs' | 's3'
  /** Start-up check: reachable and writable (creates the folder / bucket if missing). */
  check(): Promise<void>
  /** Stores a stream, durably, verifying the expected digest when given. */
  put(key: string, source: ByteSource, opts?: PutOptions): Promise<PutResult>
  /** Opens the object (or a range). Throws STORAGE_OBJECT_NOT_FOUND or STORAGE_OFFER_UNAVAILABLE. */
  get(key: string, opts?: { readonly range?: ByteRange }): Promise<GetResult>
  head(key: string): Promise<BlobHead | undefined>
  list(prefix?: string): AsyncIterable<BlobHead>
  /** Deletes an object (write-once storage: only for rollback, elimination or repair). */
  delete(key: string, reason: string): Promise<boolean>
  /** Removes temp files / staging objects left by crashed writers. Returns how many. */
  sweepTemp(opts?: SweepOptions): Promise<number>
  /** Low-level write protocol used by the strategy to tee one stream to several offers. */
  openWrite(key: string, opts?: OpenWriteOptions): Promise<WriteTarget>
  publish(staged: readonly StagedWrite[], durability: Durability): Promise<void>
  discard(staged: readonly StagedWrite[]): Promise<void>
}

/** A copy found bad while reading: to be marked for repair (`blob_copy.state = 'repair'`). */
export interface BadCopyEvent {
  readonly offerId: string
  readonly key: string
  readonly reason: 'missing' | 'corrupt'
  readonly detail: string
}

export type BadCopyHook = (event: BadCopyEvent) => void | Promise<void>
