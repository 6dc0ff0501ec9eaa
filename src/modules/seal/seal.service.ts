import { readFile } from 'node:fs/promises'
import { canonicalJson } from '../../platform/canonical-json.js'
import { AppError } from '../../platform/errors.js'
import type { Clock } from '../../platform/clock.js'
import type { IdSource } from '../../platform/ids.js'
import type { Logger } from '../../platform/log.js'
import type { Db } from '../../platform/db/create-db.js'
import type { AuditService, VerifyReport } from '../audit/index.js'
import type { StorageStrategy } from '../storage/index.js'
import { leafHash, merkleRoot, MerkleStreams, MerkleWorker } from './merkle.js'
import {
  authorityFiles,
  BuiltinAuthority,
  buildTimestampRequest,
  HttpAuthority,
  pemToDer,
  readToken,
  sha512,
  verifyToken,
  type TimestampAuthority,
} from './tsa.js'
import type {
  SealBreak,
  SealDocument,
  SealRange,
  SealRecord,
  SealRef,
  SealReport,
  SealResult,
} from './seal.types.js'

export const SEAL_QUEUE = 'logbook.seal'
export const SEAL_FORMAT = 'saeh-logbook-seal/1'
export const MERKLE_RULE =
  'SHA-512; leaf = H(0x00 || eventHash bytes), node = H(0x01 || left || right); leaves in (chain, seq) order; an odd last node is carried up unchanged'
const PAGE = 50_000

export interface SealDeps {
  readonly db: Db
  readonly audit: AuditService
  readonly storage: StorageStrategy
  readonly clock: Clock
  readonly ids: IdSource
  readonly log: Logger
  readonly home: string
  readonly tsaUrl?: string | undefined
  readonly tsaCaFile?: string | undefined
  /** Tests only: another authority (e.g. one signed by a foreign CA). */
  readonly authority?: TimestampAuthority
}

/** One seal range being fed from the chain pass. */
interface Feed {
  readonly seal: string
  readonly chain: string
  readonly from: number
  readonly to: number
  fed: number
  last: string
}

function monthsBefore(d: Date, months: number): Date {
  const r = new Date(d.getTime())
  r.setUTCMonth(r.getUTCMonth() - months)
  return r
}

export function sealKeys(prefix: string): { document: string; token: string } {
  return { document: `${prefix}/seal.json`, token: `${prefix}/token.tsr` }
}

/**
 * Seals the logbook (every chain's events since the last seal under one SHA-512 Merkle root, chained
 * to the previous seal and to those of one month and one year earlier, time-stamped RFC 3161) and
 * verifies the seals.
 */
export class SealService {
  private authority: TimestampAuthority | undefined
  private sealing: Promise<SealResult> | undefined

  constructor(private readonly deps: SealDeps) {}

  private async tsa(): Promise<TimestampAuthority> {
    if (this.deps.authority) return this.deps.authority
    if (!this.authority) {
      this.authority = this.deps.tsaUrl
        ? new HttpAuthority(this.deps.tsaUrl)
        : await BuiltinAuthority.load(this.deps.home, () => this.deps.clock.now())
    }
    return this.authority
  }

  /** The CA certificates (DER) a token must chain to: the built-in CA and SAEH_TSA_CA_FILE. */
  async trustedCas(): Promise<Buffer[]> {
    const out: Buffer[] = []
    for (const f of [authorityFiles(this.deps.home).caCert, this.deps.tsaCaFile]) {
      if (!f) continue
      try {
        out.push(...pemToDer(await readFile(f, 'utf8'), 'CERTIFICATE'))
      } catch {
        // a missing file only means no certificate from it
      }
    }
    return out
  }

  async trustedCaPem(): Promise<string> {
    return this.trustedCas().then((ders) =>
      ders
        .map(
          (d) =>
            `-----BEGIN CERTIFICATE-----\n${d.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`,
        )
        .join(''),
    )
  }

  // ── reading ──────────────────────────────────────────────────────────────────────────────────

  async list(): Promise<SealRecord[]> {
    const rows = await this.deps.db.kysely.selectFrom('logbook_seal').selectAll().orderBy('number').execute()
    return rows.map((r) => ({
      id: r.id,
      number: Number(r.number),
      createdAt: r.created_at,
      document: r.document,
      digest: r.digest,
      token: Buffer.from(r.token, 'base64'),
      tokenDigest: r.token_digest,
      genTime: r.gen_time,
      events: Number(r.events),
      merkleRoot: r.merkle_root,
      storagePrefix: r.storage_prefix,
    }))
  }

