import { createReadStream, createWriteStream } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { AppError } from '../../platform/errors.js'
import type { Clock } from '../../platform/clock.js'
import type { IdSource } from '../../platform/ids.js'
import { fromJson, toJson, type Db, type Executor } from '../../platform/db/create-db.js'
import type { TransferTable } from '../../platform/db/schema.js'
import type { AuditService, NewEvent } from '../audit/index.js'
import type { Principal, TenancyService } from '../tenancy/index.js'
import type { BlobRepository, StorageStrategy } from '../storage/index.js'
import type { IngestResult } from '../ingest/index.js'
import { deleteUnits } from '../catalog/index.js'
import { checkXmlSafety, SUPPORTED_SEDA_VERSIONS, validateManifest, type SedaVersion } from '../seda/index.js'
import {
  archiveTransferXml,
  layoutOf,
  writeZip,
  type PackageObject,
  type PackageUnit,
} from './package-writer.js'
import { loadPackage } from './package-loader.js'
import {
  CHUNK,
  heldError,
  heldUnits,
  resolveSelection,
  SelectionErrors,
  type Selection,
  type UnitLister,
} from './selection.js'

export type TransferType = 'TRANSFER' | 'RESTITUTION'
export type TransferState = 'requested' | 'prepared' | 'sent' | 'acknowledged' | 'KO' | 'purged'

export interface TransferRequest {
  readonly tenantId: string
  readonly type?: TransferType
  readonly selection: Selection
  readonly sedaVersion?: SedaVersion
  /** Another tenant of this platform: the package is ingested there at once. Absent: a file. */
  readonly targetTenant?: string | null
  /** ArchivalAgreement written in the package (the receiver's ingest contract). */
  readonly contract?: string | null
  /** ArchivalAgency identifier (default: the target tenant id, or the producer). */
  readonly archivalAgency?: string | null
  readonly comment?: string | null
}

export interface TransferView {
  readonly operationId: string
  readonly tenant: string
  readonly type: TransferType
  readonly state: TransferState
  readonly sedaVersion: SedaVersion
  readonly messageIdentifier: string
  readonly targetTenant: string | null
  readonly targetOperationId: string | null
  readonly originatingAgency: string | null
  readonly units: number
  readonly objects: number
  readonly physicalObjects: number
  readonly bytes: number
  readonly unitIds: readonly string[]
  readonly package: { size: number; sha512: string } | null
  readonly replyCode: string | null
  readonly reasons: readonly {
    type: string
    outcome: string
    detail: string | null
    message: string | null
  }[]
  readonly createdAt: string
  readonly updatedAt: string
}

export interface TransferDeps {
  readonly db: Db
  readonly audit: AuditService
  readonly tenancy: TenancyService
  readonly clock: Clock
  readonly ids: IdSource
  readonly storage: StorageStrategy
  readonly blobs: BlobRepository
  readonly queue: { enqueue(trx: Executor, queue: string, payload: unknown): Promise<string> }
  readonly catalog: UnitLister
  readonly ingest: {
    ingestFile(req: {
      tenantId: string
      packagePath: string
      fileName: string
      contractId?: string | null
      agent: string
    }): Promise<IngestResult>
  }
  /** Where packages are written before they are stored. */
  readonly stagingRoot: string
  /** The search index (search module), kept in step with the catalogue in the same transaction. */
  readonly searchIndex?: {
    indexUnits(trx: Executor, tenantId: string, unitIds: readonly string[]): Promise<unknown>
    removeFromIndex(trx: Executor, unitIds: readonly string[]): Promise<void>
  }
}

export const TransferErrors = {
  notFound: (id: string) =>
    new AppError('TRANSFER_NOT_FOUND', 'not_found', `Transfert inconnu : ${id}`, { operationId: id }),
  invalid: (message: string, details: Record<string, unknown> = {}) =>
    new AppError('TRANSFER_INVALID', 'invalid', message, details),
  state: (id: string, state: string, expected: string) =>
    new AppError(
      'TRANSFER_STATE_CONFLICT',
      'conflict',
      `Le transfert ${id} est à l'état « ${state} » : cette action demande l'état « ${expected} »`,
      { operationId: id, state, expected },
    ),
  mixedProducers: (agencies: readonly string[]) =>
    new AppError(
      'TRANSFER_MIXED_PRODUCERS',
      'invalid',
      `La sélection mêle plusieurs services producteurs (${agencies.join(', ')}) : un transfert par producteur`,
      { originatingAgencies: agencies },
    ),
  pending: (ids: readonly string[], ops: readonly string[]) =>
    new AppError(
      'TRANSFER_UNITS_PENDING',
      'conflict',
      `Unité(s) déjà engagée(s) dans un transfert en cours (${ops.join(', ')}) : ${ids.slice(0, 10).join(', ')}`,
      { unitIds: ids.slice(0, 100), operationIds: ops },
    ),
  packageInvalid: (version: string, errors: readonly { message: string; line?: number }[]) =>
    new AppError(
      'TRANSFER_PACKAGE_INVALID',
      'conflict',
      `Le bordereau produit n'est pas valide selon le schéma SEDA ${version} : ${errors[0]?.message ?? ''}`,
      { sedaVersion: version, errors: errors.slice(0, 20) },
    ),
  atrInvalid: (message: string) => new AppError('TRANSFER_ATR_INVALID', 'invalid', message, {}),
  atrMismatch: (expected: string, got: string | null) =>
    new AppError(
      'TRANSFER_ATR_MISMATCH',
      'invalid',
      `L'accusé de réception répond au message « ${got ?? '(aucun)'} », pas au transfert « ${expected} »`,
      { expected, messageRequestIdentifier: got },
    ),
}

