import { createHash } from 'node:crypto'

/**
 * SHA-512 Merkle tree with domain separation (as RFC 6962 §2.1 does, with SHA-512):
 *   leaf(e)    = SHA-512(0x00 || e)           e = the event's hash (64 bytes, from its 128 hex digits)
 *   node(l, r) = SHA-512(0x01 || l || r)
 * Levels are built left to right; an odd last node is carried up unchanged (it is not duplicated,
 * so no two different leaf lists share a root). The root of zero leaves is not defined (a seal
 * always covers at least one event).
 */
// One reusable input buffer: a single update() per hash (each call into OpenSSL costs more than the
// 65 or 129 bytes hashed).
const input = Buffer.alloc(1 + 64 + 64)

export function leafHash(eventHashHex: string): Buffer {
  input[0] = 0
  const n = input.write(eventHashHex, 1, 'hex')
  return createHash('sha512')
    .update(input.subarray(0, 1 + n))
    .digest()
}

export function nodeHash(l: Buffer, r: Buffer): Buffer {
  if (l.length !== 64 || r.length !== 64) {
    return createHash('sha512')
      .update(Buffer.from([1]))
      .update(l)
      .update(r)
      .digest()
  }
  input[0] = 1
  l.copy(input, 1)
  r.copy(input, 65)
  return createHash('sha512').update(input).digest()
}

function nextLevel(level: readonly Buffer[]): Buffer[] {
  const up: Buffer[] = []
  for (let i = 0; i + 1 < level.length; i += 2) up.push(nodeHash(level[i]!, level[i + 1]!))
  if (level.length % 2 === 1) up.push(level[level.length - 1]!)
  return up
}

export function merkleRoot(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) throw new Error('merkleRoot: no leaves')
  let level = leaves as Buffer[]
  while (level.length > 1) level = nextLevel(level)
  return level[0]!
}

/** One step of an inclusion proof: the sibling's hash and on which side it stands. */
export interface ProofStep {
  readonly side: 'L' | 'R'
  readonly hash: string
}

/** The inclusion proof of leaf `index`: siblings from the leaf up to the root. */
export function inclusionProof(leaves: readonly Buffer[], index: number): ProofStep[] {
  if (index < 0 || index >= leaves.length) throw new Error('inclusionProof: index out of range')
  const steps: ProofStep[] = []
  let level = leaves as Buffer[]
  let i = index
  while (level.length > 1) {
    const sibling = i % 2 === 0 ? i + 1 : i - 1
    if (sibling < level.length)
      steps.push({ side: i % 2 === 0 ? 'R' : 'L', hash: level[sibling]!.toString('hex') })
    level = nextLevel(level)
    i = Math.floor(i / 2)
  }
  return steps
}

/** Recomputes the root from an event hash and its proof. */
export function rootFromProof(eventHashHex: string, steps: readonly ProofStep[]): string {
  let h = leafHash(eventHashHex)
  for (const s of steps) {
    const sib = Buffer.from(s.hash, 'hex')
    h = s.side === 'L' ? nodeHash(sib, h) : nodeHash(h, sib)
  }
  return h.toString('hex')
}
