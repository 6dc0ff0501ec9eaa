import { createReadStream } from 'node:fs'
import { mkdir, readdir, rm, stat } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { resolve } from 'node:path'
import { sql } from 'kysely'
import type { Clock } from '../../platform/clock.js'
import type { Db, Executor } from '../../platform/db/create-db.js'
import { AppError } from '../../platform/errors.js'
import type { AuditService } from '../audit/index.js'
import { validateKey, type StorageStrategy } from '../storage/index.js'
import {
  BagErrors,
  BagWriter,
  TAG_MANIFEST,
  checkBag,
  payloadPath,
  sha512File,
  type CheckedBag,
} from './bagit.js'
import { introspect, planExport, type PlannedTable, type TableInfo } from './introspect.js'
import { writeReadableIndex, writeReferentials } from './readable.js'
import { countTenantRows, encodeRow, insertRows, tenantRows, type PortableRow } from './rows.js'

/** Tables whose rows are instance-specific: exported for the record, re-created (not copied) at import. */
export const RECREATED_TABLES: Readonly<Record<string, string>> = {
  blob_copy: 'copies of each binary per storage offer: re-created for the target instance’s offers',
}

export const STORAGE_MAP = 'data/storage.jsonl'

export interface StorageMapEntry {
  readonly blobId: string
  readonly key: string
  readonly path: string
  readonly size: number
  readonly sha512: string
}

export interface ExportDeps {
  readonly db: Db
  readonly storage: StorageStrategy
  readonly audit: AuditService
  readonly clock: Clock
  readonly version: string
  /** Where ingest stores a binary: `(tenant, operation, name) → key` (ingest's blobKeyFor). */
  readonly keyFor: (tenantId: string, operationId: string, name: string) => string
  /** Rebuilds derived indexes (search) of the imported tenant, inside the import's transaction. */
  readonly reindex?: (trx: Executor, tenantId: string) => Promise<unknown>
}

export interface ExportResult {
  readonly tenant: string
  readonly out: string
  readonly operationId: string
  readonly tables: Readonly<Record<string, number>>
  readonly binaries: number
  readonly payloadOxum: string
  readonly tagManifestSha512: string
}

export interface ImportResult {
  readonly tenant: string
  readonly operationId: string
  readonly tables: Readonly<Record<string, number>>
  readonly binaries: number
  readonly principalsKept: number
}

const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

export const ExportErrors = {
  tenantNotFound: (id: string) =>
    new AppError('TENANT_NOT_FOUND', 'not_found', `Service d’archives inconnu : ${id}`, { tenantId: id }),
  outNotEmpty: (out: string) =>
    new AppError('EXPORT_OUT_NOT_EMPTY', 'invalid', `Le dossier de sortie ${out} existe et n’est pas vide`, {
      out,
    }),
  unlocated: (blobId: string) =>
    new AppError(
      'EXPORT_BLOB_UNLOCATED',
      'internal',
      `Binaire ${blobId} du catalogue introuvable sur les offres de stockage : export interrompu`,
      { blobId },
    ),
}

const ImportErrors = {
  tenantExists: (id: string) =>
    new AppError(
      'IMPORT_TENANT_EXISTS',
      'conflict',
      `Le service d’archives ${id} existe déjà dans cette instance : import refusé, rien n’a été modifié`,
      { tenantId: id },
    ),
  residue: (id: string, table: string) =>
    new AppError(
      'IMPORT_TENANT_RESIDUE',
      'conflict',
      `La table ${table} contient déjà des données du service ${id} : import refusé, rien n’a été modifié`,
      { tenantId: id, table },
    ),
  controller: (id: string, controller: string) =>
    new AppError(
      'IMPORT_CONTROLLER_MISSING',
      'conflict',
      `Le service ${id} est contrôlé par ${controller}, absent de cette instance : créez-le d’abord`,
      { tenantId: id, controlledBy: controller },
    ),
  conflict: (table: string, detail: string, cause: unknown) =>
    new AppError(
      'IMPORT_CONFLICT',
      'conflict',
      `Import refusé : un enregistrement de ${table} entre en conflit avec cette instance (${detail}) ; rien n’a été modifié`,
      { table },
      { cause },
    ),
}

