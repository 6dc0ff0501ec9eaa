import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sql } from 'kysely'
import {
  createTestDatabase,
  testDialects,
  POSTGRES_SKIP_REASON,
  type TestDialect,
} from '../../../test/helpers/db.js'
import { filesUnder } from '../../../test/helpers/files.js'
import { PDF_BYTES, writeSipZip, type SipFile } from '../../../test/helpers/sip.js'
import { loadConfig } from '../../config/config.js'
import { buildContainer, type Container } from '../../main/container.js'
import { initInstance } from '../../main/instance.js'
import { silentLogger } from '../../platform/log.js'
import { validateSedaMessage } from '../seda/index.js'

/**
 * The requirement: « a crash (kill -9) at any moment of an ingest leaves either nothing visible
 * or everything, and the next start cleans up ». A child process ingests a package and SIGKILLs itself
 * at a named point of the pipeline; the test then restarts the instance (init + recovery) and checks
 * what is left, then sends the same package again.
 */

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`ingest crash on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

const CHILD = fileURLToPath(new URL('../../../test/fixtures/ingest-crash-child.ts', import.meta.url))
/** How long one child may take to start, open the instance and reach its crash point. */
const CHILD_TIMEOUT_MS = 60_000
const TEST_TIMEOUT_MS = 240_000
/** Temp files of the fs offers are named `.tmp-<host>-<pid>-<random>` (TEMP_PREFIX in storage/fs-store.ts). */
const TEMP_PREFIX = '.tmp-'

type CrashPoint = 'after-sanity' | 'mid-storage' | 'after-storage-commit' | 'after-db-commit' | 'batch-put-2'

/** Five small PDFs whose digests differ (a random comment line inside each). */
function pdfFiles(): SipFile[] {
  const nl = PDF_BYTES.indexOf('\n') + 1
  return Array.from({ length: 5 }, (_, i) => ({
    name: `piece-${i + 1}.pdf`,
    bytes: Buffer.concat([
      PDF_BYTES.subarray(0, nl),
      Buffer.from(`%${randomBytes(1500 + i * 300).toString('hex')}\n`),
      PDF_BYTES.subarray(nl),
    ]),
    title: `Pièce ${i + 1}`,
  }))
}

async function countAll(c: Container, table: 'blob' | 'blob_copy'): Promise<number> {
  const r = await c.db.kysely
    .selectFrom(table)
    .select(sql<number>`count(*)`.as('n'))
    .executeTakeFirstOrThrow()
  return Number(r.n)
}

async function countOf(
  c: Container,
  table: 'archive_unit' | 'data_object' | 'object_group',
  op: string,
): Promise<number> {
  const r = await c.db.kysely
    .selectFrom(table)
    .select(sql<number>`count(*)`.as('n'))
    .where('operation_id', '=', op)
    .executeTakeFirstOrThrow()
  return Number(r.n)
}

interface Crashed {
  /** The restarted instance, after initInstance and recover(0). */
  readonly c: Container
  readonly op: string
  readonly files: readonly SipFile[]
  readonly sipPath: string
  readonly recovered: number
  /** What the crash left, seen before the restart (before initInstance and recover). */
  readonly left: {
    readonly status: string
    /** Temp files of the fs offers, anywhere. */
    readonly temps: readonly string[]
    /** Visible files under the fs offers' `default/<op>` folders. */
    readonly visible: readonly string[]
    readonly staging: boolean
  }
  readonly blobsBefore: number
  readonly blobCopiesBefore: number
  close(): Promise<void>
}

/**
 * A fresh instance; a child ingests a 5-PDF package and kills itself at `point`; the instance is
 * reopened (buildContainer + initInstance + recover(0)), as the next start would.
 */
async function crashAndRestart(dialect: TestDialect, point: CrashPoint): Promise<Crashed> {
  const t = await createTestDatabase(dialect)
  const env = {
    SAEH_HOME: join(t.dir, 'home'),
    SAEH_DATABASE_URL: t.config.dialect === 'sqlite' ? `sqlite://${t.config.file}` : t.config.url,
  }
  let c: Container | undefined
  try {
    // the default tenant and its referentials exist before the crash
    const first = await buildContainer(loadConfig(env), { log: silentLogger() })
    let blobsBefore: number
    let blobCopiesBefore: number
    try {
      await initInstance(first)
      blobsBefore = await countAll(first, 'blob')
      blobCopiesBefore = await countAll(first, 'blob_copy')
    } finally {
      await first.close()
    }
    const files = pdfFiles()
    const sipPath = await writeSipZip(join(t.dir, 'versement.zip'), { files })

    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      env: { ...process.env, ...env, CRASH_AT: point, CRASH_SIP: sipPath },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (b: Buffer) => (out += b.toString()))
    child.stderr.on('data', (b: Buffer) => (err += b.toString()))
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGTERM'), CHILD_TIMEOUT_MS)
      child.once('exit', (code, signal) => {
        clearTimeout(timer)
        resolve({ code, signal })
      })
    })
    assert.equal(
      exit.signal,
      'SIGKILL',
      `the child should have died by SIGKILL at ${point}; exit ${JSON.stringify(exit)}; stdout: ${out}; stderr: ${err}`,
    )
    assert.match(out, /^INGESTING /m, 'the child reached the ingest')

    c = await buildContainer(loadConfig(env), { log: silentLogger() })
    const ingests = await c.db.kysely.selectFrom('ingest').select(['operation_id', 'status']).execute()
    assert.equal(ingests.length, 1, 'the child created one ingest')
    const op = ingests[0]!.operation_id
    const fsRoots = c.config.offers.flatMap((o) => (o.kind === 'fs' ? [o.root] : []))
    const left = {
      status: ingests[0]!.status,
      temps: fsRoots.flatMap(filesUnder).filter((f) => basename(f).startsWith(TEMP_PREFIX)),
      visible: fsRoots
        .flatMap((r) => filesUnder(join(r, 'default', op)))
        .filter((f) => !basename(f).startsWith('.')),
      staging: existsSync(join(c.config.home, 'staging', op)),
    }
    await initInstance(c)
    const recovered = await c.ingest.recover(0)
    const opened = c
    return {
      c: opened,
      op,
      files,
      sipPath,
      recovered,
      left,
      blobsBefore,
      blobCopiesBefore,
      async close() {
        await opened.close()
        await t.destroy()
      },
    }
  } catch (e) {
    await c?.close().catch(() => undefined)
    await t.destroy().catch(() => undefined)
    throw e
  }
}

