/**
 * Keeps the head and tail windows of a byte stream that is read anyway (hashing, storing), so the
 * format can be identified without a second read. Memory: bofWindow + eofWindow bytes per object.
 */
import { Transform, type TransformCallback } from 'node:stream'

export class FormatWindowCollector {
  private readonly headBuf: Buffer
  private headLen = 0
  private readonly ring: Buffer
  private ringPos = 0
  private total = 0

  constructor(opts: { readonly bofWindow?: number; readonly eofWindow?: number } = {}) {
    this.headBuf = Buffer.allocUnsafe(opts.bofWindow ?? 65_536)
    this.ring = Buffer.allocUnsafe(opts.eofWindow ?? 65_536)
  }

  /** Bytes seen so far. */
  get size(): number {
    return this.total
  }

  push(chunk: Uint8Array): void {
    const n = chunk.length
    if (n === 0) return
    if (this.headLen < this.headBuf.length) {
      const take = Math.min(n, this.headBuf.length - this.headLen)
      this.headBuf.set(chunk.subarray(0, take), this.headLen)
      this.headLen += take
    }
    const cap = this.ring.length
    if (cap > 0) {
      // Only the last `cap` bytes of the chunk can matter.
      const src = n > cap ? chunk.subarray(n - cap) : chunk
      const first = Math.min(src.length, cap - this.ringPos)
      this.ring.set(src.subarray(0, first), this.ringPos)
      if (first < src.length) this.ring.set(src.subarray(first), 0)
      this.ringPos = (this.ringPos + src.length) % cap
    }
    this.total += n
  }

  /** The windows, as `identifyBuffer` expects them (copies: the collector can be reused or dropped). */
  windows(): { head: Buffer; tail: Buffer; size: number } {
    const head = Buffer.from(this.headBuf.subarray(0, this.headLen))
    const cap = this.ring.length
    const tailLen = Math.min(this.total, cap)
    let tail: Buffer
    if (this.total < cap) {
      tail = Buffer.from(this.ring.subarray(0, tailLen))
    } else {
      tail = Buffer.concat([this.ring.subarray(this.ringPos), this.ring.subarray(0, this.ringPos)], cap)
    }
    return { head, tail, size: this.total }
  }

  /** A pass-through Transform that feeds this collector (insert it in a pipeline). */
  transform(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) => {
        this.push(chunk)
        cb(null, chunk)
      },
    })
  }

  /** Wraps an async iterable of chunks (e.g. a storage ByteSource): yields them unchanged. */
  async *tap(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array, void, undefined> {
    for await (const chunk of source) {
      this.push(chunk)
      yield chunk
    }
  }
}
