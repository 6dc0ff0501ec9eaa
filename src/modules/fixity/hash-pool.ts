import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'

/**
 * SHA-512 of local files in worker threads: each worker reads a file with a reused 4 MiB buffer and
 * hashes it, so an integrity audit of fs offers hashes on every core while the main thread keeps the
 * database and the other offers going. Memory: one buffer per worker. The worker is plain JavaScript
 * (evaluated, no loader needed).
 */
const WORKER = `
const { parentPort } = require('node:worker_threads')
const { openSync, readSync, closeSync } = require('node:fs')
const { createHash } = require('node:crypto')
const buf = Buffer.allocUnsafe(4 << 20)
parentPort.on('message', (m) => {
  let fd
  try {
    fd = openSync(m.path, 'r')
    const h = createHash('sha512')
    let size = 0
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null)
      if (n === 0) break
      h.update(n === buf.length ? buf : buf.subarray(0, n))
      size += n
    }
    parentPort.postMessage({ id: m.id, sha512: h.digest('hex'), size })
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String((e && e.code) || e) })
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
})
`

type Reply = { id: number; sha512: string; size: number } | { id: number; error: string }
type Pending = { resolve: (r: Reply) => void }

export class HashPool {
  readonly #idle: Worker[] = []
  readonly #all: Worker[] = []
  readonly #busy = new Map<Worker, number>()
  readonly #queue: { path: string; id: number }[] = []
  readonly #pending = new Map<number, Pending>()
  #next = 0
  #closed = false

  constructor(size = Math.max(1, Math.min(availableParallelism(), 8))) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(WORKER, { eval: true })
      w.unref()
      w.on('message', (r: Reply) => {
        this.#settle(r)
        this.#busy.delete(w)
        this.#dispatch(w)
      })
      w.on('error', (e) => {
        // a worker that dies fails the file it held and leaves the pool; the others carry on
        const id = this.#busy.get(w)
        if (id !== undefined) this.#settle({ id, error: String(e) })
        this.#busy.delete(w)
        this.#all.splice(this.#all.indexOf(w), 1)
        if (this.#all.length === 0) {
          for (const j of this.#queue.splice(0)) this.#settle({ id: j.id, error: 'no hash worker left' })
        }
      })
      this.#all.push(w)
      this.#idle.push(w)
    }
  }

  get size(): number {
    return this.#all.length
  }

  #settle(r: Reply): void {
    this.#pending.get(r.id)?.resolve(r)
    this.#pending.delete(r.id)
  }

  #dispatch(w: Worker): void {
    const job = this.#queue.shift()
    if (job) {
      this.#busy.set(w, job.id)
      w.postMessage(job)
    } else this.#idle.push(w)
  }

  /** Hashes one file; an error (missing, unreadable) is returned as `{ error }`, never thrown. */
  hash(path: string): Promise<{ sha512: string; size: number } | { error: string }> {
    if (this.#closed || this.#all.length === 0) return Promise.resolve({ error: 'no hash worker' })
    const id = ++this.#next
    return new Promise((resolve) => {
      this.#pending.set(id, { resolve })
      const w = this.#idle.pop()
      if (w) {
        this.#busy.set(w, id)
        w.postMessage({ path, id })
      } else this.#queue.push({ path, id })
    })
  }

  async close(): Promise<void> {
    this.#closed = true
    for (const id of [...this.#pending.keys()]) this.#settle({ id, error: 'hash pool closed' })
    await Promise.all(this.#all.map((w) => w.terminate()))
  }
}