/**
 * Reversibility: a tenant exported as a BagIt bag (database rows as JSON Lines, ingest manifests and
 * binaries, referentials in Vitam formats, a readable index), and such a bag imported into an instance
 * where the tenant does not exist. See docs/reversibility.md.
 */
export class ExportService {
  constructor(private readonly deps: ExportDeps) {}

  async exportTenant(tenantId: string, outDir: string, agent: string): Promise<ExportResult> {
    const { db } = this.deps
    const tenant = await db.kysely
      .selectFrom('tenant')
      .selectAll()
      .where('id', '=', tenantId)
      .executeTakeFirst()
    if (!tenant) throw ExportErrors.tenantNotFound(tenantId)
    const out = resolve(outDir)
    const existing = await readdir(out).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null
      throw new AppError(
        'EXPORT_OUT_INVALID',
        'invalid',
        `Dossier de sortie inutilisable : ${out} (${e.code})`,
        {
          out,
        },
      )
    })
    if (existing && existing.length > 0) throw ExportErrors.outNotEmpty(out)
    await mkdir(out, { recursive: true })
    try {
      return await this.#export(tenantId, tenant.name, out, agent)
    } catch (e) {
      await rm(out, { recursive: true, force: true }).catch(() => undefined)
      throw e
    }
  }

  async #export(tenantId: string, tenantName: string, out: string, agent: string): Promise<ExportResult> {
    const { db } = this.deps
    const bag = new BagWriter(out)
    const counts = new Map<string, number>()
    const date = this.deps.clock.now().toISOString()
    let plan: PlannedTable[] = []
    // Rows first, in one transaction (a consistent snapshot); binaries afterwards (write-once, they stay).
    const dump = async (trx: Executor) => {
      const tables = await introspect(db, trx)
      plan = [...planExport(tables).tables]
      const byName = new Map(plan.map((p) => [p.info.name, p] as const))
      for (const p of [...plan].sort((a, b) => (a.info.name < b.info.name ? -1 : 1))) {
        const f = await bag.open(`data/db/${p.info.name}.jsonl`)
        let n = 0
        for await (const r of tenantRows(trx, db.dialect, p, tenantId, byName)) {
          await f.write(JSON.stringify(encodeRow(db.dialect, p.info.columns, r)) + '\n')
          n += 1
        }
        await f.close()
        counts.set(p.info.name, n)
      }
      await this.#writeStorageMap(trx, bag, tenantId)
      await writeReferentials(trx, bag, tenantId)
      await writeReadableIndex(trx, bag, {
        tenantId,
        tenantName,
        date,
        counts,
        octets: bag.octets,
        files: bag.files,
      })
    }
    if (db.dialect === 'postgres') {
      await db.kysely.transaction().setIsolationLevel('repeatable read').execute(dump)
    } else {
      await db.kysely.transaction().execute(dump)
    }
    let binaries = 0
    for await (const e of readJsonLines<StorageMapEntry>(`${out}/${STORAGE_MAP}`, STORAGE_MAP)) {
      const opened = await this.deps.storage.open(e.key, { sha512: e.sha512, size: e.size })
      const w = await bag.writeStream(e.path, opened.body)
      if (w.sha512 !== e.sha512 || w.size !== e.size) {
        throw new AppError(
          'EXPORT_DIGEST_MISMATCH',
          'internal',
          `Le binaire ${e.blobId} lu ne correspond pas au catalogue`,
          {
            blobId: e.blobId,
          },
        )
      }
      binaries += 1
    }
    const oxum = bag.oxum
    await bag.finish([
      ['Source-Organization', tenantName],
      ['Bagging-Date', date.slice(0, 10)],
      ['Payload-Oxum', oxum],
      ['External-Identifier', tenantId],
      ['External-Description', `Export complet du service d'archives ${tenantId} (SAEH)`],
      ['Bag-Software-Agent', `SAEH ${this.deps.version}`],
      ['SAEH-Version', this.deps.version],
      ['SAEH-Export-Date', date],
      ['SAEH-Source-Dialect', db.dialect],
    ])
    const tagSha = await sha512File(`${out}/${TAG_MANIFEST}`)
    const tables = Object.fromEntries([...counts.entries()].sort())
    const { operation } = await this.deps.audit.inOperation(
      { tenantId: null, type: 'TENANT_EXPORT', agent },
      async () => ({
        result: null,
        events: [
          {
            type: 'TENANT_EXPORT',
            outcome: 'OK',
            agent,
            objectId: tenantId,
            message: `Service ${tenantId} exporté en sac BagIt (${oxum})`,
            data: { tenant: tenantId, payloadOxum: oxum, tagManifestSha512: tagSha, tables },
          },
        ],
        summary: { tenant: tenantId, payloadOxum: oxum, binaries },
      }),
    )
    return {
      tenant: tenantId,
      out,
      operationId: operation.id,
      tables,
      binaries,
      payloadOxum: oxum,
      tagManifestSha512: tagSha,
    }
  }

  /** data/storage.jsonl: every binary of the tenant, its storage key and its file in the bag. */
  async #writeStorageMap(trx: Executor, bag: BagWriter, tenantId: string): Promise<void> {
    const f = await bag.open(STORAGE_MAP)
    const put = (e: StorageMapEntry) => f.write(JSON.stringify(e) + '\n')
    const page = 1000
    let after = ''
    for (;;) {
      const rows = await trx
        .selectFrom('data_object as d')
        .innerJoin('blob as b', 'b.id', 'd.blob_id')
        .select(['d.id', 'd.operation_id', 'b.id as blob_id', 'b.size', 'b.sha512'])
        .where('d.tenant_id', '=', tenantId)
        .where('b.tenant_id', '=', tenantId)
        .where('d.id', '>', after)
        .orderBy('d.id')
        .limit(page)
        .execute()
      for (const r of rows) {
        await put({
          blobId: r.blob_id,
          key: this.deps.keyFor(tenantId, r.operation_id, r.id),
          path: `data/objects/${r.id}`,
          size: Number(r.size),
          sha512: r.sha512,
        })
      }
      if (rows.length < page) break
      after = rows[rows.length - 1]!.id
    }
    after = ''
    for (;;) {
      const rows = await trx
        .selectFrom('ingest as i')
        .innerJoin('blob as b', 'b.id', 'i.manifest_blob_id')
        .select(['i.operation_id', 'b.id as blob_id', 'b.size', 'b.sha512'])
        .where('i.tenant_id', '=', tenantId)
        .where('b.tenant_id', '=', tenantId)
        .where('i.operation_id', '>', after)
        .orderBy('i.operation_id')
        .limit(page)
        .execute()
      for (const r of rows) {
        await put({
          blobId: r.blob_id,
          key: this.deps.keyFor(tenantId, r.operation_id, 'manifest.xml'),
          path: `data/ingests/${r.operation_id}/manifest.xml`,
          size: Number(r.size),
          sha512: r.sha512,
        })
      }
      if (rows.length < page) break
      after = rows[rows.length - 1]!.operation_id
    }
    // Binaries recorded by other modules (seals, reports…): found on the first offer by their id, which
    // ends their storage key.
    const others = await sql<{ id: string; size: number; sha512: string }>`
      select b.id, b.size, b.sha512 from blob b
       where b.tenant_id = ${tenantId}
         and not exists (select 1 from data_object d where d.blob_id = b.id)
         and not exists (select 1 from ingest i where i.manifest_blob_id = b.id)
       order by b.id`.execute(trx)
    if (others.rows.length > 0) {
      const wanted = new Map(others.rows.map((r) => [r.id, r] as const))
      const found = new Map<string, string>()
      const offer = this.deps.storage.offers[0]!
      for await (const h of offer.list(`${tenantId}/`)) {
        const last = h.key.slice(h.key.lastIndexOf('/') + 1)
        if (wanted.has(last)) found.set(last, h.key)
      }
      for (const [id, r] of wanted) {
        const key = found.get(id)
        if (!key) throw ExportErrors.unlocated(id)
        await put({ blobId: id, key, path: `data/blobs/${id}`, size: Number(r.size), sha512: r.sha512 })
      }
    }
    await f.close()
  }

  // ── import ─────────────────────────────────────────────────────────────────────────────────────

  async importBag(dir: string, agent: string): Promise<ImportResult> {
    const { db, storage } = this.deps
    const bag = await checkBag(resolve(dir))
    const tenantId = bag.info.get('External-Identifier') ?? ''
    if (!TENANT_ID.test(tenantId))
      throw BagErrors.invalid(
        'bag-info.txt',
        `External-Identifier ${JSON.stringify(tenantId)} n’est pas un identifiant de service`,
      )

    const target = await introspect(db)
    const plan = planExport(target)
    const byName = new Map(plan.tables.map((p) => [p.info.name, p] as const))
    const files = new Map<string, string>()
    for (const p of bag.payload) {
      const m = /^data\/db\/([^/]+)\.jsonl$/.exec(p)
      if (!m) continue
      const name = m[1]!
      if (!byName.has(name))
        throw BagErrors.invalid(p, `table ${name} inconnue de cette instance ou non importable`)
      files.set(name, p)
    }
    if (!files.has('tenant')) throw BagErrors.invalid('data/db/tenant.jsonl', 'fichier absent')

    // Pass 1: every row is read and checked before anything is written.
    const counts = new Map<string, number>()
    const blobs = new Map<string, { size: number; sha512: string }>()
    let tenantRow: PortableRow | undefined
    for (const p of plan.tables) {
      const path = files.get(p.info.name)
      if (!path) continue
      const cols = new Set(p.info.columns.map((c) => c.name))
      let n = 0
      for await (const row of readJsonLines<PortableRow>(payloadPath(bag, path), path)) {
        n += 1
        if (row === null || typeof row !== 'object' || Array.isArray(row))
          throw BagErrors.invalid(path, `ligne ${n} : un objet JSON est attendu`)
        for (const k of Object.keys(row)) {
          if (!cols.has(k))
            throw BagErrors.invalid(path, `ligne ${n} : colonne ${k} inconnue de la table ${p.info.name}`)
        }
        const own = (col: string) => {
          if (row[col] !== tenantId)
            throw BagErrors.invalid(
              path,
              `ligne ${n} : ${col} = ${JSON.stringify(row[col])}, pas ${tenantId}`,
            )
        }
        const s = p.selection.mode
        if (s === 'tenant-row') {
          own('id')
          if (tenantRow) throw BagErrors.invalid(path, 'plusieurs services dans le sac')
          tenantRow = row
        } else if (s === 'tenant-column') own('tenant_id')
        else if (s === 'chain-column') own('chain')
        if (p.info.name === 'blob')
          blobs.set(String(row.id), { size: Number(row.size), sha512: String(row.sha512) })
      }
      counts.set(p.info.name, n)
    }
    if (!tenantRow) throw BagErrors.invalid('data/db/tenant.jsonl', `le service ${tenantId} n’y figure pas`)

    const map: StorageMapEntry[] = []
    if (blobs.size > 0 && !bag.payload.has(STORAGE_MAP))
      throw BagErrors.invalid(STORAGE_MAP, 'fichier absent')
    if (bag.payload.has(STORAGE_MAP)) {
      const seen = new Set<string>()
      for await (const e of readJsonLines<StorageMapEntry>(payloadPath(bag, STORAGE_MAP), STORAGE_MAP)) {
        const b = blobs.get(String(e?.blobId))
        if (!b || seen.has(e.blobId))
          throw BagErrors.invalid(
            STORAGE_MAP,
            `binaire ${JSON.stringify(e?.blobId)} inconnu de blob.jsonl ou listé deux fois`,
          )
        if (typeof e.key !== 'string' || !e.key.startsWith(`${tenantId}/`))
          throw BagErrors.path(String(e.key), `clé de stockage hors du service ${tenantId}`)
        validateKey(e.key)
        payloadPath(bag, e.path)
        if (e.size !== b.size || e.sha512 !== b.sha512)
          throw BagErrors.invalid(e.path, 'taille ou empreinte différente de blob.jsonl')
        seen.add(e.blobId)
        map.push({ blobId: e.blobId, key: e.key, path: e.path, size: b.size, sha512: b.sha512 })
      }
      if (seen.size !== blobs.size)
        throw BagErrors.invalid(STORAGE_MAP, 'des binaires de blob.jsonl n’y figurent pas')
    }

    // Pre-flight on the target: the tenant must not exist, nor any of its data.
    if (await db.kysely.selectFrom('tenant').select('id').where('id', '=', tenantId).executeTakeFirst())
      throw ImportErrors.tenantExists(tenantId)
    for (const p of plan.tables) {
      if (p.selection.mode === 'shared') continue
      if ((await countTenantRows(db.kysely, p, tenantId, byName)) > 0)
        throw ImportErrors.residue(tenantId, p.info.name)
    }
    const controller = tenantRow.controlled_by
    if (typeof controller === 'string' && controller !== tenantId) {
      const c = await db.kysely
        .selectFrom('tenant')
        .select('id')
        .where('id', '=', controller)
        .executeTakeFirst()
      if (!c) throw ImportErrors.controller(tenantId, controller)
    }
    await storage.checkOffers()

    // Binaries to every offer of this instance, verified, made durable before the rows commit.
    const batch = storage.batch()
    const written: string[] = []
    try {
      for (const e of map) {
        const s = await batch.put(
          e.key,
          createReadStream(payloadPath(bag, e.path), { highWaterMark: 1 << 20 }),
          {
            expectedSha512: e.sha512,
            expectedSize: e.size,
          },
        )
        if (s.createdOn.length === storage.offers.length) written.push(e.key)
      }
      await batch.commit()
    } catch (e) {
      await batch.abort()
      throw e
    }

    try {
      let kept = 0
      const { operation } = await this.deps.audit.inOperation(
        { tenantId: null, type: 'TENANT_IMPORT', agent },
        async (trx) => {
          kept = await this.#restoreRows(trx, bag, plan.tables, files, byName, tenantId)
          if (this.deps.reindex) await this.deps.reindex(trx, tenantId)
          const now = this.deps.clock.now().toISOString()
          const offerIds = storage.offers.map((o) => o.id)
          for (let i = 0; i < map.length; i += 200) {
            const part = map.slice(i, i + 200)
            const rows = part.flatMap((e) =>
              offerIds.map((o) => ({
                blob_id: e.blobId,
                offer_id: o,
                state: 'ok' as const,
                checked_at: now,
                note: 'import',
              })),
            )
            if (rows.length > 0) await trx.insertInto('blob_copy').values(rows).execute()
          }
          return {
            result: null,
            events: [
              {
                type: 'TENANT_IMPORT',
                outcome: 'OK',
                agent,
                objectId: tenantId,
                message: `Service ${tenantId} restauré depuis un sac BagIt (${bag.info.get('Payload-Oxum')})`,
                data: {
                  tenant: tenantId,
                  payloadOxum: bag.info.get('Payload-Oxum') ?? null,
                  sourceVersion: bag.info.get('SAEH-Version') ?? null,
                  binaries: map.length,
                },
              },
            ],
            summary: { tenant: tenantId, binaries: map.length },
          }
        },
      )
      return {
        tenant: tenantId,
        operationId: operation.id,
        tables: Object.fromEntries([...counts.entries()].sort()),
        binaries: map.length,
        principalsKept: kept,
      }
    } catch (e) {
      // Remove the binaries this import created — unless a concurrent import of the same bag committed
      // the tenant meanwhile (its rows then name these same, write-once binaries).
      const committed = await db.kysely
        .selectFrom('tenant')
        .select('id')
        .where('id', '=', tenantId)
        .executeTakeFirst()
        .catch(() => 'unknown')
      if (!committed)
        for (const k of written) await storage.delete(k, 'tenant import rolled back').catch(() => undefined)
      throw e
    }
  }

  /** Pass 2, inside the transaction: rows in foreign-key order, then the cross-tenant reference checks. */
  async #restoreRows(
    trx: Executor,
    bag: CheckedBag,
    tables: readonly PlannedTable[],
    files: ReadonlyMap<string, string>,
    byName: ReadonlyMap<string, PlannedTable>,
    tenantId: string,
  ): Promise<number> {
    const { dialect } = this.deps.db
    let kept = 0
    const sharedChecks: { p: PlannedTable; path: string; rows: number }[] = []
    for (const p of tables) {
      const path = files.get(p.info.name)
      if (!path || p.info.name in RECREATED_TABLES) continue
      let chunk: PortableRow[] = []
      let inserted = 0
      let keptHere = 0
      const flush = async () => {
        try {
          await insertRows(trx, dialect, p.info, chunk)
        } catch (e) {
          throw ImportErrors.conflict(p.info.name, (e as Error).message, e)
        }
        inserted += chunk.length
        chunk = []
      }
      for await (const row of readJsonLines<PortableRow>(payloadPath(bag, path), path)) {
        if (p.selection.mode === 'shared' && (await exists(trx, p.info, row))) {
          keptHere += 1
          continue
        }
        chunk.push(row)
        if (chunk.length >= 500) await flush()
      }
      await flush()
      if (p.selection.mode === 'shared') {
        sharedChecks.push({ p, path, rows: inserted + keptHere })
      } else {
        // A row that reached another tenant's data (a hostile bag) no longer matches the tenant: refused.
        const n = await countTenantRows(trx, p, tenantId, byName)
        if (n !== inserted)
          throw BagErrors.invalid(path, `${inserted - n} lignes ne se rattachent pas au service ${tenantId}`)
      }
      await checkCrossTenant(trx, p.info, byName, tenantId, path)
      kept += keptHere
    }
    // Every shared row of the bag (a principal) must be referenced by the tenant (hold a role on it):
    // checked once the referencing rows are in, so that no orphan is slipped in.
    for (const c of sharedChecks) {
      if ((await countTenantRows(trx, c.p, tenantId, byName)) < c.rows)
        throw BagErrors.invalid(
          c.path,
          `des lignes ne sont rattachées à aucune donnée du service ${tenantId}`,
        )
    }
    return kept
  }
}

