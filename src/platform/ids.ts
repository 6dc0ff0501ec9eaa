import { randomBytes } from 'node:crypto'

/** Injectable id source. Ids are UUIDv7 (time-ordered, RFC 9562) as lowercase text. */
export interface IdSource {
  next(): string
}

let lastMs = 0
let seq = 0

/** UUIDv7: 48-bit Unix ms timestamp, then a 12-bit counter (monotonic within one ms), then random bits. */
export function uuidv7(nowMs: number = Date.now()): string {
  if (nowMs <= lastMs) {
    seq = (seq + 1) & 0xfff
    if (seq === 0) lastMs += 1
    nowMs = lastMs
  } else {
    lastMs = nowMs
    seq = randomBytes(2).readUInt16BE(0) & 0x7ff
  }
  const b = randomBytes(16)
  b.writeUIntBE(nowMs, 0, 6)
  b[6] = 0x70 | ((seq >> 8) & 0x0f)
  b[7] = seq & 0xff
  b[8] = 0x80 | ((b[8] ?? 0) & 0x3f)
  const h = b.toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

export const uuidv7Ids: IdSource = { next: () => uuidv7() }
