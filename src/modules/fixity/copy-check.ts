import { createHash } from 'node:crypto'
import type { Readable } from 'node:stream'
import { AppError } from '../../platform/errors.js'
import type { BlobStore } from '../storage/index.js'
import type { AuditType, CopyOutcome } from './fixity.types.js'
import type { HashPool } from './hash-pool.js'

/** One copy of one object on one offer, as an audit found it. */
export interface CopyResult {
  readonly offerId: string
  readonly outcome: CopyOutcome
  /** Bytes read (integrity) or found (existence). */
  readonly bytes: number
  /** SHA-512 computed while reading (integrity checks only). */
  readonly digest: string | null
  readonly detail: string | null
}

export interface ObjectToCheck {
  readonly tenantId: string
  readonly objectId: string
  readonly blobId: string
  readonly key: string
  readonly size: number
  readonly sha512: string
}

const isUnavailable = (e: unknown): boolean =>
  !(e instanceof AppError && e.code === 'STORAGE_OBJECT_NOT_FOUND')

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/** Reads a stream to its end, hashing it (1 MiB chunks from the offers: memory stays bounded). */
export async function hashStream(body: Readable): Promise<{ sha512: string; size: number }> {
  const h = createHash('sha512')
  let size = 0
  for await (const chunk of body) {
    h.update(chunk as Buffer)
    size += (chunk as Buffer).length
  }
  return { sha512: h.digest('hex'), size }
}

/** Existence: the copy is there with the catalogue's size. Integrity: its bytes hash to the catalogue's SHA-512. */
export async function checkCopy(
  offer: BlobStore,
  o: ObjectToCheck,
  type: AuditType,
  pool?: HashPool,
): Promise<CopyResult> {
  const base = { offerId: offer.id }
  if (type === 'integrity' && pool && hasLocalFiles(offer)) {
    // fs offers: hashed by a worker thread; any error goes the ordinary way below (which tells a
    // missing copy from an offer that is down)
    const r = await pool.hash(offer.pathOf(o.key))
    if (!('error' in r)) return judge(base.offerId, o, r.size, r.sha512)
  }
  if (type === 'existence') {
    try {
      const head = await offer.head(o.key)
      if (!head) return { ...base, outcome: 'missing', bytes: 0, digest: null, detail: 'copie absente' }
      if (head.size !== o.size)
        return {
          ...base,
          outcome: 'size',
          bytes: head.size,
          digest: null,
          detail: `${head.size} octets au lieu de ${o.size}`,
        }
      return { ...base, outcome: 'ok', bytes: head.size, digest: null, detail: null }
    } catch (e) {
      return { ...base, outcome: 'unreadable', bytes: 0, digest: null, detail: message(e) }
    }
  }
  let got
  try {
    got = await offer.get(o.key)
  } catch (e) {
    if (!isUnavailable(e))
      return { ...base, outcome: 'missing', bytes: 0, digest: null, detail: 'copie absente' }
    return { ...base, outcome: 'unreadable', bytes: 0, digest: null, detail: message(e) }
  }
  if (got.size !== o.size) {
    got.body.destroy()
    return {
      ...base,
      outcome: 'size',
      bytes: got.size,
      digest: null,
      detail: `${got.size} octets au lieu de ${o.size}`,
    }
  }
  let h
  try {
    h = await hashStream(got.body)
  } catch (e) {
    return {
      ...base,
      outcome: 'unreadable',
      bytes: 0,
      digest: null,
      detail: `lecture interrompue : ${message(e)}`,
    }
  }
  return judge(offer.id, o, h.size, h.sha512)
}

function hasLocalFiles(offer: BlobStore): offer is BlobStore & { pathOf(key: string): string } {
  return offer.kind === 'fs' && typeof (offer as { pathOf?: unknown }).pathOf === 'function'
}

function judge(offerId: string, o: ObjectToCheck, size: number, sha512: string): CopyResult {
  if (size !== o.size)
    return {
      offerId,
      outcome: 'size',
      bytes: size,
      digest: sha512,
      detail: `${size} octets au lieu de ${o.size}`,
    }
  if (sha512 !== o.sha512)
    return {
      offerId,
      outcome: 'digest',
      bytes: size,
      digest: sha512,
      detail: `SHA-512 ${sha512.slice(0, 16)}… au lieu de ${o.sha512.slice(0, 16)}…`,
    }
  return { offerId, outcome: 'ok', bytes: size, digest: sha512, detail: null }
}

export type RepairResult =
  | { readonly ok: true; readonly from: string }
  | {
      readonly ok: false
      /** True when every candidate source was read and found bad (none is good). */
      readonly noGoodSource: boolean
      readonly detail: string
      /** Sources found bad while copying (an existence audit does not read them beforehand). */
      readonly badSources: readonly { readonly offerId: string; readonly detail: string }[]
    }

/**
 * Rewrites the copy of `o` on `target` from the first of `sources` whose bytes hash to the
 * catalogue's SHA-512: the bad copy (if any) is removed, the source is re-hashed while it is copied
 * (the offer's put refuses other bytes), then the written copy is read back and hashed.
 */
export async function repairCopy(
  target: BlobStore,
  sources: readonly BlobStore[],
  o: ObjectToCheck,
  removeBadCopy: boolean,
): Promise<RepairResult> {
  const badSources: { offerId: string; detail: string }[] = []
  const errors: string[] = []
  let removed = !removeBadCopy
  for (const src of sources) {
    let got
    try {
      got = await src.get(o.key)
    } catch (e) {
      errors.push(`${src.id}: ${message(e)}`)
      if (!isUnavailable(e)) badSources.push({ offerId: src.id, detail: 'copie absente' })
      continue
    }
    if (got.size !== o.size) {
      got.body.destroy()
      const detail = `${got.size} octets au lieu de ${o.size}`
      badSources.push({ offerId: src.id, detail })
      errors.push(`${src.id}: ${detail}`)
      continue
    }
    try {
      if (!removed) {
        await target.delete(o.key, `fixity repair: bad copy replaced from ${src.id}`)
        removed = true
      }
      await target.put(o.key, got.body, { expectedSha512: o.sha512, expectedSize: o.size })
    } catch (e) {
      got.body.destroy()
      if (e instanceof AppError && /DIGEST|SIZE/.test(e.code)) {
        badSources.push({ offerId: src.id, detail: message(e) })
        errors.push(`${src.id}: ${message(e)}`)
        continue
      }
      return {
        ok: false,
        noGoodSource: false,
        detail: `écriture sur ${target.id} : ${message(e)}`,
        badSources,
      }
    }
    // verify after writing: read the new copy back
    try {
      const back = await target.get(o.key)
      const h = await hashStream(back.body)
      if (h.sha512 !== o.sha512 || h.size !== o.size)
        return {
          ok: false,
          noGoodSource: false,
          detail: `la copie réécrite sur ${target.id} ne se relit pas à l’identique`,
          badSources,
        }
    } catch (e) {
      return {
        ok: false,
        noGoodSource: false,
        detail: `relecture sur ${target.id} : ${message(e)}`,
        badSources,
      }
    }
    return { ok: true, from: src.id }
  }
  return {
    ok: false,
    noGoodSource: badSources.length === sources.length,
    detail: errors.length > 0 ? errors.join('; ') : 'aucune copie source',
    badSources,
  }
}
