import { availableParallelism } from 'node:os'
import type { AuditService, OperationEvent } from '../audit/index.js'
import { blobKeyFor } from '../ingest/index.js'
import type { BlobRepository, BlobStore, StorageStrategy } from '../storage/index.js'
import type { Clock } from '../../platform/clock.js'
import { fromJson, toJson, type Db, type Executor } from '../../platform/db/create-db.js'
import { AppError } from '../../platform/errors.js'
import type { IdSource } from '../../platform/ids.js'
import type { Logger } from '../../platform/log.js'
import type { JobQueue } from '../../platform/queue/job-queue.js'
import { checkCopy, repairCopy, type CopyResult, type ObjectToCheck } from './copy-check.js'
import { HashPool } from './hash-pool.js'
import {
  AUDIT_TYPES,
  type AuditAnomaly,
  type AuditReport,
  type AuditRequest,
  type AuditTotals,
  type AuditType,
  type FixityHistory,
  type LostObject,
  type OfferTotals,
} from './fixity.types.js'

export const FIXITY_QUEUE = 'fixity.audit'
/** Scheduled audits: the job creates an audit and enqueues it (in one transaction). */
export const FIXITY_SCHEDULE_QUEUE = 'fixity.schedule'
export const AUDIT_OPERATION = 'AUDIT'

export interface FixityDeps {
  readonly db: Db
  readonly audit: AuditService
  readonly storage: StorageStrategy
  /** Copy states read by the access path (`blob_copy`): audits mark bad copies for repair and repaired ones ok. */
  readonly blobs: BlobRepository
  readonly queue: JobQueue
  readonly clock: Clock
  readonly ids: IdSource
  readonly log: Logger
  /** Objects checked between two checkpoints (default 200). */
  readonly pageSize?: number
  /** Concurrent copies checked per offer (default: 4 on fs, 16 on S3). */
  readonly concurrencyPerOffer?: { readonly fs?: number; readonly s3?: number }
  /** Worker threads hashing fs copies in integrity audits (default: the CPU count, at most 8; 0: none). */
  readonly hashWorkers?: number
  /** Crash tests only: called after each checkpoint is committed, with its number (1, 2, …). */
  readonly faultPoint?: (point: string, n: number) => void
}

const FINAL = new Set(['OK', 'WARNING', 'KO', 'FATAL'])
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/
/** Consecutive unreadable copies after which an offer is treated as down for the rest of the audit. */
const DOWN_AFTER = 3

interface ObjRow {
  readonly id: string
  readonly blob_id: string | null
  readonly tenant_id: string
  readonly operation_id: string
  readonly size: number | null
  readonly sha512: string | null
}

const emptyOffer = (offerId: string): OfferTotals => ({
  offerId,
  checked: 0,
  ok: 0,
  bytes: 0,
  missing: 0,
  size: 0,
  digest: 0,
  unreadable: 0,
  repaired: 0,
})

/** Runs `fn` over `items` with at most `n` at a time. */
async function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const lanes = Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T
      await fn(item)
    }
  })
  await Promise.all(lanes)
}

/**
 * Fixity audits: existence (every copy on every offer, with the catalogue's size) and integrity (every
 * copy read and hashed, compared with the catalogue's SHA-512) over a tenant, a producer or the whole
 * platform. Bad copies are rewritten from a copy verified good; an object with no good copy left is
 * raised (KO event, alert, error log, `fixity_lost`), never "repaired". Audits run in pages, each
 * ending with a checkpoint (cursor + counters), so an interrupted audit resumes where it stopped.
 */
export class FixityService {
  constructor(private readonly deps: FixityDeps) {}

  // ── requests ─────────────────────────────────────────────────────────────────────────────────