async function exists(trx: Executor, t: TableInfo, row: PortableRow): Promise<boolean> {
  const key = t.primaryKey.length > 0 ? t.primaryKey : t.columns.map((c) => c.name)
  const cond = sql.join(
    key.map((c) => sql`${sql.ref(c)} = ${row[c] ?? null}`),
    sql` and `,
  )
  const { rows } = await sql`select 1 as x from ${sql.table(t.name)} where ${cond}`.execute(trx)
  return rows.length > 0
}

/** Every foreign key from a tenant's row to a tenant-scoped table must land on a row of the same tenant. */
async function checkCrossTenant(
  trx: Executor,
  t: TableInfo,
  byName: ReadonlyMap<string, PlannedTable>,
  tenantId: string,
  path: string,
): Promise<void> {
  if (!t.columns.some((c) => c.name === 'tenant_id')) return
  for (const fk of t.foreignKeys) {
    const parent = byName.get(fk.refTable)
    if (!parent || parent.selection.mode !== 'tenant-column') continue
    const join = sql.join(
      fk.columns.map((c, i) => sql`${sql.ref(`p.${fk.refColumns[i]!}`)} = ${sql.ref(`c.${c}`)}`),
      sql` and `,
    )
    const notNull = sql.join(
      fk.columns.map((c) => sql`${sql.ref(`c.${c}`)} is not null`),
      sql` and `,
    )
    const { rows } = await sql<{ n: number | string }>`
      select count(*) as n from ${sql.table(t.name)} as c
       where c.tenant_id = ${tenantId} and ${notNull}
         and not exists (select 1 from ${sql.table(fk.refTable)} as p where ${join} and p.tenant_id = ${tenantId})`.execute(
      trx,
    )
    if (Number(rows[0]?.n ?? 0) > 0)
      throw BagErrors.invalid(path, `des lignes désignent des données de ${fk.refTable} d’un autre service`)
  }
}

/** JSON Lines, one value per non-empty line, streamed; a bad line is refused by file and line number. */
export async function* readJsonLines<T>(abs: string, name: string): AsyncGenerator<T> {
  const st = await stat(abs).catch(() => undefined)
  if (!st) throw BagErrors.invalid(name, 'fichier absent')
  const rl = createInterface({ input: createReadStream(abs, 'utf8'), crlfDelay: Infinity })
  let n = 0
  for await (const line of rl) {
    n += 1
    if (line.trim() === '') continue
    let v: T
    try {
      v = JSON.parse(line) as T
    } catch {
      throw BagErrors.invalid(name, `ligne ${n} : JSON illisible`)
    }
    yield v
  }
}
