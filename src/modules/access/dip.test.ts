import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createWriteStream } from 'node:fs'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import yauzl from 'yauzl'
import type { FastifyInstance } from 'fastify'
import { testDialects, POSTGRES_SKIP_REASON } from '../../../test/helpers/db.js'
import {
  CORPUS_REFERENTIALS,
  CORPUS_SKIP_REASON,
  corpusDir,
  hasCorpus,
  referentialBytes,
} from '../../../test/corpus/vitam-corpus.js'
import { buildHttpApp } from '../../http/app.js'
import { Worker } from '../../jobs/runner.js'
import { registerJobHandlers } from '../../main/jobs.js'
import { silentLogger } from '../../platform/log.js'
import { validateSedaMessage, type SedaVersion } from '../seda/index.js'
import { SYSTEM_PRINCIPAL } from '../tenancy/index.js'
import { DipService, dipToSip } from './index.js'
import { accessFixture, type Fixture } from './test-support.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`DIP export on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

function entries(zipPath: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.open(zipPath, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err)
      const out = new Map<string, Buffer>()
      zip.on('entry', (e: yauzl.Entry) =>
        zip.openReadStream(e, (er, s) => {
          if (er) return reject(er)
          const bufs: Buffer[] = []
          s.on('data', (b: Buffer) => bufs.push(b))
          s.on('end', () => {
            out.set(e.fileName, Buffer.concat(bufs))
            zip.readEntry()
          })
        }),
      )
      zip.on('end', () => resolve(out))
      zip.on('error', reject)
      zip.readEntry()
    })
  })
}

