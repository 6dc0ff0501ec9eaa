import { createReadStream } from 'node:fs'
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
import {
  checkXmlSafety,
  SUPPORTED_SEDA_VERSIONS,
  validateManifest,
  type SedaVersion,
  type XmlElement,
} from '../seda/index.js'
import {
  archiveTransferXml,
  layoutOf,
  writeZip,
  type PackageObject,
  type PackageRule,
  type PackageUnit,
} from './package-writer.js'
import {
  CHUNK,
  heldError,
  heldUnits,
  resolveSelection,
  type Selection,
  type UnitLister,
} from './selection.js'

export type TransferType = 'TRANSFER' | 'RESTITUTION'
export type TransferState = 'prepared' | 'sent' | 'acknowledged' | 'KO' | 'purged'

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

const PENDING_STATES = ['prepared', 'sent', 'acknowledged']

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

  async create(principal: Principal, req: TransferRequest): Promise<TransferView> {
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
    const k = this.deps.db.kysely
    const tenantId = req.tenantId
    const unitIds = await resolveSelection(k, this.deps.catalog, tenantId, req.selection, true)
    const held = await heldUnits(k, tenantId, unitIds)
    if (held.length > 0)
      throw heldError('TRANSFER_HELD_UNITS', type === 'TRANSFER' ? 'Transfert' : 'Restitution', held)
    await this.checkNotPending(tenantId, unitIds)
    const { units, objects, producers } = await this.load(k, tenantId, unitIds)
    if (producers.length > 1) throw TransferErrors.mixedProducers(producers)
    const producer = producers[0] ?? null

    const opId = this.deps.ids.next()
    const messageIdentifier = `SAEH-${type}-${opId}`
    const layout = layoutOf(units, objects)
    const { xml, dropped } = archiveTransferXml(
      version,
      {
        comment:
          req.comment ??
          (type === 'TRANSFER'
            ? `Transfert depuis le service ${tenantId}`
            : `Restitution par le service ${tenantId}`),
        date: this.now().replace(/\.\d{3}Z$/, ''),
        messageIdentifier,
        archivalAgreement: req.contract ?? null,
        archivalAgency: req.archivalAgency ?? producer ?? target ?? tenantId,
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

    const dir = join(this.deps.stagingRoot, 'transfers')
    await mkdir(dir, { recursive: true })
    const path = join(dir, `${opId}.zip`)
    const bytes = objects.reduce((s, o) => s + (o.kind === 'binary' ? (o.size ?? 0) : 0), 0)
    const binaries = objects.filter((o) => o.kind === 'binary').length
    try {
      const zip = await writeZip(path, xml, objects, layout, (o) => this.openObject(tenantId, o))
      const key = `${tenantId}/${opId}/transfer-package.zip`
      const stored = await this.deps.storage.put(key, createReadStream(path), { expectedSha512: zip.sha512 })
      const now = this.now()
      const agent = principal.id
      await k.transaction().execute(async (trx) => {
        await this.deps.audit.startOperation(trx, { id: opId, tenantId, type, agent })
        await this.deps.blobs.record(
          trx,
          tenantId,
          { id: opId, size: zip.size, sha512: zip.sha512 },
          this.deps.storage.offers.map((o) => o.id),
        )
        const row: TransferTable = {
          operation_id: opId,
          tenant_id: tenantId,
          type,
          state: target === null ? 'sent' : 'prepared',
          seda_version: version,
          message_identifier: messageIdentifier,
          target_tenant: target,
          target_operation_id: null,
          archival_agency: req.archivalAgency ?? null,
          originating_agency: producer,
          unit_ids: toJson(unitIds),
          units: units.length,
          objects: binaries,
          physical_objects: objects.length - binaries,
          bytes,
          package_blob_id: opId,
          package_size: zip.size,
          package_sha512: zip.sha512,
          reply_code: null,
          reasons: null,
          agent,
          created_at: now,
          updated_at: now,
        }
        await trx.insertInto('transfer').values(row).execute()
        const events: NewEvent[] = [
          {
            operationId: opId,
            tenantId,
            type: `${type}_PREPARE`,
            outcome: dropped.length > 0 ? 'WARNING' : 'OK',
            detail: `${type}_PREPARE.${dropped.length > 0 ? 'WARNING' : 'OK'}`,
            agent,
            message:
              `Paquet SEDA ${version} préparé : ${units.length} unité(s), ${binaries} objet(s) numérique(s), ` +
              `${objects.length - binaries} objet(s) physique(s), ${bytes} octet(s)` +
              (dropped.length > 0
                ? ` ; règles de gel non exprimables en SEDA 2.1 omises : ${dropped.join(', ')}`
                : ''),
            data: {
              sedaVersion: version,
              messageIdentifier,
              units: units.length,
              objects: binaries,
              physicalObjects: objects.length - binaries,
              bytes,
              packageSha512: zip.sha512,
              packageSize: zip.size,
              storedOn: stored.createdOn,
              unitIds: unitIds.slice(0, 1000),
            },
          },
        ]
        if (target === null)
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
        await this.deps.audit.updateOperation(trx, opId, { status: 'RUNNING', summary: { state: row.state } })
      })
      if (target !== null) await this.deliver(principal, tenantId, opId, path)
    } finally {
      await rm(path, { force: true })
    }
    return this.show(principal, tenantId, opId)
  }

  /** Ingests the package into the target tenant through the normal pipeline, then reads its ATR. */
  private async deliver(principal: Principal, tenantId: string, opId: string, path: string): Promise<void> {
    const t = await this.row(tenantId, opId)
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      await this.setState(trx, t, 'sent', {})
      await this.deps.audit.record(trx, {
        operationId: opId,
        tenantId,
        type: `${t.type}_SEND`,
        outcome: 'OK',
        detail: `${t.type}_SEND.OK`,
        agent: principal.id,
        message: `Paquet envoyé au service ${t.target_tenant}`,
        data: { targetTenant: t.target_tenant },
      })
    })
    const result = await this.deps.ingest.ingestFile({
      tenantId: t.target_tenant!,
      packagePath: path,
      fileName: `${t.message_identifier}.zip`,
      contractId: null,
      agent: principal.id,
    })
    const ok = result.status === 'OK' || result.status === 'WARNING'
    const reasons = result.events
      .filter((e) => e.outcome === 'KO' || e.outcome === 'FATAL')
      .map((e) => ({ type: e.type, outcome: e.outcome, detail: e.detail, message: e.message }))
    await this.reply(principal, t, {
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
    await this.reply(principal, t, {
      ok: parsed.ok,
      replyCode: parsed.replyCode,
      targetOperationId: parsed.messageIdentifier,
      reasons: parsed.reasons,
    })
    return this.show(principal, tenantId, opId)
  }

  private async reply(
    principal: Principal,
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
          agent: principal.id,
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
          agent: principal.id,
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
        agent: principal.id,
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
        agent: principal.id,
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
    const set = new Set(ids)
    const now = this.now()
    const keys: { key: string; blobId: string }[] = []
    const groups = new Set<string>()
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
        if (u.object_group_id) groups.add(u.object_group_id)
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
            destination: t.target_tenant ?? t.archival_agency ?? 'external',
            destination_operation_id: destinationOperationId,
            objects: mine.filter((o) => o.kind === 'binary').length,
            physical_objects: mine.filter((o) => o.kind === 'physical').length,
            bytes: mine.reduce((s, o) => s + Number(o.size ?? 0), 0),
            created_at: now,
          })
          .execute()
      }
      for (const tbl of [
        'unit_effective_rule',
        'unit_effective_property',
        'unit_lifecycle',
        'unit_rule',
      ] as const)
        await trx.deleteFrom(tbl).where('tenant_id', '=', tenantId).where('unit_id', 'in', slice).execute()
      await trx
        .deleteFrom('unit_parent')
        .where('tenant_id', '=', tenantId)
        .where((eb) => eb.or([eb('unit_id', 'in', slice), eb('parent_id', 'in', slice)]))
        .execute()
    }
    for (let i = 0; i < ids.length; i += CHUNK)
      await trx
        .deleteFrom('archive_unit')
        .where('tenant_id', '=', tenantId)
        .where('id', 'in', ids.slice(i, i + CHUNK))
        .execute()
    // Groups still referenced by a unit that stays are kept.
    let objects = 0
    for (const g of groups) {
      const still = await trx
        .selectFrom('archive_unit')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('object_group_id', '=', g)
        .executeTakeFirst()
      if (still) continue
      const objs = await trx
        .selectFrom('data_object')
        .select(['id', 'blob_id', 'operation_id'])
        .where('tenant_id', '=', tenantId)
        .where('group_id', '=', g)
        .execute()
      await trx
        .deleteFrom('data_object')
        .where('tenant_id', '=', tenantId)
        .where('group_id', '=', g)
        .execute()
      for (const o of objs) {
        objects++
        if (!o.blob_id) continue
        await trx.deleteFrom('blob_copy').where('blob_id', '=', o.blob_id).execute()
        await trx.deleteFrom('blob').where('tenant_id', '=', tenantId).where('id', '=', o.blob_id).execute()
        keys.push({ key: `${tenantId}/${o.operation_id}/${o.id}`, blobId: o.blob_id })
      }
      await trx.deleteFrom('object_group').where('tenant_id', '=', tenantId).where('id', '=', g).execute()
    }
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
    void set
    return { units: ids.length, objects, keys }
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

  private async checkNotPending(tenantId: string, unitIds: readonly string[]): Promise<void> {
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

  /** Units (content, declared rules, parents) and objects of the selection, in a stable order. */
  private async load(
    trx: Executor,
    tenantId: string,
    ids: readonly string[],
  ): Promise<{ units: PackageUnit[]; objects: PackageObject[]; producers: string[] }> {
    const set = new Set(ids)
    const units: PackageUnit[] = []
    const objects: PackageObject[] = []
    const producers = new Set<string>()
    const groups = new Set<string>()
    for (let i = 0; i < ids.length; i += CHUNK) {
      const slice = ids.slice(i, i + CHUNK)
      const rows = await trx
        .selectFrom('archive_unit')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', 'in', slice)
        .execute()
      const parents = await trx
        .selectFrom('unit_parent')
        .select(['unit_id', 'parent_id'])
        .where('tenant_id', '=', tenantId)
        .where('unit_id', 'in', slice)
        .orderBy('parent_id')
        .execute()
      const rules = await trx
        .selectFrom('unit_rule')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('unit_id', 'in', slice)
        .execute()
      for (const r of rows) {
        if (r.originating_agency) producers.add(r.originating_agency)
        if (r.object_group_id) groups.add(r.object_group_id)
        units.push({
          key: r.id,
          content: r.content === null ? null : fromJson<XmlElement | null>(r.content),
          title: r.title,
          rules: rules
            .filter((x) => x.unit_id === r.id)
            .map(
              (x): PackageRule => ({
                category: x.category,
                ruleId: x.rule_id,
                startDate: x.start_date,
                finalAction: x.final_action,
                data: {
                  ...((x.data === null ? {} : fromJson<Record<string, unknown>>(x.data)) ?? {}),
                  ...(x.category === 'HoldRule' && x.end_date ? { holdEndDate: x.end_date } : {}),
                },
              }),
            ),
          parentKeys: parents
            .filter((p) => p.unit_id === r.id && set.has(p.parent_id))
            .map((p) => p.parent_id),
          groupKey: r.object_group_id,
        })
      }
    }
    units.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    const gl = [...groups].sort()
    for (let i = 0; i < gl.length; i += CHUNK) {
      for (const o of await trx
        .selectFrom('data_object')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('group_id', 'in', gl.slice(i, i + CHUNK))
        .orderBy('id')
        .execute()) {
        const meta = fromJson<{ elements?: XmlElement[] } | null>(o.metadata) ?? {}
        objects.push({
          key: o.id,
          groupKey: o.group_id,
          kind: o.kind,
          usage: o.usage,
          size: o.size === null ? null : Number(o.size),
          sha512: o.sha512,
          filename: o.filename,
          formatPuid: o.format_puid,
          formatName: o.format_name,
          mimeType: o.mime_type,
          physicalId: o.physical_id,
          elements: meta.elements ?? [],
        })
      }
    }
    return { units, objects, producers: [...producers].sort() }
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