/** No temp file of a dead writer anywhere in the fs offers. */
function assertNoTempFiles(c: Container): void {
  for (const o of c.config.offers) {
    if (o.kind !== 'fs') continue
    const temps = filesUnder(o.root).filter((f) => basename(f).startsWith(TEMP_PREFIX))
    assert.deepEqual(temps, [], `no temp file left in offer ${o.id}`)
  }
}

/** A crash before the database commit: the ingest ends FATAL with its ATR and nothing else is left. */
async function assertNothingLeft(s: Crashed): Promise<void> {
  const { c, op } = s
  assert.equal(s.recovered, 1, 'the next start recovers the interrupted ingest')
  const row = await c.db.kysely
    .selectFrom('ingest')
    .select(['status', 'units', 'objects', 'atr'])
    .where('operation_id', '=', op)
    .executeTakeFirstOrThrow()
  assert.equal(row.status, 'FATAL')
  assert.equal(Number(row.units), 0)
  assert.equal(Number(row.objects), 0)
  assert.equal((await c.audit.getOperation('default', op)).status, 'FATAL')
  const atr = await c.ingest.atrOf('default', op)
  assert.match(atr, /<ReplyCode>(?!000)\d{3}<\/ReplyCode>/, 'the ATR is a refusal')
  const v = await validateSedaMessage(Buffer.from(atr), '2.1')
  assert.equal(v.valid, true, `the FATAL ATR is valid SEDA: ${JSON.stringify(v.errors.slice(0, 2))}`)

  for (const t of ['archive_unit', 'data_object', 'object_group'] as const)
    assert.equal(await countOf(c, t, op), 0, `no ${t} row for the interrupted ingest`)
  assert.equal(await countAll(c, 'blob'), s.blobsBefore, 'no blob row for the interrupted ingest')
  assert.equal(
    await countAll(c, 'blob_copy'),
    s.blobCopiesBefore,
    'no blob_copy row for the interrupted ingest',
  )

  for (const offer of c.storage.offers) {
    const keys: string[] = []
    for await (const h of offer.list(`default/${op}/`)) keys.push(h.key)
    assert.deepEqual(keys, [], `offer ${offer.id} holds nothing of the interrupted ingest`)
  }
  for (const o of c.config.offers) {
    if (o.kind === 'fs')
      assert.deepEqual(filesUnder(join(o.root, 'default', op)), [], `nothing under ${o.id}/default/${op}`)
  }
  assertNoTempFiles(c)
  assert.equal(existsSync(join(c.config.home, 'staging', op)), false, 'no staging folder left behind')
  assert.equal((await c.audit.verify()).ok, true, 'the logbook chains verify')
}

