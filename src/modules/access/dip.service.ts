import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import yauzl from 'yauzl'
import yazl from 'yazl'
import { AppError } from '../../platform/errors.js'
import type { Clock } from '../../platform/clock.js'
import type { IdSource } from '../../platform/ids.js'
import { fromJson, toJson, type Db, type Executor } from '../../platform/db/create-db.js'
import type { DipTable } from '../../platform/db/schema.js'
import type { JobQueue } from '../../platform/queue/job-queue.js'
import type { AuditService } from '../audit/index.js'
import type { Principal } from '../tenancy/index.js'
import type { BlobRepository, StorageStrategy } from '../storage/index.js'
import { blobKeyFor } from '../ingest/index.js'
import {
  SEDA_NAMESPACES,
  SUPPORTED_SEDA_VERSIONS,
  validateSedaMessage,
  type SedaVersion,
} from '../seda/index.js'
import {
  dataObjectPackageXml,
  layoutOf,
  loadPackage,
  resolveSelection,
  writeZip,
  type PackageObject,
  type Selection,
  type UnitLister,
} from '../lifecycle/index.js'
import { usageBase, type AccessContext, type AccessService } from './access.service.js'

export const DIP_QUEUE = 'dip.export'
export const DIP_USAGES = ['BinaryMaster', 'Dissemination', 'Thumbnail', 'TextContent', 'PhysicalMaster']

export interface DipRequest {
  readonly tenantId: string
  readonly selection: Selection
  readonly sedaVersion?: SedaVersion
  /** Object usages to include (default: every usage the contract opens). */
  readonly usages?: readonly string[]
  readonly accessContract?: string | null
  readonly comment?: string | null
}

export type DipState = 'pending' | 'running' | 'ready' | 'failed'

export interface DipView {
  readonly operationId: string
  readonly tenant: string
  readonly state: DipState
  readonly sedaVersion: SedaVersion
  readonly contract: string
  readonly usages: readonly string[]
  readonly units: number
  readonly progress: { readonly objectsDone: number; readonly objectsTotal: number }
  readonly bytes: number
  readonly package: { size: number; sha512: string; href: string } | null
  readonly error: unknown
  readonly createdAt: string
  readonly updatedAt: string
}

export const DipErrors = {
  notFound: (id: string) =>
    new AppError('DIP_NOT_FOUND', 'not_found', `Export (DIP) inconnu : ${id}`, { operationId: id }),
  invalid: (message: string, details: Record<string, unknown> = {}) =>
    new AppError('DIP_INVALID', 'invalid', message, details),
  tooLarge: (bytes: number, max: number) =>
    new AppError(
      'DIP_TOO_LARGE',
      'invalid',
      `La sélection représente ${bytes} octets de fichiers, au-delà de la limite de ${max} octets fixée pour un export (SAEH_DIP_MAX_BYTES) : réduisez la sélection ou choisissez moins d'usages`,
      { bytes, maxBytes: max },
    ),
  notReady: (id: string, state: string) =>
    new AppError(
      'DIP_NOT_READY',
      'conflict',
      `L'export ${id} est à l'état « ${state} » : le paquet n'est pas disponible`,
      { operationId: id, state },
    ),
  notCommunicable: (ids: readonly string[]) =>
    new AppError(
      'DIP_NOT_COMMUNICABLE',
      'forbidden',
      `Sélection refusée : unité(s) non communicable(s) pour vous (${ids.slice(0, 10).join(', ')}${ids.length > 10 ? '…' : ''}) : demandez une dérogation (POST /api/v1/requests)`,
      { unitIds: ids.slice(0, 100), count: ids.length },
    ),
  packageInvalid: (version: string, errors: readonly { message: string }[]) =>
    new AppError(
      'DIP_PACKAGE_INVALID',
      'internal',
      `Le bordereau de communication produit n'est pas valide selon le schéma SEDA ${version} : ${errors[0]?.message ?? ''}`,
      { sedaVersion: version, errors: errors.slice(0, 20) },
    ),
}

interface Stored {
  selection: Selection
  unitIds: string[]
  usages: string[]
  contract: string
  requester: string
  comment: string | null
}

const CODE_LISTS = [
  'ReplyCodeListVersion',
  'MessageDigestAlgorithmCodeListVersion',
  'MimeTypeCodeListVersion',
  'EncodingCodeListVersion',
  'FileFormatCodeListVersion',
  'CompressionAlgorithmCodeListVersion',
  'DataObjectVersionCodeListVersion',
  'StorageRuleCodeListVersion',
  'AppraisalRuleCodeListVersion',
  'AccessRuleCodeListVersion',
  'DisseminationRuleCodeListVersion',
  'ReuseRuleCodeListVersion',
  'ClassificationRuleCodeListVersion',
  'AuthorizationReasonCodeListVersion',
  'RelationshipCodeListVersion',
]