  /** Validates and records an audit (PENDING), enqueuing its job when asked. Returns its id. */
  async request(req: AuditRequest, opts: { enqueue?: boolean; trx?: Executor } = {}): Promise<string> {
    if (!AUDIT_TYPES.includes(req.type)) {
      throw new AppError(
        'AUDIT_TYPE_INVALID',
        'invalid',
        `Type d’audit inconnu : ${JSON.stringify(req.type)} (attendu : existence ou integrity)`,
        { type: req.type, allowed: AUDIT_TYPES },
      )
    }
    const producer = req.producer ?? null
    if (producer !== null && (typeof producer !== 'string' || !ID_RE.test(producer))) {
      throw new AppError('AUDIT_PRODUCER_INVALID', 'invalid', `Identifiant de service producteur invalide`, {
        producer: String(producer).slice(0, 200),
      })
    }
    const run = async (trx: Executor): Promise<string> => {
      if (req.tenantId !== null) {
        const t = await trx
          .selectFrom('tenant')
          .select('id')
          .where('id', '=', req.tenantId)
          .executeTakeFirst()
        if (!t)
          throw new AppError(
            'TENANT_NOT_FOUND',
            'not_found',
            `Service d’archives inconnu : ${req.tenantId}`,
            {
              tenantId: req.tenantId,
            },
          )
        if (producer !== null) {
          const a = await trx
            .selectFrom('agency')
            .select('identifier')
            .where('tenant_id', '=', req.tenantId)
            .where('identifier', '=', producer)
            .executeTakeFirst()
          if (!a)
            throw new AppError(
              'AUDIT_PRODUCER_NOT_FOUND',
              'not_found',
              `Service producteur inconnu dans ce service d’archives : ${producer}`,
              { producer },
            )
        }
      }
      const op = await this.deps.audit.startOperation(trx, {
        tenantId: req.tenantId,
        type: AUDIT_OPERATION,
        agent: req.agent,
        status: 'PENDING',
      })
      const now = this.deps.clock.now().toISOString()
      const totals: AuditTotals = {
        total: -1,
        objects: 0,
        copies: 0,
        bytes: 0,
        anomalies: 0,
        repaired: 0,
        repairFailed: 0,
        lost: 0,
        offers: Object.fromEntries(this.deps.storage.offers.map((o) => [o.id, emptyOffer(o.id)])),
        offersDown: [],
      }
      await trx
        .insertInto('fixity_audit')
        .values({
          id: op.id,
          tenant_id: req.tenantId,
          producer,
          type: req.type,
          trigger: req.trigger ?? 'manual',
          status: 'PENDING',
          agent: req.agent,
          cursor_tenant: null,
          cursor_object: null,
          totals: toJson(totals),
          created_at: now,
          started_at: null,
          finished_at: null,
        })
        .execute()
      await this.deps.audit.record(trx, {
        operationId: op.id,
        tenantId: req.tenantId,
        type: 'PROCESS_AUDIT',
        outcome: 'STARTED',
        detail: 'PROCESS_AUDIT.STARTED',
        message: `Audit ${req.type === 'integrity' ? 'd’intégrité' : 'd’existence'} demandé (${
          req.tenantId === null ? 'toute la plate-forme' : `service ${req.tenantId}`
        }${producer ? `, producteur ${producer}` : ''})`,
        agent: req.agent,
        data: { type: req.type, producer, trigger: req.trigger ?? 'manual' },
      })
      if (opts.enqueue) {
        await this.deps.queue.enqueue(
          trx,
          FIXITY_QUEUE,
          { auditId: op.id },
          { maxAttempts: 10, backoffMs: 30_000 },
        )
      }
      return op.id
    }
    return opts.trx ? run(opts.trx) : this.deps.db.kysely.transaction().execute(run)
  }

  /** Declares the recurring audits (interval 0 removes one). Runs the first after one interval. */
  async ensureSchedules(s: { existenceMs: number; integrityMs: number }): Promise<void> {
    const now = this.deps.clock.now().getTime()
    for (const [type, ms] of [
      ['existence', s.existenceMs],
      ['integrity', s.integrityMs],
    ] as const) {
      const name = `fixity.${type}`
      if (ms <= 0) {
        await this.deps.db.kysely.deleteFrom('schedule').where('name', '=', name).execute()
        continue
      }
      const existing = await this.deps.db.kysely
        .selectFrom('schedule')
        .select('name')
        .where('name', '=', name)
        .executeTakeFirst()
      await this.deps.queue.schedule(
        name,
        FIXITY_SCHEDULE_QUEUE,
        ms,
        { type },
        existing ? undefined : new Date(now + ms),
      )
    }
  }

  /** Job of FIXITY_SCHEDULE_QUEUE: records a platform-wide audit and enqueues it, in `trx`. */
  async requestScheduled(trx: Executor, payload: { type: AuditType }): Promise<string> {
    return this.request(
      { tenantId: null, type: payload.type, agent: 'system', trigger: 'schedule' },
      { enqueue: true, trx },
    )
  }

  // ── running ──────────────────────────────────────────────────────────────────────────────────

