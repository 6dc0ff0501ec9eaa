import { createWriteStream } from 'node:fs'
import { chmod, copyFile, mkdir, readdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pipeline } from 'node:stream/promises'
import type { Readable } from 'node:stream'
import { canonicalJson } from '../../platform/canonical-json.js'
import { AppError } from '../../platform/errors.js'
import type { Db } from '../../platform/db/create-db.js'
import { toEventRow, type AuditService, type LogbookEvent } from '../audit/index.js'
import { inclusionProof } from './merkle.js'
import type { SealService } from './seal.service.js'
import type { SealDocument, SealRecord } from './seal.types.js'
import { sha512 } from './tsa.js'

const BUNDLE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'bundle')

/** What the catalogue knows of a unit or an object (plugged in by the composition root). */
export type EvidenceTarget =
  | {
      readonly kind: 'unit'
      readonly id: string
      readonly operationId: string
      /** The unit's metadata as the catalogue holds it (written as unit.json). */
      readonly metadata: unknown
    }
  | {
      readonly kind: 'object'
      readonly id: string
      readonly operationId: string
      readonly physical: boolean
      readonly sha512: string | null
      readonly size: number | null
      readonly filename: string | null
      /** Opens the stored bytes, verified against the catalogue's SHA-512 while they stream. */
      open(): Promise<Readable>
    }

export type TargetResolver = (tenantId: string, id: string) => Promise<EvidenceTarget | undefined>

export interface EvidenceResult {
  readonly out: string
  readonly tenant: string
  readonly target: { readonly kind: 'unit' | 'object'; readonly id: string; readonly sha512: string | null }
  readonly events: number
  readonly seals: readonly number[]
  readonly files: readonly string[]
}

/**
 * Evidence bundles: one unit's or object's events, each with its Merkle inclusion proof up to a
 * time-stamped seal, the seals, tokens and CA certificate, the object's bytes (or the unit's
 * metadata), a README and a verification script that runs offline.
 *
 * Unsealed events: the bundle is always complete. Building it records an EVIDENCE_BUNDLE event
 * (attesting the SHA-512 of the bytes as verified now), then seals the logbook, so every event of the
 * bundle has a proof. If the time-stamping authority is down, no bundle is written.
 */
export class EvidenceService {
  constructor(
    private readonly deps: {
      readonly db: Db
      readonly audit: AuditService
      readonly seals: SealService
      readonly resolve: TargetResolver
    },
  ) {}