  async get(id: string): Promise<SealRecord | undefined> {
    return (await this.list()).find((s) => s.id === id)
  }

  /** The seal that covers event `seq` of `chain`, if any. */
  async sealOf(chain: string, seq: number): Promise<SealRecord | undefined> {
    const r = await this.deps.db.kysely
      .selectFrom('logbook_seal_range')
      .select('seal_id')
      .where('chain', '=', chain)
      .where('from_seq', '<=', seq)
      .where('to_seq', '>=', seq)
      .executeTakeFirst()
    return r ? this.get(r.seal_id) : undefined
  }

  /** Last sealed sequence number per chain. */
  private async sealedHeads(): Promise<Map<string, number>> {
    const rows = await this.deps.db.kysely
      .selectFrom('logbook_seal_range')
      .select(['chain', (eb) => eb.fn.max('to_seq').as('last')])
      .groupBy('chain')
      .execute()
    return new Map(rows.map((r) => [r.chain, Number(r.last)]))
  }

  /**
   * The event hashes of one range, in sequence order. seq is unique per chain (primary key), so a
   * page with fewer rows than its seq span has a gap: it is located and named.
   */
  async *rangeHashes(range: SealRange): AsyncGenerator<{ seq: number; hash: string }> {
    for (let next = range.fromSeq; next <= range.toSeq; next += PAGE) {
      const upto = Math.min(range.toSeq, next + PAGE - 1)
      const rows = await this.deps.db.kysely
        .selectFrom('logbook_event')
        .select('hash')
        .where('chain', '=', range.chain)
        .where('seq', '>=', next)
        .where('seq', '<=', upto)
        .orderBy('seq')
        .execute()
      if (rows.length !== upto - next + 1)
        throw sealGap(range.chain, await this.firstMissing(range.chain, next, upto))
      for (let i = 0; i < rows.length; i++) yield { seq: next + i, hash: rows[i]!.hash }
    }
  }

  private async firstMissing(chain: string, from: number, to: number): Promise<number> {
    const rows = await this.deps.db.kysely
      .selectFrom('logbook_event')
      .select('seq')
      .where('chain', '=', chain)
      .where('seq', '>=', from)
      .where('seq', '<=', to)
      .orderBy('seq')
      .execute()
    let expect = from
    for (const r of rows) {
      if (Number(r.seq) !== expect) return expect
      expect += 1
    }
    return expect
  }

  /** The Merkle leaves of a seal's ranges (in the document's order) and the last hash per range. */
  async leaves(
    ranges: readonly SealRange[],
  ): Promise<{ leaves: Buffer[]; hashes: string[]; last: string[] }> {
    const leaves: Buffer[] = []
    const hashes: string[] = []
    const last: string[] = []
    for (const r of ranges) {
      let lastHash = ''
      for await (const e of this.rangeHashes(r)) {
        leaves.push(leafHash(e.hash))
        hashes.push(e.hash)
        lastHash = e.hash
      }
      last.push(lastHash)
    }
    return { leaves, hashes, last }
  }

  /** A seal's event hashes as consecutive 64-byte values, and the last hash of each range. */
  async rangeBuffer(ranges: readonly SealRange[]): Promise<{ hashes: Buffer; last: string[] }> {
    let total = 0
    for (const r of ranges) total += Math.max(0, r.toSeq - r.fromSeq + 1)
    const hashes = Buffer.alloc(total * 64)
    const last: string[] = []
    let k = 0
    for (const r of ranges) {
      let lastHash = ''
      for await (const e of this.rangeHashes(r)) {
        hashes.write(e.hash, k * 64, 64, 'hex')
        k += 1
        lastHash = e.hash
      }
      last.push(lastHash)
    }
    return { hashes: hashes.subarray(0, k * 64), last }
  }

  // ── sealing ──────────────────────────────────────────────────────────────────────────────────

  /** Seals every event not yet sealed; one sealing at a time in this process. */
  async seal(agent = 'system'): Promise<SealResult> {
    if (this.sealing) await this.sealing.catch(() => undefined)
    const p = this.doSeal(agent)
    this.sealing = p
    try {
      return await p
    } finally {
      if (this.sealing === p) this.sealing = undefined
    }
  }

