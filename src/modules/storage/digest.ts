import { createHash } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'
import type { ByteSource } from './types.js'

/** 1 MiB: the chunk size at which SHA-512 in Node reaches its ceiling (deps.md §7). */
export const CHUNK_SIZE = 1 << 20

const HEX512 = /^[0-9a-f]{128}$/

export function isSha512Hex(s: unknown): s is string {
  return typeof s === 'string' && HEX512.test(s)
}

/** Regroups small chunks into ~1 MiB buffers (large chunks pass through untouched). */
export async function* rechunk(source: ByteSource, size = CHUNK_SIZE): AsyncGenerator<Buffer> {
  let parts: Buffer[] = []
  let pending = 0
  for await (const raw of source) {
    if (!(raw instanceof Uint8Array)) throw new TypeError('byte source yielded a non-binary chunk')
    const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)
    if (chunk.length === 0) continue
    if (pending === 0 && chunk.length >= size) {
      yield chunk
      continue
    }
    parts.push(chunk)
    pending += chunk.length
    if (pending >= size) {
      yield Buffer.concat(parts, pending)
      parts = []
      pending = 0
    }
  }
  if (pending > 0) yield parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, pending)
}

/**
 * Passes bytes through while computing their SHA-512, and holds back the latest chunk until the next
 * one arrives, so that a reader never receives the complete bytes of a copy that turns out wrong: at
 * the end, the digest (and size) are compared and the stream errors instead of ending.
 */
export class VerifyingStream extends Transform {
  readonly #hash = createHash('sha512')
  #held: Buffer | undefined
  #size = 0
  readonly #expectedSha512: string
  readonly #expectedSize: number | undefined
  readonly #onMismatch: (detail: string) => Error

  constructor(
    expectedSha512: string,
    expectedSize: number | undefined,
    onMismatch: (detail: string) => Error,
  ) {
    super({ highWaterMark: CHUNK_SIZE })
    this.#expectedSha512 = expectedSha512
    this.#expectedSize = expectedSize
    this.#onMismatch = onMismatch
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#hash.update(chunk)
    this.#size += chunk.length
    if (this.#expectedSize !== undefined && this.#size > this.#expectedSize) {
      cb(this.#onMismatch(`more than the expected ${this.#expectedSize} bytes`))
      return
    }
    const out = this.#held
    this.#held = chunk
    cb(null, out)
  }

  override _flush(cb: TransformCallback): void {
    const actual = this.#hash.digest('hex')
    if (this.#expectedSize !== undefined && this.#size !== this.#expectedSize) {
      cb(this.#onMismatch(`${this.#size} bytes instead of ${this.#expectedSize}`))
      return
    }
    if (actual !== this.#expectedSha512) {
      cb(this.#onMismatch(`SHA-512 ${actual.slice(0, 16)}… instead of ${this.#expectedSha512.slice(0, 16)}…`))
      return
    }
    cb(null, this.#held)
  }
}
