import { createHash, randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { PassThrough, type Readable } from 'node:stream'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { AppError } from '../../platform/errors.js'
import type { Logger } from '../../platform/log.js'
import { CHUNK_SIZE, isSha512Hex } from './digest.js'
import { StorageErrors } from './errors.js'
import { validateKey, validatePrefix } from './keys.js'
import { drive } from './tee.js'
import type {
  BlobHead,
  BlobStore,
  ByteRange,
  ByteSource,
  GetResult,
  OpenWriteOptions,
  PutOptions,
  PutResult,
  StagedWrite,
  SweepOptions,
  WriteTarget,
} from './types.js'

const STAGING = '.staging/'
const MIN_PART = 8 * 1024 * 1024
const MAX_PARTS = 9_000
const COPY_PART = 512 * 1024 * 1024
const SINGLE_COPY_LIMIT = 5 * 1024 * 1024 * 1024
const DEFAULT_GRACE_MS = 24 * 3600 * 1000

export interface S3StoreOptions {
  readonly id: string
  readonly bucket: string
  readonly endpoint?: string | undefined
  readonly region: string
  readonly forcePathStyle: boolean
  /** Defaults to the AWS SDK's standard chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY …). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string }
  /** Attempts per request (SDK retries). Default 3. */
  readonly maxAttempts?: number
  /** Milliseconds to establish a connection before the offer is deemed down. Default 5000. */
  readonly connectionTimeoutMs?: number
  readonly queueSize?: number
  readonly log?: Logger
}

interface S3ErrorLike {
  name?: string
  code?: string
  $metadata?: { httpStatusCode?: number }
}

function status(e: unknown): number | undefined {
  return (e as S3ErrorLike | undefined)?.$metadata?.httpStatusCode
}

function isNotFound(e: unknown): boolean {
  const n = (e as S3ErrorLike | undefined)?.name
  return n === 'NotFound' || n === 'NoSuchKey' || (status(e) === 404 && n !== 'NoSuchBucket')
}

function isPreconditionFailed(e: unknown): boolean {
  return (e as S3ErrorLike | undefined)?.name === 'PreconditionFailed' || status(e) === 412
}

class S3Staged implements StagedWrite {
  discarded = false
  constructor(
    readonly offerId: string,
    readonly key: string,
    readonly size: number,
    readonly sha512: string,
    readonly existed: boolean,
  ) {}
}

/**
 * A storage offer in an S3 bucket (AWS SDK v3). Objects are stored under their key with their SHA-512
 * in the `x-amz-meta-sha512` metadata. Uploads stream (multipart through lib-storage's Upload for
 * large bodies, a few parts in memory at most). When the digest is known beforehand (the usual case:
 * it comes from the manifest) the object is uploaded in place with `If-None-Match: *` and a digest
 * mismatch aborts the upload before it completes; otherwise the bytes go to a staging key and are
 * copied into place with their computed digest.
 */
export class S3BlobStore implements BlobStore {
  readonly kind = 's3' as const
  readonly id: string
  readonly bucket: string
  readonly client: S3Client
  readonly #log: Logger | undefined
  readonly #queueSize: number
  readonly #issued = new WeakSet<S3Staged>()
  readonly #where: string

  constructor(opts: S3StoreOptions) {
    this.id = opts.id
    this.bucket = opts.bucket
    this.#log = opts.log
    this.#queueSize = opts.queueSize ?? 4
    this.#where = `${opts.endpoint ?? 'aws'}/${opts.bucket}`
    this.client = new S3Client({
      region: opts.region,
      forcePathStyle: opts.forcePathStyle,
      maxAttempts: opts.maxAttempts ?? 3,
      requestHandler: { connectionTimeout: opts.connectionTimeoutMs ?? 5000 },
      ...(opts.endpoint !== undefined ? { endpoint: opts.endpoint } : {}),
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
    })
  }

  /** Maps SDK/network errors: 404 → not found, anything else → the offer is unavailable. */
  #classify(e: unknown, key: string, what: string): AppError {
    if (e instanceof AppError) return e
    if (isNotFound(e)) return StorageErrors.notFound(this.id, key)
    const s = status(e)
    const name = (e as S3ErrorLike | undefined)?.name ?? 'Error'
    return StorageErrors.unavailable(this.id, `${what} (${this.#where}: ${name}${s ? ` ${s}` : ''})`, e)
  }

  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }))
      return
    } catch (e) {
      if (
        !(
          status(e) === 404 ||
          (e as S3ErrorLike).name === 'NotFound' ||
          (e as S3ErrorLike).name === 'NoSuchBucket'
        )
      ) {
        throw this.#classify(e, '', `cannot reach bucket ${this.bucket}`)
      }
    }
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }))
      this.#log?.info({ offer: this.id, bucket: this.bucket }, 'storage: bucket created')
    } catch (e) {
      const n = (e as S3ErrorLike).name
      if (n === 'BucketAlreadyOwnedByYou') return
      throw this.#classify(e, '', `cannot create bucket ${this.bucket}`)
    }
  }

  async head(key: string): Promise<BlobHead | undefined> {
    validateKey(key)
    return this.#head(key)
  }

  async #head(key: string): Promise<BlobHead | undefined> {
    try {
      const h = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }))
      const sha = h.Metadata?.sha512
      return { key, size: h.ContentLength ?? 0, ...(isSha512Hex(sha) ? { sha512: sha } : {}) }
    } catch (e) {
      if (isNotFound(e)) return undefined
      throw this.#classify(e, key, `cannot check ${key}`)
    }
  }

  /** The digest of what is stored: from metadata, or (objects written by other tools) by reading it. */
  async storedDigest(key: string, head: BlobHead): Promise<{ sha512: string; size: number }> {
    if (head.sha512) return { sha512: head.sha512, size: head.size }
    const { body } = await this.get(key)
    const hash = createHash('sha512')
    let size = 0
    for await (const c of body) {
      hash.update(c as Buffer)
      size += (c as Buffer).length
    }
    return { sha512: hash.digest('hex'), size }
  }

  async openWrite(key: string, opts: OpenWriteOptions = {}): Promise<WriteTarget> {
    validateKey(key)
    const existing = await this.#head(key)
    if (existing) {
      if (opts.expectedSize !== undefined && existing.size !== opts.expectedSize)
        throw StorageErrors.exists(this.id, key)
      if (
        opts.expectedSha512 !== undefined &&
        existing.sha512 !== undefined &&
        existing.sha512 !== opts.expectedSha512.toLowerCase()
      ) {
        throw StorageErrors.exists(this.id, key)
      }
      return new S3VerifyTarget(this, key, existing)
    }
    const expected = opts.expectedSha512?.toLowerCase()
    const direct = isSha512Hex(expected)
    const uploadKey = direct ? key : `${STAGING}${randomUUID()}`
    const partSize =
      opts.expectedSize !== undefined
        ? Math.max(MIN_PART, Math.ceil(opts.expectedSize / MAX_PARTS))
        : MIN_PART
    const body = new PassThrough({ highWaterMark: CHUNK_SIZE })
    const upload = new Upload({
      client: this.client,
      queueSize: this.#queueSize,
      partSize,
      leavePartsOnError: false,
      params: {
        Bucket: this.bucket,
        Key: uploadKey,
        Body: body,
        ContentType: 'application/octet-stream',
        ...(direct ? { Metadata: { sha512: expected }, IfNoneMatch: '*' } : {}),
      },
    })
    return new S3WriteTarget(this, key, uploadKey, direct, body, upload)
  }

  /** @internal */
  issue(s: S3Staged): S3Staged {
    this.#issued.add(s)
    return s
  }

  /** @internal Copies a staging object into place with its digest as metadata, then removes it. */
  async promote(stagingKey: string, key: string, actual: { sha512: string; size: number }): Promise<void> {
    const Metadata = { sha512: actual.sha512 }
    const CopySource = `${this.bucket}/${stagingKey}`
    try {
      if (actual.size <= SINGLE_COPY_LIMIT) {
        await this.client.send(
          new CopyObjectCommand({
            Bucket: this.bucket,
            Key: key,
            CopySource,
            Metadata,
            MetadataDirective: 'REPLACE',
          }),
        )
      } else {
        const { UploadId } = await this.client.send(
          new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, Metadata }),
        )
        try {
          const Parts: { ETag: string; PartNumber: number }[] = []
          for (let start = 0, n = 1; start < actual.size; start += COPY_PART, n++) {
            const end = Math.min(start + COPY_PART, actual.size) - 1
            const r = await this.client.send(
              new UploadPartCopyCommand({
                Bucket: this.bucket,
                Key: key,
                UploadId,
                PartNumber: n,
                CopySource,
                CopySourceRange: `bytes=${start}-${end}`,
              }),
            )
            Parts.push({ ETag: r.CopyPartResult?.ETag ?? '', PartNumber: n })
          }
          await this.client.send(
            new CompleteMultipartUploadCommand({
              Bucket: this.bucket,
              Key: key,
              UploadId,
              MultipartUpload: { Parts },
            }),
          )
        } catch (e) {
          await this.client
            .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId }))
            .catch(() => undefined)
          throw e
        }
      }
    } catch (e) {
      throw this.#classify(e, key, `cannot copy ${key} into place`)
    } finally {
      await this.client
        .send(new DeleteObjectCommand({ Bucket: this.bucket, Key: stagingKey }))
        .catch(() => undefined)
    }
  }

  /** @internal */
  async deleteRaw(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }))
  }

  /** @internal */
  classify(e: unknown, key: string, what: string): AppError {
    return this.#classify(e, key, what)
  }

  async publish(staged: readonly StagedWrite[]): Promise<void> {
    // S3 writes are durable once acknowledged: nothing left to do, but refuse foreign handles.
    for (const s of staged) {
      if (s.offerId === this.id && !(s instanceof S3Staged && this.#issued.has(s))) {
        throw new Error(`staged write not issued by offer ${this.id}`)
      }
    }
  }

  async discard(staged: readonly StagedWrite[]): Promise<void> {
    for (const s of staged) {
      if (s.offerId !== this.id || !(s instanceof S3Staged) || !this.#issued.has(s)) continue
      if (!s.existed && !s.discarded) {
        await this.deleteRaw(s.key).catch(() => undefined)
        this.#log?.warn(
          { offer: this.id, key: s.key },
          'storage: rolled back an object written by a failed batch',
        )
      }
      s.discarded = true
    }
  }

  async put(key: string, source: ByteSource, opts: PutOptions = {}): Promise<PutResult> {
    const target = await this.openWrite(key, opts)
    const [staged] = await drive(key, source, [{ store: this, target }], opts)
    if (!staged) throw new Error('unreachable')
    return { key, size: staged.size, sha512: staged.sha512, created: !staged.existed }
  }

  async get(key: string, opts: { readonly range?: ByteRange } = {}): Promise<GetResult> {
    validateKey(key)
    const r = opts.range
    if (
      r &&
      (!Number.isInteger(r.start) ||
        r.start < 0 ||
        (r.end !== undefined && (!Number.isInteger(r.end) || r.end < r.start)))
    ) {
      throw StorageErrors.rangeInvalid(key, -1, r.start, r.end)
    }
    try {
      const res = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          ...(r ? { Range: `bytes=${r.start}-${r.end ?? ''}` } : {}),
        }),
      )
      const body = res.Body as Readable
      if (r) {
        const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(res.ContentRange ?? '')
        if (!m) {
          body.destroy()
          throw StorageErrors.unavailable(this.id, `range answer without Content-Range for ${key}`)
        }
        return { body, size: Number(m[3]), range: { start: Number(m[1]), end: Number(m[2]) } }
      }
      return { body, size: res.ContentLength ?? 0 }
    } catch (e) {
      if (status(e) === 416 || (e as S3ErrorLike).name === 'InvalidRange') {
        const h = await this.#head(key).catch(() => undefined)
        throw StorageErrors.rangeInvalid(key, h?.size ?? -1, r?.start ?? 0, r?.end)
      }
      throw this.#classify(e, key, `cannot read ${key}`)
    }
  }

  async *list(prefix = ''): AsyncIterable<BlobHead> {
    validatePrefix(prefix)
    let token: string | undefined
    do {
      let page
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ContinuationToken: token,
            MaxKeys: 1000,
          }),
        )
      } catch (e) {
        throw this.#classify(e, prefix, `cannot list ${prefix}`)
      }
      for (const o of page.Contents ?? []) {
        if (!o.Key || o.Key.startsWith(STAGING)) continue
        yield { key: o.Key, size: o.Size ?? 0 }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (token)
  }

  async delete(key: string, reason: string): Promise<boolean> {
    validateKey(key)
    const existed = (await this.#head(key)) !== undefined
    if (!existed) return false
    try {
      await this.deleteRaw(key)
    } catch (e) {
      throw this.#classify(e, key, `cannot delete ${key}`)
    }
    this.#log?.info({ offer: this.id, key, reason }, 'storage: object deleted')
    return true
  }

  async sweepTemp(opts: SweepOptions = {}): Promise<number> {
    const limit = Date.now() - (opts.graceMs ?? DEFAULT_GRACE_MS)
    let removed = 0
    try {
      let token: string | undefined
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: STAGING, ContinuationToken: token }),
        )
        for (const o of page.Contents ?? []) {
          if (o.Key && (o.LastModified?.getTime() ?? 0) <= limit) {
            await this.deleteRaw(o.Key)
            removed++
          }
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined
      } while (token)
      const uploads = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.bucket }))
      for (const u of uploads.Uploads ?? []) {
        if (u.Key && u.UploadId && (u.Initiated?.getTime() ?? 0) <= limit) {
          await this.client.send(
            new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: u.Key, UploadId: u.UploadId }),
          )
          removed++
        }
      }
    } catch (e) {
      throw this.#classify(e, STAGING, 'cannot sweep staging objects')
    }
    if (removed > 0)
      this.#log?.info({ offer: this.id, removed }, 'storage: removed staging objects left by a crash')
    return removed
  }

  toString(): string {
    return `s3 offer ${this.id} (${this.#where})`
  }
}