  /**
   * Runs (or resumes, from its checkpoint) an audit to its end. `finish` wraps the final transaction
   * (the job runner passes its `commit`, so the job completes with the audit).
   */
  async execute(
    auditId: string,
    opts: {
      finish?: <T>(fn: (trx: Executor) => Promise<T>) => Promise<T>
      /** Called after each checkpoint (CLI progress). */
      onProgress?: (p: { objects: number; total: number; bytes: number; anomalies: number }) => void
    } = {},
  ): Promise<AuditReport> {
    const db = this.deps.db.kysely
    const row = await db.selectFrom('fixity_audit').selectAll().where('id', '=', auditId).executeTakeFirst()
    if (!row) throw notFound(auditId)
    if (FINAL.has(row.status)) {
      if (opts.finish) await opts.finish(async () => undefined)
      return this.report(row.tenant_id, auditId)
    }
    const totals = fromJson<AuditTotals>(row.totals)
    for (const o of this.deps.storage.offers) totals.offers[o.id] ??= emptyOffer(o.id)
    if (row.status === 'PENDING' || totals.total < 0) {
      totals.total = await this.countScope(row.tenant_id, row.producer)
      const now = this.deps.clock.now().toISOString()
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('fixity_audit')
          .set({ status: 'RUNNING', started_at: row.started_at ?? now, totals: toJson(totals) })
          .where('id', '=', auditId)
          .execute()
        await this.deps.audit.updateOperation(trx, auditId, { status: 'RUNNING' })
      })
    }
    const type = row.type
    let cursor = { tenant: row.cursor_tenant, object: row.cursor_object }
    const down = new Set(totals.offersDown)
    const streak = new Map<string, number>()
    const pageSize = this.deps.pageSize ?? 200
    let checkpoints = 0
    const workers = this.deps.hashWorkers ?? Math.max(1, Math.min(availableParallelism(), 8))
    const pool =
      type === 'integrity' && workers > 0 && this.deps.storage.offers.some((o) => o.kind === 'fs')
        ? new HashPool(workers)
        : undefined
    try {
      // Pipelined: the next page is read and hashed while this one is repaired and checkpointed.
      const toCheck = (page: readonly ObjRow[]): ObjectToCheck[] =>
        page.map((r) => ({
          tenantId: r.tenant_id,
          objectId: r.id,
          blobId: r.blob_id ?? r.id,
          key: blobKeyFor(r.tenant_id, r.operation_id, r.id),
          size: Number(r.size ?? 0),
          sha512: (r.sha512 ?? '').toLowerCase(),
        }))
      const start = (page: readonly ObjRow[]) => {
        const p = this.checkPage(toCheck(page), type, down, streak, pool)
        p.catch(() => undefined) // awaited below; never an unhandled rejection meanwhile
        return p
      }
      let page = await this.page(row.tenant_id, row.producer, cursor, pageSize)
      let checking = start(page)
      while (page.length > 0) {
        const objects = toCheck(page)
        const results = await checking
        const last = page[page.length - 1] as ObjRow
        const nextPage = await this.page(
          row.tenant_id,
          row.producer,
          { tenant: last.tenant_id, object: last.id },
          pageSize,
        )
        checking = start(nextPage)
        const outcome = await this.settlePage(auditId, type, objects, results, totals)
        const next = { tenant: last.tenant_id, object: last.id }
        totals.offersDown = [...down]
        await db.transaction().execute(async (trx) => {
          await outcome.write(trx)
          const r = await trx
            .updateTable('fixity_audit')
            .set({ cursor_tenant: next.tenant, cursor_object: next.object, totals: toJson(totals) })
            .where('id', '=', auditId)
            .where('status', '=', 'RUNNING')
            .where('cursor_tenant', cursor.tenant === null ? 'is' : '=', cursor.tenant)
            .where('cursor_object', cursor.object === null ? 'is' : '=', cursor.object)
            .executeTakeFirst()
          if (Number(r.numUpdatedRows) !== 1) {
            throw new AppError(
              'AUDIT_CONCURRENT_RUN',
              'conflict',
              `L’audit ${auditId} est exécuté ailleurs en même temps : cette exécution s’arrête`,
              { auditId },
            )
          }
        })
        cursor = next
        this.deps.faultPoint?.('checkpoint', ++checkpoints)
        opts.onProgress?.({
          objects: totals.objects,
          total: totals.total,
          bytes: totals.bytes,
          anomalies: totals.anomalies,
        })
        page = nextPage
      }
      await checking
    } finally {
      await pool?.close()
    }
    const status = statusOf(totals)
    const finish = opts.finish ?? (<T>(fn: (trx: Executor) => Promise<T>) => db.transaction().execute(fn))
    await finish(async (trx) => {
      const now = this.deps.clock.now().toISOString()
      await trx
        .updateTable('fixity_audit')
        .set({ status, finished_at: now, totals: toJson(totals) })
        .where('id', '=', auditId)
        .execute()
      await this.deps.audit.record(trx, {
        operationId: auditId,
        tenantId: row.tenant_id,
        type: 'PROCESS_AUDIT',
        outcome: status,
        detail: `PROCESS_AUDIT.${status}`,
        message: summaryMessage(type, totals),
        agent: row.agent,
        data: summaryOf(type, totals),
      })
      await this.deps.audit.updateOperation(trx, auditId, { status, summary: summaryOf(type, totals) })
    })
    if (totals.lost > 0) {
      this.deps.log.error(
        { auditId, lost: totals.lost },
        'fixity: objects with NO good copy left on any offer (see the audit report)',
      )
    }
    return this.report(row.tenant_id, auditId)
  }

  private scopeQuery(tenantId: string | null, producer: string | null) {
    let q = this.deps.db.kysely
      .selectFrom('data_object')
      .where('data_object.kind', '=', 'binary')
      .where('data_object.blob_id', 'is not', null)
      .where('data_object.sha512', 'is not', null)
    if (tenantId !== null) q = q.where('data_object.tenant_id', '=', tenantId)
    if (producer !== null) {
      q = q.where((eb) =>
        eb.exists(
          eb
            .selectFrom('archive_unit')
            .select('archive_unit.id')
            .whereRef('archive_unit.object_group_id', '=', 'data_object.group_id')
            .whereRef('archive_unit.tenant_id', '=', 'data_object.tenant_id')
            .where('archive_unit.originating_agency', '=', producer),
        ),
      )
    }
    return q
  }

  private async countScope(tenantId: string | null, producer: string | null): Promise<number> {
    const r = await this.scopeQuery(tenantId, producer)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    return Number(r.n)
  }

  private async page(
    tenantId: string | null,
    producer: string | null,
    cursor: { tenant: string | null; object: string | null },
    limit: number,
  ): Promise<ObjRow[]> {
    let q = this.scopeQuery(tenantId, producer).select([
      'data_object.id',
      'data_object.blob_id',
      'data_object.tenant_id',
      'data_object.operation_id',
      'data_object.size',
      'data_object.sha512',
    ])
    if (cursor.tenant !== null && cursor.object !== null) {
      const ct = cursor.tenant
      const co = cursor.object
      q = q.where((eb) =>
        eb.or([
          eb('data_object.tenant_id', '>', ct),
          eb.and([eb('data_object.tenant_id', '=', ct), eb('data_object.id', '>', co)]),
        ]),
      )
    }
    return q.orderBy('data_object.tenant_id').orderBy('data_object.id').limit(limit).execute()
  }

  /** Checks every copy of every object of a page, offers in parallel, a few copies at a time per offer. */
  private async checkPage(
    objects: readonly ObjectToCheck[],
    type: AuditType,
    down: Set<string>,
    streak: Map<string, number>,
    hashPool: HashPool | undefined,
  ): Promise<Map<string, CopyResult[]>> {
    const results = new Map<string, CopyResult[]>(objects.map((o) => [o.objectId, []]))
    await Promise.all(
      this.deps.storage.offers.map((offer) =>
        pool(objects, this.concurrencyOf(offer), async (o) => {
          let r: CopyResult
          if (down.has(offer.id)) {
            r = {
              offerId: offer.id,
              outcome: 'unreadable',
              bytes: 0,
              digest: null,
              detail: 'offre indisponible',
            }
          } else {
            r = await checkCopy(offer, o, type, hashPool)
            if (r.outcome === 'unreadable') {
              const n = (streak.get(offer.id) ?? 0) + 1
              streak.set(offer.id, n)
              if (n >= DOWN_AFTER && !down.has(offer.id)) {
                down.add(offer.id)
                this.deps.log.warn(
                  { offer: offer.id, detail: r.detail },
                  'fixity: offer down, its copies are skipped',
                )
              }
            } else streak.set(offer.id, 0)
          }
          results.get(o.objectId)!.push(r)
        }),
      ),
    )
    return results
  }

  private concurrencyOf(offer: BlobStore): number {
    const c = this.deps.concurrencyPerOffer
    return offer.kind === 's3' ? (c?.s3 ?? 16) : (c?.fs ?? 8)
  }

  /**
   * Repairs what can be repaired (storage side, before the checkpoint), and returns the page's
   * database writes (results, anomalies, lost objects, logbook events) for the checkpoint transaction.
   */
  private async settlePage(
    auditId: string,
    type: AuditType,
    objects: readonly ObjectToCheck[],
    results: Map<string, CopyResult[]>,
    totals: AuditTotals,
  ): Promise<{ write(trx: Executor): Promise<void> }> {
    const now = this.deps.clock.now().toISOString()
    const offers = this.deps.storage.offers
    const fixityRows: {
      tenant_id: string
      object_id: string
      offer_id: string
      audit_id: string
      audit_type: AuditType
      checked_at: string
      outcome: 'ok' | 'missing' | 'size' | 'digest' | 'unreadable' | 'repaired'
      digest: string | null
      detail: string | null
    }[] = []
    const anomalies: {
      audit_id: string
      tenant_id: string
      object_id: string
      offer_id: string
      kind: 'missing' | 'size' | 'digest' | 'unreadable' | 'lost'
      detail: string | null
      repair: 'repaired' | 'failed' | 'none'
      repaired_from: string | null
      detected_at: string
    }[] = []
    const events: (OperationEvent & { tenantId: string })[] = []
    const found: { tenant: string; object: string; detail: string }[] = []
    const copyStates: { tenant: string; blob: string; offer: string; ok: boolean; note: string }[] = []
    /** Copies verified good by hashing (integrity audits), per offer: a repair mark on them is lifted. */
    const verified = new Map<string, string[]>()
    const recovered: string[] = []

    for (const o of objects) {
      const rs = results.get(o.objectId) ?? []
      totals.objects++
      const byOffer = new Map(rs.map((r) => [r.offerId, r]))
      for (const r of rs) {
        const t = (totals.offers[r.offerId] ??= emptyOffer(r.offerId))
        t.checked++
        totals.copies++
        if (r.outcome === 'ok') {
          t.ok++
          t.bytes += r.bytes
          totals.bytes += r.bytes
        } else t[r.outcome]++
      }
      const bad = rs.filter((r) => r.outcome !== 'ok' && r.outcome !== 'unreadable')
      const unreadable = rs.filter((r) => r.outcome === 'unreadable')
      const good = offers.filter((x) => byOffer.get(x.id)?.outcome === 'ok')
      const fixed = new Map<string, string>() // target offer → source offer
      const failed = new Map<string, string>()
      const foundBad = new Map<string, string>() // sources found bad while copying (existence audits)
      for (const b of bad) {
        const target = offers.find((x) => x.id === b.offerId)!
        const sources = good.filter((g) => !foundBad.has(g.id))
        if (sources.length === 0) break
        const rep = await repairCopy(target, sources, o, b.outcome !== 'missing')
        for (const s of rep.ok ? [] : rep.badSources) foundBad.set(s.offerId, s.detail)
        if (rep.ok) fixed.set(b.offerId, rep.from)
        else if (!rep.noGoodSource) failed.set(b.offerId, rep.detail)
      }
      for (const [offerId, detail] of foundBad) {
        // an existence audit trusted this copy by its size: copying showed its bytes are wrong
        const t = (totals.offers[offerId] ??= emptyOffer(offerId))
        t.ok--
        t.digest++
        byOffer.set(offerId, { offerId, outcome: 'digest', bytes: 0, digest: null, detail })
        bad.push(byOffer.get(offerId)!)
      }
      const goodLeft = good.filter((g) => !foundBad.has(g.id)).length + fixed.size
      const lost = goodLeft === 0 && bad.length > 0 && unreadable.length === 0
      for (const r of byOffer.values()) {
        const repairedFrom = fixed.get(r.offerId)
        fixityRows.push({
          tenant_id: o.tenantId,
          object_id: o.objectId,
          offer_id: r.offerId,
          audit_id: auditId,
          audit_type: type,
          checked_at: now,
          outcome: repairedFrom ? 'repaired' : r.outcome,
          digest: repairedFrom ? o.sha512 : r.digest,
          detail: repairedFrom ? `${r.outcome} ; réécrite depuis ${repairedFrom}` : r.detail,
        })
        if (repairedFrom)
          copyStates.push({
            tenant: o.tenantId,
            blob: o.blobId,
            offer: r.offerId,
            ok: true,
            note: `fixity audit ${auditId}: ${r.outcome}, rewritten from ${repairedFrom}`,
          })
        else if (r.outcome !== 'ok' && r.outcome !== 'unreadable')
          copyStates.push({
            tenant: o.tenantId,
            blob: o.blobId,
            offer: r.offerId,
            ok: false,
            note: `fixity audit ${auditId}: ${r.outcome}: ${r.detail ?? ''}`,
          })
        if (r.outcome === 'ok') {
          if (type === 'integrity') {
            const list = verified.get(r.offerId) ?? []
            list.push(o.blobId)
            verified.set(r.offerId, list)
          }
          continue
        }
        totals.anomalies++
        const repair = repairedFrom ? 'repaired' : failed.has(r.offerId) ? 'failed' : 'none'
        if (repair === 'repaired') {
          totals.repaired++
          totals.offers[r.offerId]!.repaired++
        } else if (repair === 'failed') totals.repairFailed++
        anomalies.push({
          audit_id: auditId,
          tenant_id: o.tenantId,
          object_id: o.objectId,
          offer_id: r.offerId,
          kind: r.outcome,
          detail: failed.has(r.offerId)
            ? `${r.detail ?? ''} ; réparation impossible : ${failed.get(r.offerId)}`
            : r.detail,
          repair,
          repaired_from: repairedFrom ?? null,
          detected_at: now,
        })
        if (repairedFrom) {
          events.push({
            tenantId: o.tenantId,
            type: 'AUDIT_COPY_REPAIR',
            outcome: 'OK',
            detail: 'AUDIT_COPY_REPAIR.OK',
            objectId: o.objectId,
            message: `Copie de l’objet ${o.objectId} sur l’offre ${r.offerId} (${r.outcome}) réécrite depuis l’offre ${repairedFrom}, SHA-512 vérifiée`,
            agent: 'system',
            data: {
              offer: r.offerId,
              from: repairedFrom,
              anomaly: r.outcome,
              sha512: o.sha512,
              size: o.size,
            },
          })
        } else if (repair === 'failed') {
          events.push({
            tenantId: o.tenantId,
            type: 'AUDIT_COPY_REPAIR',
            outcome: 'KO',
            detail: 'AUDIT_COPY_REPAIR.KO',
            objectId: o.objectId,
            message: `Copie de l’objet ${o.objectId} sur l’offre ${r.offerId} (${r.outcome}) non réparée : ${failed.get(r.offerId)}`,
            agent: 'system',
            data: { offer: r.offerId, anomaly: r.outcome },
          })
        }
      }
      if (lost) {
        totals.lost++
        totals.anomalies++
        const detail = [...byOffer.values()]
          .map((r) => `${r.offerId}: ${r.outcome} (${r.detail ?? ''})`)
          .join('; ')
        found.push({ tenant: o.tenantId, object: o.objectId, detail })
        anomalies.push({
          audit_id: auditId,
          tenant_id: o.tenantId,
          object_id: o.objectId,
          offer_id: '*',
          kind: 'lost',
          detail,
          repair: 'none',
          repaired_from: null,
          detected_at: now,
        })
        const evType = type === 'integrity' ? 'AUDIT_FILE_INTEGRITY' : 'AUDIT_FILE_EXISTING'
        events.push({
          tenantId: o.tenantId,
          type: evType,
          outcome: 'KO',
          detail: `${evType}.KO`,
          objectId: o.objectId,
          message: `Objet ${o.objectId} : plus aucune copie intègre sur aucune offre — rien n’a été réécrit (${detail})`,
          agent: 'system',
          data: { copies: [...byOffer.values()].map((r) => ({ offer: r.offerId, outcome: r.outcome })) },
        })
        this.deps.log.error(
          { auditId, tenant: o.tenantId, objectId: o.objectId, detail },
          'fixity: object has NO good copy left on any offer',
        )
      } else if (goodLeft > 0) recovered.push(o.objectId)
    }
    return {
      write: async (trx) => {
        for (let i = 0; i < fixityRows.length; i += 100) {
          await trx
            .insertInto('object_fixity')
            .values(fixityRows.slice(i, i + 100))
            .onConflict((oc) =>
              oc.columns(['object_id', 'offer_id']).doUpdateSet((eb) => ({
                audit_id: eb.ref('excluded.audit_id'),
                audit_type: eb.ref('excluded.audit_type'),
                checked_at: eb.ref('excluded.checked_at'),
                outcome: eb.ref('excluded.outcome'),
                digest: eb.ref('excluded.digest'),
                detail: eb.ref('excluded.detail'),
              })),
            )
            .execute()
        }
        for (let i = 0; i < anomalies.length; i += 100) {
          await trx
            .insertInto('fixity_anomaly')
            .values(anomalies.slice(i, i + 100))
            .onConflict((oc) => oc.columns(['audit_id', 'object_id', 'offer_id']).doNothing())
            .execute()
        }
        for (const [offerId, blobIds] of verified) {
          for (let i = 0; i < blobIds.length; i += 500) {
            await trx
              .updateTable('blob_copy')
              .set({ state: 'ok', checked_at: now, note: `fixity audit ${auditId}: SHA-512 verified` })
              .where('offer_id', '=', offerId)
              .where('state', '=', 'repair')
              .where('blob_id', 'in', blobIds.slice(i, i + 500))
              .execute()
          }
        }
        for (const x of copyStates) {
          if (x.ok) await this.deps.blobs.markOk(trx, x.tenant, x.blob, x.offer, x.note)
          else await this.deps.blobs.markRepair(trx, x.tenant, x.blob, x.offer, x.note)
        }
        for (const f of found) {
          await trx
            .insertInto('fixity_lost')
            .values({
              object_id: f.object,
              tenant_id: f.tenant,
              audit_id: auditId,
              detected_at: now,
              detail: f.detail,
            })
            .onConflict((oc) =>
              oc.column('object_id').doUpdateSet({ audit_id: auditId, detected_at: now, detail: f.detail }),
            )
            .execute()
        }
        for (let i = 0; i < recovered.length; i += 500) {
          await trx
            .deleteFrom('fixity_lost')
            .where('object_id', 'in', recovered.slice(i, i + 500))
            .execute()
        }
        if (events.length > 0)
          await this.deps.audit.record(
            trx,
            events.map((e) => ({ ...e, operationId: auditId })),
          )
      },
    }
  }

  // ── reading ──────────────────────────────────────────────────────────────────────────────────

  /**
   * One audit's report. `tenantId` null reads any audit (platform administrators); otherwise only
   * that tenant's audits are visible (another tenant's id answers AUDIT_NOT_FOUND).
   */
  async report(
    tenantId: string | null,
    auditId: string,
    opts: { maxAnomalies?: number } = {},
  ): Promise<AuditReport> {
    const db = this.deps.db.kysely
    let q = db.selectFrom('fixity_audit').selectAll().where('id', '=', String(auditId))
    if (tenantId !== null) q = q.where('tenant_id', '=', tenantId)
    const row = await q.executeTakeFirst()
    if (!row) throw notFound(auditId)
    const totals = fromJson<AuditTotals>(row.totals)
    const limit = Math.min(Math.max(opts.maxAnomalies ?? 10_000, 1), 100_000)
    const rows = await db
      .selectFrom('fixity_anomaly')
      .selectAll()
      .where('audit_id', '=', row.id)
      .orderBy('tenant_id')
      .orderBy('object_id')
      .orderBy('offer_id')
      .limit(limit)
      .execute()
    const anomalies: AuditAnomaly[] = rows.map(anomalyOf)
    return {
      auditId: row.id,
      operationId: row.id,
      type: row.type,
      tenant: row.tenant_id,
      producer: row.producer,
      trigger: row.trigger,
      status: row.status as AuditReport['status'],
      createdAt: row.created_at,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      progress: { objects: totals.objects, total: Math.max(totals.total, 0) },
      counts: {
        objects: totals.objects,
        copies: totals.copies,
        bytes: totals.bytes,
        anomalies: totals.anomalies,
        repaired: totals.repaired,
        repairFailed: totals.repairFailed,
        lost: totals.lost,
      },
      offers: Object.values(totals.offers),
      offersDown: totals.offersDown,
      alerts: anomalies
        .filter((a) => a.kind === 'lost')
        .map((a) => ({
          tenant: a.tenant,
          objectId: a.objectId,
          message: `Objet ${a.objectId} : plus aucune copie intègre — intervention nécessaire (${a.detail ?? ''})`,
        })),
      anomalies,
      anomaliesTotal: totals.anomalies,
    }
  }

  /** The audits of a tenant (or of the platform, `null`), newest first. */
  async list(tenantId: string | null, limit = 50): Promise<AuditReport['auditId'][]> {
    let q = this.deps.db.kysely.selectFrom('fixity_audit').select('id')
    q = tenantId === null ? q.where('tenant_id', 'is', null) : q.where('tenant_id', '=', tenantId)
    const rows = await q
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(Math.min(Math.max(limit, 1), 500))
      .execute()
    return rows.map((r) => r.id)
  }

  /** What the audits know of one object of a tenant (for the probative-value report). */
  async historyOf(tenantId: string, objectId: string): Promise<FixityHistory> {
    const db = this.deps.db.kysely
    const obj = await db
      .selectFrom('data_object')
      .select(['id', 'sha512'])
      .where('tenant_id', '=', tenantId)
      .where('id', '=', String(objectId))
      .executeTakeFirst()
    if (!obj)
      throw new AppError(
        'OBJECT_NOT_FOUND',
        'not_found',
        `Objet inconnu : ${String(objectId).slice(0, 200)}`,
        {
          objectId: String(objectId).slice(0, 200),
        },
      )
    const copies = await db
      .selectFrom('object_fixity')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('object_id', '=', obj.id)
      .orderBy('offer_id')
      .execute()
    const anomalies = await db
      .selectFrom('fixity_anomaly')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('object_id', '=', obj.id)
      .orderBy('detected_at')
      .orderBy('offer_id')
      .execute()
    const lost = await db
      .selectFrom('fixity_lost')
      .select('object_id')
      .where('object_id', '=', obj.id)
      .executeTakeFirst()
    return {
      objectId: obj.id,
      tenant: tenantId,
      sha512: obj.sha512,
      lost: lost !== undefined,
      copies: copies.map((c) => ({
        offer: c.offer_id,
        outcome: c.outcome,
        checkedAt: c.checked_at,
        auditId: c.audit_id,
        auditType: c.audit_type,
        digest: c.digest,
        detail: c.detail,
      })),
      anomalies: anomalies.map((a) => ({ ...anomalyOf(a), auditId: a.audit_id })),
    }
  }

  /** Objects with no good copy left (the flag the UI and /health read); null: every tenant. */
  async lostObjects(tenantId: string | null): Promise<LostObject[]> {
    let q = this.deps.db.kysely.selectFrom('fixity_lost').selectAll()
    if (tenantId !== null) q = q.where('tenant_id', '=', tenantId)
    const rows = await q.orderBy('tenant_id').orderBy('object_id').limit(10_000).execute()
    return rows.map((r) => ({
      tenant: r.tenant_id,
      objectId: r.object_id,
      auditId: r.audit_id,
      detectedAt: r.detected_at,
      detail: r.detail,
    }))
  }
}

