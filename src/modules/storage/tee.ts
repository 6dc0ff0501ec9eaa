import { createHash } from 'node:crypto'
import { rechunk } from './digest.js'
import { StorageErrors } from './errors.js'
import type { BlobStore, ByteSource, PutOptions, StagedWrite, WriteTarget } from './types.js'

export interface TeeLeg {
  readonly store: Pick<BlobStore, 'discard'>
  readonly target: WriteTarget
}

/**
 * Streams a source once to several write targets: ~1 MiB chunks, each written to every target while
 * it is hashed (SHA-512), the next chunk read only when every target has taken the previous one
 * (backpressure: memory stays at a few chunks whatever the size). Then checks size and digest against
 * the caller's expectations (a mismatch aborts every target: nothing is left) and ends every target.
 * If any target fails, what the others staged is discarded and the first error is thrown.
 */
export async function drive(
  key: string,
  source: ByteSource,
  legs: readonly (TeeLeg | WriteTarget)[],
  opts: PutOptions,
): Promise<StagedWrite[]> {
  const norm: TeeLeg[] = legs.map((l) =>
    'target' in l ? l : { store: { discard: async () => {} }, target: l },
  )
  const targets = norm.map((l) => l.target)
  const abortAll = () => Promise.allSettled(targets.map((t) => t.abort()))
  const hash = createHash('sha512')
  let size = 0
  try {
    for await (const chunk of rechunk(source)) {
      size += chunk.length
      if (opts.expectedSize !== undefined && size > opts.expectedSize) {
        throw StorageErrors.sizeMismatch(key, opts.expectedSize, size)
      }
      const writes = targets.map((t) => t.write(chunk))
      hash.update(chunk) // runs while the writes proceed in the thread pool / sockets
      await Promise.all(writes)
    }
  } catch (e) {
    await abortAll()
    throw e
  }
  const sha512 = hash.digest('hex')
  if (opts.expectedSize !== undefined && size !== opts.expectedSize) {
    await abortAll()
    throw StorageErrors.sizeMismatch(key, opts.expectedSize, size)
  }
  if (opts.expectedSha512 !== undefined && opts.expectedSha512.toLowerCase() !== sha512) {
    await abortAll()
    throw StorageErrors.digestMismatch(key, opts.expectedSha512.toLowerCase(), sha512)
  }
  const settled = await Promise.allSettled(targets.map((t) => t.end({ sha512, size })))
  const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failure) {
    await Promise.allSettled(
      settled.map((r, i) => {
        const leg = norm[i] as TeeLeg
        return r.status === 'fulfilled' ? leg.store.discard([r.value]) : leg.target.abort()
      }),
    )
    throw failure.reason
  }
  return settled.map((r) => (r as PromiseFulfilledResult<StagedWrite>).value)
}