const PENDING_STATES = ['requested', 'prepared', 'sent', 'acknowledged']

export const TRANSFER_QUEUE = 'lifecycle.transfer'

interface PlanParams {
  readonly tenantId: string
  readonly type: TransferType
  readonly version: SedaVersion
  readonly target: string | null
  readonly unitIds: string[]
  readonly contract: string | null
  readonly archivalAgency: string | null
  readonly comment: string | null
}

interface Plan extends PlanParams {
  readonly opId: string
  readonly messageIdentifier: string
  readonly producer: string | null
  readonly units: PackageUnit[]
  readonly objects: PackageObject[]
  readonly layout: ReturnType<typeof layoutOf>
  readonly xml: string
  readonly dropped: string[]
  readonly counts: { units: number; objects: number; physicalObjects: number; bytes: number }
}

/** What the receiver's ArchiveTransferReply says. */
export interface ParsedAtr {
  readonly replyCode: string | null
  readonly messageRequestIdentifier: string | null
  readonly messageIdentifier: string | null
  readonly ok: boolean
  readonly reasons: { type: string; outcome: string; detail: string | null; message: string | null }[]
}

const unescape = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, '&')

function tagText(xml: string, local: string): string | null {
  const m = new RegExp(`<(?:[\\w.-]+:)?${local}(?:\\s[^>]*)?>([^<]*)</(?:[\\w.-]+:)?${local}>`).exec(xml)
  return m ? unescape(m[1]!).trim() : null
}

/** Reads an ATR (after the hostile-XML pass): reply code, the request it answers, KO events. */
export async function parseAtr(bytes: Buffer): Promise<ParsedAtr> {
  const safety = await checkXmlSafety(bytes)
  if (!safety.ok) throw TransferErrors.atrInvalid(`Accusé de réception illisible : ${safety.issue.message}`)
  const xml = bytes.toString('utf8')
  if (!/<(?:[\w.-]+:)?ArchiveTransferReply[\s>]/.test(xml))
    throw TransferErrors.atrInvalid('Le fichier n’est pas un ArchiveTransferReply SEDA')
  const replyCode = tagText(xml, 'ReplyCode')
  const reasons: ParsedAtr['reasons'] = []
  for (const m of xml.matchAll(/<(?:[\w.-]+:)?Event[\s>][\s\S]*?<\/(?:[\w.-]+:)?Event>/g)) {
    const ev = m[0]
    const outcome = tagText(ev, 'Outcome') ?? ''
    if (outcome === 'KO' || outcome === 'FATAL')
      reasons.push({
        type: tagText(ev, 'EventTypeCode') ?? tagText(ev, 'EventType') ?? '',
        outcome,
        detail: tagText(ev, 'OutcomeDetail'),
        message: tagText(ev, 'OutcomeDetailMessage'),
      })
  }
  return {
    replyCode,
    messageRequestIdentifier: tagText(xml, 'MessageRequestIdentifier'),
    messageIdentifier: tagText(xml, 'MessageIdentifier'),
    ok: replyCode === '000',
    reasons,
  }
}

/**
 * Transfers and restitutions out of a tenant (docs/lifecycle.md): prepared (the package is built,
 * checked against the XSD and stored) → sent (ingested by the target tenant, or handed over as a file)
 * → acknowledged (ATR OK) → purged (binaries deleted on every offer, units replaced by tombstones), or
 * KO (the receiver refused: nothing purged, the reasons kept).
 */
export class TransferService {
  constructor(private readonly deps: TransferDeps) {}

  private now(): string {
    return this.deps.clock.now().toISOString()
  }

