import { join } from 'node:path'
import type { Config } from '../config/config.js'
import { systemClock, type Clock } from '../platform/clock.js'
import { uuidv7Ids, type IdSource } from '../platform/ids.js'
import { createLogger, type Logger } from '../platform/log.js'
import { createDb, type Db } from '../platform/db/create-db.js'
import { migrateToLatest } from '../platform/db/migrate.js'
import { JobQueue } from '../platform/queue/job-queue.js'
import { AuditService } from '../modules/audit/index.js'
import { TenancyService } from '../modules/tenancy/index.js'
import { ReferentialService } from '../modules/referential/index.js'
import { CatalogService } from '../modules/catalog/index.js'
import { RulesService } from '../modules/rules/index.js'
import { IngestService, ProfileSchemas, type IngestDeps } from '../modules/ingest/index.js'
import { EliminationService, HoldService, type EliminationDeps } from '../modules/elimination/index.js'
import { defaultFormatIdentifier } from '../modules/formats/index.js'
import { ExportService } from '../modules/export/index.js'
import { SearchService } from '../modules/search/index.js'
import { blobKeyFor } from '../modules/ingest/index.js'
import { VERSION } from './version.js'
import { FixityService, type FixityDeps } from '../modules/fixity/index.js'
import { EvidenceService, SealService } from '../modules/seal/index.js'
import { ProbativeReportService } from '../modules/proof/index.js'
import { ChangesService, RegisterService, TransferService } from '../modules/lifecycle/index.js'
import { AccessLog, AccessService, DipService } from '../modules/access/index.js'
import { RequestService } from '../modules/requests/index.js'
import { PhysicalService } from '../modules/physical/index.js'
import {
  createBlobRepository,
  createStorage,
  type BlobRepository,
  type StorageStrategy,
} from '../modules/storage/index.js'

/**
 * The composition root: the only place that wires concrete adapters to modules. The HTTP server, the
 * worker and the CLI all start from here, so they run the same modules on the same configuration.
 */
export interface Container {
  readonly config: Config
  readonly db: Db
  readonly clock: Clock
  readonly ids: IdSource
  readonly log: Logger
  readonly queue: JobQueue
  readonly audit: AuditService
  readonly tenancy: TenancyService
  readonly referential: ReferentialService
  readonly catalog: CatalogService
  readonly rules: RulesService
  readonly storage: StorageStrategy
  readonly blobs: BlobRepository
  readonly ingest: IngestService
  readonly profiles: ProfileSchemas
  readonly exports: ExportService
  readonly fixity: FixityService
  readonly seals: SealService
  readonly evidence: EvidenceService
  readonly probative: ProbativeReportService
  readonly transfers: TransferService
  readonly changes: ChangesService
  readonly register: RegisterService
  readonly holds: HoldService
  readonly elimination: EliminationService
  readonly access: AccessService
  readonly dips: DipService
  readonly requests: RequestService
  readonly physical: PhysicalService
  readonly search: SearchService
  close(): Promise<void>
}

export interface ContainerOptions {
  readonly clock?: Clock
  readonly ids?: IdSource
  readonly log?: Logger
  /** Apply pending migrations on open (default true). */
  readonly migrate?: boolean
  /** Crash tests only: see EliminationDeps.faultPoint. */
  readonly eliminationFaultPoint?: EliminationDeps['faultPoint']
  /** Crash tests only: see IngestDeps.faultPoint. */
  readonly ingestFaultPoint?: IngestDeps['faultPoint']
  /** Crash tests only: see FixityDeps.faultPoint. */
  readonly fixityFaultPoint?: FixityDeps['faultPoint']
  /** Tests only: objects per fixity checkpoint. */
  readonly fixityPageSize?: number
  /** Access log batching (tests): flush period and size. */
  readonly accessLog?: { flushMs?: number; maxEvents?: number }
}

