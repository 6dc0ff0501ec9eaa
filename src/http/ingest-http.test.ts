import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { createTestContainer } from '../../test/helpers/container.js'
import { testDialects, POSTGRES_SKIP_REASON } from '../../test/helpers/db.js'
import { PDF_BYTES, writeSipZip } from '../../test/helpers/sip.js'
import { initInstance } from '../main/instance.js'
import { registerJobHandlers } from '../main/jobs.js'
import { Worker } from '../jobs/runner.js'
import { silentLogger } from '../platform/log.js'
import { buildHttpApp } from './app.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`ingest API on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

for (const dialect of testDialects()) {
  describe(`ingest API (${dialect})`, () => {
    let inst: Awaited<ReturnType<typeof createTestContainer>>
    let app: FastifyInstance
    let worker: Worker
    let auth: Record<string, string>
    let sipPath: string

    before(async () => {
      inst = await createTestContainer(dialect)
      const r = await initInstance(inst.c)
      app = await buildHttpApp(inst.c)
      worker = registerJobHandlers(
        new Worker({ db: inst.c.db, queue: inst.c.queue, log: silentLogger() }, { concurrency: 1 }),
        inst.c,
      )
      const login = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'admin', password: r.admin!.password },
      })
      auth = { authorization: `Bearer ${login.json().token}`, 'x-tenant-id': 'default' }
      sipPath = await writeSipZip(join(inst.dir, 'sip.zip'))
    })
    after(async () => {
      await app.close()
      await inst.close()
    })

    it('takes a raw package, answers 202, and the worker ingests it', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/ingests',
        headers: {
          ...auth,
          'content-type': 'application/zip',
          'content-disposition': 'attachment; filename="versement.zip"',
        },
        payload: readFileSync(sipPath),
      })
      assert.equal(res.statusCode, 202, res.body)
      const { operationId } = res.json()
      assert.ok(operationId)
      const pending = await app.inject({ url: `/api/v1/operations/${operationId}`, headers: auth })
      assert.equal(pending.json().status, 'PENDING')
      assert.equal(await worker.drain(), 1)
      const op = await app.inject({ url: `/api/v1/operations/${operationId}`, headers: auth })
      assert.equal(op.statusCode, 200)
      const doc = op.json()
      for (const k of [
        'operationId',
        'type',
        'status',
        'tenant',
        'sedaVersion',
        'messageIdentifier',
        'units',
        'objects',
        'physicalObjects',
        'bytes',
        'events',
        'atr',
      ]) {
        assert.ok(k in doc, `operation document has ${k}`)
      }
      assert.equal(doc.type, 'INGEST')
      assert.equal(doc.status, 'OK', JSON.stringify(doc.events))
      assert.equal(doc.units, 2)
      assert.equal(doc.atr, `/api/v1/ingests/${operationId}/atr`)
      assert.ok(doc.events.every((e: { type: string; outcome: string }) => e.type && e.outcome))
      const atr = await app.inject({ url: doc.atr, headers: auth })
      assert.equal(atr.statusCode, 200)
      assert.match(String(atr.headers['content-type']), /xml/)
      assert.match(atr.body, /<ReplyCode>000<\/ReplyCode>/)

      const units = await app.inject({ url: `/api/v1/units?operationId=${operationId}`, headers: auth })
      assert.equal(units.json().total, 2)
      const item = units.json().results.find((u: { objects: unknown[] }) => u.objects.length === 1)
      assert.ok(item)
      const obj = item.objects[0]
      assert.deepEqual(
        Object.keys(obj)
          .filter((k) => ['id', 'kind', 'usage', 'size', 'format', 'digest'].includes(k))
          .sort(),
        ['digest', 'format', 'id', 'kind', 'size', 'usage'],
      )
      const one = await app.inject({ url: `/api/v1/units/${item.id}`, headers: auth })
      assert.equal(one.statusCode, 200)
      assert.ok(
        one
          .json()
          .rules.some(
            (r: { category: string; inherited: boolean }) => r.category === 'AppraisalRule' && r.inherited,
          ),
      )

      const content = await app.inject({ url: `/api/v1/objects/${obj.id}/content`, headers: auth })
      assert.equal(content.statusCode, 200)
      assert.ok(content.rawPayload.equals(PDF_BYTES))
      assert.match(String(content.headers['content-disposition']), /filename\*=UTF-8''/)
      const part = await app.inject({
        url: `/api/v1/objects/${obj.id}/content`,
        headers: { ...auth, range: 'bytes=0-7' },
      })
      assert.equal(part.statusCode, 206)
      assert.equal(part.headers['content-range'], `bytes 0-7/${PDF_BYTES.length}`)
      assert.equal(part.body, '%PDF-1.4')
      const tail = await app.inject({
        url: `/api/v1/objects/${obj.id}/content`,
        headers: { ...auth, range: 'bytes=-6' },
      })
      assert.equal(tail.statusCode, 206)
      assert.equal(tail.body, '%%EOF\n')
      const bad = await app.inject({
        url: `/api/v1/objects/${obj.id}/content`,
        headers: { ...auth, range: 'bytes=99999-' },
      })
      assert.equal(bad.statusCode, 400)
      assert.equal(bad.json().error.code, 'RANGE_NOT_SATISFIABLE')
    })

    it('takes a multipart form too, and reports a refusal through the operation', async () => {
      const boundary = '----saeh'
      const body = Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="v.zip"\r\nContent-Type: application/zip\r\n\r\n`,
        ),
        readFileSync(sipPath),
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ])
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/ingests',
        headers: {
          ...auth,
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'x-contract-id': 'IC-AUTRE',
        },
        payload: body,
      })
      assert.equal(res.statusCode, 202, res.body)
      await worker.drain()
      const op = await app.inject({ url: `/api/v1/operations/${res.json().operationId}`, headers: auth })
      assert.equal(op.json().status, 'KO')
      assert.ok(
        op
          .json()
          .events.some(
            (e: { type: string; message: string }) => /CONTRACT/.test(e.type) && /IC-AUTRE/.test(e.message),
          ),
      )
    })

    it('refuses bad requests without creating anything', async () => {
      const before = (
        await app.inject({ url: '/api/v1/logbook/operations?type=INGEST', headers: auth })
      ).json().total
      const empty = await app.inject({
        method: 'POST',
        url: '/api/v1/ingests',
        headers: { ...auth, 'content-type': 'application/zip' },
        payload: '',
      })
      assert.ok([400].includes(empty.statusCode), empty.body)
      const text = await app.inject({
        method: 'POST',
        url: '/api/v1/ingests',
        headers: { ...auth, 'content-type': 'text/plain' },
        payload: 'hello',
      })
      assert.equal(text.statusCode, 415)
      const nobody = await app.inject({
        method: 'POST',
        url: '/api/v1/ingests',
        headers: { 'content-type': 'application/zip' },
        payload: readFileSync(sipPath),
      })
      assert.equal(nobody.statusCode, 401)
      const otherTenant = await app.inject({
        method: 'POST',
        url: '/api/v1/ingests',
        headers: { ...auth, 'x-tenant-id': 'nowhere', 'content-type': 'application/zip' },
        payload: readFileSync(sipPath),
      })
      assert.equal(otherTenant.statusCode, 404)
      const after = (
        await app.inject({ url: '/api/v1/logbook/operations?type=INGEST', headers: auth })
      ).json().total
      assert.equal(after, before)
      const unknownAtr = await app.inject({ url: '/api/v1/ingests/nope/atr', headers: auth })
      assert.equal(unknownAtr.statusCode, 404)
    })
  })
}