  async write(tenantId: string, id: string, out: string, agent: string): Promise<EvidenceResult> {
    const target = await this.deps.resolve(tenantId, id)
    if (!target) {
      throw new AppError('EVIDENCE_TARGET_NOT_FOUND', 'not_found', `Unité ou objet inconnu : ${id}`, { id })
    }
    await mkdir(out, { recursive: true })
    if ((await readdir(out)).length > 0) {
      throw new AppError('EVIDENCE_OUT_NOT_EMPTY', 'conflict', `Le dossier ${out} n'est pas vide`, { out })
    }
    const files: string[] = []
    const put = async (name: string, data: string | Buffer) => {
      await mkdir(dirname(join(out, name)), { recursive: true })
      await writeFile(join(out, name), data)
      files.push(name)
    }
    // 1. The target's bytes (verified while copied) or metadata, and the attested digest.
    let targetFile: string | null = null
    let digest: string | null = null
    if (target.kind === 'object') {
      if (!target.physical) {
        targetFile = `object/${safeName(target.filename ?? target.id)}`
        await mkdir(join(out, 'object'), { recursive: true })
        await pipeline(await target.open(), createWriteStream(join(out, targetFile), { flags: 'wx' }))
        files.push(targetFile)
        digest = target.sha512
      }
    } else {
      targetFile = 'unit.json'
      const bytes = Buffer.from(JSON.stringify(target.metadata, null, 2) + '\n', 'utf8')
      await put(targetFile, bytes)
      digest = sha512(bytes).toString('hex')
    }
    // 2. The bundle is itself logged: its event attests the digest, and is sealed with the others.
    await this.deps.audit.inOperation({ tenantId, type: 'EVIDENCE_BUNDLE', agent }, async () => ({
      result: null,
      events: [
        {
          type: 'EVIDENCE_BUNDLE',
          outcome: 'OK',
          detail: 'EVIDENCE_BUNDLE.OK',
          message: `Paquet de preuve de ${target.kind === 'unit' ? 'l’unité' : 'l’objet'} ${id}`,
          agent,
          objectId: id,
          data: {
            kind: target.kind,
            ingestOperationId: target.operationId,
            sha512: digest,
            ...(target.kind === 'object' ? { size: target.size } : { file: 'unit.json' }),
          },
        },
      ],
    }))
    await this.deps.seals.seal(agent)
    // 3. The events: those about the target, and those of the operation that brought it in.
    const rows = await this.deps.db.kysely
      .selectFrom('logbook_event')
      .select(['chain', 'seq'])
      .where('chain', '=', tenantId)
      .where((eb) => eb.or([eb('object_id', '=', id), eb('operation_id', '=', target.operationId)]))
      .orderBy('seq')
      .execute()
    const events: LogbookEvent[] = []
    for (const r of rows) {
      for await (const e of this.scanOne(tenantId, Number(r.seq))) events.push(e)
    }
    // 4. Proofs, seal by seal.
    const sealCache = new Map<
      string,
      { seal: SealRecord; doc: SealDocument; index: Map<string, number>; leaves: Buffer[] }
    >()
    const proofs: unknown[] = []
    const eventFiles: string[] = []
    for (const e of events) {
      const name = `events/${e.chain}-${String(e.seq).padStart(8, '0')}.json`
      await put(name, JSON.stringify(e, null, 2) + '\n')
      eventFiles.push(name)
      const seal = await this.deps.seals.sealOf(e.chain, e.seq)
      if (!seal) continue // the script then reports the event as not proven
      let entry = sealCache.get(seal.id)
      if (!entry) {
        const doc = JSON.parse(seal.document) as SealDocument
        const { leaves, hashes } = await this.deps.seals.leaves(doc.ranges)
        const index = new Map<string, number>()
        let k = 0
        for (const r of doc.ranges)
          for (let s = r.fromSeq; s <= r.toSeq; s++) index.set(`${r.chain}\u0000${s}`, k++)
        void hashes
        entry = { seal, doc, index, leaves }
        sealCache.set(seal.id, entry)
      }
      const leafIndex = entry.index.get(`${e.chain}\u0000${e.seq}`)!
      proofs.push({
        event: name,
        chain: e.chain,
        seq: e.seq,
        hash: e.hash,
        seal: seal.id,
        sealNumber: seal.number,
        leafIndex,
        leaves: entry.leaves.length,
        path: inclusionProof(entry.leaves, leafIndex),
      })
    }
    const sealList = [...sealCache.values()].sort((a, b) => a.seal.number - b.seal.number)
    const sealMeta = []
    for (const { seal } of sealList) {
      const base = `seals/${String(seal.number).padStart(6, '0')}-${seal.id}`
      await put(`${base}.json`, Buffer.from(seal.document, 'utf8'))
      await put(`${base}.tsr`, seal.token)
      sealMeta.push({
        id: seal.id,
        number: seal.number,
        genTime: seal.genTime,
        document: `${base}.json`,
        token: `${base}.tsr`,
      })
    }
    await put('proofs.json', JSON.stringify(proofs, null, 2) + '\n')
    await put('certs/ca.cert.pem', await this.deps.seals.trustedCaPem())
    if (targetFile && digest) await put('target.sha512', `${digest}  ${targetFile}\n`)
    const bundle = {
      format: 'saeh-evidence/1',
      tenant: tenantId,
      target: {
        kind: target.kind,
        id,
        ingestOperationId: target.operationId,
        file: targetFile,
        sha512: digest,
        ...(target.kind === 'object' ? { size: target.size, physical: target.physical } : {}),
      },
      events: eventFiles,
      proofs: 'proofs.json',
      seals: sealMeta,
      caFile: 'certs/ca.cert.pem',
      merkleTree: JSON.parse(sealList[0]?.seal.document ?? '{}').merkleTree ?? null,
      eventHash: 'SHA-512 over the canonical JSON (RFC 8785) of the event without its hash field',
    }
    await put('bundle.json', JSON.stringify(bundle, null, 2) + '\n')
    for (const f of ['verify.mjs', 'verify.sh', 'README.md']) {
      await copyFile(join(BUNDLE_DIR, f), join(out, f))
      files.push(f)
    }
    await chmod(join(out, 'verify.sh'), 0o755)
    await chmod(join(out, 'verify.mjs'), 0o755)
    return {
      out,
      tenant: tenantId,
      target: { kind: target.kind, id, sha512: digest },
      events: events.length,
      seals: sealList.map((s) => s.seal.number),
      files: files.sort(),
    }
  }

  private async *scanOne(chain: string, seq: number): AsyncGenerator<LogbookEvent> {
    const r = await this.deps.db.kysely
      .selectFrom('logbook_event')
      .selectAll()
      .where('chain', '=', chain)
      .where('seq', '=', seq)
      .executeTakeFirst()
    if (r) yield toEventRow(r)
  }
}

function safeName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? 'object'
  const clean = base.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[._-]+/, '')
  return clean === '' ? 'object.bin' : clean.slice(0, 120)
}

/** Exposed for tests: the canonical bytes an event's hash is computed over. */
export function eventCanonical(e: LogbookEvent): string {
  const { hash: _h, ...rest } = e
  void _h
  return canonicalJson(rest)
}