  /** Checks what depends on the caller (rights on the source and, for a tenant, the target). */
  private async authorise(principal: Principal, req: TransferRequest): Promise<PlanParams> {
    const type = req.type ?? 'TRANSFER'
    if (type !== 'TRANSFER' && type !== 'RESTITUTION')
      throw TransferErrors.invalid(`Type de transfert inconnu : ${String(type)}`)
    const version = req.sedaVersion ?? '2.2'
    if (!SUPPORTED_SEDA_VERSIONS.includes(version))
      throw TransferErrors.invalid(`Version SEDA non prise en charge : ${String(version)} (2.1, 2.2 ou 2.3)`)
    await this.deps.tenancy.requireAccess(principal, req.tenantId, 'archive.manage')
    const target = req.targetTenant ?? null
    if (target !== null) {
      if (target === req.tenantId)
        throw TransferErrors.invalid('Le service destinataire doit être un autre service que la source')
      // The receiving archivist's rights: the principal must be allowed to ingest into the target.
      await this.deps.tenancy.requireAccess(principal, target, 'ingest.submit')
    }
    const unitIds = await resolveSelection(
      this.deps.db.kysely,
      this.deps.catalog,
      req.tenantId,
      req.selection,
      true,
    )
    return {
      tenantId: req.tenantId,
      type,
      version,
      target,
      unitIds,
      contract: req.contract ?? null,
      archivalAgency: req.archivalAgency ?? null,
      comment: req.comment ?? null,
    }
  }

  /** Every check on the units, then the manifest, validated against the XSD of its version. */
  private async plan(p: PlanParams, opId: string, ignorePendingOf?: string): Promise<Plan> {
    const k = this.deps.db.kysely
    const { tenantId, type, version, target, unitIds } = p
    const held = await heldUnits(k, tenantId, unitIds)
    if (held.length > 0)
      throw heldError('TRANSFER_HELD_UNITS', type === 'TRANSFER' ? 'Transfert' : 'Restitution', held)
    await this.checkNotPending(tenantId, unitIds, ignorePendingOf)
    const { units, objects, producers } = await loadPackage(k, tenantId, unitIds)
    if (units.length !== unitIds.length) {
      const have = new Set(units.map((u) => u.key))
      throw SelectionErrors.unknown(unitIds.filter((i) => !have.has(i)))
    }
    if (producers.length > 1) throw TransferErrors.mixedProducers(producers)
    const producer = producers[0] ?? null
    const messageIdentifier = `SAEH-${type}-${opId}`
    const layout = layoutOf(units, objects)
    const { xml, dropped } = archiveTransferXml(
      version,
      {
        comment:
          p.comment ??
          (type === 'TRANSFER'
            ? `Transfert depuis le service ${tenantId}`
            : `Restitution par le service ${tenantId}`),
        date: this.now().replace(/\.\d{3}Z$/, ''),
        messageIdentifier,
        archivalAgreement: p.contract,
        archivalAgency: p.archivalAgency ?? producer ?? target ?? tenantId,
        transferringAgency: producer ?? tenantId,
        originatingAgency: producer,
        submissionAgency: producer,
      },
      units,
      objects,
      layout,
    )
    const validation = await validateManifest(Buffer.from(xml, 'utf8'), version)
    if (!validation.valid) throw TransferErrors.packageInvalid(version, validation.errors)
    const binaries = objects.filter((o) => o.kind === 'binary').length
    return {
      ...p,
      opId,
      messageIdentifier,
      producer,
      units,
      objects,
      layout,
      xml,
      dropped,
      counts: {
        units: units.length,
        objects: binaries,
        physicalObjects: objects.length - binaries,
        bytes: objects.reduce((s, o) => s + (o.kind === 'binary' ? (o.size ?? 0) : 0), 0),
      },
    }
  }

  private baseRow(pl: Plan, state: TransferState, agent: string): TransferTable {
    const now = this.now()
    return {
      operation_id: pl.opId,
      tenant_id: pl.tenantId,
      type: pl.type,
      state,
      seda_version: pl.version,
      message_identifier: pl.messageIdentifier,
      target_tenant: pl.target,
      target_operation_id: null,
      archival_agency: pl.archivalAgency,
      originating_agency: pl.producer,
      unit_ids: toJson(pl.unitIds),
      units: pl.counts.units,
      objects: pl.counts.objects,
      physical_objects: pl.counts.physicalObjects,
      bytes: pl.counts.bytes,
      package_blob_id: null,
      package_size: null,
      package_sha512: null,
      reply_code: null,
      reasons: null,
      request: toJson({ contract: pl.contract, archivalAgency: pl.archivalAgency, comment: pl.comment }),
      agent,
      created_at: now,
      updated_at: now,
    }
  }

  /**
   * Synchronous transfer (the CLI): checks, package, delivery to the target tenant and its reply, in
   * one call. Returns the transfer in its last state.
   */
  async create(principal: Principal, req: TransferRequest): Promise<TransferView> {
    const params = await this.authorise(principal, req)
    const pl = await this.plan(params, this.deps.ids.next())
    const path = await this.prepare(pl, principal.id, false)
    try {
      if (pl.target !== null) await this.deliver(principal.id, pl.tenantId, pl.opId, path)
    } finally {
      await rm(path, { force: true })
    }
    return this.show(principal, pl.tenantId, pl.opId)
  }

