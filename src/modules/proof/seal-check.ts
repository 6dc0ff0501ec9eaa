import { createHash } from 'node:crypto'
import {
  merkleRoot,
  sealKeys,
  verifyToken,
  type SealDocument,
  type SealRecord,
  type SealRef,
  type SealService,
} from '../seal/index.js'
import type { BlobStore } from '../storage/index.js'

const sha512 = (b: Buffer): string => createHash('sha512').update(b).digest('hex')

/**
 * Verifies one seal now, without re-checking the whole platform's seals: its document against its
 * recorded digest, its link to the previous seal, the Merkle root recomputed from the events it
 * covers, its RFC 3161 token (imprint, signature, chain to the trusted CA) and its stored copies on
 * every offer. Returns the problems found, in French (none: the seal holds).
 */
export async function checkSeal(
  seals: SealService,
  offers: readonly BlobStore[],
  all: readonly SealRecord[],
  s: SealRecord,
  cas: readonly Buffer[],
): Promise<string[]> {
  const problems: string[] = []
  const bytes = Buffer.from(s.document, 'utf8')
  let doc: SealDocument
  try {
    doc = JSON.parse(s.document) as SealDocument
  } catch {
    return [`le document du sceau ${s.number} n’est pas du JSON`]
  }
  if (sha512(bytes) !== s.digest || doc.id !== s.id || doc.number !== s.number)
    problems.push(`le document du sceau ${s.number} ne correspond plus à son empreinte enregistrée`)
  const i = all.findIndex((x) => x.id === s.id)
  const prev = i > 0 ? all[i - 1] : undefined
  const link: SealRef | null = doc.previous ?? null
  if (
    prev
      ? !link || link.id !== prev.id || link.digest !== prev.digest || link.tokenDigest !== prev.tokenDigest
      : link
  )
    problems.push(`le chaînage du sceau ${s.number} au sceau précédent est rompu`)
  try {
    const { leaves, last } = await seals.leaves(doc.ranges)
    doc.ranges.forEach((r, k) => {
      if (last[k] !== r.lastHash)
        problems.push(`l’événement ${r.toSeq} de la chaîne ${r.chain} n’est plus celui qui a été scellé`)
    })
    const root = leaves.length > 0 ? merkleRoot(leaves).toString('hex') : ''
    if (root !== doc.merkleRoot || root !== s.merkleRoot || leaves.length !== doc.events)
      problems.push(
        `la racine de Merkle recalculée à partir des événements diffère : des événements ont été modifiés après le scellement`,
      )
  } catch (e) {
    problems.push(`événements scellés illisibles : ${(e as Error).message}`)
  }
  if (sha512(s.token) !== s.tokenDigest)
    problems.push(`le jeton du sceau ${s.number} ne correspond plus à son empreinte enregistrée`)
  const tv = await verifyToken(s.token, bytes, cas)
  for (const p of tv.problems) problems.push(`jeton d’horodatage : ${p}`)
  const keys = sealKeys(s.storagePrefix)
  for (const offer of offers) {
    for (const [what, key, want] of [
      ['document', keys.document, s.digest],
      ['jeton', keys.token, s.tokenDigest],
    ] as const) {
      try {
        const got = await offer.get(key)
        const chunks: Buffer[] = []
        for await (const c of got.body) chunks.push(Buffer.from(c as Uint8Array))
        if (sha512(Buffer.concat(chunks)) !== want)
          problems.push(`la copie du ${what} du sceau ${s.number} sur l’offre ${offer.id} est altérée`)
      } catch (e) {
        problems.push(
          `la copie du ${what} du sceau ${s.number} sur l’offre ${offer.id} est absente ou illisible (${(e as Error).message})`,
        )
      }
    }
  }
  return problems
}