  private async doSeal(agent: string): Promise<SealResult> {
    const started = Date.now()
    const db = this.deps.db.kysely
    const sealed = await this.sealedHeads()
    const heads = await db
      .selectFrom('logbook_chain')
      .select(['chain', 'last_seq'])
      .orderBy('chain')
      .execute()
    const ranges: SealRange[] = []
    for (const h of heads) {
      const from = (sealed.get(h.chain) ?? 0) + 1
      const to = Number(h.last_seq)
      if (to >= from) ranges.push({ chain: h.chain, fromSeq: from, toSeq: to, lastHash: '' })
    }
    if (ranges.length === 0) return { sealed: false, seal: null, events: 0, durationMs: Date.now() - started }
    const { leaves, last } = await this.leaves(ranges)
    const root = merkleRoot(leaves).toString('hex')
    const previous = await this.list()
    const now = this.deps.clock.now()
    const refOf = (s: SealRecord | undefined): SealRef | null =>
      s ? { id: s.id, number: s.number, digest: s.digest, tokenDigest: s.tokenDigest } : null
    const prev = previous[previous.length - 1]
    const id = this.deps.ids.next()
    const doc: SealDocument = {
      format: SEAL_FORMAT,
      id,
      number: (prev?.number ?? 0) + 1,
      createdAt: now.toISOString(),
      hashAlgorithm: 'SHA-512',
      merkleTree: MERKLE_RULE,
      eventHash: 'SHA-512 over the canonical JSON (RFC 8785) of the event without its hash field',
      ranges: ranges.map((r, i) => ({ ...r, lastHash: last[i]! })),
      events: leaves.length,
      merkleRoot: root,
      previous: refOf(prev),
      previousMinusOneMonth: refOf(lastBefore(previous, monthsBefore(now, 1))),
      previousMinusOneYear: refOf(lastBefore(previous, monthsBefore(now, 12))),
    }
    const bytes = Buffer.from(canonicalJson(doc), 'utf8')
    const digest = sha512(bytes)
    let token: Buffer
    try {
      const tsa = await this.tsa()
      token = await tsa.stamp(buildTimestampRequest(digest))
      const check = await verifyToken(token, bytes, await this.trustedCas())
      if (check.problems.length > 0) {
        throw new AppError(
          'SEAL_TSA_BAD_TOKEN',
          'unavailable',
          `L'autorité d'horodatage a répondu un jeton invalide : ${check.problems.join('; ')}`,
          { problems: check.problems },
        )
      }
    } catch (e) {
      const err =
        e instanceof AppError
          ? e
          : new AppError(
              'SEAL_TSA_UNAVAILABLE',
              'unavailable',
              `Horodatage impossible : ${(e as Error).message}`,
            )
      this.deps.log.error(
        { alert: 'LOGBOOK_SEAL_FAILED', code: err.code, events: leaves.length },
        `ALERT logbook seal failed, ${leaves.length} events stay unsealed until the next seal: ${err.message}`,
      )
      await this.deps.audit.inOperation({ tenantId: null, type: 'LOGBOOK_SEAL', agent }, async () => ({
        result: null,
        events: [
          {
            type: 'LOGBOOK_SEAL',
            outcome: 'KO',
            detail: `LOGBOOK_SEAL.${err.code}`,
            message: `Scellement impossible (${leaves.length} événements restent à sceller) : ${err.message}`,
            agent,
          },
        ],
      }))
      throw err
    }
    const info = readToken(token)
    const prefix = `logbook-seals/${id}`
    const keys = sealKeys(prefix)
    await this.deps.storage.put(keys.document, one(bytes), { expectedSha512: digest.toString('hex') })
    const tokenDigest = sha512(token).toString('hex')
    await this.deps.storage.put(keys.token, one(token), { expectedSha512: tokenDigest })
    const record: SealRecord = {
      id,
      number: doc.number,
      createdAt: doc.createdAt,
      document: bytes.toString('utf8'),
      digest: digest.toString('hex'),
      token,
      tokenDigest,
      genTime: info.genTime,
      events: leaves.length,
      merkleRoot: root,
      storagePrefix: prefix,
    }
    await this.deps.audit.inOperation({ tenantId: null, type: 'LOGBOOK_SEAL', agent }, async (trx) => {
      await trx
        .insertInto('logbook_seal')
        .values({
          id,
          number: record.number,
          created_at: record.createdAt,
          document: record.document,
          digest: record.digest,
          token: token.toString('base64'),
          token_digest: tokenDigest,
          gen_time: record.genTime,
          events: record.events,
          merkle_root: root,
          storage_prefix: prefix,
        })
        .execute()
      await trx
        .insertInto('logbook_seal_range')
        .values(ranges.map((r) => ({ seal_id: id, chain: r.chain, from_seq: r.fromSeq, to_seq: r.toSeq })))
        .execute()
      return {
        result: null,
        events: [
          {
            type: 'LOGBOOK_SEAL',
            outcome: 'OK',
            detail: 'LOGBOOK_SEAL.OK',
            message: `Scellement n° ${record.number} : ${leaves.length} événements, horodaté le ${info.genTime}`,
            agent,
            objectId: id,
            data: {
              number: record.number,
              events: leaves.length,
              merkleRoot: root,
              digest: record.digest,
              genTime: info.genTime,
            },
          },
        ],
        summary: { sealId: id, number: record.number, events: leaves.length },
      }
    })
    return {
      sealed: true,
      seal: summaryOf(record, doc),
      events: leaves.length,
      durationMs: Date.now() - started,
    }
  }