for (const dialect of testDialects()) {
  describe(`DIP export (${dialect})`, () => {
    let f: Fixture
    let app: FastifyInstance
    let worker: Worker
    let n = 0
    const h: Record<string, Record<string, string>> = {}
    const login = async (username: string, password: string) =>
      `Bearer ${(await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } })).json().token}`
    const post = (who: string, url: string, payload: unknown) =>
      app.inject({ method: 'POST', url: `/api/v1${url}`, headers: h[who], payload: payload as object })
    const get = (who: string, url: string) =>
      app.inject({ method: 'GET', url: `/api/v1${url}`, headers: h[who] })

    before(async () => {
      f = await accessFixture(dialect)
      app = await buildHttpApp(f.c)
      worker = registerJobHandlers(
        new Worker({ db: f.c.db, queue: f.c.queue, log: silentLogger() }, { concurrency: 1 }),
        f.c,
      )
      const t = { 'x-tenant-id': 'default' }
      h.archivist = { authorization: await login('archiviste', f.users.archivist.password), ...t }
      h.reader = { authorization: await login('lecteur', f.users.reader.password), ...t }
      h.reader98 = { authorization: await login('lecteur98', f.users.reader98.password), ...t }
    })
    after(async () => {
      await app.close()
      await f.close()
    })

    async function download(who: string, id: string): Promise<string> {
      const r = await get(who, `/dips/${id}/content`)
      assert.equal(r.statusCode, 200, r.body)
      assert.equal(r.headers['content-type'], 'application/zip')
      const p = join(f.dir, `dip-${++n}.zip`)
      const { writeFile } = await import('node:fs/promises')
      await writeFile(p, r.rawPayload)
      return p
    }

    for (const version of ['2.1', '2.2', '2.3'] as SedaVersion[]) {
      it(`exports a branch as an ArchiveDeliveryRequestReply valid against the SEDA ${version} XSD`, async () => {
        const r = await post('archivist', '/dips', {
          selection: { branch: f.open.root.id },
          sedaVersion: version,
          usages: ['BinaryMaster', 'PhysicalMaster'],
        })
        assert.equal(r.statusCode, 202, r.body)
        const id = r.json().operationId as string
        assert.equal((await get('archivist', `/dips/${id}/content`)).json().error.code, 'DIP_NOT_READY')
        assert.equal(await worker.drain(), 1)
        const v = (await get('archivist', `/dips/${id}`)).json()
        assert.equal(v.state, 'ready', JSON.stringify(v.error))
        assert.equal(v.progress.objectsDone, v.progress.objectsTotal)
        assert.equal(v.units, f.open.unitIds.length)
        const zip = await entries(await download('archivist', id))
        const manifest = zip.get('manifest.xml')!
        const check = await validateSedaMessage(manifest, version)
        assert.equal(check.valid, true, JSON.stringify(check.errors.slice(0, 3)))
        const xml = manifest.toString('utf8')
        assert.match(xml, /<ArchiveDeliveryRequestReply /)
        assert.match(xml, /<Rule>ACC-00001<\/Rule>/)
        assert.match(xml, /<PhysicalId>BOITE-1<\/PhysicalId>/)
        for (const u of f.open.unitIds) assert.match(xml, new RegExp(`<UnitIdentifier>${u}</UnitIdentifier>`))
        assert.equal([...zip.keys()].filter((k) => k.startsWith('Content/')).length, 1)
        const op = await f.c.audit.getOperation('default', id)
        assert.deepEqual(
          op.events.map((e) => e.type),
          ['DIP_REQUEST', 'DIP_EXPORT'],
        )
        assert.equal(op.status, 'OK')
      })
    }

    it('re-ingests the DIP (converted to an ArchiveTransfer) with the same units and digests', async () => {
      const r = await post('archivist', '/dips', { selection: { branch: f.open.root.id } })
      assert.equal(r.statusCode, 202)
      await worker.drain()
      const dip = await download('archivist', r.json().operationId)
      const sip = join(f.dir, `sip-from-dip-${++n}.zip`)
      await dipToSip(dip, sip)
      await f.c.tenancy.createTenant(SYSTEM_PRINCIPAL, { id: 'copie', name: 'Copie' })
      await f.c.referential.loadDefaults('copie', 'test')
      const res = await f.c.ingest.ingestFile({
        tenantId: 'copie',
        packagePath: sip,
        fileName: 'dip.zip',
        contractId: 'IC-DEFAUT',
        agent: 'test',
      })
      assert.equal(res.status, 'OK', JSON.stringify(res.events.filter((e) => e.outcome !== 'OK')))
      const there = (await f.c.catalog.listUnits('copie', { operationId: res.operationId, limit: 1000 }))
        .results
      const here = (await f.c.catalog.listUnits('default', { operationId: f.open.op, limit: 1000 })).results
      assert.deepEqual(there.map((u) => u.title).sort(), here.map((u) => u.title).sort())
      const digests = (us: typeof here) =>
        us.flatMap((u) => u.objects.map((o) => `${o.kind}:${o.digest ?? o.physicalId}`)).sort()
      assert.deepEqual(digests(there), digests(here))
    })

    it('respects contract and communicability, and refuses bad input without creating anything', async () => {
      const count = async () =>
        (await f.c.db.kysely.selectFrom('dip').select('operation_id').execute()).length
      const before = await count()
      const cases: [string, unknown, number, string | null][] = [
        ['reader', { selection: { branch: f.closed.root.id } }, 403, 'DIP_NOT_COMMUNICABLE'],
        ['reader98', { selection: { unitIds: [f.open.item.id] } }, 404, 'UNIT_NOT_FOUND'],
        ['reader98', { selection: { unitIds: [f.foreign.item.id] } }, 404, 'UNIT_NOT_FOUND'],
        [
          'reader98',
          { selection: { branch: f.ad98.root.id }, usages: ['BinaryMaster'] },
          403,
          'ACCESS_USAGE_FORBIDDEN',
        ],
        ['archivist', { selection: { branch: f.open.root.id }, usages: ['Bogus'] }, 400, 'DIP_INVALID'],
        ['archivist', { selection: { branch: f.open.root.id }, sedaVersion: '1.0' }, 400, null],
        ['archivist', { selection: {} }, 400, 'SELECTION_INVALID'],
        ['archivist', { selection: { branch: 'nope' } }, 404, 'UNIT_NOT_FOUND'],
      ]
      for (const [who, payload, status, code] of cases) {
        const r = await post(who, '/dips', payload)
        assert.equal(r.statusCode, status, `${who} ${JSON.stringify(payload)} ${r.body}`)
        if (code) assert.equal(r.json().error.code, code)
      }
      // The size limit, with a French message naming the limit.
      const small = new DipService({
        ...(f.c.dips as unknown as { deps: object }).deps,
        maxBytes: 10,
      } as never)
      await assert.rejects(
        small.create(SYSTEM_PRINCIPAL, { tenantId: 'default', selection: { branch: f.open.root.id } }),
        (e: { code: string; message: string }) =>
          e.code === 'DIP_TOO_LARGE' && /au-delà de la limite de 10 octets/.test(e.message),
      )
      assert.equal(await count(), before)
      // A reader exports what it may read; another reader does not see that export.
      const mine = await post('reader', '/dips', { selection: { branch: f.open.root.id } })
      assert.equal(mine.statusCode, 202)
      await worker.drain()
      const id = mine.json().operationId
      assert.equal((await get('reader98', `/dips/${id}`)).statusCode, 404)
      assert.equal((await get('reader98', `/dips/${id}/content`)).statusCode, 404)
      await download('reader', id)
      await f.c.access.log.flush()
      const logged = await f.c.db.kysely
        .selectFrom('logbook_event')
        .select('object_id')
        .where('event_type', '=', 'ACCESS_DIP_DOWNLOAD')
        .where('object_id', '=', id)
        .execute()
      assert.equal(logged.length, 1)
    })

    if (!hasCorpus()) it.skip(CORPUS_SKIP_REASON)
    else
      it('the DIP of a corpus package (OK_AU_Physiques) re-ingests into a fresh tenant, same units and digests', async () => {
        const c = f.c
        for (const t of ['vitam', 'vitam-copie']) {
          await c.tenancy.createTenant(SYSTEM_PRINCIPAL, { id: t, name: t })
          for (const [kind, ...files] of CORPUS_REFERENTIALS)
            await c.referential.import(t, kind, referentialBytes(files), 'system')
        }
        const src = await c.ingest.ingestFile({
          tenantId: 'vitam',
          packagePath: join(corpusDir(), 'vitam', 'sip-ok', 'OK_AU_Physiques.zip'),
          fileName: 'OK_AU_Physiques.zip',
          agent: 'test',
        })
        assert.ok(['OK', 'WARNING'].includes(src.status))
        const units = (await c.catalog.listUnits('vitam', { operationId: src.operationId, limit: 1000 }))
          .results
        const d = await c.dips.create(SYSTEM_PRINCIPAL, {
          tenantId: 'vitam',
          selection: { unitIds: units.map((u) => u.id) },
          sedaVersion: '2.1',
        })
        await worker.drain()
        assert.equal((await c.dips.show(SYSTEM_PRINCIPAL, 'vitam', d.operationId)).state, 'ready')
        const dip = join(f.dir, `corpus-dip-${++n}.zip`)
        await pipeline(
          (await c.dips.open(SYSTEM_PRINCIPAL, 'vitam', d.operationId)).body,
          createWriteStream(dip),
        )
        const sip = join(f.dir, `corpus-sip-${++n}.zip`)
        await dipToSip(dip, sip)
        const again = await c.ingest.ingestFile({
          tenantId: 'vitam-copie',
          packagePath: sip,
          fileName: 'dip.zip',
          contractId: 'ArchivalAgreement0',
          agent: 'test',
        })
        assert.ok(
          ['OK', 'WARNING'].includes(again.status),
          JSON.stringify(again.events.filter((e) => e.outcome !== 'OK')),
        )
        const copy = (
          await c.catalog.listUnits('vitam-copie', { operationId: again.operationId, limit: 1000 })
        ).results
        assert.equal(copy.length, units.length)
        const sig = (us: typeof units) =>
          us.flatMap((u) => u.objects.map((o) => `${o.kind}:${o.digest ?? o.physicalId}`)).sort()
        assert.deepEqual(sig(copy), sig(units))
        assert.ok(sig(units).some((s) => s.startsWith('binary:')))
      })
  })
}