function anomalyOf(a: {
  tenant_id: string
  object_id: string
  offer_id: string
  kind: AuditAnomaly['kind']
  detail: string | null
  repair: AuditAnomaly['repair']
  repaired_from: string | null
  detected_at: string
}): AuditAnomaly {
  return {
    tenant: a.tenant_id,
    objectId: a.object_id,
    offer: a.offer_id,
    kind: a.kind,
    detail: a.detail,
    repair: a.repair,
    repairedFrom: a.repaired_from,
    detectedAt: a.detected_at,
  }
}

function notFound(auditId: unknown): AppError {
  const id = String(auditId).slice(0, 200)
  return new AppError('AUDIT_NOT_FOUND', 'not_found', `Audit inconnu : ${id}`, { auditId: id })
}

/** OK: nothing wrong; WARNING: anomalies all repaired, or copies unreadable; KO: an object lost or a repair failed. */
function statusOf(t: AuditTotals): 'OK' | 'WARNING' | 'KO' {
  if (t.lost > 0 || t.repairFailed > 0) return 'KO'
  if (t.anomalies > 0 || t.offersDown.length > 0) return 'WARNING'
  return 'OK'
}

function summaryOf(type: AuditType, t: AuditTotals): Record<string, unknown> {
  return {
    auditType: type,
    objects: t.objects,
    copies: t.copies,
    bytes: t.bytes,
    anomalies: t.anomalies,
    repaired: t.repaired,
    repairFailed: t.repairFailed,
    lost: t.lost,
    offersDown: t.offersDown,
  }
}

function summaryMessage(type: AuditType, t: AuditTotals): string {
  const what = type === 'integrity' ? 'Audit d’intégrité' : 'Audit d’existence'
  return `${what} : ${t.objects} objets, ${t.copies} copies, ${t.anomalies} anomalies, ${t.repaired} copies réparées, ${t.lost} objets sans copie intègre${
    t.offersDown.length ? `, offres indisponibles : ${t.offersDown.join(', ')}` : ''
  }`
}