/** A crash after the database commit: the ingest is complete, every byte readable. */
async function assertEverythingThere(s: Crashed): Promise<void> {
  const { c, op } = s
  assert.equal(s.recovered, 0, 'nothing to recover: the ingest was committed')
  const row = await c.db.kysely
    .selectFrom('ingest')
    .select(['status', 'units', 'objects', 'atr'])
    .where('operation_id', '=', op)
    .executeTakeFirstOrThrow()
  assert.equal(row.status, 'OK')
  assert.equal(Number(row.units), s.files.length + 1)
  assert.equal(Number(row.objects), s.files.length)
  assert.match(row.atr ?? '', /<ReplyCode>000<\/ReplyCode>/)
  assert.equal((await c.audit.getOperation('default', op)).status, 'OK')
  assert.equal(await countOf(c, 'archive_unit', op), s.files.length + 1)
  assert.equal(await countOf(c, 'object_group', op), s.files.length)

  const objects = await c.db.kysely
    .selectFrom('data_object')
    .select(['id', 'seda_id', 'sha512', 'size', 'blob_id'])
    .where('operation_id', '=', op)
    .execute()
  assert.equal(objects.length, s.files.length)
  for (const o of objects) {
    const m = /^O(\d+)$/.exec(o.seda_id ?? '')
    const f = m ? s.files[Number(m[1])] : undefined
    assert.ok(f, `object ${o.seda_id} maps to a packaged file`)
    assert.ok(o.sha512, `object ${o.seda_id} has its digest`)
    assert.equal(Number(o.size), f.bytes.length)
    assert.ok(o.blob_id, `object ${o.seda_id} has its blob`)
    const opened = await c.storage.open(`default/${op}/${o.id}`, { sha512: o.sha512 })
    const chunks: Buffer[] = []
    for await (const ch of opened.body) chunks.push(ch as Buffer)
    assert.ok(Buffer.concat(chunks).equals(f.bytes), `object ${o.seda_id} reads back byte for byte`)
  }
  // every offer holds the objects and the manifest
  for (const offer of c.storage.offers) {
    const keys: string[] = []
    for await (const h of offer.list(`default/${op}/`)) keys.push(h.key)
    assert.deepEqual(
      keys.sort(),
      [...objects.map((o) => `default/${op}/${o.id}`), `default/${op}/manifest.xml`].sort(),
      `offer ${offer.id} holds every object and the manifest`,
    )
  }
  assert.equal(
    await countAll(c, 'blob'),
    s.blobsBefore + s.files.length + 1,
    'one blob per object + manifest',
  )
  assertNoTempFiles(c)
  assert.equal((await c.audit.verify()).ok, true, 'the logbook chains verify')
}