  // ── verification ─────────────────────────────────────────────────────────────────────────────

  /**
   * `saeh logbook verify`: the chains (audit) and the seals, in one pass over the events. Each event
   * the chain check has verified feeds the Merkle tree of the seal covering it (trees hashed on a
   * worker thread, O(log n) memory each); then the seals are checked as `verify` does, with those
   * roots. A seal whose events were not all fed in its document's order (a chain broken inside its
   * ranges, a chain outside `chain`, an unusual document) is re-read from the database as before.
   */
  async verifyLogbook(chain?: string): Promise<{ chains: VerifyReport; seals: SealReport }> {
    const order = await this.deps.audit.verifyOrder(chain)
    const rank = new Map(order.map((c, i) => [c, i]))
    // every seal's ranges per chain, sorted by their first event
    const byChain = new Map<string, Feed[]>()
    const feeds: { id: string; ranges: Feed[] }[] = []
    for (const s of await this.list()) {
      let doc: SealDocument
      try {
        doc = JSON.parse(s.document) as SealDocument
      } catch {
        continue
      }
      if (!Array.isArray(doc.ranges) || doc.ranges.length === 0) continue
      const ranges: Feed[] = []
      let ok = true
      let prevRank = -1
      for (const r of doc.ranges) {
        const k = rank.get(r?.chain)
        // fed in the document's order only if the chains come in the scan's order
        if (
          k === undefined ||
          k <= prevRank ||
          !Number.isSafeInteger(r.fromSeq) ||
          !Number.isSafeInteger(r.toSeq) ||
          r.fromSeq < 1 ||
          r.toSeq < r.fromSeq
        ) {
          ok = false
          break
        }
        prevRank = k
        ranges.push({ seal: s.id, chain: r.chain, from: r.fromSeq, to: r.toSeq, fed: 0, last: '' })
      }
      if (!ok) continue
      feeds.push({ id: s.id, ranges })
      for (const f of ranges) {
        const list = byChain.get(f.chain) ?? []
        list.push(f)
        byChain.set(f.chain, list)
      }
    }
    // overlapping ranges in one chain (an altered history) are left to the re-reading path
    const skip = new Set<string>()
    for (const list of byChain.values()) {
      list.sort((a, b) => a.from - b.from)
      for (let i = 1; i < list.length; i++)
        if (list[i]!.from <= list[i - 1]!.to) skip.add(list[i]!.seal).add(list[i - 1]!.seal)
    }
    const owners = new Map(feeds.map((f) => [f.id, { ranges: f.ranges, next: 0 }]))
    const roots = new Map<string, Promise<string>>()
    const streams = new MerkleStreams()
    try {
      let cur: { chain: string; list: Feed[]; i: number } | undefined
      const sink = (ch: string, seq: number, hash: string): Promise<void> | undefined => {
        if (!cur || cur.chain !== ch) cur = { chain: ch, list: byChain.get(ch) ?? [], i: 0 }
        while (cur.i < cur.list.length && cur.list[cur.i]!.to < seq) cur.i += 1
        const f = cur.list[cur.i]
        if (!f || seq < f.from || skip.has(f.seal)) return undefined
        // leaves go in the document's order: a range is fed only once the seal's earlier ones are done
        const owner = owners.get(f.seal)!
        if (owner.ranges[owner.next] !== f) return undefined
        if (seq !== f.from + f.fed) return undefined // cannot happen after the chain check: not fed
        f.fed += 1
        f.last = hash
        if (f.fed < f.to - f.from + 1) return streams.add(f.seal, hash)
        // range complete: its pending hashes go to the worker (no buffer kept per waiting seal), and
        // the tree is closed when it was the seal's last range
        const wait = streams.add(f.seal, hash)
        const flushed = streams.flush(f.seal)
        owner.next += 1
        if (owner.next === owner.ranges.length) {
          const root = streams.end(f.seal)
          root.catch(() => undefined) // observed by verify()
          roots.set(f.seal, root)
        }
        return wait && flushed ? Promise.all([wait, flushed]).then(() => undefined) : (wait ?? flushed)
      }
      const chains = await this.deps.audit.verify(chain, sink)
      const fed = new Map<string, FedSeal>()
      for (const s of feeds) {
        const root = roots.get(s.id)
        if (!root || skip.has(s.id) || !s.ranges.every((r) => r.fed === r.to - r.from + 1)) continue
        fed.set(s.id, {
          count: s.ranges.reduce((n, r) => n + r.fed, 0),
          last: s.ranges.map((r) => r.last),
          root,
        })
      }
      const seals = await this.verify(chain, fed)
      return { chains, seals }
    } finally {
      await streams.close()
    }
  }

