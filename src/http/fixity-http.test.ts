import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { createTestContainer } from '../../test/helpers/container.js'
import { testDialects, POSTGRES_SKIP_REASON } from '../../test/helpers/db.js'
import { writeSipZip } from '../../test/helpers/sip.js'
import { SYSTEM_PRINCIPAL } from '../modules/tenancy/index.js'
import { initInstance } from '../main/instance.js'
import { registerJobHandlers } from '../main/jobs.js'
import { Worker } from '../jobs/runner.js'
import { buildHttpApp } from './app.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`fixity HTTP API on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

for (const dialect of testDialects()) {
  describe(`fixity HTTP API (${dialect})`, () => {
    let inst: Awaited<ReturnType<typeof createTestContainer>>
    let app: FastifyInstance
    let worker: Worker
    const tokens: Record<string, string> = {}
    let objectId = ''
    const as = (who: string, tenant?: string) => ({
      authorization: `Bearer ${tokens[who]}`,
      ...(tenant ? { 'x-tenant-id': tenant } : {}),
    })
    const audits = async () =>
      Number(
        (
          await inst.c.db.kysely
            .selectFrom('fixity_audit')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      )

    before(async () => {
      inst = await createTestContainer(dialect, { SAEH_LOGIN_RATE_LIMIT: '1000' })
      const c = inst.c
      const init = await initInstance(c)
      app = await buildHttpApp(c)
      worker = registerJobHandlers(
        new Worker({ db: c.db, queue: c.queue, log: c.log }, { concurrency: 1, workerId: 'http-test' }),
        c,
      )
      const login = async (username: string, password: string) =>
        (
          await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } })
        ).json().token as string
      tokens.admin = await login('admin', init.admin!.password)
      for (const id of ['ad33', 'ad24']) {
        await c.tenancy.createTenant(SYSTEM_PRINCIPAL, { id, name: id })
        await c.referential.loadDefaults(id, SYSTEM_PRINCIPAL.id)
      }
      for (const [u, tenant, role] of [
        ['archi33', 'ad33', 'archivist'],
        ['reader33', 'ad33', 'reader'],
      ] as const) {
        const res = await app.inject({
          method: 'POST',
          url: '/api/v1/users',
          headers: as('admin', tenant),
          payload: { username: u, role, password: `${u}-password-long` },
        })
        assert.equal(res.statusCode, 201, res.body)
        tokens[u] = await login(u, `${u}-password-long`)
      }
      const path = await writeSipZip(join(inst.dir, 'sip.zip'))
      const r = await c.ingest.ingestFile({
        tenantId: 'ad33',
        packagePath: path,
        fileName: 'sip.zip',
        contractId: null,
        agent: 'test',
      })
      assert.equal(r.status, 'OK')
      const row = await c.db.kysely
        .selectFrom('data_object')
        .select('id')
        .where('operation_id', '=', r.operationId)
        .where('kind', '=', 'binary')
        .executeTakeFirstOrThrow()
      objectId = row.id
    })
    after(async () => {
      await app.close()
      await inst.close()
    })

    it('runs an audit of a tenant: 202 + operationId, then its report', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/audits',
        headers: as('archi33', 'ad33'),
        payload: { type: 'integrity' },
      })
      assert.equal(res.statusCode, 202, res.body)
      const id = res.json().operationId as string
      assert.ok(id)
      const pending = await app.inject({ url: `/api/v1/audits/${id}`, headers: as('archi33', 'ad33') })
      assert.equal(pending.json().status, 'PENDING')
      await worker.drain()
      const rep = await app.inject({ url: `/api/v1/audits/${id}`, headers: as('archi33', 'ad33') })
      assert.equal(rep.statusCode, 200)
      const doc = rep.json()
      assert.equal(doc.status, 'OK')
      assert.equal(doc.tenant, 'ad33')
      assert.equal(doc.counts.objects, 1)
      assert.equal(doc.counts.copies, 2)
      assert.deepEqual(
        doc.offers.map((o: { offerId: string; ok: number }) => [o.offerId, o.ok]),
        [
          ['fs-1', 1],
          ['fs-2', 1],
        ],
      )
      assert.deepEqual(doc.anomalies, [])
      const op = await app.inject({ url: `/api/v1/operations/${id}`, headers: as('archi33', 'ad33') })
      assert.equal(op.json().type, 'AUDIT')
      assert.equal(op.json().status, 'OK')
      const hist = await app.inject({
        url: `/api/v1/objects/${objectId}/fixity`,
        headers: as('reader33', 'ad33'),
      })
      assert.equal(hist.statusCode, 200)
      assert.equal(hist.json().copies.length, 2)
      assert.equal(hist.json().copies[0].auditId, id)
      // another tenant's id is not found, never leaked
      const other = await app.inject({ url: `/api/v1/audits/${id}`, headers: as('admin', 'ad24') })
      assert.equal(other.statusCode, 404)
      assert.equal(other.json().error.code, 'AUDIT_NOT_FOUND')
      const otherObj = await app.inject({
        url: `/api/v1/objects/${objectId}/fixity`,
        headers: as('admin', 'ad24'),
      })
      assert.equal(otherObj.statusCode, 404)
      const unreachable = await app.inject({ url: `/api/v1/audits/${id}`, headers: as('archi33', 'ad24') })
      assert.equal(unreachable.statusCode, 404)
      assert.equal(unreachable.json().error.code, 'TENANT_NOT_FOUND')
      const alerts = await app.inject({ url: '/api/v1/audits/alerts', headers: as('archi33', 'ad33') })
      assert.deepEqual(alerts.json(), { total: 0, results: [] })
      const health = await app.inject({ url: '/health' })
      assert.deepEqual(health.json().fixity, { lostObjects: 0 })
    })

    it('the whole platform: platform administrators only', async () => {
      const denied = await app.inject({
        method: 'POST',
        url: '/api/v1/audits',
        headers: as('archi33'),
        payload: { scope: 'all' },
      })
      assert.equal(denied.statusCode, 403)
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/audits',
        headers: as('admin'),
        payload: { scope: 'all', type: 'existence' },
      })
      assert.equal(res.statusCode, 202, res.body)
      await worker.drain()
      const rep = await app.inject({ url: `/api/v1/audits/${res.json().operationId}`, headers: as('admin') })
      assert.equal(rep.json().tenant, null)
      assert.equal(rep.json().status, 'OK')
      const asTenant = await app.inject({
        url: `/api/v1/audits/${res.json().operationId}`,
        headers: as('archi33', 'ad33'),
      })
      assert.equal(asTenant.statusCode, 404)
    })

    it('refuses bad requests and changes nothing', async () => {
      const before = await audits()
      const cases: [Record<string, string>, unknown, number, string?][] = [
        [as('archi33', 'ad33'), { type: 'bogus' }, 400],
        [as('archi33', 'ad33'), { type: 'integrity', extra: 1 }, 400],
        [as('archi33', 'ad33'), { producer: '../../etc' }, 400, 'AUDIT_PRODUCER_INVALID'],
        [as('archi33', 'ad33'), { producer: 'NOBODY' }, 404, 'AUDIT_PRODUCER_NOT_FOUND'],
        [as('archi33', 'ad33'), { scope: 'all' }, 400, 'AUDIT_SCOPE_INVALID'],
        [as('archi33', 'ad33'), [1, 2], 400],
        [as('archi33', 'ad33'), { type: { $ne: 1 } }, 400],
        [as('reader33', 'ad33'), { type: 'integrity' }, 403],
        [as('archi33', 'ad24'), { type: 'integrity' }, 404, 'TENANT_NOT_FOUND'],
        [as('archi33', 'nope'), { type: 'integrity' }, 404, 'TENANT_NOT_FOUND'],
        [{}, { type: 'integrity' }, 401],
      ]
      for (const [headers, payload, status, code] of cases) {
        const res = await app.inject({
          method: 'POST',
          url: '/api/v1/audits',
          headers,
          payload: payload as object,
        })
        assert.equal(res.statusCode, status, `${JSON.stringify(payload)}: ${res.body}`)
        if (code) assert.equal(res.json().error.code, code)
      }
      const garbage = await app.inject({
        method: 'POST',
        url: '/api/v1/audits',
        headers: { ...as('archi33', 'ad33'), 'content-type': 'application/json' },
        payload: '{not json',
      })
      assert.equal(garbage.statusCode, 400)
      for (const id of ['nope', '%00', 'x'.repeat(90), "1' or '1'='1"]) {
        const res = await app.inject({
          url: `/api/v1/audits/${encodeURIComponent(id)}`,
          headers: as('archi33', 'ad33'),
        })
        assert.equal(res.statusCode, 404, id)
        assert.equal(res.json().error.code, 'AUDIT_NOT_FOUND')
        const h = await app.inject({
          url: `/api/v1/objects/${encodeURIComponent(id)}/fixity`,
          headers: as('archi33', 'ad33'),
        })
        assert.equal(h.statusCode, 404, id)
      }
      assert.equal(await audits(), before)
    })
  })
}
