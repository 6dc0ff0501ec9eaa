import { createHash } from 'node:crypto'
import { Worker } from 'node:worker_threads'

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

/** The same tree in plain JavaScript (CommonJS), for a worker thread: roots of large seals. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { createHash } = require('node:crypto')
parentPort.on('message', ({ id, hashes }) => {
  try {
    const buf = Buffer.from(hashes)
    const n = buf.length / 64
    const input = Buffer.alloc(129)
    let level = new Array(n)
    for (let i = 0; i < n; i++) {
      input[0] = 0
      buf.copy(input, 1, i * 64, i * 64 + 64)
      level[i] = createHash('sha512').update(input.subarray(0, 65)).digest()
    }
    while (level.length > 1) {
      const up = []
      for (let i = 0; i + 1 < level.length; i += 2) {
        input[0] = 1
        level[i].copy(input, 1)
        level[i + 1].copy(input, 65)
        up.push(createHash('sha512').update(input).digest())
      }
      if (level.length % 2 === 1) up.push(level[level.length - 1])
      level = up
    }
    parentPort.postMessage({ id, root: level[0].toString('hex') })
  } catch (e) {
    parentPort.postMessage({ id, error: String(e) })
  }
})
`

/**
 * Computes Merkle roots on a worker thread (the other core), so that a verification can hash a seal's
 * tree while the main thread reads the next seal's events and re-checks the chains. Small trees are
 * computed inline. `close()` ends the worker.
 */
export class MerkleWorker {
  private worker: Worker | undefined
  private next = 0
  private readonly pending = new Map<number, { resolve(r: string): void; reject(e: Error): void }>()

  /** `hashes`: the event hashes as consecutive 64-byte values. */
  root(hashes: Buffer): Promise<string> {
    const n = hashes.length / 64
    if (n === 0) return Promise.resolve('')
    if (n < 20_000) {
      const leaves: Buffer[] = []
      for (let i = 0; i < n; i++) leaves.push(leafHash(hashes.toString('hex', i * 64, i * 64 + 64)))
      return Promise.resolve(merkleRoot(leaves).toString('hex'))
    }
    if (!this.worker) {
      this.worker = new Worker(WORKER_SOURCE, { eval: true })
      this.worker.unref()
      this.worker.on('message', (m: { id: number; root?: string; error?: string }) => {
        const p = this.pending.get(m.id)
        this.pending.delete(m.id)
        if (m.error !== undefined || m.root === undefined) p?.reject(new Error(m.error ?? 'no root'))
        else p?.resolve(m.root)
      })
      this.worker.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(e)
        this.pending.clear()
      })
    }
    const id = this.next++
    const copy = new Uint8Array(hashes.length)
    copy.set(hashes)
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.worker!.postMessage({ id, hashes: copy }, [copy.buffer])
    })
  }

  async close(): Promise<void> {
    if (this.worker) await this.worker.terminate()
    this.worker = undefined
  }
}

/**
 * The same root computed leaf by leaf in O(log n) memory: a stack of complete subtrees (sizes
 * 2^k, decreasing), merged as soon as two have the same size; at the end the stack is folded from the
 * right. Levels built left to right with an odd last node carried up give exactly this shape (the
 * left subtree of every node is the largest power of two below its leaf count, as in RFC 6962 §2.1).
 */
export class MerkleStream {
  private readonly sizes: number[] = []
  private readonly nodes: Buffer[] = []
  count = 0

  /** Adds the leaf of one event hash (64 bytes). */
  add(eventHash: Buffer): void {
    let h: Buffer = createHash('sha512')
      .update(Buffer.from([0]))
      .update(eventHash)
      .digest()
    let size = 1
    while (this.sizes.length > 0 && this.sizes[this.sizes.length - 1] === size) {
      this.sizes.pop()
      h = nodeHash(this.nodes.pop()!, h)
      size *= 2
    }
    this.sizes.push(size)
    this.nodes.push(h)
    this.count += 1
  }

  root(): Buffer {
    if (this.nodes.length === 0) throw new Error('merkleRoot: no leaves')
    let acc = this.nodes[this.nodes.length - 1]!
    for (let j = this.nodes.length - 2; j >= 0; j--) acc = nodeHash(this.nodes[j]!, acc)
    return acc
  }
}