  /**
   * Re-checks every seal (or those covering one chain): document digest, chaining to the previous
   * seal and to those one month and one year earlier, contiguous ranges, the Merkle root recomputed
   * from the events, the token (imprint, signature, chain to the trusted CA, EKU), and every stored
   * copy on every offer.
   */
  async verify(chain?: string, fed?: ReadonlyMap<string, FedSeal>): Promise<SealReport> {
    const started = Date.now()
    const seals = await this.list()
    const cas = await this.trustedCas()
    const breaks: SealBreak[] = []
    const sealedTo = new Map<string, number>()
    let sealedEvents = 0
    let checked = 0
    const merkle = new MerkleWorker()
    const roots: Promise<void>[] = []
    try {
      for (let i = 0; i < seals.length; i++) {
        const s = seals[i]!
        const fail = (reason: SealBreak['reason'], message: string): void => {
          breaks.push({ sealId: s.id, number: s.number, reason, message })
        }
        const bytes = Buffer.from(s.document, 'utf8')
        let doc: SealDocument
        try {
          doc = JSON.parse(s.document) as SealDocument
        } catch {
          fail('document-altered', `seal ${s.number} (${s.id}): its document is not JSON`)
          continue
        }
        const concerned = !chain || doc.ranges.some((r) => r.chain === chain)
        // ranges must continue each chain where the previous seal stopped (for every chain)
        for (const r of doc.ranges ?? []) {
          const expected = (sealedTo.get(r.chain) ?? 0) + 1
          if (concerned && r.fromSeq !== expected)
            fail(
              'range-gap',
              `seal ${s.number}: chain ${r.chain} resumes at event ${r.fromSeq}, expected ${expected}`,
            )
          sealedTo.set(r.chain, Math.max(sealedTo.get(r.chain) ?? 0, r.toSeq))
        }
        if (!concerned) continue
        checked += 1
        if (sha512(bytes).toString('hex') !== s.digest || doc.id !== s.id || doc.number !== s.number) {
          fail(
            'document-altered',
            `seal ${s.number} (${s.id}): its document does not match its recorded digest`,
          )
        }
        const prev = seals[i - 1]
        const ref = (r: SealRef | null | undefined, want: SealRecord | undefined, what: string) => {
          if (!want) {
            if (r) fail('chaining', `seal ${s.number}: ${what} names seal ${r.number}, which does not exist`)
            return
          }
          if (!r || r.id !== want.id || r.digest !== want.digest || r.tokenDigest !== want.tokenDigest)
            fail('chaining', `seal ${s.number}: ${what} does not match seal ${want.number} (${want.id})`)
        }
        ref(doc.previous, prev, 'its link to the previous seal')
        const before = seals.slice(0, i)
        const created = new Date(doc.createdAt)
        ref(doc.previousMinusOneMonth, lastBefore(before, monthsBefore(created, 1)), 'its one-month link')
        ref(doc.previousMinusOneYear, lastBefore(before, monthsBefore(created, 12)), 'its one-year link')
        try {
          // The tree fed from the chain pass (verifyLogbook), or: hashes read here and the tree hashed
          // on the worker thread while the loop goes on.
          const f = fed?.get(s.id)
          const { count, last, root } = f
            ? f
            : await this.rangeBuffer(doc.ranges).then(({ hashes, last }) => ({
                count: hashes.length / 64,
                last,
                root: merkle.root(hashes),
              }))
          sealedEvents += count
          doc.ranges.forEach((r, k) => {
            if (last[k] !== r.lastHash)
              fail(
                'merkle-root',
                `seal ${s.number}: event ${r.toSeq} of chain ${r.chain} is not the one sealed`,
              )
          })
          roots.push(
            root.then(
              (root) => {
                if (root !== doc.merkleRoot || root !== s.merkleRoot || count !== doc.events)
                  fail(
                    'merkle-root',
                    `seal ${s.number}: the Merkle root recomputed from the events differs: events were altered after sealing`,
                  )
              },
              (e: Error) => fail('merkle-root', `seal ${s.number}: ${e.message}`),
            ),
          )
        } catch (e) {
          fail('merkle-root', `seal ${s.number}: ${(e as Error).message}`)
        }
        const tv = await verifyToken(s.token, bytes, cas)
        if (sha512(s.token).toString('hex') !== s.tokenDigest)
          fail('token', `seal ${s.number}: its token does not match its recorded digest`)
        for (const p of tv.problems) fail('token', `seal ${s.number}: ${p}`)
        const keys = sealKeys(s.storagePrefix)
        for (const offer of this.deps.storage.offers) {
          for (const [what, key, want] of [
            ['document', keys.document, s.digest],
            ['token', keys.token, s.tokenDigest],
          ] as const) {
            try {
              const got = await offer.get(key)
              const chunks: Buffer[] = []
              for await (const c of got.body) chunks.push(Buffer.from(c as Uint8Array))
              if (sha512(Buffer.concat(chunks)).toString('hex') !== want)
                fail('stored-copy', `seal ${s.number}: the ${what} stored on offer ${offer.id} is corrupt`)
            } catch (e) {
              fail(
                'stored-copy',
                `seal ${s.number}: the ${what} is missing or unreadable on offer ${offer.id} (${(e as Error).message})`,
              )
            }
          }
        }
      }
      await Promise.all(roots)
    } finally {
      await merkle.close()
    }
    breaks.sort((a, b) => a.number - b.number)
    const heads = await this.deps.db.kysely
      .selectFrom('logbook_chain')
      .select(['chain', 'last_seq'])
      .execute()
    let unsealed = 0
    for (const h of heads)
      if (!chain || h.chain === chain) unsealed += Number(h.last_seq) - (sealedTo.get(h.chain) ?? 0)
    return {
      ok: breaks.length === 0,
      seals: checked,
      sealedEvents,
      unsealedEvents: Math.max(0, unsealed),
      lastSeal:
        seals.length > 0
          ? {
              id: seals[seals.length - 1]!.id,
              number: seals[seals.length - 1]!.number,
              genTime: seals[seals.length - 1]!.genTime,
            }
          : null,
      firstBreak: breaks[0] ?? null,
      breaks,
      durationMs: Date.now() - started,
    }
  }
}

/** A seal's tree fed during the chain pass: its event count, last hash of each range, its root. */
export interface FedSeal {
  readonly count: number
  readonly last: readonly string[]
  readonly root: Promise<string>
}

function sealGap(chain: string, seq: number): AppError {
  return new AppError('SEAL_CHAIN_GAP', 'internal', `Événement ${seq} de la chaîne ${chain} manquant`, {
    chain,
    seq,
  })
}

function lastBefore(seals: readonly SealRecord[], limit: Date): SealRecord | undefined {
  let found: SealRecord | undefined
  for (const s of seals) if (Date.parse(s.createdAt) <= limit.getTime()) found = s
  return found
}

async function* one(b: Buffer): AsyncGenerator<Uint8Array> {
  yield b
}

export function summaryOf(r: SealRecord, doc?: SealDocument): SealResult['seal'] {
  const d = doc ?? (JSON.parse(r.document) as SealDocument)
  return {
    id: r.id,
    number: r.number,
    createdAt: r.createdAt,
    genTime: r.genTime,
    events: r.events,
    merkleRoot: r.merkleRoot,
    digest: r.digest,
    ranges: d.ranges,
    storagePrefix: r.storagePrefix,
  }
}
