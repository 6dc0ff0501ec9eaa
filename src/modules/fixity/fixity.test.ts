import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { chmod, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { createTestContainer } from '../../../test/helpers/container.js'
import { testDialects, POSTGRES_SKIP_REASON, type TestDialect } from '../../../test/helpers/db.js'
import { writeSipZip, type SipFile } from '../../../test/helpers/sip.js'
import { initInstance } from '../../main/instance.js'
import { Worker } from '../../jobs/runner.js'
import { registerJobHandlers } from '../../main/jobs.js'
import type { Container } from '../../main/container.js'
import { SYSTEM_PRINCIPAL } from '../tenancy/index.js'
import { createBlobStore, createStorage, type BlobStore } from '../storage/index.js'
import { FixityService, FIXITY_QUEUE, FIXITY_SCHEDULE_QUEUE } from './index.js'

const CHILD = fileURLToPath(new URL('../../../test/fixtures/fixity-crash-child.ts', import.meta.url))
const sha = (b: Buffer) => createHash('sha512').update(b).digest('hex')

interface Obj {
  readonly id: string
  readonly key: string
  readonly bytes: Buffer
}

async function read(offer: BlobStore, key: string): Promise<Buffer> {
  const g = await offer.get(key)
  const parts: Buffer[] = []
  for await (const c of g.body) parts.push(c as Buffer)
  return Buffer.concat(parts)
}

/** Damages one copy the way an operator or a failing disk would: through the offer's own files or API. */
async function replaceCopy(c: Container, offer: BlobStore, key: string, bytes: Buffer | null): Promise<void> {
  const conf = c.config.offers.find((o) => o.id === offer.id)!
  if (conf.kind === 'fs') {
    const path = join(conf.root, ...key.split('/'))
    if (bytes === null) await rm(path)
    else {
      await chmod(path, 0o644)
      await writeFile(path, bytes)
      await chmod(path, 0o444)
    }
    return
  }
  await offer.delete(key, 'test: damage')
  if (bytes !== null) await offer.put(key, Readable.from([bytes]))
}

const flip = (b: Buffer, at = 7): Buffer => {
  const x = Buffer.from(b)
  x[at % x.length] = (x[at % x.length] as number) ^ 0x01
  return x
}

function suite(label: string, dialect: TestDialect, env: () => Record<string, string>) {
  describe(`fixity audits — ${label} (${dialect})`, () => {
    let inst: Awaited<ReturnType<typeof createTestContainer>>
    let c: Container
    let n = 0

    const ingest = async (files: SipFile[], tenantId = 'default', agency?: string): Promise<Obj[]> => {
      const path = await writeSipZip(join(inst.dir, `sip-${++n}.zip`), {
        files,
        ...(agency ? { agency } : {}),
      })
      const r = await c.ingest.ingestFile({
        tenantId,
        packagePath: path,
        fileName: `sip-${n}.zip`,
        contractId: null,
        agent: 'test',
      })
      assert.equal(r.status, 'OK', JSON.stringify(r.events.filter((e) => e.outcome !== 'OK')))
      const rows = await c.db.kysely
        .selectFrom('data_object')
        .select(['id', 'sha512', 'filename'])
        .where('operation_id', '=', r.operationId)
        .where('kind', '=', 'binary')
        .execute()
      return files.map((f) => {
        const row = rows.find((x) => x.filename === f.name)!
        assert.equal(row.sha512, sha(f.bytes))
        return { id: row.id, key: `${tenantId}/${r.operationId}/${row.id}`, bytes: f.bytes }
      })
    }
    const files = (tag: string, count: number): SipFile[] =>
      Array.from({ length: count }, (_, i) => ({
        name: `${tag}-${i}.bin`,
        bytes: randomBytes(1000 + i * 70_000 + (i === 2 ? 2 * 1024 * 1024 : 0)),
      }))
    const run = async (
      type: 'existence' | 'integrity',
      tenantId: string | null = 'default',
      producer?: string,
    ) =>
      c.fixity.execute(
        await c.fixity.request({ tenantId, type, agent: 'test', ...(producer ? { producer } : {}) }),
      )

    before(async () => {
      inst = await createTestContainer(dialect, env())
      c = inst.c
      await initInstance(c)
      await c.tenancy.createTenant(SYSTEM_PRINCIPAL, { id: 'other', name: 'Autre service' })
      await c.referential.loadDefaults('other', SYSTEM_PRINCIPAL.id)
    })
    after(() => inst.close())

    it('finds a flipped byte and a deleted copy on one offer, repairs both from the good copy, and a second audit is clean', async () => {
      const objs = await ingest(files('repair', 3))
      const [a, b, untouched] = objs as [Obj, Obj, Obj]
      const [first, second] = c.storage.offers as [BlobStore, BlobStore]
      await replaceCopy(c, second, a.key, flip(a.bytes))
      await replaceCopy(c, second, b.key, null)

      const r = await run('integrity')
      assert.equal(r.status, 'WARNING')
      assert.equal(r.counts.objects, r.progress.total)
      assert.ok(r.counts.objects >= 3)
      assert.equal(r.counts.lost, 0)
      const mine = r.anomalies.filter((x) => x.objectId === a.id || x.objectId === b.id)
      assert.deepEqual(
        mine.map((x) => [x.objectId, x.offer, x.kind, x.repair, x.repairedFrom]).sort(),
        [
          [a.id, second.id, 'digest', 'repaired', first.id],
          [b.id, second.id, 'missing', 'repaired', first.id],
        ].sort(),
      )
      assert.equal(
        r.anomalies.find((x) => x.objectId === untouched.id),
        undefined,
      )
      const perOffer = r.offers.find((o) => o.offerId === second.id)!
      assert.equal(perOffer.digest, 1)
      assert.equal(perOffer.missing, 1)
      assert.equal(perOffer.repaired, 2)
      assert.ok(r.counts.bytes > 2 * 1024 * 1024, 'the bytes read are counted')
      // the copies are back, byte for byte
      assert.ok((await read(second, a.key)).equals(a.bytes))
      assert.ok((await read(second, b.key)).equals(b.bytes))
      // logged in the logbook, on the object's tenant chain: which offer, which object, from which offer
      const op = await c.audit.getOperation('default', r.auditId)
      const repairs = op.events.filter((e) => e.type === 'AUDIT_COPY_REPAIR')
      assert.equal(repairs.length, 2)
      for (const e of repairs) {
        assert.equal(e.outcome, 'OK')
        assert.equal(e.data?.offer, second.id)
        assert.equal(e.data?.from, first.id)
        assert.ok([a.id, b.id].includes(e.objectId!))
      }
      assert.equal(op.status, 'WARNING')
      assert.equal((await c.audit.verify('default')).ok, true)
      // per-object history for the probative-value report
      const h = await c.fixity.historyOf('default', a.id)
      assert.equal(h.lost, false)
      assert.deepEqual(
        h.copies.map((x) => [x.offer, x.outcome]),
        [
          [first.id, 'ok'],
          [second.id, 'repaired'],
        ],
      )
      assert.equal(h.copies[0]!.digest, sha(a.bytes))
      assert.equal(h.anomalies.length, 1)
      assert.equal(h.anomalies[0]!.auditId, r.auditId)
      const marks = (await c.blobs.get(c.db.kysely, 'default', a.id))!.copies
      assert.deepEqual(
        marks.map((m) => [m.offerId, m.state]),
        [
          [first.id, 'ok'],
          [second.id, 'ok'],
        ],
      )
      assert.match(marks[1]!.note ?? '', /rewritten from/)

      const again = await run('integrity')
      assert.equal(again.status, 'OK')
      assert.equal(again.counts.anomalies, 0)
      assert.equal(again.anomalies.length, 0)
      assert.equal(again.counts.copies, again.counts.objects * c.storage.offers.length)
      const h2 = await c.fixity.historyOf('default', a.id)
      assert.deepEqual(
        h2.copies.map((x) => x.outcome),
        ['ok', 'ok'],
      )
      assert.equal(h2.anomalies.length, 1, 'past anomalies stay in the history')
    })

    it('existence audit: finds a missing and a truncated copy, repairs them after checking the source', async () => {
      const [a, b] = (await ingest(files('exist', 2))) as [Obj, Obj]
      const [first, second] = c.storage.offers as [BlobStore, BlobStore]
      await replaceCopy(c, first, a.key, null)
      await replaceCopy(c, second, b.key, b.bytes.subarray(0, 100))
      const r = await run('existence')
      assert.equal(r.type, 'existence')
      assert.equal(r.status, 'WARNING')
      const mine = r.anomalies.filter((x) => x.objectId === a.id || x.objectId === b.id)
      assert.deepEqual(
        mine.map((x) => [x.objectId, x.offer, x.kind, x.repair, x.repairedFrom]).sort(),
        [
          [a.id, first.id, 'missing', 'repaired', second.id],
          [b.id, second.id, 'size', 'repaired', first.id],
        ].sort(),
      )
      assert.ok((await read(first, a.key)).equals(a.bytes))
      assert.ok((await read(second, b.key)).equals(b.bytes))
      assert.equal((await run('existence')).status, 'OK')
    })

    it('both copies bad: raised loudly (KO, alert, flag), nothing rewritten', async () => {
      const [a] = (await ingest(files('lost', 1))) as [Obj]
      const [first, second] = c.storage.offers as [BlobStore, BlobStore]
      const bad1 = flip(a.bytes, 3)
      const bad2 = flip(a.bytes, 900)
      await replaceCopy(c, first, a.key, bad1)
      await replaceCopy(c, second, a.key, bad2)
      const r = await run('integrity')
      assert.equal(r.status, 'KO')
      assert.equal(r.counts.lost, 1)
      assert.equal(r.counts.repaired, 0)
      assert.equal(r.alerts.length, 1)
      assert.equal(r.alerts[0]!.objectId, a.id)
      assert.ok(r.anomalies.some((x) => x.objectId === a.id && x.kind === 'lost' && x.offer === '*'))
      assert.ok(
        r.anomalies
          .filter((x) => x.objectId === a.id && x.kind === 'digest')
          .every((x) => x.repair === 'none'),
      )
      // nothing rewritten: each offer still holds its own bad bytes
      assert.ok((await read(first, a.key)).equals(bad1))
      assert.ok((await read(second, a.key)).equals(bad2))
      const op = await c.audit.getOperation('default', r.auditId)
      const ko = op.events.find((e) => e.type === 'AUDIT_FILE_INTEGRITY')!
      assert.equal(ko.outcome, 'KO')
      assert.equal(ko.objectId, a.id)
      assert.equal(op.events.filter((e) => e.type === 'AUDIT_COPY_REPAIR').length, 0)
      assert.equal(op.status, 'KO')
      const lost = await c.fixity.lostObjects('default')
      assert.deepEqual(
        lost.map((l) => l.objectId),
        [a.id],
      )
      assert.equal((await c.fixity.historyOf('default', a.id)).lost, true)
      const marks = (await c.blobs.get(c.db.kysely, 'default', a.id))!.copies
      assert.deepEqual(
        marks.map((m) => m.state),
        ['repair', 'repair'],
        'the read path learns both copies are bad',
      )
      assert.deepEqual(await c.fixity.lostObjects('other'), [])
      // an operator restores one copy: the next audit repairs the other and lowers the flag
      await replaceCopy(c, first, a.key, a.bytes)
      const after = await run('integrity')
      assert.equal(after.counts.lost, 0)
      assert.ok((await read(second, a.key)).equals(a.bytes))
      assert.deepEqual(await c.fixity.lostObjects('default'), [])
      assert.deepEqual(
        (await c.blobs.get(c.db.kysely, 'default', a.id))!.copies.map((m) => m.state),
        ['ok', 'ok'],
        'repair marks lifted once both copies verify',
      )
    })

    it('an offer that is down: its copies are unreadable, nothing is repaired on it, the audit continues', async () => {
      const [a] = (await ingest(files('down', 1))) as [Obj]
      const [first, second] = c.storage.offers as [BlobStore, BlobStore]
      await replaceCopy(c, first, a.key, null)
      // the same offer id, unreachable: a folder that is not there, an S3 endpoint on a closed port
      const conf = c.config.offers.find((o) => o.id === second.id)!
      const unreachable = createBlobStore(
        conf.kind === 'fs'
          ? { ...conf, root: join(inst.dir, 'unmounted', 'offer') }
          : { ...conf, endpoint: 'http://127.0.0.1:9' },
        { s3MaxAttempts: 1 },
      )
      const fixity = new FixityService({
        db: c.db,
        audit: c.audit,
        storage: createStorage([first, unreachable]),
        blobs: c.blobs,
        queue: c.queue,
        clock: c.clock,
        ids: c.ids,
        log: c.log,
      })
      const r = await fixity.execute(
        await fixity.request({ tenantId: 'default', type: 'integrity', agent: 't' }),
      )
      assert.equal(r.status, 'WARNING')
      assert.deepEqual(r.offersDown, [second.id])
      assert.ok(r.counts.objects >= 1)
      const on2 = r.anomalies.filter((x) => x.offer === second.id)
      assert.equal(on2.length, r.counts.objects, 'every copy on the down offer is reported')
      assert.ok(on2.every((x) => x.kind === 'unreadable' && x.repair === 'none'))
      // the missing copy on the other offer has no verified source: left alone, not "lost"
      const miss = r.anomalies.find((x) => x.objectId === a.id && x.offer === first.id)!
      assert.equal(miss.kind, 'missing')
      assert.equal(miss.repair, 'none')
      assert.equal(r.counts.lost, 0)
      assert.equal(r.offers.find((o) => o.offerId === first.id)!.checked, r.counts.objects)
      assert.equal(await first.head(a.key), undefined, 'nothing written without a verified source')
      const r2 = await run('integrity')
      assert.ok((await read(first, a.key)).equals(a.bytes), 'repaired once the other offer is back')
      assert.equal(r2.counts.lost, 0)
    })

    it('scopes: a producer, another tenant; another tenant’s audit or object is not found', async () => {
      const [p] = (await ingest(files('prod', 1), 'default', 'AD99')) as [Obj]
      const [q] = (await ingest(files('other', 1), 'other')) as [Obj]
      const byProducer = await run('existence', 'default', 'AD99')
      assert.ok(byProducer.counts.objects >= 1)
      assert.equal(byProducer.producer, 'AD99')
      const otherAudit = await run('integrity', 'other')
      assert.equal(otherAudit.counts.objects, 1, 'another tenant’s audit sees only its own object')
      assert.equal((await c.fixity.historyOf('other', q.id)).copies.length, c.storage.offers.length)
      await assert.rejects(c.fixity.report('other', byProducer.auditId), { code: 'AUDIT_NOT_FOUND' })
      await assert.rejects(c.fixity.historyOf('other', p.id), { code: 'OBJECT_NOT_FOUND' })
      await assert.rejects(c.fixity.historyOf('default', q.id), { code: 'OBJECT_NOT_FOUND' })
      await assert.rejects(c.fixity.report('default', otherAudit.auditId), { code: 'AUDIT_NOT_FOUND' })
      const byNobody = await c.db.kysely
        .selectFrom('object_fixity')
        .select('object_id')
        .where('audit_id', '=', byProducer.auditId)
        .where('tenant_id', '=', 'other')
        .execute()
      assert.deepEqual(byNobody, [], 'a tenant audit never touches another tenant’s objects')
      // the platform-wide audit covers every tenant
      const all = await run('existence', null)
      assert.equal(all.tenant, null)
      assert.ok(all.counts.objects >= byProducer.counts.objects)
      await assert.rejects(c.fixity.report('default', all.auditId), { code: 'AUDIT_NOT_FOUND' })
      assert.equal((await c.fixity.report(null, all.auditId)).auditId, all.auditId)
    })

    it('bad input changes nothing: unknown ids, types, tenants, producers', async () => {
      const count = async () =>
        Number(
          (
            await c.db.kysely
              .selectFrom('fixity_audit')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        )
      const before = await count()
      await assert.rejects(c.fixity.report(null, 'no-such-audit'), { code: 'AUDIT_NOT_FOUND' })
      await assert.rejects(c.fixity.report('default', "'; drop table fixity_audit; --"), {
        code: 'AUDIT_NOT_FOUND',
      })
      await assert.rejects(c.fixity.execute('no-such-audit'), { code: 'AUDIT_NOT_FOUND' })
      await assert.rejects(c.fixity.historyOf('default', 'no-such-object'), { code: 'OBJECT_NOT_FOUND' })
      await assert.rejects(
        c.fixity.request({ tenantId: 'default', type: 'bogus' as 'integrity', agent: 't' }),
        { code: 'AUDIT_TYPE_INVALID' },
      )
      await assert.rejects(c.fixity.request({ tenantId: 'nope', type: 'integrity', agent: 't' }), {
        code: 'TENANT_NOT_FOUND',
      })
      await assert.rejects(
        c.fixity.request({ tenantId: 'default', type: 'integrity', producer: 'NOBODY', agent: 't' }),
        { code: 'AUDIT_PRODUCER_NOT_FOUND' },
      )
      for (const bad of ['../etc', '', 'a b', 'x'.repeat(300), '\u0000']) {
        await assert.rejects(
          c.fixity.request({ tenantId: 'default', type: 'integrity', producer: bad, agent: 't' }),
          { code: 'AUDIT_PRODUCER_INVALID' },
        )
      }
      assert.equal(await count(), before)
    })

    it('runs as a job (on demand and scheduled), completing the job with the audit', async () => {
      const worker = registerJobHandlers(
        new Worker({ db: c.db, queue: c.queue, log: c.log }, { concurrency: 1, workerId: 'fixity-test' }),
        c,
      )
      const id = await c.fixity.request(
        { tenantId: 'default', type: 'existence', agent: 't' },
        { enqueue: true },
      )
      assert.equal((await c.fixity.report('default', id)).status, 'PENDING')
      await c.queue.schedule('fixity.test', FIXITY_SCHEDULE_QUEUE, 3600_000, { type: 'existence' })
      await worker.drain()
      const r = await c.fixity.report('default', id)
      assert.equal(r.status, 'OK')
      const jobs = await c.db.kysely
        .selectFrom('job')
        .select(['queue', 'state'])
        .where('queue', 'in', [FIXITY_QUEUE, FIXITY_SCHEDULE_QUEUE])
        .execute()
      assert.ok(jobs.length >= 3)
      assert.ok(
        jobs.every((j) => j.state === 'done'),
        JSON.stringify(jobs),
      )
      const scheduled = await c.db.kysely
        .selectFrom('fixity_audit')
        .select(['status', 'trigger', 'tenant_id'])
        .where('trigger', '=', 'schedule')
        .execute()
      assert.equal(scheduled.length, 1)
      assert.equal(scheduled[0]!.tenant_id, null)
      assert.equal(scheduled[0]!.status, 'OK')
      await c.db.kysely.deleteFrom('schedule').where('name', '=', 'fixity.test').execute()
    })

    it('resumes from its checkpoint after a crash (SIGKILL mid-audit)', async () => {
      await ingest(files('crash', 3))
      const id = await c.fixity.request({ tenantId: 'default', type: 'integrity', agent: 't' })
      const out = await new Promise<{ code: number | null; signal: string | null; stdout: string }>(
        (resolve, reject) => {
          const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
            env: { ...process.env, ...inst.env, FIXITY_AUDIT: id, FIXITY_CRASH_AT: '2' },
            stdio: ['ignore', 'pipe', 'inherit'],
          })
          let stdout = ''
          child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
          child.on('error', reject)
          child.on('close', (code, signal) => resolve({ code, signal, stdout }))
        },
      )
      assert.equal(out.signal, 'SIGKILL', out.stdout)
      const mid = await c.fixity.report('default', id)
      assert.equal(mid.status, 'RUNNING')
      assert.equal(mid.counts.objects, 4, 'two checkpoints of two objects were committed')
      const checkedBefore = await c.db.kysely
        .selectFrom('object_fixity')
        .select('object_id')
        .where('audit_id', '=', id)
        .execute()
      const r = await new FixityService({
        db: c.db,
        audit: c.audit,
        storage: c.storage,
        blobs: c.blobs,
        queue: c.queue,
        clock: c.clock,
        ids: c.ids,
        log: c.log,
        pageSize: 2,
      }).execute(id)
      assert.equal(r.status, 'OK')
      assert.equal(r.counts.objects, r.progress.total, 'every object counted once')
      assert.equal(r.counts.copies, r.progress.total * c.storage.offers.length)
      const checked = await c.db.kysely
        .selectFrom('object_fixity')
        .select('object_id')
        .where('audit_id', '=', id)
        .execute()
      assert.equal(new Set(checked.map((x) => x.object_id)).size, r.progress.total)
      assert.ok(checkedBefore.length > 0 && checkedBefore.length < checked.length)
      const op = await c.audit.getOperation('default', id)
      assert.equal(op.events.filter((e) => e.type === 'PROCESS_AUDIT' && e.outcome !== 'STARTED').length, 1)
    })
  })
}

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`fixity on PostgreSQL — ${POSTGRES_SKIP_REASON}`)
for (const dialect of testDialects()) suite('two folder offers', dialect, () => ({}))

const S3 = process.env.SAEH_TEST_S3_ENDPOINT
if (!S3) it.skip('fixity audits on S3 offers — skipped: SAEH_TEST_S3_ENDPOINT is not set')
else {
  process.env.AWS_ACCESS_KEY_ID = process.env.SAEH_TEST_S3_ACCESS_KEY ?? ''
  process.env.AWS_SECRET_ACCESS_KEY = process.env.SAEH_TEST_S3_SECRET_KEY ?? ''
  const dialect: TestDialect = process.env.SAEH_TEST_DATABASE_URL ? 'postgres' : 'sqlite'
  const tag = randomBytes(4).toString('hex')
  const s3 = (name: string) =>
    `s3://saeh-fixity-${name}-${tag}?endpoint=${encodeURIComponent(S3)}&region=us-east-1`
  suite('two S3 offers', dialect, () => ({ SAEH_OFFERS: `${s3('a')},${s3('b')}` }))
}