  /**
   * Asynchronous transfer (the API): every check is made now (bad input answers at once, nothing
   * written); the operation, the `requested` transfer and its job are created in one transaction.
   */
  async request(principal: Principal, req: TransferRequest): Promise<TransferView> {
    const params = await this.authorise(principal, req)
    const pl = await this.plan(params, this.deps.ids.next())
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      await this.deps.audit.startOperation(trx, {
        id: pl.opId,
        tenantId: pl.tenantId,
        type: pl.type,
        agent: principal.id,
        status: 'PENDING',
      })
      await trx
        .insertInto('transfer')
        .values(this.baseRow(pl, 'requested', principal.id))
        .execute()
      await this.deps.audit.record(trx, {
        operationId: pl.opId,
        tenantId: pl.tenantId,
        type: `${pl.type}_REQUEST`,
        outcome: 'OK',
        detail: `${pl.type}_REQUEST.OK`,
        agent: principal.id,
        message: `Transfert demandé : ${pl.counts.units} unité(s)${pl.target ? ` vers ${pl.target}` : ''}`,
        data: { unitIds: pl.unitIds.slice(0, 1000), targetTenant: pl.target },
      })
      await this.deps.queue.enqueue(trx, TRANSFER_QUEUE, { operationId: pl.opId, tenantId: pl.tenantId })
    })
    return this.show(principal, pl.tenantId, pl.opId)
  }

  /**
   * The job: moves a requested transfer forward from wherever it stopped (a worker that died runs it
   * again): requested → prepared/sent → (target tenant) its ingest → reply. A refusal on the merits
   * (a unit put under hold since the request…) ends the transfer KO, nothing purged.
   */
  async process(payload: { operationId: string; tenantId: string }): Promise<void> {
    let t = await this.row(payload.tenantId, payload.operationId)
    const agent = t.agent ?? 'system'
    let path: string | null = null
    try {
      if (t.state === 'requested') {
        const req = fromJson<{
          contract: string | null
          archivalAgency: string | null
          comment: string | null
        }>(t.request)
        const pl = await this.plan(
          {
            tenantId: t.tenant_id,
            type: t.type as TransferType,
            version: t.seda_version as SedaVersion,
            target: t.target_tenant,
            unitIds: fromJson<string[]>(t.unit_ids),
            contract: req.contract,
            archivalAgency: req.archivalAgency,
            comment: req.comment,
          },
          t.operation_id,
          t.operation_id,
        )
        path = await this.prepare(pl, agent, true)
        t = await this.row(payload.tenantId, payload.operationId)
      }
      if (t.target_tenant === null) return
      if (t.state === 'sent') {
        // Sent before a crash: the target's ingest of this message, if it ran, is the answer.
        const done = await this.deps.db.kysely
          .selectFrom('ingest')
          .select(['operation_id', 'status'])
          .where('tenant_id', '=', t.target_tenant)
          .where('message_identifier', '=', t.message_identifier)
          .orderBy('created_at', 'desc')
          .executeTakeFirst()
        if (done && (done.status === 'PENDING' || done.status === 'RUNNING'))
          throw new AppError(
            'TRANSFER_TARGET_BUSY',
            'unavailable',
            'L’entrée chez le destinataire est en cours',
            {},
          )
        if (done) {
          const r = await this.deps.audit.getOperation(t.target_tenant, done.operation_id)
          const reply = (
            await this.deps.db.kysely
              .selectFrom('ingest')
              .select('reply_code')
              .where('operation_id', '=', done.operation_id)
              .executeTakeFirstOrThrow()
          ).reply_code
          await this.reply(agent, t, {
            ok: done.status === 'OK' || done.status === 'WARNING',
            replyCode: reply,
            targetOperationId: done.operation_id,
            reasons: r.events
              .filter((e) => e.outcome === 'KO' || e.outcome === 'FATAL')
              .map((e) => ({ type: e.type, outcome: e.outcome, detail: e.detail, message: e.message })),
          })
          return
        }
      }
      if (t.state === 'prepared' || t.state === 'sent') {
        if (path === null) path = await this.fetchPackage(t)
        await this.deliver(agent, t.tenant_id, t.operation_id, path)
      }
    } catch (e) {
      if (!(e instanceof AppError) || e.kind === 'internal' || e.kind === 'unavailable') throw e
      await this.fail(agent, t, e)
    } finally {
      if (path !== null) await rm(path, { force: true })
    }
  }

  /** A transfer refused on its merits in the worker: KO, nothing purged, the reason logged. */
  private async fail(agent: string, t: TransferTable, e: AppError): Promise<void> {
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      const reasons = [{ type: e.code, outcome: 'KO', detail: e.code, message: e.message }]
      await this.setState(trx, t, 'KO', { reasons: toJson(reasons) })
      await this.deps.audit.record(trx, {
        operationId: t.operation_id,
        tenantId: t.tenant_id,
        type: `${t.type}_PREPARE`,
        outcome: 'KO',
        detail: `${t.type}_PREPARE.KO`,
        agent,
        message: `Transfert refusé, rien n’a été purgé : ${e.message}`,
        data: { code: e.code, details: e.details ?? null },
      })
      await this.deps.audit.updateOperation(trx, t.operation_id, { status: 'KO', summary: { state: 'KO' } })
    })
  }

  /** Copies a stored package back to staging (a worker resuming a transfer). */
  private async fetchPackage(t: TransferTable): Promise<string> {
    const dir = join(this.deps.stagingRoot, 'transfers')
    await mkdir(dir, { recursive: true })
    const path = join(dir, `${t.operation_id}.zip`)
    const opened = await this.deps.storage.open(`${t.tenant_id}/${t.operation_id}/transfer-package.zip`, {
      sha512: t.package_sha512!,
      ...(t.package_size !== null ? { size: Number(t.package_size) } : {}),
    })
    await pipeline(opened.body, createWriteStream(path))
    return path
  }

  /**
   * Writes the zip (binaries streamed from storage), stores it on every offer and records the
   * transfer `prepared` (a tenant target) or `sent` (a file). Returns the local path of the zip.
   */
  private async prepare(pl: Plan, agent: string, existing: boolean): Promise<string> {
    const { tenantId, opId, type, version } = pl
    const dir = join(this.deps.stagingRoot, 'transfers')
    await mkdir(dir, { recursive: true })
    const path = join(dir, `${opId}.zip`)
    try {
      await writeZip(
        path,
        pl.xml,
        pl.objects,
        pl.layout,
        (o) => this.openObject(tenantId, o),
        this.deps.clock.now(),
      )
      const key = `${tenantId}/${opId}/transfer-package.zip`
      const stored = await this.deps.storage.put(key, createReadStream(path))
      const zip = { size: stored.size, sha512: stored.sha512 }
      const state: TransferState = pl.target === null ? 'sent' : 'prepared'
      await this.deps.db.kysely.transaction().execute(async (trx) => {
        if (!existing) await this.deps.audit.startOperation(trx, { id: opId, tenantId, type, agent })
        await this.deps.blobs.record(
          trx,
          tenantId,
          { id: opId, size: zip.size, sha512: zip.sha512 },
          this.deps.storage.offers.map((o) => o.id),
        )
        const row = {
          ...this.baseRow(pl, state, agent),
          package_blob_id: opId,
          package_size: zip.size,
          package_sha512: zip.sha512,
        }
        if (existing) {
          const { operation_id: _o, created_at: _c, ...rest } = row
          await trx.updateTable('transfer').set(rest).where('operation_id', '=', opId).execute()
        } else await trx.insertInto('transfer').values(row).execute()
        const c = pl.counts
        const events: NewEvent[] = [
          {
            operationId: opId,
            tenantId,
            type: `${type}_PREPARE`,
            outcome: pl.dropped.length > 0 ? 'WARNING' : 'OK',
            detail: `${type}_PREPARE.${pl.dropped.length > 0 ? 'WARNING' : 'OK'}`,
            agent,
            message:
              `Paquet SEDA ${version} préparé : ${c.units} unité(s), ${c.objects} objet(s) numérique(s), ` +
              `${c.physicalObjects} objet(s) physique(s), ${c.bytes} octet(s)` +
              (pl.dropped.length > 0
                ? ` ; règles de gel non exprimables en SEDA 2.1 omises : ${pl.dropped.join(', ')}`
                : ''),
            data: {
              sedaVersion: version,
              messageIdentifier: pl.messageIdentifier,
              ...c,
              packageSha512: zip.sha512,
              packageSize: zip.size,
              storedOn: stored.createdOn,
              unitIds: pl.unitIds.slice(0, 1000),
            },
          },
        ]
        if (pl.target === null)
          events.push({
            operationId: opId,
            tenantId,
            type: `${type}_SEND`,
            outcome: 'OK',
            detail: `${type}_SEND.OK`,
            agent,
            message: 'Paquet mis à disposition sous forme de fichier : en attente de l’accusé de réception',
          })
        await this.deps.audit.record(trx, events)
        await this.deps.audit.updateOperation(trx, opId, { status: 'RUNNING', summary: { state } })
      })
      return path
    } catch (e) {
      await rm(path, { force: true })
      throw e
    }
  }

  /** Ingests the package into the target tenant through the normal pipeline, then reads its ATR. */
  private async deliver(agent: string, tenantId: string, opId: string, path: string): Promise<void> {
    const t = await this.row(tenantId, opId)
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      await this.setState(trx, t, 'sent', {})
      await this.deps.audit.record(trx, {
        operationId: opId,
        tenantId,
        type: `${t.type}_SEND`,
        outcome: 'OK',
        detail: `${t.type}_SEND.OK`,
        agent: agent,
        message: `Paquet envoyé au service ${t.target_tenant}`,
        data: { targetTenant: t.target_tenant },
      })
    })
    const result = await this.deps.ingest.ingestFile({
      tenantId: t.target_tenant!,
      packagePath: path,
      fileName: `${t.message_identifier}.zip`,
      contractId: null,
      agent: agent,
    })
    const ok = result.status === 'OK' || result.status === 'WARNING'
    const reasons = result.events
      .filter((e) => e.outcome === 'KO' || e.outcome === 'FATAL')
      .map((e) => ({ type: e.type, outcome: e.outcome, detail: e.detail, message: e.message }))
    await this.reply(agent, t, {
      ok,
      replyCode: result.replyCode,
      targetOperationId: result.operationId,
      reasons,
    })
  }

  /** External delivery: the receiver's ATR (file) acknowledges the transfer. */
  async ack(principal: Principal, tenantId: string, opId: string, atr: Buffer): Promise<TransferView> {
    await this.deps.tenancy.requireAccess(principal, tenantId, 'archive.manage')
    const t = await this.row(tenantId, opId)
    if (t.state !== 'sent') throw TransferErrors.state(opId, t.state, 'sent')
    if (t.target_tenant !== null)
      throw TransferErrors.invalid('Ce transfert vers un service de la plate-forme a déjà reçu sa réponse')
    const parsed = await parseAtr(atr)
    if (parsed.messageRequestIdentifier !== t.message_identifier)
      throw TransferErrors.atrMismatch(t.message_identifier, parsed.messageRequestIdentifier)
    await this.reply(principal.id, t, {
      ok: parsed.ok,
      replyCode: parsed.replyCode,
      targetOperationId: parsed.messageIdentifier,
      reasons: parsed.reasons,
    })
    return this.show(principal, tenantId, opId)
  }

  private async reply(
    agent: string,
    t: TransferTable,
    r: {
      ok: boolean
      replyCode: string | null
      targetOperationId: string | null
      reasons: TransferView['reasons']
    },
  ): Promise<void> {
    const tenantId = t.tenant_id
    const opId = t.operation_id
    if (!r.ok) {
      await this.deps.db.kysely.transaction().execute(async (trx) => {
        await this.setState(trx, t, 'KO', {
          reply_code: r.replyCode,
          target_operation_id: r.targetOperationId,
          reasons: toJson(r.reasons),
        })
        await this.deps.audit.record(trx, {
          operationId: opId,
          tenantId,
          type: `${t.type}_REPLY`,
          outcome: 'KO',
          detail: `${t.type}_REPLY.KO`,
          agent: agent,
          message:
            `Le destinataire a refusé le transfert (code ${r.replyCode ?? '?'}) : rien n’a été purgé. ` +
            r.reasons
              .slice(0, 5)
              .map((x) => x.message ?? x.detail ?? x.type)
              .join(' ; '),
          data: {
            replyCode: r.replyCode,
            targetOperationId: r.targetOperationId,
            reasons: r.reasons.slice(0, 50),
          },
        })
        await this.deps.audit.updateOperation(trx, opId, { status: 'KO', summary: { state: 'KO' } })
      })
      return
    }
    const keys: { key: string; blobId: string }[] = []
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      await this.setState(trx, t, 'acknowledged', {
        reply_code: r.replyCode,
        target_operation_id: r.targetOperationId,
      })
      const events: NewEvent[] = [
        {
          operationId: opId,
          tenantId,
          type: `${t.type}_REPLY`,
          outcome: 'OK',
          detail: `${t.type}_REPLY.OK`,
          agent: agent,
          message: `Le destinataire a accepté le transfert (opération ${r.targetOperationId ?? '?'})`,
          data: { replyCode: r.replyCode, targetOperationId: r.targetOperationId },
        },
      ]
      const purge = await this.purge(trx, t, r.targetOperationId)
      keys.push(...purge.keys)
      events.push({
        operationId: opId,
        tenantId,
        type: `${t.type}_PURGE`,
        outcome: 'OK',
        detail: `${t.type}_PURGE.OK`,
        agent: agent,
        message:
          `Source purgée : ${purge.units} unité(s) remplacée(s) par des pierres tombales, ` +
          `${purge.objects} objet(s) retiré(s) du catalogue`,
        data: { units: purge.units, objects: purge.objects, destinationOperationId: r.targetOperationId },
      })
      await this.deps.audit.record(trx, events)
      await this.setState(trx, t, 'purged', {})
      await this.deps.audit.updateOperation(trx, opId, { status: 'OK', summary: { state: 'purged' } })
    })
    // The catalogue no longer points at the binaries: delete them on every offer, and say so.
    const failed: string[] = []
    let deleted = 0
    for (const { key } of keys) {
      try {
        await this.deps.storage.delete(key, `${t.type} ${opId}`)
        deleted++
      } catch {
        failed.push(key)
      }
    }
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      await this.deps.audit.record(trx, {
        operationId: opId,
        tenantId,
        type: `${t.type}_PURGE_BINARIES`,
        outcome: failed.length > 0 ? 'WARNING' : 'OK',
        detail: `${t.type}_PURGE_BINARIES.${failed.length > 0 ? 'WARNING' : 'OK'}`,
        agent: agent,
        message:
          `${deleted} binaire(s) supprimé(s) sur toutes les offres` +
          (failed.length > 0
            ? ` ; ${failed.length} à supprimer à nouveau : ${failed.slice(0, 5).join(', ')}`
            : ''),
        data: { deleted, failed: failed.slice(0, 100) },
      })
      if (failed.length > 0) await this.deps.audit.updateOperation(trx, opId, { status: 'WARNING' })
    })
  }

  /** Replaces the transferred units by tombstones and removes their rows (and unshared objects). */
  private async purge(
    trx: Executor,
    t: TransferTable,
    destinationOperationId: string | null,
  ): Promise<{ units: number; objects: number; keys: { key: string; blobId: string }[] }> {
    const tenantId = t.tenant_id
    const ids = fromJson<string[]>(t.unit_ids)
    const now = this.now()
    const keys: { key: string; blobId: string }[] = []
    for (let i = 0; i < ids.length; i += CHUNK) {
      const slice = ids.slice(i, i + CHUNK)
      const units = await trx
        .selectFrom('archive_unit')
        .select(['id', 'seda_id', 'title', 'originating_agency', 'operation_id', 'object_group_id'])
        .where('tenant_id', '=', tenantId)
        .where('id', 'in', slice)
        .execute()
      const groupIds = units.map((u) => u.object_group_id).filter((g): g is string => g !== null)
      const objs =
        groupIds.length === 0
          ? []
          : await trx
              .selectFrom('data_object')
              .select(['group_id', 'kind', 'size'])
              .where('tenant_id', '=', tenantId)
              .where('group_id', 'in', groupIds)
              .execute()
      for (const u of units) {
        const mine = objs.filter((o) => o.group_id === u.object_group_id)
        await trx
          .insertInto('unit_tombstone')
          .values({
            unit_id: u.id,
            tenant_id: tenantId,
            seda_id: u.seda_id,
            title: u.title,
            originating_agency: u.originating_agency,
            ingest_operation_id: u.operation_id,
            reason: t.type,
            operation_id: t.operation_id,
            // A restitution with no named receiver goes back to its owner, the originating agency.
            destination:
              t.target_tenant ??
              t.archival_agency ??
              (t.type === 'RESTITUTION' ? u.originating_agency : null) ??
              'external',
            destination_operation_id: destinationOperationId,
            objects: mine.filter((o) => o.kind === 'binary').length,
            physical_objects: mine.filter((o) => o.kind === 'physical').length,
            bytes: mine.reduce((s, o) => s + Number(o.size ?? 0), 0),
            created_at: now,
          })
          .execute()
      }
    }
    // The catalogue rows go (groups still referenced by a unit that stays are kept); their binaries after.
    const deleted = await deleteUnits(trx, tenantId, ids, { searchIndex: this.deps.searchIndex })
    for (const o of deleted)
      if (o.blobId) keys.push({ key: `${tenantId}/${o.operationId}/${o.id}`, blobId: o.blobId })
    // The package itself carried the binaries: it goes too (its digest stays in the logbook).
    if (t.package_blob_id) {
      await trx.deleteFrom('blob_copy').where('blob_id', '=', t.package_blob_id).execute()
      await trx
        .deleteFrom('blob')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', t.package_blob_id)
        .execute()
      await trx
        .updateTable('transfer')
        .set({ package_blob_id: null })
        .where('operation_id', '=', t.operation_id)
        .execute()
      keys.push({ key: `${tenantId}/${t.operation_id}/transfer-package.zip`, blobId: t.package_blob_id })
    }
    return { units: ids.length, objects: deleted.length, keys }
  }

  private async setState(
    trx: Executor,
    t: TransferTable,
    state: TransferState,
    patch: Partial<Pick<TransferTable, 'reply_code' | 'target_operation_id' | 'reasons'>>,
  ): Promise<void> {
    await trx
      .updateTable('transfer')
      .set({ state, updated_at: this.now(), ...patch })
      .where('operation_id', '=', t.operation_id)
      .where('tenant_id', '=', t.tenant_id)
      .execute()
  }

  private async checkNotPending(
    tenantId: string,
    unitIds: readonly string[],
    ignore?: string,
  ): Promise<void> {
    const rows = await this.deps.db.kysely
      .selectFrom('transfer')
      .select(['operation_id', 'unit_ids'])
      .where('tenant_id', '=', tenantId)
      .where('state', 'in', PENDING_STATES)
      .execute()
    const want = new Set(unitIds)
    const hit = new Set<string>()
    const ops: string[] = []
    for (const r of rows) {
      if (r.operation_id === ignore) continue
      const ids = fromJson<string[]>(r.unit_ids).filter((i) => want.has(i))
      if (ids.length > 0) ops.push(r.operation_id)
      for (const i of ids) hit.add(i)
    }
    if (hit.size > 0) throw TransferErrors.pending([...hit], ops)
  }

  private async openObject(tenantId: string, o: PackageObject): Promise<Readable> {
    const row = await this.deps.db.kysely
      .selectFrom('data_object')
      .select(['operation_id', 'id'])
      .where('tenant_id', '=', tenantId)
      .where('id', '=', o.key)
      .executeTakeFirstOrThrow()
    const opened = await this.deps.storage.open(`${tenantId}/${row.operation_id}/${row.id}`, {
      sha512: o.sha512!,
      ...(o.size !== null ? { size: o.size } : {}),
    })
    return opened.body
  }

  private async row(tenantId: string, opId: string): Promise<TransferTable> {
    const t = await this.deps.db.kysely
      .selectFrom('transfer')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('operation_id', '=', opId)
      .executeTakeFirst()
    if (!t) throw TransferErrors.notFound(opId)
    return t
  }

  async show(principal: Principal, tenantId: string, opId: string): Promise<TransferView> {
    await this.deps.tenancy.requireAccess(principal, tenantId, 'archive.read')
    return toView(await this.row(tenantId, opId))
  }

  /**
   * What is kept of a unit that left with a transfer or a restitution (its `unit_tombstone`);
   * UNIT_TOMBSTONE_NOT_FOUND for a unit that did not leave that way, or another tenant's.
   */
  async tombstone(principal: Principal, tenantId: string, unitId: string) {
    await this.deps.tenancy.requireAccess(principal, tenantId, 'archive.read')
    // No unit id holds a NUL character (PostgreSQL would refuse it in a text comparison).
    const lookup = unitId.includes('\0') ? '' : unitId
    const t = await this.deps.db.kysely
      .selectFrom('unit_tombstone')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('unit_id', '=', lookup)
      .executeTakeFirst()
    if (!t)
      throw new AppError(
        'UNIT_TOMBSTONE_NOT_FOUND',
        'not_found',
        `Aucune trace de départ pour l’unité ${unitId}`,
        { unitId },
      )
    return {
      unitId: t.unit_id,
      sedaId: t.seda_id,
      title: t.title,
      originatingAgency: t.originating_agency,
      ingestOperationId: t.ingest_operation_id,
      reason: t.reason,
      operationId: t.operation_id,
      destination: t.destination,
      destinationOperationId: t.destination_operation_id,
      objects: t.objects,
      physicalObjects: t.physical_objects,
      bytes: Number(t.bytes),
      departedAt: t.created_at,
    }
  }

  async list(principal: Principal, tenantId: string, opts: { state?: string } = {}): Promise<TransferView[]> {
    await this.deps.tenancy.requireAccess(principal, tenantId, 'archive.read')
    let q = this.deps.db.kysely.selectFrom('transfer').selectAll().where('tenant_id', '=', tenantId)
    if (opts.state) q = q.where('state', '=', opts.state)
    return (await q.orderBy('created_at').orderBy('operation_id').execute()).map(toView)
  }

  /** The package of a transfer not yet purged (external delivery), SHA-512 verified while it streams. */
  async openPackage(
    principal: Principal,
    tenantId: string,
    opId: string,
  ): Promise<{ body: Readable; size: number; fileName: string }> {
    await this.deps.tenancy.requireAccess(principal, tenantId, 'archive.manage')
    const t = await this.row(tenantId, opId)
    if (!t.package_blob_id || !t.package_sha512)
      throw new AppError('TRANSFER_PACKAGE_GONE', 'conflict', `Le paquet du transfert ${opId} a été purgé`, {
        operationId: opId,
      })
    const opened = await this.deps.storage.open(`${tenantId}/${opId}/transfer-package.zip`, {
      sha512: t.package_sha512,
      ...(t.package_size !== null ? { size: Number(t.package_size) } : {}),
    })
    return { body: opened.body, size: Number(t.package_size), fileName: `${t.message_identifier}.zip` }
  }
}

function toView(t: TransferTable): TransferView {
  const ids = fromJson<string[]>(t.unit_ids)
  return {
    operationId: t.operation_id,
    tenant: t.tenant_id,
    type: t.type as TransferType,
    state: t.state as TransferState,
    sedaVersion: t.seda_version as SedaVersion,
    messageIdentifier: t.message_identifier,
    targetTenant: t.target_tenant,
    targetOperationId: t.target_operation_id,
    originatingAgency: t.originating_agency,
    units: Number(t.units),
    objects: Number(t.objects),
    physicalObjects: Number(t.physical_objects),
    bytes: Number(t.bytes),
    unitIds: ids,
    package:
      t.package_blob_id && t.package_sha512
        ? { size: Number(t.package_size), sha512: t.package_sha512 }
        : null,
    replyCode: t.reply_code,
    reasons: t.reasons === null ? [] : fromJson(t.reasons),
    createdAt: t.created_at,
    updatedAt: t.updated_at,
  }
}
