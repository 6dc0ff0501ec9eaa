import { createHash, type Hash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { Clock } from '../../platform/clock.js'
import type { IdSource } from '../../platform/ids.js'
import type { Logger } from '../../platform/log.js'
import { AppError, toAppError } from '../../platform/errors.js'
import { toJson, type Db, type Executor } from '../../platform/db/create-db.js'
import type { Insertable } from 'kysely'
import type {
  ArchiveUnitTable,
  DataObjectTable,
  UnitParentTable,
  UnitRuleTable,
} from '../../platform/db/schema.js'
import type { JobQueue } from '../../platform/queue/job-queue.js'
import { worstOutcome, type AuditService, type NewEvent } from '../audit/index.js'
import type { ReferentialService, RuleEntry as RefRule, JsonEntry } from '../referential/index.js'
import type { BlobRepository, StorageBatch, StorageStrategy } from '../storage/index.js'
import { FormatWindowCollector, type FormatIdentifier } from '../formats/index.js'
import {
  checkXmlSafety,
  detectSedaVersion,
  readManifest,
  validateManifest,
  writeAtr,
  replyCodeFor,
  type ArchiveUnitData,
  type DataObject,
  type AtrObject,
  type AtrUnit,
  type SedaManifest,
  type SedaVersion,
} from '../seda/index.js'
import { openPackage, type PackageReader, type ContainerLimits } from './container/index.js'
import { checkUnitSchema, DIGEST_ALGORITHMS, planPackage, type PackagePlan } from './package-checks.js'
import { computeRules, type ComputedRule } from './rules-compute.js'
import type { ProfileSchemas } from './profiles.js'
import type { IngestEvent, IngestRequest, IngestResult, IngestStatus } from './ingest.types.js'

export const INGEST_QUEUE = 'ingest.process'

export interface IngestDeps {
  readonly db: Db
  readonly audit: AuditService
  readonly clock: Clock
  readonly ids: IdSource
  readonly log: Logger
  readonly queue: JobQueue
  readonly referential: ReferentialService
  readonly storage: StorageStrategy
  readonly blobs: BlobRepository
  readonly formats: () => Promise<FormatIdentifier>
  /** Where packages are unpacked while they are checked (removed after each ingest). */
  readonly stagingRoot: string
  readonly containerLimits?: Partial<ContainerLimits>
  /** Objects stored in parallel. */
  readonly storeConcurrency?: number
  /** Archive profiles' schemas (RNG/XSD) that declared profiles are checked against. */
  readonly profiles?: ProfileSchemas
  /** Materialises the new units' effective rules in the transaction that creates them. */
  readonly rules: { recompute(trx: Executor, tenantId: string, unitIds: readonly string[]): Promise<unknown> }
  /** Physical archives: puts the new PhysicalDataObjects into boxes, in the same transaction. */
  readonly physical?: {
    onIngestCommitted(trx: Executor, tenantId: string, operationId: string, agent: string): Promise<void>
  }
  /** Indexes the new units for search in the transaction that creates them. */
  readonly search?: {
    indexUnits(trx: Executor, tenantId: string, unitIds: readonly string[]): Promise<unknown>
  }
  /** Crash tests only: called at named points of the pipeline (a test kills the process there). */
  readonly faultPoint?: (
    point: 'after-sanity' | 'mid-storage' | 'after-storage-commit' | 'after-db-commit',
  ) => void
}

/** A blocking KO: the pipeline stops, stores nothing, and answers with its ATR. */
class Refused extends Error {}

interface Ctx {
  readonly op: string
  readonly req: IngestRequest
  readonly events: IngestEvent[]
  readonly staging: string
  reader?: PackageReader
  manifestPath?: string
  version?: SedaVersion
  manifest?: SedaManifest
  contract?: JsonEntry
  plan?: PackagePlan
  rules?: Map<string, RefRule>
  unitRules: Map<string, ComputedRule[]>
  unitDates: Map<string, Record<string, string>>
  stored: Map<
    string,
    { size: number; sha512: string; puid: string | null; formatName: string | null; mime: string | null }
  >
  manifestBlob?: { key: string; size: number; sha512: string }
  batch?: StorageBatch
  bytes: number
  /** System id of each object (SEDA id → id), given before storage: the storage key is built from it. */
  objSys: Map<string, string>
  /** Each unit's Content and Management as JSON text, once checked. */
  unitJson: Map<string, { content: string; management: string | null }>
  /** CHECK_UNIT_SCHEMA results, computed while the manifest streams. */
  unitSchema: Map<string, ReturnType<typeof checkUnitSchema>>
  /** Each object's technical metadata as JSON text. */
  objJson: Map<string, string>
  /** The contract's LinkParentId: the existing unit the package's root units are attached under. */
  linkParent?: string
}

/** Logs each phase's duration and the heap (debug level; the ingest bench reads them). */
function phaseTimer(log: Logger, op: string): (phase: string) => void {
  let last = process.hrtime.bigint()
  return (phase) => {
    const now = process.hrtime.bigint()
    log.debug(
      {
        operationId: op,
        phase,
        ms: Number(now - last) / 1e6,
        heapMB: Math.round(process.memoryUsage().heapUsed / 1048576),
        rssMB: Math.round(process.memoryUsage().rss / 1048576),
      },
      'ingest phase',
    )
    last = now
  }
}

export function blobKeyFor(tenantId: string, operationId: string, name: string): string {
  return `${tenantId}/${operationId}/${name}`
}

export class IngestService {
  constructor(private readonly deps: IngestDeps) {}

  private now(): string {
    return this.deps.clock.now().toISOString()
  }

  // ── entry points ──────────────────────────────────────────────────────────────────────────────

  /** Synchronous ingest (the CLI): creates the operation, runs the pipeline, returns the result. */
  async ingestFile(req: IngestRequest): Promise<IngestResult> {
    const op = await this.createOperation(req, 'RUNNING')
    await this.run(op, req)
    return this.result(req.tenantId, op)
  }

  /**
   * Asynchronous ingest (the API): the package is already on local disk; the operation, the ingest
   * record and the job are created in one transaction. Returns the operation id.
   */
  async submit(req: IngestRequest, operationId?: string): Promise<string> {
    return this.createOperation(req, 'PENDING', operationId, true)
  }

  /** The job handler's work: runs a submitted ingest, then removes its uploaded package. */
  async process(payload: { operationId: string; tenantId: string }): Promise<void> {
    const row = await this.deps.db.kysely
      .selectFrom('ingest')
      .innerJoin('operation', 'operation.id', 'ingest.operation_id')
      .select([
        'ingest.status',
        'ingest.file_name',
        'ingest.contract_id',
        'operation.agent',
        'operation.summary',
      ])
      .where('ingest.operation_id', '=', payload.operationId)
      .where('ingest.tenant_id', '=', payload.tenantId)
      .executeTakeFirst()
    if (!row || (row.status !== 'PENDING' && row.status !== 'RUNNING')) return
    // A RUNNING ingest here was interrupted (its worker died): remove what it may have stored, run again.
    if (row.status === 'RUNNING') await this.removeStored(payload.tenantId, payload.operationId)
    const packagePath = this.uploadPath(payload.operationId)
    await this.deps.db.kysely
      .updateTable('ingest')
      .set({ status: 'RUNNING' })
      .where('operation_id', '=', payload.operationId)
      .execute()
    await this.deps.audit.updateOperation(this.deps.db.kysely, payload.operationId, { status: 'RUNNING' })
    try {
      await this.run(payload.operationId, {
        tenantId: payload.tenantId,
        packagePath,
        fileName: row.file_name ?? 'paquet',
        contractId: row.contract_id,
        agent: row.agent ?? 'system',
      })
    } finally {
      await rm(packagePath, { force: true })
    }
  }

  /** Where an uploaded package waits for its job. */
  uploadPath(operationId: string): string {
    return join(this.deps.stagingRoot, 'uploads', `${operationId}.sip`)
  }

  private async createOperation(
    req: IngestRequest,
    status: 'PENDING' | 'RUNNING',
    id?: string,
    enqueue = false,
  ): Promise<string> {
    return this.deps.db.kysely.transaction().execute(async (trx) => {
      const op = await this.deps.audit.startOperation(trx, {
        tenantId: req.tenantId,
        type: 'INGEST',
        agent: req.agent,
        status,
        ...(id ? { id } : {}),
      })
      await trx
        .insertInto('ingest')
        .values({
          operation_id: op.id,
          tenant_id: req.tenantId,
          status,
          file_name: req.fileName,
          contract_id: req.contractId ?? null,
          seda_version: null,
          message_identifier: null,
          units: 0,
          objects: 0,
          physical_objects: 0,
          bytes: 0,
          reply_code: null,
          atr: null,
          manifest_blob_id: null,
          created_at: op.createdAt,
          finished_at: null,
        })
        .execute()
      if (enqueue) {
        await this.deps.queue.enqueue(
          trx,
          INGEST_QUEUE,
          { operationId: op.id, tenantId: req.tenantId },
          { maxAttempts: 1 },
        )
      }
      return op.id
    })
  }

  // ── the pipeline ──────────────────────────────────────────────────────────────────────────────

  private async run(op: string, req: IngestRequest): Promise<void> {
    const ctx: Ctx = {
      op,
      req,
      events: [],
      staging: join(this.deps.stagingRoot, op),
      unitRules: new Map(),
      unitDates: new Map(),
      stored: new Map(),
      bytes: 0,
      objSys: new Map(),
      unitJson: new Map(),
      unitSchema: new Map(),
      objJson: new Map(),
    }
    let fatal: AppError | null = null
    try {
      await mkdir(ctx.staging, { recursive: true })
      const t = phaseTimer(this.deps.log, op)
      await this.sanity(ctx)
      t('sanity')
      this.deps.faultPoint?.('after-sanity')
      await this.controlSip(ctx)
      t('control')
      await this.checkUnits(ctx)
      t('units')
      await this.storeObjects(ctx)
      t('store')
      await this.commitAccepted(ctx)
      t('commit')
      this.deps.faultPoint?.('after-db-commit')
      return
    } catch (err) {
      if (!(err instanceof Refused)) {
        fatal = toAppError(err)
        this.deps.log.error({ err, operationId: op }, 'ingest failed (FATAL)')
        ctx.events.push({
          type: 'PROCESS_SIP_UNITARY',
          outcome: 'FATAL',
          detail: 'PROCESS_SIP_UNITARY.FATAL',
          message: `Erreur technique pendant l'entrée : ${fatal.kind === 'internal' ? 'erreur interne (voir le journal du serveur)' : fatal.message}`,
        })
      }
    } finally {
      await ctx.reader?.close().catch(() => undefined)
      await rm(ctx.staging, { recursive: true, force: true }).catch(() => undefined)
    }
    await ctx.batch
      ?.abort()
      .catch((err: unknown) => this.deps.log.error({ err }, 'could not abort the storage batch'))
    if (ctx.manifestBlob)
      await this.deps.storage.delete(ctx.manifestBlob.key, 'ingest refused').catch(() => undefined)
    await this.commitRefused(ctx)
  }

  /** Refuses with one KO event. */
  private refuseWith(ctx: Ctx, type: string, detail: string, message: string): never {
    this.refuse(ctx, [{ type, outcome: 'KO', detail, message }])
  }

  private refuse(ctx: Ctx, events: IngestEvent[]): never {
    ctx.events.push(...events)
    throw new Refused()
  }

  /** STP_SANITY_CHECK_SIP: a readable, safe container with one manifest. */
  private async sanity(ctx: Ctx): Promise<void> {
    try {
      ctx.reader = await openPackage(ctx.req.packagePath, this.deps.containerLimits, {
        stagingDir: ctx.staging,
        displayName: ctx.req.fileName,
      })
    } catch (err) {
      const e = toAppError(err)
      if (e.kind === 'internal' || e.kind === 'unavailable') throw e
      const type =
        e.code === 'CONTAINER_NO_MANIFEST'
          ? 'MANIFEST_FILE_NAME_CHECK'
          : e.code === 'CONTAINER_MANY_MANIFESTS'
            ? 'CHECK_SEDA'
            : 'CHECK_CONTAINER'
      const detail =
        e.code === 'CONTAINER_MANY_MANIFESTS' ? 'CHECK_SEDA.CONTAINER_FORMAT.FILE.KO' : `${type}.${e.code}.KO`
      this.refuse(ctx, [
        { type, outcome: 'KO', detail, message: e.message, data: { code: e.code, ...(e.details ?? {}) } },
      ])
    }
    const reader = ctx.reader
    // A SIP holds its manifest and one content folder at its root.
    const tops = new Set(
      reader.entries.filter((e) => e.name !== reader.manifestName).map((e) => e.name.split('/')[0]!),
    )
    const rootFiles = reader.entries.filter(
      (e) => !e.isDirectory && !e.name.includes('/') && e.name !== reader.manifestName,
    )
    if (rootFiles.length > 0 || tops.size > 1) {
      this.refuse(ctx, [
        {
          type: 'CHECK_SEDA',
          outcome: 'KO',
          detail:
            rootFiles.length > 0
              ? 'CHECK_SEDA.CONTAINER_FORMAT.FILE.KO'
              : 'CHECK_SEDA.CONTAINER_FORMAT.DIRECTORY.KO',
          message:
            rootFiles.length > 0
              ? `Fichier(s) inattendu(s) à la racine du paquet : ${rootFiles
                  .slice(0, 5)
                  .map((f) => f.name)
                  .join(', ')}`
              : `Plusieurs dossiers à la racine du paquet (${[...tops].slice(0, 5).join(', ')}) : un seul dossier de contenu est attendu`,
        },
      ])
    }
    // Vitam refuses '+' in entry names (STP_UPLOAD_SIP); so do we, so that packages move between both.
    const plus = reader.entries.find((e) => e.name.includes('+'))
    if (plus) {
      this.refuseWith(
        ctx,
        'CHECK_CONTAINER',
        'CHECK_CONTAINER.CONTAINER_UNSAFE_ENTRY.KO',
        `Le paquet « ${ctx.req.fileName} » contient un nom de fichier avec « + », refusé : « ${plus.name} »`,
      )
    }
    ctx.events.push({
      type: 'CHECK_CONTAINER',
      outcome: 'OK',
      detail: 'CHECK_CONTAINER.OK',
      message: `Paquet ${reader.kind} lisible : ${reader.entries.length} entrées, bordereau ${reader.manifestName}`,
    })
    ctx.manifestPath = join(ctx.staging, 'manifest.xml')
    await pipeline(reader.openEntry(reader.manifestName), createWriteStream(ctx.manifestPath))
  }

  /** STP_INGEST_CONTROL_SIP: XML safety, SEDA version, schema, header, data object package. */
  private async controlSip(ctx: Ctx): Promise<void> {
    const path = ctx.manifestPath!
    const safe = await checkXmlSafety(path)
    if (!safe.ok) {
      this.refuse(ctx, [
        {
          type: 'CHECK_SEDA',
          outcome: 'KO',
          detail: 'CHECK_SEDA.NOT_XML_FILE.KO',
          message: `Bordereau refusé : ${safe.issue.message}`,
          data: { code: safe.issue.code, line: safe.issue.line ?? null, column: safe.issue.column ?? null },
        },
      ])
    }
    const v = await detectSedaVersion(path)
    if (!v.ok) this.refuseWith(ctx, 'CHECK_SEDA', v.detail, v.message)
    ctx.version = v.version
    const valid = await validateManifest(path, v.version)
    if (!valid.valid) {
      const first = valid.errors.slice(0, 3)
      this.refuse(ctx, [
        {
          type: 'CHECK_SEDA',
          outcome: 'KO',
          detail: valid.detail,
          message: `Bordereau non conforme au SEDA ${v.version} : ${first.map((e) => `${e.line ? `ligne ${e.line} : ` : ''}${e.message}`).join(' ; ')}`,
          data: { errors: valid.errors.slice(0, 20) },
        },
      ])
    }
    ctx.events.push({
      type: 'CHECK_SEDA',
      outcome: 'OK',
      detail: 'CHECK_SEDA.OK',
      message: `Bordereau conforme au SEDA ${v.version}`,
    })
    // Units are handed over one by one as the reader streams: each is checked (CHECK_UNIT_SCHEMA) and its
    // Content kept as JSON text at once, so the object trees of a large manifest are never all in memory.
    const units: ArchiveUnitData[] = []
    const objects: DataObject[] = []
    const m = await readManifest(path, {
      onDataObject: (o) => {
        ctx.objJson.set(
          o.id,
          toJson(
            o.kind === 'physical'
              ? { physicalDimensions: o.physicalDimensions ?? null, elements: o.elements }
              : {
                  uri: o.uri ?? null,
                  formatIdentification: o.formatIdentification ?? null,
                  fileInfo: o.fileInfo ?? null,
                  elements: o.elements,
                },
          ),
        )
        objects.push({ ...o, elements: [] })
      },
      onUnit: (u) => {
        if (u.archiveUnitRefId === undefined) {
          ctx.unitSchema.set(u.id, checkUnitSchema(u))
          ctx.unitJson.set(u.id, {
            content: toJson(u.content),
            management: u.management ? toJson(u.management) : null,
          })
        }
        units.push({ ...u, content: null })
      },
    })
    units.sort((a, b) => a.order - b.order)
    m.units = units
    m.dataObjects = objects
    ctx.manifest = m
    await this.checkHeader(ctx, m)
    const files = ctx.reader!.entries.filter((e) => !e.isDirectory).map((e) => e.name)
    const { plan, events } = planPackage(m, files, ctx.reader!.manifestName)
    ctx.plan = plan
    if (events.length > 0) this.refuse(ctx, events)
    await this.checkAttachments(ctx)
    ctx.events.push({
      type: 'CHECK_DATAOBJECTPACKAGE',
      outcome: 'OK',
      detail: 'CHECK_DATAOBJECTPACKAGE.OK',
      message: `${plan.units.size} unités, ${plan.objects.size} objets, ${plan.groups.size} groupes d'objets : références cohérentes`,
    })
  }

  private async checkHeader(ctx: Ctx, m: SedaManifest): Promise<void> {
    const tenant = ctx.req.tenantId
    const agencies = new Set((await this.deps.referential.list(tenant, 'agencies')).map((a) => a.identifier))
    const mm = m.managementMetadata
    const originating = mm?.originatingAgencyIdentifier?.trim()
    const submission = mm?.submissionAgencyIdentifier?.trim()
    const AGENT = 'CHECK_HEADER.CHECK_AGENT'
    if (!originating) {
      this.refuseWith(
        ctx,
        AGENT,
        `${AGENT}.EMPTY_REQUIRED_FIELD.KO`,
        'Service producteur (OriginatingAgencyIdentifier) absent du bordereau',
      )
    }
    const unknown = [originating, submission].filter((a): a is string => !!a && !agencies.has(a))
    if (unknown.length > 0) {
      this.refuseWith(
        ctx,
        AGENT,
        `${AGENT}.UNKNOWN.KO`,
        `Service(s) inconnu(s) du référentiel des services agents : ${[...new Set(unknown)].join(', ')}`,
      )
    }
    ctx.events.push({
      type: AGENT,
      outcome: 'OK',
      detail: `${AGENT}.OK`,
      message: `Service producteur ${originating} connu`,
    })

    const CONTRACT = 'CHECK_HEADER.CHECK_CONTRACT_INGEST'
    const declared = m.header.archivalAgreement?.trim() || null
    const given = ctx.req.contractId?.trim() || null
    if (declared && given && declared !== given) {
      this.refuseWith(
        ctx,
        CONTRACT,
        `${CONTRACT}.DIFF.KO`,
        `Le bordereau déclare le contrat ${declared}, la demande ${given}`,
      )
    }
    const contractId = declared ?? given
    if (!contractId) {
      this.refuseWith(
        ctx,
        CONTRACT,
        `${CONTRACT}.CONTRACT_NOT_FOUND.KO`,
        "Aucun contrat d'entrée (ArchivalAgreement) dans le bordereau ni dans la demande",
      )
    }
    const contract = (await this.deps.referential.list(tenant, 'ingest-contracts')).find(
      (c) => c.identifier === contractId,
    )
    if (!contract) {
      this.refuseWith(
        ctx,
        CONTRACT,
        `${CONTRACT}.CONTRACT_UNKNOWN.KO`,
        `Contrat d'entrée inconnu : ${contractId}`,
      )
    }
    if (contract.status !== 'ACTIVE') {
      this.refuseWith(
        ctx,
        CONTRACT,
        `${CONTRACT}.CONTRACT_INACTIVE.KO`,
        `Contrat d'entrée inactif : ${contractId}`,
      )
    }
    ctx.contract = contract
    ctx.events.push({
      type: CONTRACT,
      outcome: 'OK',
      detail: `${CONTRACT}.OK`,
      message: `Contrat d'entrée ${contractId} actif`,
    })

    const REL = 'CHECK_HEADER.CHECK_IC_AP_RELATION'
    const body = contract.body as { ArchiveProfiles?: string[] }
    const allowed = body.ArchiveProfiles ?? []
    const profileId = mm?.archivalProfile?.trim() || null
    if (profileId) {
      if (allowed.length > 0 && !allowed.includes(profileId)) {
        this.refuseWith(
          ctx,
          REL,
          `${REL}.DIFF.KO`,
          `Le profil d'archivage ${profileId} n'est pas autorisé par le contrat ${contractId} (${allowed.join(', ')})`,
        )
      }
      const profile = (await this.deps.referential.list(tenant, 'profiles')).find(
        (p) => p.identifier === profileId,
      )
      if (!profile) {
        this.refuseWith(ctx, REL, `${REL}.UNKNOWN.KO`, `Profil d'archivage inconnu : ${profileId}`)
      }
      if (profile.status !== 'ACTIVE') {
        this.refuseWith(ctx, REL, `${REL}.INACTIVE.KO`, `Profil d'archivage inactif : ${profileId}`)
      }
      const schema = await this.deps.profiles?.schemaOf(tenant, profileId)
      const AP = 'CHECK_HEADER.CHECK_ARCHIVEPROFILE'
      if (!schema) {
        ctx.events.push({
          type: AP,
          outcome: 'WARNING',
          detail: `${AP}.NO_SCHEMA.WARNING`,
          message: `Le profil d'archivage ${profileId} n'a pas de schéma attaché : le bordereau n'a pas pu lui être confronté`,
        })
      } else {
        const reason = await this.deps.profiles!.validate(schema, ctx.manifestPath!)
        if (reason) {
          this.refuseWith(
            ctx,
            AP,
            `${AP}.KO`,
            `Bordereau non conforme au profil d'archivage ${profileId} (${schema.format}) : ${reason}`,
          )
        }
        ctx.events.push({
          type: AP,
          outcome: 'OK',
          detail: `${AP}.OK`,
          message: `Bordereau conforme au profil d'archivage ${profileId} (${schema.format})`,
        })
      }
    } else if (allowed.length > 0) {
      this.refuseWith(
        ctx,
        REL,
        `${REL}.EMPTY_REQUIRED_FIELD.KO`,
        `Le contrat ${contractId} exige un profil d'archivage (${allowed.join(', ')}), le bordereau n'en déclare pas`,
      )
    }
  }

  /** CHECK_ATTACHEMENT: units that stand for existing ones must exist in the tenant. */
  private async checkAttachments(ctx: Ctx): Promise<void> {
    const attach = [...ctx.plan!.units.values()].filter((u) => u.management?.updateOperation)
    const body = (ctx.contract?.body ?? {}) as { CheckParentLink?: string; LinkParentId?: string }
    const policy = body.CheckParentLink ?? 'AUTHORIZED'
    const A = 'CHECK_ATTACHEMENT'
    if (attach.length > 0 && policy === 'UNAUTHORIZED') {
      this.refuseWith(
        ctx,
        A,
        `${A}.UNAUTHORIZED.KO`,
        `Le contrat d'entrée ${ctx.contract?.identifier} n'autorise pas le rattachement à des unités existantes (unité ${attach[0]!.id})`,
      )
    }
    if (body.LinkParentId) {
      const parent = await this.deps.db.kysely
        .selectFrom('archive_unit')
        .select('id')
        .where('tenant_id', '=', ctx.req.tenantId)
        .where('id', '=', body.LinkParentId)
        .executeTakeFirst()
      if (!parent) {
        this.refuseWith(
          ctx,
          A,
          `${A}.LINK_PARENT_UNKNOWN.KO`,
          `L'unité de rattachement ${body.LinkParentId} du contrat ${ctx.contract?.identifier} n'existe pas dans ce service`,
        )
      }
      ctx.linkParent = body.LinkParentId
    }
    if (policy === 'REQUIRED' && attach.length === 0 && !body.LinkParentId) {
      this.refuseWith(
        ctx,
        A,
        `${A}.REQUIRED.KO`,
        `Le contrat d'entrée ${ctx.contract?.identifier} exige le rattachement à une unité existante ; le bordereau n'en déclare aucun`,
      )
    }
    for (const u of attach) {
      const upd = u.management!.updateOperation!
      if ('systemId' in upd) {
        const target = await this.deps.db.kysely
          .selectFrom('archive_unit')
          .select('id')
          .where('tenant_id', '=', ctx.req.tenantId)
          .where('id', '=', upd.systemId.trim())
          .executeTakeFirst()
        if (!target) {
          this.refuseWith(
            ctx,
            'CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST',
            'CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST.KO',
            `Unité ${u.id} : rattachement à l'unité ${upd.systemId} qui n'existe pas dans ce service`,
          )
        }
      } else {
        this.refuseWith(
          ctx,
          'CHECK_ATTACHEMENT',
          'CHECK_ATTACHEMENT.KO',
          `Unité ${u.id} : rattachement par clé de métadonnée non pris en charge ; utilisez l'identifiant système (SystemId)`,
        )
      }
    }
  }

  /** STP_UNIT_CHECK_AND_PROCESS: each unit's schema and rules, end dates computed. */
  private async checkUnits(ctx: Ctx): Promise<void> {
    const rules = new Map(
      (await this.deps.referential.list(ctx.req.tenantId, 'rules')).map((r) => [r.ruleId, r]),
    )
    ctx.rules = rules
    const failures: IngestEvent[] = []
    const aup = await this.deps.referential.list(ctx.req.tenantId, 'archive-unit-profiles')
    for (const u of ctx.plan!.units.values()) {
      if (u.management?.updateOperation) continue
      const s = ctx.unitSchema.get(u.id) ?? checkUnitSchema(u)
      failures.push(...s.events)
      ctx.unitDates.set(u.id, s.dates)
      if (u.archiveUnitProfile) {
        const p = aup.find((x) => x.identifier === u.archiveUnitProfile)
        if (!p || p.status !== 'ACTIVE') {
          failures.push({
            type: 'CHECK_ARCHIVE_UNIT_PROFILE',
            outcome: 'KO',
            detail: `CHECK_ARCHIVE_UNIT_PROFILE.${p ? 'INACTIVE' : 'NOT_FOUND'}.KO`,
            message: `Unité ${u.id} : profil d'unité archivistique ${u.archiveUnitProfile} ${p ? 'inactif' : 'inconnu'}`,
          })
        }
      }
      const r = computeRules(`Unité ${u.id}`, u.management, rules)
      failures.push(...r.events)
      ctx.unitRules.set(u.id, r.rules)
      if (failures.length > 200) break
    }
    const pkg = computeRules(
      'Règles par défaut du bordereau (ManagementMetadata)',
      ctx.manifest!.managementMetadata?.management,
      rules,
    )
    failures.push(...pkg.events)
    ctx.unitRules.set('#package', pkg.rules)
    if (failures.length > 0) this.refuse(ctx, failures)
    ctx.events.push({
      type: 'UNITS_RULES_COMPUTE',
      outcome: 'OK',
      detail: 'UNITS_RULES_COMPUTE.OK',
      message: `${ctx.plan!.units.size} unités contrôlées, règles de gestion vérifiées et échéances calculées`,
    })
  }

  /**
   * STP_OG_CHECK_AND_TRANSFORME + STP_OBJ_STORING in one streaming pass per object: the bytes flow
   * from the package to every offer while the declared digest, SHA-512 and the format windows are
   * computed. Nothing is visible on the offers before the batch commits.
   */
  private async storeObjects(ctx: Ctx): Promise<void> {
    const plan = ctx.plan!
    const reader = ctx.reader!
    const identifier = await this.deps.formats()
    const batch = this.deps.storage.batch()
    ctx.batch = batch
    for (const o of plan.objects.keys()) ctx.objSys.set(o, this.deps.ids.next())
    const contract = (ctx.contract?.body ?? {}) as {
      FormatUnidentifiedAuthorized?: boolean
      EveryFormatType?: boolean
      FormatType?: string[]
    }
    const failures: IngestEvent[] = []
    const warnings: IngestEvent[] = []
    const jobs = [...plan.entryOfObject.entries()]
    let next = 0
    const worker = async () => {
      while (next < jobs.length && failures.length === 0) {
        const [entry, objectId] = jobs[next++]!
        const o = plan.objects.get(objectId)!
        if (o.kind !== 'binary') continue
        const declared = o.messageDigest
        const alg = declared ? DIGEST_ALGORITHMS[declared.algorithm] : undefined
        const hasher: Hash | null = alg && alg.node !== 'sha512' ? createHash(alg.node) : null
        const windows = new FormatWindowCollector()
        let size = 0
        const source = async function* () {
          for await (const chunk of reader.openEntry(entry)) {
            const c = chunk as Buffer
            hasher?.update(c)
            windows.push(c)
            size += c.length
            yield c
          }
        }
        const stored = await batch.put(
          blobKeyFor(ctx.req.tenantId, ctx.op, ctx.objSys.get(objectId)!),
          source(),
        )
        const actual = hasher ? hasher.digest('hex') : stored.sha512
        if (!declared || declared.value.trim() === '') {
          failures.push({
            type: 'CHECK_DIGEST',
            outcome: 'KO',
            detail: 'CHECK_DIGEST.KO',
            message: `Objet ${objectId} : empreinte absente ou vide`,
            objectId,
          })
        } else if (declared.value.trim().toLowerCase() !== actual) {
          failures.push({
            type: 'CHECK_DIGEST',
            outcome: 'KO',
            detail: 'CHECK_DIGEST.KO',
            message: `Objet ${objectId} (${entry}) : empreinte ${declared.algorithm} différente de celle du bordereau`,
            objectId,
            data: { declared: declared.value.trim(), computed: actual, algorithm: declared.algorithm },
          })
        }
        if (o.size !== undefined && o.size.trim() !== '' && Number(o.size) !== size) {
          warnings.push({
            type: 'CHECK_OBJECT_SIZE',
            outcome: 'WARNING',
            detail: 'CHECK_OBJECT_SIZE.WARNING',
            message: `Objet ${objectId} : taille déclarée ${o.size} octets, taille réelle ${size} octets`,
            objectId,
          })
        }
        const w = windows.windows()
        const id = await identifier.identifyBuffer(w.head, w.tail, {
          size: w.size,
          // The packaged file's own name first (as Vitam's identification does), the declared one otherwise.
          filename: /\.[A-Za-z0-9]{1,10}$/.test(entry)
            ? (entry.split('/').pop() ?? entry)
            : (o.fileInfo?.filename ?? entry),
        })
        const F = 'OG_OBJECTS_FORMAT_CHECK'
        if (id.puid === null) {
          if (contract.FormatUnidentifiedAuthorized !== true) {
            failures.push({
              type: F,
              outcome: 'KO',
              detail: `${F}.KO`,
              message: `Objet ${objectId} (${entry}) : format non identifié, refusé par le contrat d'entrée`,
              objectId,
            })
          } else {
            warnings.push({
              type: F,
              outcome: 'WARNING',
              detail: `${F}.UNCHARTED.WARNING`,
              message: `Objet ${objectId} : format non identifié (accepté par le contrat)`,
              objectId,
            })
          }
        } else if (contract.EveryFormatType === false && !(contract.FormatType ?? []).includes(id.puid)) {
          failures.push({
            type: F,
            outcome: 'KO',
            detail: `${F}.NOT_AUTHORIZED.KO`,
            message: `Objet ${objectId} : format ${id.puid} (${id.name}) non autorisé par le contrat d'entrée`,
            objectId,
          })
        } else if (o.formatIdentification?.formatId && o.formatIdentification.formatId !== id.puid) {
          warnings.push({
            type: F,
            outcome: 'WARNING',
            detail: `${F}.WARNING`,
            message: `Objet ${objectId} : format déclaré ${o.formatIdentification.formatId}, identifié ${id.puid} (${id.name})`,
            objectId,
          })
        }
        ctx.stored.set(objectId, {
          size,
          sha512: stored.sha512,
          puid: id.puid,
          formatName: id.name,
          mime: id.mimeType,
        })
        ctx.bytes += size
        if (ctx.stored.size === 2) this.deps.faultPoint?.('mid-storage')
      }
    }
    await Promise.all(Array.from({ length: this.deps.storeConcurrency ?? 8 }, worker))
    if (failures.length > 0) this.refuse(ctx, [...failures, ...warnings])
    // The manifest itself is kept on the offers, beside the objects.
    const mkey = blobKeyFor(ctx.req.tenantId, ctx.op, 'manifest.xml')
    const { createReadStream } = await import('node:fs')
    const m = await batch.put(mkey, createReadStream(ctx.manifestPath!, { highWaterMark: 1 << 20 }))
    ctx.manifestBlob = { key: mkey, size: m.size, sha512: m.sha512 }
    await batch.commit()
    this.deps.faultPoint?.('after-storage-commit')
    ctx.events.push(...warnings.slice(0, 500))
    if (warnings.length > 500) {
      ctx.events.push({
        type: 'CHECK_OBJECT_SIZE',
        outcome: 'WARNING',
        detail: 'CHECK_OBJECT_SIZE.WARNING',
        message: `… et ${warnings.length - 500} autres avertissements`,
      })
    }
    ctx.events.push({
      type: 'CHECK_DIGEST',
      outcome: 'OK',
      detail: 'CHECK_DIGEST.OK',
      message: `${ctx.stored.size} objets : empreintes vérifiées, formats identifiés`,
    })
    ctx.events.push({
      type: 'OBJ_STORAGE',
      outcome: 'OK',
      detail: 'OBJ_STORAGE.OK',
      message: `${ctx.stored.size} objets et le bordereau écrits sur ${this.deps.storage.offers.length} offres (${ctx.bytes} octets)`,
    })
  }

  // ── commit ────────────────────────────────────────────────────────────────────────────────────

  /** One transaction makes the units, groups, objects, blobs and events visible. */
  private async commitAccepted(ctx: Ctx): Promise<void> {
    const plan = ctx.plan!
    const m = ctx.manifest!
    const tenant = ctx.req.tenantId
    const now = this.now()
    const ids = this.deps.ids
    const unitSys = new Map<string, string>()
    for (const u of plan.units.values()) {
      const upd = u.management?.updateOperation
      unitSys.set(u.id, upd && 'systemId' in upd ? upd.systemId.trim() : ids.next())
    }
    const groupSys = new Map<string, string>()
    for (const g of plan.groups.keys()) groupSys.set(g, ids.next())
    const objSys = ctx.objSys
    const offerIds = this.deps.storage.offers.map((o) => o.id)
    const physical = [...plan.objects.values()].filter((o) => o.kind === 'physical').length
    const binaries = plan.objects.size - physical
    ctx.events.push({
      type: 'STP_INGEST_FINALISATION',
      outcome: 'OK',
      detail: 'STP_INGEST_FINALISATION.OK',
      message: `Entrée acceptée : ${plan.units.size} unités, ${binaries} objets numériques, ${physical} objets physiques`,
    })
    const status = this.finalStatus(ctx)
    const atrUnits: AtrUnit[] = [...plan.units.keys()].map((id) => ({ id, systemId: unitSys.get(id)! }))
    const atrObjects: AtrObject[] = [...plan.objects.values()].map((o) => {
      const g = plan.groupOfObject.get(o.id)!
      return {
        id: o.id,
        systemId: objSys.get(o.id)!,
        kind: o.kind,
        ...(g.startsWith('#obj:') ? {} : { groupId: g }),
        groupSystemId: groupSys.get(g)!,
        dataObjectVersion: o.usage,
      }
    })
    const atr = this.atr(ctx, status, atrUnits, atrObjects)
    const pkgRules = ctx.unitRules.get('#package') ?? []
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      const manifestBlobId = ids.next()
      await this.deps.blobs.record(
        trx,
        tenant,
        { id: manifestBlobId, size: ctx.manifestBlob!.size, sha512: ctx.manifestBlob!.sha512 },
        offerIds,
      )
      for (const [gid, sys] of groupSys) {
        await trx
          .insertInto('object_group')
          .values({
            id: sys,
            tenant_id: tenant,
            operation_id: ctx.op,
            seda_id: gid.startsWith('#obj:') ? null : gid,
            created_at: now,
          })
          .execute()
      }
      let objRows: Insertable<DataObjectTable>[] = []
      for (const o of plan.objects.values()) {
        const s = ctx.stored.get(o.id)
        let blobId: string | null = null
        if (s) {
          blobId = objSys.get(o.id)!
          await this.deps.blobs.record(trx, tenant, { id: blobId, size: s.size, sha512: s.sha512 }, offerIds)
        }
        objRows.push({
          id: objSys.get(o.id)!,
          tenant_id: tenant,
          group_id: groupSys.get(plan.groupOfObject.get(o.id)!)!,
          operation_id: ctx.op,
          seda_id: o.id,
          kind: o.kind,
          usage: o.usage,
          blob_id: blobId,
          size: s ? s.size : null,
          sha512: s ? s.sha512 : null,
          declared_algorithm: o.kind === 'binary' ? (o.messageDigest?.algorithm ?? null) : null,
          declared_digest: o.kind === 'binary' ? (o.messageDigest?.value.trim() ?? null) : null,
          format_puid: s?.puid ?? null,
          format_name: s?.formatName ?? null,
          mime_type: s?.mime ?? null,
          filename: o.kind === 'binary' ? (o.fileInfo?.filename ?? null) : null,
          physical_id: o.kind === 'physical' ? (o.physicalId ?? null) : null,
          metadata: ctx.objJson.get(o.id) ?? toJson({ elements: o.elements }),
          created_at: now,
        })
        ctx.objJson.delete(o.id)
        if (objRows.length >= 200) {
          await trx.insertInto('data_object').values(objRows).execute()
          objRows = []
        }
      }
      if (objRows.length > 0) await trx.insertInto('data_object').values(objRows).execute()

      // Rows go to the database in chunks as they are built, so that memory stays flat.
      let unitRows: Insertable<ArchiveUnitTable>[] = []
      let ruleRows: Insertable<UnitRuleTable>[] = []
      let unitCount = 0
      const flush = async () => {
        if (unitRows.length > 0) await trx.insertInto('archive_unit').values(unitRows).execute()
        if (ruleRows.length > 0) await trx.insertInto('unit_rule').values(ruleRows).execute()
        unitRows = []
        ruleRows = []
      }
      for (const u of plan.units.values()) {
        if (u.management?.updateOperation) continue
        const sys = unitSys.get(u.id)!
        const title =
          (
            u.titles.find((t) => t.lang === 'fr') ??
            u.titles.find((t) => t.value.trim() !== '') ??
            u.titles[0]
          )?.value.trim() ?? ''
        const dates = ctx.unitDates.get(u.id) ?? {}
        const g = plan.groupOfUnit.get(u.id)
        const json = ctx.unitJson.get(u.id)
        ctx.unitJson.delete(u.id)
        unitRows.push({
          id: sys,
          tenant_id: tenant,
          operation_id: ctx.op,
          seda_id: u.id,
          title,
          description_level: u.descriptionLevel ?? null,
          start_date: dates.StartDate ?? null,
          end_date: dates.EndDate ?? null,
          originating_agency: m.managementMetadata?.originatingAgencyIdentifier?.trim() ?? null,
          submission_agency: m.managementMetadata?.submissionAgencyIdentifier?.trim() ?? null,
          object_group_id: g ? groupSys.get(g)! : null,
          content: json?.content ?? toJson(u.content),
          management: json ? json.management : u.management ? toJson(u.management) : null,
          created_at: now,
          updated_at: now,
        })
        unitCount++
        const own = ctx.unitRules.get(u.id) ?? []
        const ps = plan.parents.get(u.id) ?? []
        const rootRules =
          ps.length === 0 ? pkgRules.filter((r) => !own.some((x) => x.category === r.category)) : []
        for (const r of [
          ...own,
          ...rootRules.map((r) => ({ ...r, data: { ...r.data, fromPackage: true } })),
        ]) {
          ruleRows.push({
            tenant_id: tenant,
            unit_id: sys,
            category: r.category,
            rule_id: r.ruleId,
            start_date: r.startDate,
            end_date: r.endDate,
            final_action: r.finalAction,
            data: toJson(r.data),
          })
        }
        if (unitRows.length >= 200 || ruleRows.length >= 200) await flush()
      }
      await flush()
      let parentRows: Insertable<UnitParentTable>[] = []
      for (const u of plan.units.values()) {
        const own = plan.parents.get(u.id) ?? []
        if (own.length === 0 && ctx.linkParent && !u.management?.updateOperation) {
          parentRows.push({ tenant_id: tenant, unit_id: unitSys.get(u.id)!, parent_id: ctx.linkParent })
        }
        for (const p of own) {
          parentRows.push({ tenant_id: tenant, unit_id: unitSys.get(u.id)!, parent_id: unitSys.get(p)! })
          if (parentRows.length >= 300) {
            await trx.insertInto('unit_parent').values(parentRows).execute()
            parentRows = []
          }
        }
      }
      if (parentRows.length > 0) await trx.insertInto('unit_parent').values(parentRows).execute()
      // New units only (and so their new descendants): existing units attached to are not touched.
      const newUnits = [...plan.units.values()]
        .filter((u) => !u.management?.updateOperation)
        .map((u) => unitSys.get(u.id)!)
      await this.deps.rules.recompute(trx, tenant, newUnits)
      await this.deps.search?.indexUnits(trx, tenant, newUnits)
      if (physical > 0 && this.deps.physical)
        await this.deps.physical.onIngestCommitted(trx, tenant, ctx.op, ctx.req.agent)
      await this.finish(trx, ctx, status, atr, {
        units: unitCount,
        objects: binaries,
        physicalObjects: physical,
        manifestBlobId,
      })
    })
  }

  private finalStatus(ctx: Ctx): IngestStatus {
    return worstOutcome(ctx.events.map((e) => e.outcome)) as IngestStatus
  }

  private atr(ctx: Ctx, status: IngestStatus, units?: AtrUnit[], objects?: AtrObject[]): string {
    const m = ctx.manifest
    const s = status === 'PENDING' || status === 'RUNNING' ? 'FATAL' : status
    return writeAtr({
      sedaVersion: ctx.version ?? null,
      messageIdentifier: ctx.op,
      date: this.now(),
      messageRequestIdentifier: m?.header.messageIdentifier ?? null,
      archivalAgreement: m?.header.archivalAgreement ?? null,
      archivalAgencyIdentifier: m?.header.archivalAgencyIdentifier ?? null,
      transferringAgencyIdentifier: m?.header.transferringAgencyIdentifier ?? null,
      status: s,
      events: ctx.events.map((e) => ({
        type: e.type,
        outcome: e.outcome,
        detail: e.detail,
        message: e.message,
      })),
      ...(units ? { units } : {}),
      ...(objects ? { objects } : {}),
    })
  }

  /** A refused or failed ingest keeps only its operation, its events and its ATR. */
  private async commitRefused(ctx: Ctx): Promise<void> {
    const status = this.finalStatus(ctx)
    ctx.events.push({
      type: 'STP_INGEST_FINALISATION',
      outcome: status === 'FATAL' ? 'FATAL' : 'KO',
      detail: `STP_INGEST_FINALISATION.${status === 'FATAL' ? 'FATAL' : 'KO'}`,
      message:
        status === 'FATAL'
          ? 'Entrée interrompue par une erreur technique : rien n’a été conservé'
          : 'Entrée refusée : rien n’a été conservé',
    })
    const atr = this.atr(ctx, status)
    await this.deps.db.kysely.transaction().execute((trx) =>
      this.finish(trx, ctx, status, atr, {
        units: 0,
        objects: 0,
        physicalObjects: 0,
        manifestBlobId: null,
      }),
    )
  }

  private async finish(
    trx: Executor,
    ctx: Ctx,
    status: IngestStatus,
    atr: string,
    counts: { units: number; objects: number; physicalObjects: number; manifestBlobId: string | null },
  ): Promise<void> {
    const accepted = status === 'OK' || status === 'WARNING'
    const replyCode = replyCodeFor(
      status === 'PENDING' || status === 'RUNNING' ? 'FATAL' : status,
      ctx.events,
    )
    const events: NewEvent[] = ctx.events.map((e) => ({
      operationId: ctx.op,
      tenantId: ctx.req.tenantId,
      type: e.type,
      outcome: e.outcome,
      detail: e.detail,
      message: e.message,
      agent: ctx.req.agent,
      objectId: e.objectId ?? null,
      data: e.data ?? null,
    }))
    await this.deps.audit.record(trx, events)
    const summary = {
      sedaVersion: ctx.version ?? null,
      messageIdentifier: ctx.manifest?.header.messageIdentifier ?? null,
      units: counts.units,
      objects: counts.objects,
      physicalObjects: counts.physicalObjects,
      bytes: accepted ? ctx.bytes : 0,
      replyCode,
      fileName: ctx.req.fileName,
    }
    await this.deps.audit.updateOperation(trx, ctx.op, { status, summary })
    await trx
      .updateTable('ingest')
      .set({
        status,
        seda_version: summary.sedaVersion,
        message_identifier: summary.messageIdentifier,
        contract_id: ctx.contract?.identifier ?? ctx.req.contractId ?? null,
        units: counts.units,
        objects: counts.objects,
        physical_objects: counts.physicalObjects,
        bytes: summary.bytes,
        reply_code: replyCode,
        atr,
        manifest_blob_id: counts.manifestBlobId,
        finished_at: this.now(),
      })
      .where('operation_id', '=', ctx.op)
      .execute()
  }

  // ── reading ───────────────────────────────────────────────────────────────────────────────────

  async result(tenantId: string, operationId: string): Promise<IngestResult> {
    const row = await this.deps.db.kysely
      .selectFrom('ingest')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('operation_id', '=', operationId)
      .executeTakeFirst()
    if (!row)
      throw new AppError('OPERATION_NOT_FOUND', 'not_found', `Opération inconnue : ${operationId}`, {
        operationId,
      })
    const op = await this.deps.audit.getOperation(tenantId, operationId)
    return {
      operationId,
      type: 'INGEST',
      status: row.status as IngestStatus,
      tenant: tenantId,
      sedaVersion: (row.seda_version as '2.1' | '2.2' | '2.3' | null) ?? null,
      messageIdentifier: row.message_identifier,
      units: Number(row.units),
      objects: Number(row.objects),
      physicalObjects: Number(row.physical_objects),
      bytes: Number(row.bytes),
      replyCode: row.reply_code,
      events: op.events.map((e) => ({
        type: e.type,
        outcome: e.outcome,
        detail: e.detail,
        message: e.message,
      })),
      atr: `/api/v1/ingests/${operationId}/atr`,
    }
  }

  async atrOf(tenantId: string, operationId: string): Promise<string> {
    const row = await this.deps.db.kysely
      .selectFrom('ingest')
      .select(['atr', 'status'])
      .where('tenant_id', '=', tenantId)
      .where('operation_id', '=', operationId)
      .executeTakeFirst()
    if (!row)
      throw new AppError('OPERATION_NOT_FOUND', 'not_found', `Opération inconnue : ${operationId}`, {
        operationId,
      })
    if (!row.atr) {
      throw new AppError(
        'ATR_NOT_READY',
        'conflict',
        `L'entrée ${operationId} est en cours (${row.status}) : l'ATR n'est pas encore produit`,
        {
          operationId,
          status: row.status,
        },
      )
    }
    return row.atr
  }

  /**
   * After a crash: ingests left RUNNING by a dead process end FATAL (with their ATR), and whatever
   * they had written on the offers is removed. Returns how many were recovered.
   */
  async recover(olderThanMs = 0): Promise<number> {
    const cutoff = new Date(this.deps.clock.now().getTime() - olderThanMs).toISOString()
    const stale = await this.deps.db.kysely
      .selectFrom('ingest')
      .select(['operation_id', 'tenant_id', 'file_name', 'contract_id'])
      .where('status', '=', 'RUNNING')
      .where('created_at', '<=', cutoff)
      .execute()
    for (const s of stale) {
      await this.removeStored(s.tenant_id, s.operation_id)
      const ctx: Ctx = {
        op: s.operation_id,
        req: {
          tenantId: s.tenant_id,
          packagePath: '',
          fileName: s.file_name ?? '',
          contractId: s.contract_id,
          agent: 'system',
        },
        events: [
          {
            type: 'PROCESS_SIP_UNITARY',
            outcome: 'FATAL',
            detail: 'PROCESS_SIP_UNITARY.FATAL',
            message:
              "Entrée interrompue par l'arrêt du service ; rien n'a été conservé, le paquet peut être versé de nouveau",
          },
        ],
        staging: join(this.deps.stagingRoot, s.operation_id),
        unitRules: new Map(),
        unitDates: new Map(),
        stored: new Map(),
        bytes: 0,
        objSys: new Map(),
        unitJson: new Map(),
        unitSchema: new Map(),
        objJson: new Map(),
      }
      await rm(ctx.staging, { recursive: true, force: true })
      await this.commitRefused(ctx)
    }
    await this.sweepStaging()
    return stale.length
  }

  /**
   * Removes staging folders and uploads that no live ingest needs: those of ingests that ended (a
   * process killed after its commit never reached its clean-up) or that are unknown.
   */
  private async sweepStaging(): Promise<void> {
    const root = this.deps.stagingRoot
    const live = new Set(
      (
        await this.deps.db.kysely
          .selectFrom('ingest')
          .select('operation_id')
          .where('status', 'in', ['PENDING', 'RUNNING'])
          .execute()
      ).map((r) => r.operation_id),
    )
    const entries = await readdir(root).catch(() => [] as string[])
    for (const name of entries) {
      if (name === 'uploads') {
        for (const f of await readdir(join(root, name)).catch(() => [] as string[])) {
          if (!live.has(f.replace(/\.sip$/, ''))) await rm(join(root, name, f), { force: true })
        }
      } else if (!live.has(name)) {
        await rm(join(root, name), { recursive: true, force: true })
      }
    }
  }

  /** Removes every binary an unfinished ingest wrote on the offers (they are under its operation's prefix). */
  private async removeStored(tenantId: string, operationId: string): Promise<void> {
    for (const offer of this.deps.storage.offers) {
      for await (const h of offer.list(`${tenantId}/${operationId}/`)) {
        await offer.delete(h.key, 'recovery of an interrupted ingest').catch(() => undefined)
      }
    }
  }

  /** Bytes of free space needed check is done by the container reader; this exposes the upload size. */
  async uploadSize(operationId: string): Promise<number> {
    return (await stat(this.uploadPath(operationId))).size
  }
}