export async function buildContainer(config: Config, opts: ContainerOptions = {}): Promise<Container> {
  const log = opts.log ?? createLogger(config.logLevel)
  const clock = opts.clock ?? systemClock
  const ids = opts.ids ?? uuidv7Ids
  const db = createDb(config.database)
  try {
    if (opts.migrate !== false) await migrateToLatest(db)
  } catch (err) {
    await db.close()
    throw err
  }
  const audit = new AuditService({ db, clock, ids })
  const tenancy = new TenancyService({ db, audit, clock, ids, sessionTtlSeconds: config.sessionTtlSeconds })
  const queue = new JobQueue({ db, clock, ids })
  const referential = new ReferentialService({ db, audit, clock })
  const rules = new RulesService({ db, clock, referential })
  const catalog = new CatalogService({ db, rules })
  const search = new SearchService({ db, clock, catalog })
  // A changed rule recomputes the end dates of the units using it, in the import's operation.
  referential.registerChangeHook('rules', (trx, tenantId, ids, agent) =>
    rules.onRulesChanged(trx, tenantId, ids, agent),
  )
  // The referentials know the catalogue only through these hooks: contracts may name existing units,
  // and a rule or an agency that archives still use cannot be removed by a re-import.
  referential.registerReferenceResolver('units', async (trx, tenantId, ids) =>
    ids.length === 0
      ? []
      : (
          await trx
            .selectFrom('archive_unit')
            .select('id')
            .where('tenant_id', '=', tenantId)
            .where('id', 'in', [...ids])
            .execute()
        ).map((r) => r.id),
  )
  referential.registerInUseChecker(
    'rules',
    async (trx, tenantId, ids) =>
      ids.length === 0
        ? []
        : (
            await trx
              .selectFrom('unit_rule')
              .select('rule_id')
              .distinct()
              .where('tenant_id', '=', tenantId)
              .where('rule_id', 'in', [...ids])
              .execute()
          ).map((r) => r.rule_id!),
    { label: 'des unités d’archives' },
  )
  referential.registerInUseChecker(
    'agencies',
    async (trx, tenantId, ids) =>
      ids.length === 0
        ? []
        : (
            await trx
              .selectFrom('archive_unit')
              .select('originating_agency')
              .distinct()
              .where('tenant_id', '=', tenantId)
              .where('originating_agency', 'in', [...ids])
              .execute()
          ).map((r) => r.originating_agency!),
    { label: 'des unités d’archives (service producteur)' },
  )
  const storage = createStorage(config.offers, { log: log.child({ component: 'storage' }) })
  const blobs = createBlobRepository({ clock })
  const profiles = new ProfileSchemas({ db, audit, referential })
  // Physical archives: boxes for ingested PhysicalDataObjects, places in the unit view, paper elimination.
  const physical = new PhysicalService({ searchIndex: search, db, clock, ids, audit, tenancy, rules })
  catalog.registerPhysicalPlaces((tenantId, objectIds) => physical.placesOfObjects(tenantId, objectIds))
  const ingest = new IngestService({
    profiles,
    rules,
    physical,
    search,
    db,
    audit,
    clock,
    ids,
    log: log.child({ component: 'ingest' }),
    queue,
    referential,
    storage,
    blobs,
    formats: defaultFormatIdentifier,
    stagingRoot: join(config.home, 'staging'),
    ...(opts.ingestFaultPoint ? { faultPoint: opts.ingestFaultPoint } : {}),
  })
  const fixity = new FixityService({
    db,
    audit,
    storage,
    blobs,
    queue,
    clock,
    ids,
    log: log.child({ component: 'fixity' }),
    ...(opts.fixityFaultPoint ? { faultPoint: opts.fixityFaultPoint } : {}),
    ...(opts.fixityPageSize ? { pageSize: opts.fixityPageSize } : {}),
  })
  const seals = new SealService({
    db,
    audit,
    storage,
    clock,
    ids,
    log: log.child({ component: 'seal' }),
    home: config.home,
    tsaUrl: config.seal.tsaUrl,
    tsaCaFile: config.seal.tsaCaFile,
  })
  // Evidence bundles know the catalogue and the storage keys of objects only through this resolver.
  const evidence = new EvidenceService({
    db,
    audit,
    seals,
    resolve: async (tenantId, id) => {
      const unit = await db.kysely
        .selectFrom('archive_unit')
        .select(['id', 'operation_id'])
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst()
      if (unit) {
        const u = await catalog.getUnit(tenantId, id)
        return { kind: 'unit', id, operationId: unit.operation_id, metadata: u }
      }
      const o = await db.kysely
        .selectFrom('data_object')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst()
      if (!o) return undefined
      return {
        kind: 'object',
        id,
        operationId: o.operation_id,
        physical: o.kind === 'physical' || !o.blob_id || !o.sha512,
        sha512: o.sha512,
        size: o.size === null ? null : Number(o.size),
        filename: o.filename,
        open: async () =>
          (
            await storage.open(blobKeyFor(tenantId, o.operation_id, o.id), {
              sha512: o.sha512!,
              ...(o.size !== null ? { size: Number(o.size) } : {}),
            })
          ).body,
      }
    },
  })
  const probative = new ProbativeReportService({
    db,
    audit,
    tenancy,
    fixity,
    seals,
    offers: storage.offers,
    clock,
  })
  // lifecycle: transfers out and restitutions, reclassification and mass rules updates, the register
  const transfers = new TransferService({
    searchIndex: search,
    db,
    audit,
    tenancy,
    clock,
    ids,
    storage,
    blobs,
    queue,
    catalog,
    ingest,
    stagingRoot: join(config.home, 'staging'),
  })
  const changes = new ChangesService({ searchIndex: search, db, audit, tenancy, clock, catalog, rules })
  const register = new RegisterService({ db, tenancy })
  const holds = new HoldService({ db, clock, ids, audit, tenancy, rules })
  const elimination = new EliminationService({
    searchIndex: search,
    db,
    clock,
    ids,
    audit,
    tenancy,
    storage,
    blobs,
    holds,
    queue,
    physical,
    ...(opts.eliminationFaultPoint ? { faultPoint: opts.eliminationFaultPoint } : {}),
  })
  // access: contracts enforced on every read path, batched access log, DIP exports; requests
  const accessLog = new AccessLog({ db, audit, log: log.child({ component: 'access-log' }) }, opts.accessLog)
  const access = new AccessService({ db, clock, tenancy, audit, referential, log: accessLog })
  const dips = new DipService({
    db,
    audit,
    clock,
    ids,
    queue,
    storage,
    blobs,
    catalog,
    access,
    stagingRoot: join(config.home, 'staging'),
    maxBytes: config.dipMaxBytes,
  })
  const requests = new RequestService({ db, audit, clock, ids, access, physical })
  const exports = new ExportService({
    db,
    storage,
    audit,
    clock,
    version: VERSION,
    keyFor: blobKeyFor,
    reindex: (trx, tenantId) => search.reindexTenant(trx, tenantId),
  })
  return {
    config,
    db,
    clock,
    ids,
    log,
    queue,
    audit,
    tenancy,
    referential,
    catalog,
    rules,
    storage,
    blobs,
    ingest,
    profiles,
    exports,
    fixity,
    seals,
    evidence,
    probative,
    transfers,
    changes,
    register,
    holds,
    elimination,
    access,
    dips,
    requests,
    physical,
    search,
    async close() {
      // Buffered access events are written before the database closes: none lost on a clean stop.
      await accessLog.close()
      await db.close()
    },
  }
}