/** After recovery the package can be sent again, and is accepted. */
async function assertResendAccepted(s: Crashed): Promise<void> {
  const r = await s.c.ingest.ingestFile({
    tenantId: 'default',
    packagePath: s.sipPath,
    fileName: basename(s.sipPath),
    contractId: null,
    agent: 'test',
  })
  assert.equal(r.status, 'OK', JSON.stringify(r.events.filter((e) => e.outcome !== 'OK')))
  assert.notEqual(r.operationId, s.op)
  assert.equal(r.objects, s.files.length)
  assert.equal(r.units, s.files.length + 1)
  assertNoTempFiles(s.c)
  assert.equal(existsSync(join(s.c.config.home, 'staging', r.operationId)), false)
  assert.equal((await s.c.audit.verify()).ok, true)
}

async function withCrash(dialect: TestDialect, point: CrashPoint, check: (s: Crashed) => Promise<void>) {
  const s = await crashAndRestart(dialect, point)
  try {
    await check(s)
  } finally {
    await s.close()
  }
}

/** Objects stored per offer by the test package: 5 PDFs and the manifest. */
const PER_OFFER = 6

for (const dialect of testDialects()) {
  describe(`ingest crash, kill -9 then restart (${dialect})`, () => {
    it(
      'after the sanity check: nothing visible, ingest FATAL, package can be sent again',
      { timeout: TEST_TIMEOUT_MS },
      () =>
        withCrash(dialect, 'after-sanity', async (s) => {
          assert.equal(s.left.status, 'RUNNING', 'the crash left the ingest RUNNING')
          assert.equal(s.left.staging, true, 'the crash left the staging folder')
          assert.deepEqual(s.left.visible, [])
          await assertNothingLeft(s)
          await assertResendAccepted(s)
        }),
    )

    it(
      'mid-storage (fault point): nothing visible, ingest FATAL, package can be sent again',
      { timeout: TEST_TIMEOUT_MS },
      () =>
        withCrash(dialect, 'mid-storage', async (s) => {
          assert.equal(s.left.status, 'RUNNING')
          await assertNothingLeft(s)
          await assertResendAccepted(s)
        }),
    )

    it(
      'mid-storage (killed after the 2nd put into the storage batch): temp files swept, nothing visible, FATAL',
      { timeout: TEST_TIMEOUT_MS },
      () =>
        withCrash(dialect, 'batch-put-2', async (s) => {
          assert.equal(s.left.status, 'RUNNING')
          const offers = s.c.config.offers.filter((o) => o.kind === 'fs').length
          assert.ok(
            s.left.temps.length >= 2 * offers,
            `the crash left the batch's temp files (${s.left.temps.length})`,
          )
          assert.deepEqual(s.left.visible, [], 'nothing of an uncommitted batch is visible')
          await assertNothingLeft(s)
          await assertResendAccepted(s)
        }),
    )

    it(
      'after the storage commit, before the database commit: the stored objects are removed, FATAL',
      { timeout: TEST_TIMEOUT_MS },
      () =>
        withCrash(dialect, 'after-storage-commit', async (s) => {
          assert.equal(s.left.status, 'RUNNING')
          const offers = s.c.config.offers.filter((o) => o.kind === 'fs').length
          assert.equal(s.left.visible.length, PER_OFFER * offers, 'the crash left the committed objects')
          await assertNothingLeft(s)
          await assertResendAccepted(s)
        }),
    )

    it(
      'after the database commit: everything visible, every byte readable, logbook verified',
      { timeout: TEST_TIMEOUT_MS },
      () =>
        withCrash(dialect, 'after-db-commit', async (s) => {
          assert.equal(s.left.status, 'OK', 'the ingest was committed before the crash')
          await assertEverythingThere(s)
          await assertResendAccepted(s)
        }),
    )

    // A kill after the commit happens before run()'s clean-up: the next start's recover() sweeps
    // staging folders of ingests that are no longer running.
    it(
      'after the database commit: the next start removes the staging folder',
      { timeout: TEST_TIMEOUT_MS },
      () =>
        withCrash(dialect, 'after-db-commit', async (s) => {
          const staging = join(s.c.config.home, 'staging', s.op)
          assert.equal(
            existsSync(staging),
            false,
            `no staging folder left behind; found: ${filesUnder(staging)
              .map((f) => f.slice(staging.length + 1))
              .join(', ')}`,
          )
        }),
    )
  })
}
