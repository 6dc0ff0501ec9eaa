import { execFile } from 'node:child_process'
import { statSync } from 'node:fs'
import { createHash, randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { mkdir, open, readdir, link, unlink, stat, type FileHandle } from 'node:fs/promises'
import { dirname, join, sep } from 'node:path'
import { promisify } from 'node:util'
import type { Logger } from '../../platform/log.js'
import { AppError } from '../../platform/errors.js'
import { CHUNK_SIZE } from './digest.js'
import { StorageErrors } from './errors.js'
import { validateKey, validatePrefix } from './keys.js'
import { drive } from './tee.js'
import type {
  BlobHead,
  BlobStore,
  ByteRange,
  ByteSource,
  Durability,
  GetResult,
  OpenWriteOptions,
  PutOptions,
  PutResult,
  StagedWrite,
  SweepOptions,
  WriteTarget,
} from './types.js'

const run = promisify(execFile)

/** This host's name as written in temp file names. */
export const HOST = (hostname().replace(/[^A-Za-z0-9-]/g, '') || 'host').slice(0, 32)
const TEMP_PREFIX = '.tmp-'
const TEMP_NAME = /^\.tmp-(.*)-(\d+)-[0-9a-f]{12}$/
const DEFAULT_GRACE_MS = 24 * 3600 * 1000
/** Concurrency of fsync/link calls in the `parallel` mode (libuv runs 4 at a time by default). */
const PARALLELISM = 32
const EARLY_FLUSH_BYTES = 64 * 1024 * 1024

export interface FsStoreOptions {
  readonly id: string
  readonly root: string
  readonly log?: Logger
}

const DOWN_CODES = new Set([
  'EACCES',
  'EPERM',
  'ENOTDIR',
  'EIO',
  'ELOOP',
  'ENXIO',
  'ENODEV',
  'ESTALE',
  'EROFS',
  'ENOSPC',
  'EDQUOT',
])

function errno(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e
    ? String((e as { code: unknown }).code)
    : undefined
}

class FsStaged implements StagedWrite {
  state: 'temp' | 'linked' | 'done' | 'discarded' = 'temp'
  constructor(
    readonly offerId: string,
    readonly key: string,
    readonly size: number,
    readonly sha512: string,
    public existed: boolean,
    readonly finalPath: string,
    readonly tmpPath: string | undefined,
    public synced: boolean,
  ) {
    if (existed) this.state = 'done'
  }
}

async function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  let failed: unknown
  const worker = async (): Promise<void> => {
    while (failed === undefined && next < items.length) {
      const item = items[next++] as T
      try {
        await fn(item)
      } catch (e) {
        failed ??= e
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker))
  if (failed !== undefined) throw failed
}

async function writeAll(fh: FileHandle, chunk: Buffer): Promise<void> {
  let off = 0
  while (off < chunk.length) {
    const { bytesWritten } = await fh.write(chunk, off, chunk.length - off)
    off += bytesWritten
  }
}

async function fsyncPath(path: string, data: boolean): Promise<void> {
  const fh = await open(path, 'r')
  try {
    if (data) await fh.datasync()
    else await fh.sync()
  } finally {
    await fh.close()
  }
}

async function sha512OfFile(path: string): Promise<{ sha512: string; size: number }> {
  const fh = await open(path, 'r')
  try {
    const hash = createHash('sha512')
    let size = 0
    for await (const chunk of fh.createReadStream({ highWaterMark: CHUNK_SIZE, autoClose: false })) {
      hash.update(chunk as Buffer)
      size += (chunk as Buffer).length
    }
    return { sha512: hash.digest('hex'), size }
  } finally {
    await fh.close()
  }
}

/**
 * A storage offer in a local (or mounted) folder. Each object is one file holding exactly its bytes,
 * at `<root>/<key>`. Writes go to a `.tmp-<host>-<pid>-<random>` file in the same folder, are hashed as
 * they stream, flushed, then linked into place (link() never overwrites) and the folder flushed.
 */
export class FsBlobStore implements BlobStore {
  readonly kind = 'fs' as const
  readonly id: string
  readonly root: string
  readonly #log: Logger | undefined
  readonly #dirs = new Set<string>()
  readonly #newDirParents = new Set<string>()
  readonly #issued = new WeakSet<FsStaged>()

  constructor(opts: FsStoreOptions) {
    this.id = opts.id
    this.root = opts.root
    this.#log = opts.log
  }

  #path(key: string): string {
    return join(this.root, ...validateKey(key).split('/'))
  }

  /** Turns an fs error into not-found (the object is missing but the offer answers) or unavailable. */
  async #classify(e: unknown, key: string, what: string): Promise<AppError> {
    if (e instanceof AppError) return e
    const code = errno(e)
    if (code === 'ENOENT' || code === 'EISDIR') {
      try {
        const st = await stat(this.root)
        if (st.isDirectory()) {
          // the root answers; is the object's own folder reachable?
          const parent = dirname(this.#path(key))
          try {
            await stat(parent)
            return StorageErrors.notFound(this.id, key)
          } catch (pe) {
            const pc = errno(pe)
            if (pc === 'ENOENT') return StorageErrors.notFound(this.id, key)
            return StorageErrors.unavailable(this.id, `${what}: cannot reach ${parent}`, pe)
          }
        }
      } catch (re) {
        return StorageErrors.unavailable(this.id, `${what}: root folder ${this.root} is not reachable`, re)
      }
      return StorageErrors.unavailable(this.id, `${what}: root ${this.root} is not a folder`)
    }
    if (code !== undefined && DOWN_CODES.has(code)) return StorageErrors.unavailable(this.id, what, e)
    return StorageErrors.unavailable(this.id, what, e)
  }

  async check(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true })
      const probe = join(this.root, `${TEMP_PREFIX}${HOST}-${process.pid}-${randomBytes(6).toString('hex')}`)
      const fh = await open(probe, 'wx', 0o600)
      try {
        await fh.write(Buffer.from('probe'))
        await fh.datasync()
      } finally {
        await fh.close()
      }
      await unlink(probe)
    } catch (e) {
      throw StorageErrors.unavailable(this.id, `cannot write to its folder ${this.root}`, e)
    }
  }

  async #ensureDir(dir: string): Promise<void> {
    if (this.#dirs.has(dir)) return
    const first = await mkdir(dir, { recursive: true })
    if (first !== undefined) {
      // new folders: their entries in their parents must be flushed too before a commit returns
      for (let d = dir; ; d = dirname(d)) {
        this.#newDirParents.add(dirname(d))
        if (d === first || dirname(d) === d) break
      }
    }
    this.#dirs.add(dir)
  }

  /** Flushes the parents of folders created since the last flush (removed from the set once done). */
  async #flushNewDirParents(): Promise<void> {
    const parents = [...this.#newDirParents]
    if (parents.length === 0) return
    await pool(parents, PARALLELISM, (d) => this.#fsyncDir(d))
    for (const d of parents) this.#newDirParents.delete(d)
  }

  async openWrite(key: string, opts: OpenWriteOptions = {}): Promise<WriteTarget> {
    const finalPath = this.#path(key)
    const dir = dirname(finalPath)
    let existing: { size: number } | undefined
    try {
      // A synchronous stat of a local path costs microseconds, a thread-pool round trip ten times more:
      // this check runs once per object and small objects are many.
      const st = statSync(finalPath, { throwIfNoEntry: false })
      if (st) existing = { size: st.size }
    } catch (e) {
      if (errno(e) !== 'ENOENT' && errno(e) !== 'ENOTDIR')
        throw await this.#classify(e, key, `cannot check ${key}`)
    }
    if (existing) {
      if (opts.expectedSize !== undefined && existing.size !== opts.expectedSize) {
        throw StorageErrors.exists(this.id, key)
      }
      return new FsVerifyTarget(this, key, finalPath)
    }
    const tmpPath = join(dir, `${TEMP_PREFIX}${HOST}-${process.pid}-${randomBytes(6).toString('hex')}`)
    let fh: FileHandle
    try {
      await this.#ensureDir(dir)
      try {
        fh = await open(tmpPath, 'wx', 0o444)
      } catch (e) {
        if (errno(e) !== 'ENOENT') throw e
        this.#dirs.delete(dir) // the folder was removed under us: create it again
        await this.#ensureDir(dir)
        fh = await open(tmpPath, 'wx', 0o444)
      }
    } catch (e) {
      throw StorageErrors.unavailable(this.id, `cannot create a temp file in ${dir}`, e)
    }
    return new FsWriteTarget(this, key, finalPath, tmpPath, fh, opts.syncOnEnd === true)
  }

  /** @internal */
  issue(s: FsStaged): FsStaged {
    this.#issued.add(s)
    return s
  }

  /** @internal Compares the bytes already stored under a key with those just received. */
  async sameAsStored(
    key: string,
    finalPath: string,
    actual: { sha512: string; size: number },
  ): Promise<boolean> {
    let stored: { sha512: string; size: number }
    try {
      stored = await sha512OfFile(finalPath)
    } catch (e) {
      throw await this.#classify(e, key, `cannot read the stored ${key}`)
    }
    return stored.size === actual.size && stored.sha512 === actual.sha512
  }

  #mine(staged: readonly StagedWrite[]): FsStaged[] {
    const out: FsStaged[] = []
    for (const s of staged) {
      if (s.offerId !== this.id) continue
      if (!(s instanceof FsStaged) || !this.#issued.has(s))
        throw new Error(`staged write not issued by offer ${this.id}`)
      out.push(s)
    }
    return out
  }

  /** Links a flushed temp file into place without overwriting; an existing file must hold the same bytes. */
  async #link(s: FsStaged): Promise<void> {
    if (s.state !== 'temp' || s.tmpPath === undefined) return
    try {
      await link(s.tmpPath, s.finalPath)
      s.state = 'linked'
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw await this.#classify(e, s.key, `cannot link ${s.key} into place`)
      const same = await this.sameAsStored(s.key, s.finalPath, s)
      await unlink(s.tmpPath).catch(() => undefined)
      if (!same) {
        s.state = 'discarded'
        throw StorageErrors.exists(this.id, s.key)
      }
      s.existed = true // the same bytes were already there (another writer, or the same put twice)
      s.state = 'done'
      return
    }
    await unlink(s.tmpPath).catch(() => undefined)
  }

  async #syncfs(): Promise<void> {
    try {
      await run('sync', ['-f', this.root])
    } catch (e) {
      throw StorageErrors.unavailable(this.id, `cannot flush the filesystem of ${this.root}`, e)
    }
  }

  async #fsyncDir(dir: string): Promise<void> {
    try {
      await fsyncPath(dir, false)
    } catch (e) {
      throw StorageErrors.unavailable(this.id, `cannot flush folder ${dir}`, e)
    }
  }

  async #fsyncTemp(s: FsStaged): Promise<void> {
    if (s.synced || s.tmpPath === undefined || s.state !== 'temp') return
    try {
      await fsyncPath(s.tmpPath, true)
      s.synced = true
    } catch (e) {
      throw StorageErrors.unavailable(this.id, `cannot flush ${s.key}`, e)
    }
  }

  async publish(staged: readonly StagedWrite[], durability: Durability): Promise<void> {
    const todo = this.#mine(staged).filter((s) => s.state === 'temp')
    if (todo.length === 0) return
    if (durability === 'each') {
      for (const s of todo) {
        await this.#fsyncTemp(s)
        await this.#link(s)
        await this.#fsyncDir(dirname(s.finalPath))
        if (s.state === 'linked') s.state = 'done'
      }
      await this.#flushNewDirParents()
      return
    }
    if (durability === 'parallel') {
      await pool(todo, PARALLELISM, (s) => this.#fsyncTemp(s))
    } else {
      await this.#syncfs()
      for (const s of todo) s.synced = true
    }
    await pool(todo, PARALLELISM, (s) => this.#link(s))
    if (durability === 'parallel') {
      const dirs = [...new Set(todo.map((s) => dirname(s.finalPath)))]
      await pool(dirs, PARALLELISM, (d) => this.#fsyncDir(d))
      await this.#flushNewDirParents()
    } else {
      const parents = [...this.#newDirParents] // covered by the filesystem-wide flush below
      await this.#syncfs()
      for (const d of parents) this.#newDirParents.delete(d)
    }
    for (const s of todo) if (s.state === 'linked') s.state = 'done'
  }

  async discard(staged: readonly StagedWrite[]): Promise<void> {
    for (const s of this.#mine(staged)) {
      if (s.state === 'temp' && s.tmpPath) await unlink(s.tmpPath).catch(() => undefined)
      else if (s.state === 'linked' || (s.state === 'done' && !s.existed)) {
        await unlink(s.finalPath).catch(() => undefined)
        this.#log?.warn(
          { offer: this.id, key: s.key },
          'storage: rolled back an object written by a failed batch',
        )
      }
      s.state = 'discarded'
    }
  }

  async put(key: string, source: ByteSource, opts: PutOptions = {}): Promise<PutResult> {
    const target = await this.openWrite(key, { ...opts, syncOnEnd: true })
    const [staged] = await drive(key, source, [target], opts)
    if (!staged) throw new Error('unreachable')
    try {
      await this.publish([staged], 'each')
    } catch (e) {
      await this.discard([staged])
      throw e
    }
    return { key, size: staged.size, sha512: staged.sha512, created: !staged.existed }
  }

  async get(key: string, opts: { readonly range?: ByteRange } = {}): Promise<GetResult> {
    const path = this.#path(key)
    let fh: FileHandle
    try {
      fh = await open(path, 'r')
    } catch (e) {
      throw await this.#classify(e, key, `cannot open ${key}`)
    }
    let size: number
    try {
      const st = await fh.stat()
      if (!st.isFile()) throw StorageErrors.notFound(this.id, key)
      size = st.size
    } catch (e) {
      await fh.close().catch(() => undefined)
      throw await this.#classify(e, key, `cannot stat ${key}`)
    }
    if (opts.range) {
      let r: { start: number; end: number }
      try {
        r = resolveRange(key, size, opts.range)
      } catch (e) {
        await fh.close().catch(() => undefined)
        throw e
      }
      return {
        body: fh.createReadStream({ start: r.start, end: r.end, highWaterMark: CHUNK_SIZE }),
        size,
        range: r,
      }
    }
    return { body: fh.createReadStream({ highWaterMark: CHUNK_SIZE }), size }
  }

  async head(key: string): Promise<BlobHead | undefined> {
    try {
      const st = await stat(this.#path(key))
      return st.isFile() ? { key, size: st.size } : undefined
    } catch (e) {
      const err = await this.#classify(e, key, `cannot stat ${key}`)
      if (err.code === 'STORAGE_OBJECT_NOT_FOUND') return undefined
      throw err
    }
  }

  async *list(prefix = ''): AsyncIterable<BlobHead> {
    validatePrefix(prefix)
    const cut = prefix.lastIndexOf('/')
    const base = cut >= 0 ? prefix.slice(0, cut) : ''
    const start = base === '' ? this.root : join(this.root, ...base.split('/'))
    try {
      await stat(this.root)
    } catch (e) {
      throw StorageErrors.unavailable(this.id, `root folder ${this.root} is not reachable`, e)
    }
    yield* this.#walk(start, base, prefix)
  }

  async *#walk(dir: string, rel: string, prefix: string): AsyncGenerator<BlobHead> {
    let entries
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return
      throw StorageErrors.unavailable(this.id, `cannot list ${dir}`, e)
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const ent of entries) {
      if (ent.name.startsWith('.')) continue
      const key = rel === '' ? ent.name : `${rel}/${ent.name}`
      if (ent.isDirectory()) {
        if (key.startsWith(prefix) || prefix.startsWith(`${key}/`))
          yield* this.#walk(join(dir, ent.name), key, prefix)
      } else if (ent.isFile() && key.startsWith(prefix)) {
        const st = await stat(join(dir, ent.name)).catch(() => undefined)
        if (st) yield { key, size: st.size }
      }
    }
  }

  async delete(key: string, reason: string): Promise<boolean> {
    const path = this.#path(key)
    try {
      await unlink(path)
    } catch (e) {
      const err = await this.#classify(e, key, `cannot delete ${key}`)
      if (err.code === 'STORAGE_OBJECT_NOT_FOUND') return false
      throw err
    }
    await this.#fsyncDir(dirname(path))
    this.#log?.info({ offer: this.id, key, reason }, 'storage: object deleted')
    return true
  }

  async sweepTemp(opts: SweepOptions = {}): Promise<number> {
    const grace = opts.graceMs ?? DEFAULT_GRACE_MS
    let removed = 0
    const visit = async (dir: string): Promise<void> => {
      let entries
      try {
        entries = await readdir(dir, { withFileTypes: true })
      } catch (e) {
        if (errno(e) === 'ENOENT') return
        throw StorageErrors.unavailable(this.id, `cannot sweep ${dir}`, e)
      }
      for (const ent of entries) {
        const p = join(dir, ent.name)
        if (ent.isDirectory()) {
          if (!ent.name.startsWith('.')) await visit(p)
          continue
        }
        const m = TEMP_NAME.exec(ent.name)
        if (!m) continue
        // this host's dead writers: remove at once; live ones and other hosts' (shared folders): by age
        if (m[1] !== HOST || isAlive(Number(m[2]))) {
          const st = await stat(p).catch(() => undefined)
          if (st && Date.now() - st.mtimeMs < grace) continue
        }
        await unlink(p).catch(() => undefined)
        removed++
      }
    }
    await visit(this.root)
    if (removed > 0)
      this.#log?.info({ offer: this.id, removed }, 'storage: removed temp files left by a crash')
    return removed
  }

  /** For tests and operators: where a key lives on disk. */
  pathOf(key: string): string {
    return this.#path(key)
  }

  toString(): string {
    return `fs offer ${this.id} (${this.root}${sep})`
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return errno(e) === 'EPERM'
  }
}

export function resolveRange(key: string, size: number, range: ByteRange): { start: number; end: number } {
  const { start } = range
  const end = range.end === undefined ? size - 1 : Math.min(range.end, size - 1)
  if (
    !Number.isInteger(start) ||
    start < 0 ||
    start >= size ||
    (range.end !== undefined && (!Number.isInteger(range.end) || range.end < start))
  ) {
    throw StorageErrors.rangeInvalid(key, size, start, range.end)
  }
  return { start, end }
}

class FsWriteTarget implements WriteTarget {
  #inflight: Promise<void> = Promise.resolve()
  #closed = false

  constructor(
    private readonly store: FsBlobStore,
    private readonly key: string,
    private readonly finalPath: string,
    private readonly tmpPath: string,
    private readonly fh: FileHandle,
    private readonly syncOnEnd: boolean,
  ) {}

  #unsynced = 0
  #flushing: Promise<void> | undefined

  write(chunk: Buffer): Promise<void> {
    const p = writeAll(this.fh, chunk).then(
      () => this.#earlyFlush(chunk.length),
      (e: unknown) => {
        throw StorageErrors.unavailable(this.store.id, `cannot write ${this.key}`, e)
      },
    )
    this.#inflight = p.catch(() => undefined)
    return p
  }

  /**
   * Large files written for a durable put: start flushing what is written every 64 MiB, in the
   * background, so that the disk works while the next chunks are hashed, instead of one long flush
   * at the end (one flush at a time; its outcome is checked by the final flush).
   */
  #earlyFlush(n: number): void {
    if (!this.syncOnEnd) return
    this.#unsynced += n
    if (this.#unsynced < EARLY_FLUSH_BYTES || this.#flushing) return
    this.#unsynced = 0
    this.#flushing = this.fh
      .datasync()
      .catch(() => undefined)
      .finally(() => (this.#flushing = undefined))
  }

  async end(actual: { sha512: string; size: number }): Promise<StagedWrite> {
    await this.#inflight
    try {
      await this.#flushing
      if (this.syncOnEnd) await this.fh.datasync()
      this.#closed = true
      await this.fh.close()
    } catch (e) {
      await this.abort()
      throw StorageErrors.unavailable(this.store.id, `cannot flush ${this.key}`, e)
    }
    // Another writer storing the key meanwhile is detected when linking into place (link never
    // overwrites): the same bytes are then an idempotent success, other bytes a conflict.
    return this.store.issue(
      new FsStaged(
        this.store.id,
        this.key,
        actual.size,
        actual.sha512,
        false,
        this.finalPath,
        this.tmpPath,
        this.syncOnEnd,
      ),
    )
  }

  async abort(): Promise<void> {
    await this.#inflight
    await this.#flushing
    if (!this.#closed) {
      this.#closed = true
      await this.fh.close().catch(() => undefined)
    }
    await unlink(this.tmpPath).catch(() => undefined)
  }
}

/** The key already exists: receive the bytes without writing, then compare with what is stored. */
class FsVerifyTarget implements WriteTarget {
  constructor(
    private readonly store: FsBlobStore,
    private readonly key: string,
    private readonly finalPath: string,
  ) {}

  async write(_chunk: Buffer): Promise<void> {}

  async end(actual: { sha512: string; size: number }): Promise<StagedWrite> {
    if (!(await this.store.sameAsStored(this.key, this.finalPath, actual))) {
      throw StorageErrors.exists(this.store.id, this.key)
    }
    return this.store.issue(
      new FsStaged(
        this.store.id,
        this.key,
        actual.size,
        actual.sha512,
        true,
        this.finalPath,
        undefined,
        true,
      ),
    )
  }

  async abort(): Promise<void> {}
}
