import { Readable } from 'node:stream'
import { READ_CHUNK } from './file-reader.js'

/** What an entry stream does: produce the bytes (a whole buffer, or a source stream) and check them. */
export interface EntrySource {
  /** Runs on the first read: a Buffer for small entries, or a Readable forwarded with backpressure. */
  start(): Promise<Buffer | Readable>
  /** Sees every chunk before it is delivered; throws to fail the stream (the chunk is not delivered). */
  onChunk(chunk: Buffer): void
  /** Runs when the source ended; throws to fail the stream. */
  onEnd(): void
  /** Maps an error of the source (zlib, fs) to what the consumer sees. */
  mapError(e: unknown): Error
}

/**
 * A Readable created synchronously by openEntry() whose work starts on first read. One object per entry
 * for small entries (no pipe chain), which keeps the per-entry cost of 10,000-object packages low.
 */
export class EntryStream extends Readable {
  private source: Readable | undefined
  private started = false

  constructor(private readonly spec: EntrySource) {
    super({ highWaterMark: READ_CHUNK })
  }

  override _read(): void {
    if (this.source !== undefined) {
      this.source.resume()
      return
    }
    if (this.started) return
    this.started = true
    this.spec.start().then(
      (produced) => {
        if (this.destroyed) {
          if (!Buffer.isBuffer(produced)) produced.destroy()
          return
        }
        if (Buffer.isBuffer(produced)) {
          if (this.deliver(produced)) this.finish()
          return
        }
        this.attach(produced)
      },
      (e: unknown) => this.destroy(this.spec.mapError(e)),
    )
  }

  private attach(source: Readable): void {
    this.source = source
    source.on('data', (chunk: Buffer) => {
      if (this.destroyed) return
      if (!this.deliver(chunk)) return
      if (this.readableLength >= this.readableHighWaterMark) source.pause()
    })
    source.once('end', () => {
      if (!this.destroyed) this.finish()
    })
    source.once('error', (e) => {
      if (!this.destroyed) this.destroy(this.spec.mapError(e))
    })
  }

  /** Checks then pushes a chunk; false if the stream failed. */
  private deliver(chunk: Buffer): boolean {
    try {
      this.spec.onChunk(chunk)
    } catch (e) {
      this.destroy(e as Error)
      return false
    }
    if (chunk.length > 0) this.push(chunk)
    return true
  }

  private finish(): void {
    try {
      this.spec.onEnd()
    } catch (e) {
      this.destroy(e as Error)
      return
    }
    this.push(null)
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.source?.destroy()
    callback(error)
  }
}