class S3WriteTarget implements WriteTarget {
  readonly #done: Promise<unknown>
  #failure: unknown
  #ended = false
  #uploaded = false

  constructor(
    private readonly store: S3BlobStore,
    private readonly key: string,
    private readonly uploadKey: string,
    private readonly direct: boolean,
    private readonly body: PassThrough,
    upload: Upload,
  ) {
    this.#done = upload.done().then(
      (r) => {
        this.#uploaded = true
        return r
      },
      (e: unknown) => {
        this.#failure = e
        throw e
      },
    )
    this.#done.catch(() => undefined) // observed in write/end/abort
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.#failure !== undefined)
      throw this.store.classify(this.#failure, this.key, `cannot upload ${this.key}`)
    if (this.body.write(chunk)) return
    try {
      await Promise.race([once(this.body, 'drain'), this.#done])
    } catch (e) {
      throw this.store.classify(e, this.key, `cannot upload ${this.key}`)
    }
    if (this.#failure !== undefined)
      throw this.store.classify(this.#failure, this.key, `cannot upload ${this.key}`)
  }

  async end(actual: { sha512: string; size: number }): Promise<StagedWrite> {
    this.#ended = true
    this.body.end()
    try {
      await this.#done
    } catch (e) {
      if (this.direct && isPreconditionFailed(e)) {
        // another writer stored the key between our check and now: same bytes is fine
        const head = await this.store.head(this.key)
        if (head && (await this.store.storedDigest(this.key, head)).sha512 === actual.sha512) {
          return this.store.issue(new S3Staged(this.store.id, this.key, actual.size, actual.sha512, true))
        }
        throw StorageErrors.exists(this.store.id, this.key)
      }
      throw this.store.classify(e, this.key, `cannot upload ${this.key}`)
    }
    if (this.direct)
      return this.store.issue(new S3Staged(this.store.id, this.key, actual.size, actual.sha512, false))
    const head = await this.store.head(this.key).catch(async (e: unknown) => {
      await this.abort()
      throw e
    })
    if (head) {
      await this.abort()
      if ((await this.store.storedDigest(this.key, head)).sha512 !== actual.sha512) {
        throw StorageErrors.exists(this.store.id, this.key)
      }
      return this.store.issue(new S3Staged(this.store.id, this.key, actual.size, actual.sha512, true))
    }
    await this.store.promote(this.uploadKey, this.key, actual)
    return this.store.issue(new S3Staged(this.store.id, this.key, actual.size, actual.sha512, false))
  }

  async abort(): Promise<void> {
    if (!this.#ended) {
      this.#ended = true
      this.body.destroy(new Error('upload aborted'))
    }
    await this.#done.catch(() => undefined) // lets lib-storage abort the multipart upload
    if (this.#uploaded && !this.direct) await this.store.deleteRaw(this.uploadKey).catch(() => undefined)
  }
}

class S3VerifyTarget implements WriteTarget {
  constructor(
    private readonly store: S3BlobStore,
    private readonly key: string,
    private readonly existing: BlobHead,
  ) {}

  async write(_chunk: Buffer): Promise<void> {}

  async end(actual: { sha512: string; size: number }): Promise<StagedWrite> {
    const stored = await this.store.storedDigest(this.key, this.existing)
    if (stored.sha512 !== actual.sha512 || stored.size !== actual.size)
      throw StorageErrors.exists(this.store.id, this.key)
    return this.store.issue(new S3Staged(this.store.id, this.key, actual.size, actual.sha512, true))
  }

  async abort(): Promise<void> {}
}
