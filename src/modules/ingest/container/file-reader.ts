import fs from 'node:fs'
import { Readable } from 'node:stream'

/** Size of the reads done on the package file (deps.md §6: 1 MiB reads make yauzl ~2× faster). */
export const READ_CHUNK = 1024 * 1024

/** Reads at most this long are served through the window cache. */
const WINDOW_SERVED_MAX = 256 * 1024

function readAt(
  fd: number,
  buffer: Buffer,
  offset: number,
  length: number,
  position: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.read(fd, buffer, offset, length, position, (err, n) => (err ? reject(err) : resolve(n)))
  })
}

/** A read attempted after close(): the descriptor number may already belong to another file. */
export class FileClosedError extends Error {
  constructor() {
    super('package file closed')
  }
}

export class UnexpectedEofError extends Error {
  constructor(position: number, length: number) {
    super(`unexpected end of file reading ${length} bytes at ${position}`)
  }
}

/**
 * One open file descriptor with positional reads. Small reads (headers, small entries) are served from
 * a 1 MiB window, so walking a central directory or many small entries costs one read per MiB. The
 * window buffer is never reused: slices handed out stay valid.
 */
export class PositionalFile {
  private window: Buffer | undefined
  private windowStart = 0
  private closed = false
  private inflight = 0
  private drained: (() => void) | undefined

  private constructor(
    readonly fd: number,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<PositionalFile> {
    const fd = await new Promise<number>((resolve, reject) =>
      fs.open(path, 'r', (err, d) => (err ? reject(err) : resolve(d))),
    )
    try {
      const st = await new Promise<fs.Stats>((resolve, reject) =>
        fs.fstat(fd, (err, s) => (err ? reject(err) : resolve(s))),
      )
      if (!st.isFile()) throw new Error('not a regular file')
      return new PositionalFile(fd, st.size)
    } catch (e) {
      fs.close(fd, () => undefined)
      throw e
    }
  }

  /** Exactly `length` bytes at `position`, or UnexpectedEofError. The result may be a shared slice. */
  async read(position: number, length: number): Promise<Buffer> {
    if (length === 0) return Buffer.alloc(0)
    if (position < 0 || position + length > this.size) throw new UnexpectedEofError(position, length)
    const w = this.window
    if (w !== undefined && position >= this.windowStart && position + length <= this.windowStart + w.length) {
      const from = position - this.windowStart
      return w.subarray(from, from + length)
    }
    if (length <= WINDOW_SERVED_MAX) {
      const wlen = Math.min(READ_CHUNK, this.size - position)
      const buf = Buffer.allocUnsafe(wlen)
      await this.fill(buf, 0, wlen, position)
      this.window = buf
      this.windowStart = position
      return buf.subarray(0, length)
    }
    const buf = Buffer.allocUnsafe(length)
    await this.fill(buf, 0, length, position)
    return buf
  }

  async fill(buffer: Buffer, offset: number, length: number, position: number): Promise<void> {
    let done = 0
    while (done < length) {
      // Never read a closed descriptor: its number may already belong to another file.
      if (this.closed) throw new FileClosedError()
      this.inflight++
      let n: number
      try {
        n = await readAt(this.fd, buffer, offset + done, length - done, position + done)
      } finally {
        this.inflight--
        if (this.inflight === 0) this.drained?.()
      }
      if (n === 0) throw new UnexpectedEofError(position, length)
      done += n
    }
  }

  /** Streams bytes [start, end) with 1 MiB reads. */
  createRangeStream(start: number, end: number): Readable {
    return new RangeStream(this, start, end)
  }

  /** Closes the descriptor once the reads in flight are done (streams still open then fail). */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.window = undefined
    if (this.inflight > 0) await new Promise<void>((resolve) => (this.drained = resolve))
    await new Promise<void>((resolve) => fs.close(this.fd, () => resolve()))
  }
}

class RangeStream extends Readable {
  private position: number

  constructor(
    private readonly file: PositionalFile,
    start: number,
    private readonly end: number,
  ) {
    super({ highWaterMark: READ_CHUNK })
    this.position = start
  }

  override _read(): void {
    const length = Math.min(READ_CHUNK, this.end - this.position)
    if (length <= 0) {
      this.push(null)
      return
    }
    const buf = Buffer.allocUnsafe(length)
    const at = this.position
    this.position += length
    this.file.fill(buf, 0, length, at).then(
      () => {
        this.push(buf)
        if (this.position >= this.end) this.push(null)
      },
      (e: unknown) => this.destroy(e as Error),
    )
  }
}