/** The `ArchiveDeliveryRequestReply` manifest around a DataObjectPackage (element order of the XSDs). */
export function deliveryReplyXml(
  version: SedaVersion,
  h: {
    comment: string
    date: string
    messageIdentifier: string
    requestIdentifier: string
    archivalAgency: string
    requester: string
    unitIdentifiers: readonly string[]
  },
  packageXml: string,
): string {
  const t = (n: string, v: string) => `<${n}>${esc(v)}</${n}>`
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<ArchiveDeliveryRequestReply xmlns="${SEDA_NAMESPACES[version]}" ` +
    `xmlns:xlink="http://www.w3.org/1999/xlink">` +
    t('Comment', h.comment) +
    t('Date', h.date) +
    t('MessageIdentifier', h.messageIdentifier) +
    `<CodeListVersions>${CODE_LISTS.map((c) => `<${c}>${c}0</${c}>`).join('')}</CodeListVersions>` +
    packageXml +
    t('ReplyCode', '000') +
    t('MessageRequestIdentifier', h.requestIdentifier) +
    h.unitIdentifiers.map((u) => t('UnitIdentifier', u)).join('') +
    `<ArchivalAgency>${t('Identifier', h.archivalAgency)}</ArchivalAgency>` +
    `<Requester>${t('Identifier', h.requester)}</Requester>` +
    '</ArchiveDeliveryRequestReply>\n'
  )
}

/**
 * SAEH's ingest takes `ArchiveTransfer` manifests only: this turns a DIP's manifest into one (same
 * DataObjectPackage; the Requester becomes the TransferringAgency). Works on the manifests we write.
 */
export function transferManifestOfDip(xml: string): string {
  const end = xml.indexOf('</DataObjectPackage>')
  if (!xml.includes('<ArchiveDeliveryRequestReply ') || end < 0)
    throw DipErrors.invalid("Ce fichier n'est pas un bordereau de communication produit par SAEH")
  const agency = /<ArchivalAgency><Identifier>([^<]*)<\/Identifier>/.exec(xml)?.[1] ?? 'SAEH'
  const requester = /<Requester><Identifier>([^<]*)<\/Identifier>/.exec(xml)?.[1] ?? agency
  return (
    xml
      .slice(0, end + '</DataObjectPackage>'.length)
      .replace('<ArchiveDeliveryRequestReply ', '<ArchiveTransfer ') +
    `<ArchivalAgency><Identifier>${agency}</Identifier></ArchivalAgency>` +
    `<TransferringAgency><Identifier>${requester}</Identifier></TransferringAgency></ArchiveTransfer>\n`
  )
}

/** Copies a DIP zip into a SIP zip (manifest converted, binaries copied as they are). */
export async function dipToSip(dipPath: string, sipPath: string): Promise<void> {
  const zip = await new Promise<yauzl.ZipFile>((res, rej) =>
    yauzl.open(dipPath, { lazyEntries: true, autoClose: true }, (e, z) => (e ? rej(e) : res(z))),
  )
  const out = new yazl.ZipFile()
  const written = pipeline(out.outputStream, createWriteStream(sipPath))
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject)
    zip.on('end', () => resolve())
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (err, stream) => {
        if (err) return reject(err)
        if (entry.fileName === 'manifest.xml') {
          const chunks: Buffer[] = []
          stream.on('data', (c: Buffer) => chunks.push(c))
          stream.on('error', reject)
          stream.on('end', () => {
            try {
              out.addBuffer(
                Buffer.from(transferManifestOfDip(Buffer.concat(chunks).toString('utf8')), 'utf8'),
                'manifest.xml',
              )
              zip.readEntry()
            } catch (e) {
              reject(e as Error)
            }
          })
        } else {
          const bufs: Buffer[] = []
          stream.on('data', (c: Buffer) => bufs.push(c))
          stream.on('error', reject)
          stream.on('end', () => {
            out.addBuffer(Buffer.concat(bufs), entry.fileName)
            zip.readEntry()
          })
        }
      })
    })
    zip.readEntry()
  })
  out.end()
  await written
}

export interface DipDeps {
  readonly db: Db
  readonly audit: AuditService
  readonly clock: Clock
  readonly ids: IdSource
  readonly queue: JobQueue
  readonly storage: StorageStrategy
  readonly blobs: BlobRepository
  readonly catalog: UnitLister
  readonly access: AccessService
  readonly stagingRoot: string
  readonly maxBytes: number
}

/* eslint-disable no-control-regex */
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g
/* eslint-enable no-control-regex */
const esc = (s: string): string =>
  s.replace(NOT_XML_CHAR, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

const dipKey = (tenantId: string, opId: string) => `${tenantId}/${opId}/dip.zip`

/** DIP exports (docs/access.md): a selection → an ArchiveDeliveryRequestReply zip, built by a job. */
export class DipService {
  constructor(private readonly deps: DipDeps) {}

  private now(): string {
    return this.deps.clock.now().toISOString()
  }

  /** Checks the selection under the caller's contract and communicability, then enqueues the export. */
  async create(principal: Principal, req: DipRequest): Promise<DipView> {
    const version = req.sedaVersion ?? '2.2'
    if (!SUPPORTED_SEDA_VERSIONS.includes(version))
      throw DipErrors.invalid(`Version SEDA non prise en charge : ${String(version)} (2.1, 2.2 ou 2.3)`)
    const ctx = await this.deps.access.context(principal, req.tenantId, req.accessContract ?? null)
    const usages =
      req.usages ?? DIP_USAGES.filter((u) => ctx.contract.everyUsage || ctx.contract.usages.includes(u))
    if (!Array.isArray(usages) || usages.length === 0 || usages.some((u) => typeof u !== 'string'))
      throw DipErrors.invalid('Usages invalides : une liste non vide (BinaryMaster, Dissemination, …)')
    for (const u of usages) {
      if (!DIP_USAGES.includes(u))
        throw DipErrors.invalid(`Usage inconnu : ${u} (${DIP_USAGES.join(', ')})`, { usage: u })
      this.deps.access.checkUsage(ctx, u)
    }
    const k = this.deps.db.kysely
    const tenantId = req.tenantId
    const unitIds = await resolveSelection(k, this.deps.catalog, tenantId, req.selection, false)
    const inScope = await this.deps.access.inScope(ctx, unitIds)
    const outside = unitIds.filter((i) => !inScope.has(i))
    if (outside.length > 0) {
      // Ids outside the contract answer exactly like unknown ones.
      throw new AppError(
        'UNIT_NOT_FOUND',
        'not_found',
        `Unité(s) d'archives inconnue(s) : ${outside.slice(0, 10).join(', ')}${outside.length > 10 ? '…' : ''}`,
        { unitIds: outside.slice(0, 100), count: outside.length },
      )
    }
    if (!ctx.exempt) {
      const acc = await this.deps.access.unitAccess(ctx, unitIds)
      const closed = unitIds.filter((i) => !acc.get(i)!.communicable)
      if (closed.length > 0) throw DipErrors.notCommunicable(closed)
    }
    const { objects } = await loadPackage(k, tenantId, unitIds)
    const chosen = objects.filter((o) => usages.includes(usageBase(o.usage)))
    const bytes = chosen.reduce((s, o) => s + (o.kind === 'binary' ? (o.size ?? 0) : 0), 0)
    if (bytes > this.deps.maxBytes) throw DipErrors.tooLarge(bytes, this.deps.maxBytes)
    const stored: Stored = {
      selection: req.selection,
      unitIds,
      usages: [...usages],
      contract: ctx.contract.identifier,
      requester: principal.name,
      comment: req.comment ?? null,
    }
    const now = this.now()
    const opId = await k.transaction().execute(async (trx) => {
      const op = await this.deps.audit.startOperation(trx, {
        tenantId,
        type: 'DIP_EXPORT',
        agent: principal.id,
        status: 'PENDING',
      })
      await trx
        .insertInto('dip')
        .values({
          operation_id: op.id,
          tenant_id: tenantId,
          state: 'pending',
          seda_version: version,
          request: toJson(stored),
          units: unitIds.length,
          objects_total: chosen.filter((o) => o.kind === 'binary').length,
          objects_done: 0,
          bytes,
          package_size: null,
          package_sha512: null,
          error: null,
          agent: principal.id,
          created_at: now,
          updated_at: now,
        })
        .execute()
      await this.deps.audit.record(trx, {
        operationId: op.id,
        tenantId,
        type: 'DIP_REQUEST',
        outcome: 'OK',
        detail: 'DIP_REQUEST.OK',
        agent: principal.id,
        message: `Export demandé : ${unitIds.length} unité(s), usages ${usages.join(', ')}, SEDA ${version}, contrat ${ctx.contract.identifier}`,
        data: {
          units: unitIds.length,
          usages,
          bytes,
          sedaVersion: version,
          contract: ctx.contract.identifier,
        },
      })
      await this.deps.queue.enqueue(trx, DIP_QUEUE, { tenantId, operationId: op.id })
      return op.id
    })
    return this.view(await this.row(tenantId, opId))
  }

  /** The job: builds the manifest, checks it against the XSD, writes and stores the zip. */
  async process(
    payload: { tenantId: string; operationId: string },
    commit?: <T>(fn: (trx: Executor) => Promise<T>) => Promise<T>,
  ): Promise<void> {
    const { tenantId, operationId: opId } = payload
    const d = await this.row(tenantId, opId)
    if (d.state === 'ready' || d.state === 'failed') return
    const k = this.deps.db.kysely
    await k
      .updateTable('dip')
      .set({ state: 'running', objects_done: 0, updated_at: this.now() })
      .where('operation_id', '=', opId)
      .execute()
    const s = fromJson<Stored>(d.request)
    const version = d.seda_version as SedaVersion
    const dir = join(this.deps.stagingRoot, 'dips')
    await mkdir(dir, { recursive: true })
    const path = join(dir, `${opId}.zip`)
    const finish = commit ?? (<T>(fn: (trx: Executor) => Promise<T>) => k.transaction().execute(fn))
    try {
      const { units, objects, producers } = await loadPackage(k, tenantId, s.unitIds)
      const chosen = objects.filter((o) => s.usages.includes(usageBase(o.usage)))
      const layout = layoutOf(units, chosen)
      // ManagementMetadata carries one producer: the selection's (the first when it mixes several).
      const producer = producers[0] ?? null
      const pkg = dataObjectPackageXml(
        version,
        { originatingAgency: producer, submissionAgency: producer },
        units,
        chosen,
        layout,
      )
      const xml = deliveryReplyXml(
        version,
        {
          comment: s.comment ?? `Communication d'archives du service ${tenantId}`,
          date: this.now().replace(/\.\d{3}Z$/, ''),
          messageIdentifier: `SAEH-DIP-${opId}`,
          requestIdentifier: opId,
          archivalAgency: tenantId,
          requester: s.requester,
          unitIdentifiers: s.unitIds,
        },
        pkg.xml,
      )
      const validation = await validateSedaMessage(Buffer.from(xml, 'utf8'), version)
      if (!validation.valid) throw DipErrors.packageInvalid(version, validation.errors)
      let done = 0
      await writeZip(path, xml, chosen, layout, async (o) => {
        const body = await this.openObject(tenantId, o)
        body.once('end', () => {
          done++
          void k
            .updateTable('dip')
            .set({ objects_done: done, updated_at: this.now() })
            .where('operation_id', '=', opId)
            .execute()
            .catch(() => undefined)
        })
        return body
      })
      // The storage hashes the package as it writes it to every offer: that digest is the DIP's.
      const stored = await this.deps.storage.put(dipKey(tenantId, opId), createReadStream(path))
      const zip = { size: stored.size, sha512: stored.sha512 }
      await finish(async (trx) => {
        await this.deps.blobs.record(
          trx,
          tenantId,
          { id: `dip-${opId}`, size: zip.size, sha512: zip.sha512 },
          this.deps.storage.offers.map((o) => o.id),
        )
        await trx
          .updateTable('dip')
          .set({
            state: 'ready',
            objects_done: chosen.filter((o) => o.kind === 'binary').length,
            package_size: zip.size,
            package_sha512: zip.sha512,
            updated_at: this.now(),
          })
          .where('operation_id', '=', opId)
          .execute()
        const warn = pkg.dropped.length > 0
        await this.deps.audit.record(trx, {
          operationId: opId,
          tenantId,
          type: 'DIP_EXPORT',
          outcome: warn ? 'WARNING' : 'OK',
          detail: `DIP_EXPORT.${warn ? 'WARNING' : 'OK'}`,
          agent: d.agent,
          message:
            `DIP SEDA ${version} prêt : ${units.length} unité(s), ${chosen.length} objet(s), ${zip.size} octets` +
            (warn ? ` ; règles de gel non exprimables en SEDA 2.1 omises : ${pkg.dropped.join(', ')}` : ''),
          data: {
            size: zip.size,
            sha512: zip.sha512,
            storedOn: stored.createdOn,
            unitIds: s.unitIds.slice(0, 1000),
            objectIds: chosen.map((o) => o.key).slice(0, 1000),
            contract: s.contract,
          },
        })
        await this.deps.audit.updateOperation(trx, opId, {
          status: warn ? 'WARNING' : 'OK',
          summary: { state: 'ready', size: zip.size },
        })
      })
    } catch (err) {
      const e =
        err instanceof AppError
          ? { code: err.code, message: err.message }
          : { code: 'DIP_FAILED', message: (err as Error).message }
      await finish(async (trx) => {
        await trx
          .updateTable('dip')
          .set({ state: 'failed', error: toJson(e), updated_at: this.now() })
          .where('operation_id', '=', opId)
          .execute()
        await this.deps.audit.record(trx, {
          operationId: opId,
          tenantId,
          type: 'DIP_EXPORT',
          outcome: 'KO',
          detail: 'DIP_EXPORT.KO',
          agent: d.agent,
          message: `Export en échec : ${e.message}`,
          data: e,
        })
        await this.deps.audit.updateOperation(trx, opId, { status: 'KO', summary: { state: 'failed' } })
      })
    } finally {
      await rm(path, { force: true })
    }
  }

  private async openObject(tenantId: string, o: PackageObject): Promise<Readable> {
    const row = await this.deps.db.kysely
      .selectFrom('data_object')
      .select(['operation_id', 'id'])
      .where('tenant_id', '=', tenantId)
      .where('id', '=', o.key)
      .executeTakeFirstOrThrow()
    const opened = await this.deps.storage.open(blobKeyFor(tenantId, row.operation_id, row.id), {
      sha512: o.sha512!,
      ...(o.size !== null ? { size: o.size } : {}),
    })
    return opened.body
  }

  private async row(tenantId: string, opId: string): Promise<DipTable> {
    const r = await this.deps.db.kysely
      .selectFrom('dip')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('operation_id', '=', opId)
      .executeTakeFirst()
    if (!r) throw DipErrors.notFound(opId)
    return r
  }

  /** Those who manage the tenant see every export; others only their own. */
  private async visible(principal: Principal, tenantId: string, opId: string, ctx: AccessContext) {
    const r = await this.row(tenantId, opId)
    if (!ctx.manage && r.agent !== principal.id) throw DipErrors.notFound(opId)
    return r
  }

  async show(principal: Principal, tenantId: string, opId: string): Promise<DipView> {
    const ctx = await this.deps.access.context(principal, tenantId)
    return this.view(await this.visible(principal, tenantId, opId, ctx))
  }

  async list(principal: Principal, tenantId: string): Promise<DipView[]> {
    const ctx = await this.deps.access.context(principal, tenantId)
    let q = this.deps.db.kysely.selectFrom('dip').selectAll().where('tenant_id', '=', tenantId)
    if (!ctx.manage) q = q.where('agent', '=', principal.id)
    return (await q.orderBy('created_at').orderBy('operation_id').execute()).map((r) => this.view(r))
  }

  /** The package's bytes (digest checked while read); the download is logged. */
  async open(
    principal: Principal,
    tenantId: string,
    opId: string,
  ): Promise<{ body: Readable; size: number; sha512: string }> {
    const ctx = await this.deps.access.context(principal, tenantId)
    const r = await this.visible(principal, tenantId, opId, ctx)
    if (r.state !== 'ready') throw DipErrors.notReady(opId, r.state)
    const opened = await this.deps.storage.open(dipKey(tenantId, opId), {
      sha512: r.package_sha512!,
      size: Number(r.package_size),
    })
    this.deps.access.record(ctx, 'DIP_DOWNLOAD', opId, {
      size: Number(r.package_size),
      units: r.units,
    })
    return { body: opened.body, size: Number(r.package_size), sha512: r.package_sha512! }
  }

  private view(r: DipTable): DipView {
    const s = fromJson<Stored>(r.request)
    return {
      operationId: r.operation_id,
      tenant: r.tenant_id,
      state: r.state as DipState,
      sedaVersion: r.seda_version as SedaVersion,
      contract: s.contract,
      usages: s.usages,
      units: r.units,
      progress: { objectsDone: r.objects_done, objectsTotal: r.objects_total },
      bytes: Number(r.bytes),
      package:
        r.state === 'ready' && r.package_sha512
          ? {
              size: Number(r.package_size),
              sha512: r.package_sha512,
              href: `/api/v1/dips/${r.operation_id}/content`,
            }
          : null,
      error: r.error === null ? null : fromJson(r.error),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }
  }
}