/** MerkleStream on a worker thread, one stream per key (plain JavaScript, CommonJS). */
const STREAM_WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { createHash } = require('node:crypto')
const input = Buffer.alloc(129)
const streams = new Map()
function node(l, r) {
  input[0] = 1
  l.copy(input, 1)
  r.copy(input, 65)
  return createHash('sha512').update(input).digest()
}
parentPort.on('message', (m) => {
  try {
    if (m.op === 'add') {
      let st = streams.get(m.key)
      if (!st) streams.set(m.key, (st = { sizes: [], nodes: [] }))
      const buf = Buffer.from(m.hashes.buffer, m.hashes.byteOffset, m.hashes.byteLength)
      for (let i = 0; i + 64 <= buf.length; i += 64) {
        input[0] = 0
        buf.copy(input, 1, i, i + 64)
        let h = createHash('sha512').update(input.subarray(0, 65)).digest()
        let size = 1
        while (st.sizes.length > 0 && st.sizes[st.sizes.length - 1] === size) {
          st.sizes.pop()
          h = node(st.nodes.pop(), h)
          size *= 2
        }
        st.sizes.push(size)
        st.nodes.push(h)
      }
      parentPort.postMessage({ op: 'ack' })
    } else if (m.op === 'end') {
      const st = streams.get(m.key)
      streams.delete(m.key)
      if (!st || st.nodes.length === 0) throw new Error('merkleRoot: no leaves')
      let acc = st.nodes[st.nodes.length - 1]
      for (let j = st.nodes.length - 2; j >= 0; j--) acc = node(st.nodes[j], acc)
      parentPort.postMessage({ op: 'root', key: m.key, root: acc.toString('hex') })
    }
  } catch (e) {
    parentPort.postMessage({ op: 'error', key: m.key, error: String(e) })
  }
})
`

/**
 * Merkle roots of several trees fed leaf by leaf, hashed on a worker thread (the other core) while
 * the main thread goes on reading and re-hashing events. Hashes are sent in batches; at most
 * `maxInFlight` batches wait on the worker (`add` then returns a promise to await: bounded memory).
 */
export class MerkleStreams {
  private readonly worker: Worker
  private inFlight = 0
  private drained: (() => void) | undefined
  private failure: Error | undefined
  private readonly pending = new Map<string, { resolve(r: string): void; reject(e: Error): void }>()
  private readonly batches = new Map<string, { buf: Buffer; n: number }>()

  constructor(
    private readonly batchSize = 4096,
    private readonly maxInFlight = 32,
  ) {
    this.worker = new Worker(STREAM_WORKER_SOURCE, { eval: true })
    this.worker.unref()
    this.worker.on('message', (m: { op: string; key?: string; root?: string; error?: string }) => {
      if (m.op === 'ack') {
        this.inFlight -= 1
        if (this.inFlight < this.maxInFlight && this.drained) {
          const d = this.drained
          this.drained = undefined
          d()
        }
      } else if (m.op === 'root' && m.key !== undefined) {
        this.pending.get(m.key)?.resolve(m.root!)
        this.pending.delete(m.key)
      } else if (m.op === 'error') this.fail(new Error(m.error ?? 'merkle worker error'))
    })
    this.worker.on('error', (e) => this.fail(e))
  }

  private fail(e: Error): void {
    this.failure = e
    for (const p of this.pending.values()) p.reject(e)
    this.pending.clear()
    const d = this.drained
    this.drained = undefined
    d?.()
  }

  /** Adds one event hash (128 hex digits) to tree `key`. Await the result when it is a promise. */
  add(key: string, eventHashHex: string): Promise<void> | undefined {
    let b = this.batches.get(key)
    if (!b) this.batches.set(key, (b = { buf: Buffer.alloc(this.batchSize * 64), n: 0 }))
    if (b.buf.write(eventHashHex, b.n * 64, 64, 'hex') !== 64) throw new Error('not a SHA-512 hash')
    b.n += 1
    if (b.n < this.batchSize) return undefined
    return this.flush(key)
  }

  /**
   * Sends tree `key`'s pending hashes to the worker and frees its batch buffer (call it at the end of
   * a range: the worker keeps only the tree's O(log n) state). Await the result when it is a promise.
   */
  flush(key: string): Promise<void> | undefined {
    const b = this.batches.get(key)
    this.batches.delete(key)
    if (!b || b.n === 0) return undefined
    const copy = new Uint8Array(b.n * 64)
    copy.set(b.buf.subarray(0, b.n * 64))
    this.inFlight += 1
    this.worker.postMessage({ op: 'add', key, hashes: copy }, [copy.buffer])
    if (this.inFlight < this.maxInFlight) return undefined
    return new Promise<void>((resolve) => (this.drained = resolve))
  }

  /** Closes tree `key` and resolves to its root (hex). */
  end(key: string): Promise<string> {
    if (this.failure) return Promise.reject(this.failure)
    void this.flush(key) // the root message follows the last batch on the same port
    return new Promise((resolve, reject) => {
      this.pending.set(key, { resolve, reject })
      this.worker.postMessage({ op: 'end', key })
    })
  }

  async close(): Promise<void> {
    await this.worker.terminate()
  }
}
