import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { createTestContainer } from '../../test/helpers/container.js'
import { testDialects } from '../../test/helpers/db.js'
import { writeSipZip } from '../../test/helpers/sip.js'
import { SYSTEM_PRINCIPAL } from '../modules/tenancy/index.js'
import { initInstance } from '../main/instance.js'
import { registerJobHandlers } from '../main/jobs.js'
import { Worker } from '../jobs/runner.js'
import { buildHttpApp } from './app.js'

/**
 * The read-only routes added for the administration screens: GET /audits, GET /logbook/seals,
 * GET /access-contracts/bindings, GET /access-log — who may read them and what a tenant sees.
 */
for (const dialect of testDialects()) {
  describe(`admin screens' HTTP API (${dialect})`, () => {
    let inst: Awaited<ReturnType<typeof createTestContainer>>
    let app: FastifyInstance
    let worker: Worker
    const tokens: Record<string, string> = {}
    const ids: Record<string, string> = {}
    let unitId = ''
    const as = (who: string, tenant?: string) => ({
      authorization: `Bearer ${tokens[who]}`,
      ...(tenant ? { 'x-tenant-id': tenant } : {}),
    })

    before(async () => {
      inst = await createTestContainer(dialect, { SAEH_LOGIN_RATE_LIMIT: '1000' })
      const c = inst.c
      const init = await initInstance(c)
      app = await buildHttpApp(c)
      worker = registerJobHandlers(
        new Worker({ db: c.db, queue: c.queue, log: c.log }, { concurrency: 1, workerId: 'admin-http' }),
        c,
      )
      const login = async (username: string, password: string) =>
        (
          await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } })
        ).json().token as string
      tokens.admin = await login('admin', init.admin!.password)
      for (const id of ['ta', 'tb']) {
        await c.tenancy.createTenant(SYSTEM_PRINCIPAL, { id, name: id })
        await c.referential.loadDefaults(id, SYSTEM_PRINCIPAL.id)
      }
      for (const [u, tenant, role] of [
        ['archi-a', 'ta', 'archivist'],
        ['reader-a', 'ta', 'reader'],
        ['archi-b', 'tb', 'archivist'],
      ] as const) {
        const res = await app.inject({
          method: 'POST',
          url: '/api/v1/users',
          headers: as('admin', tenant),
          payload: { username: u, role, password: `${u}-password-long` },
        })
        assert.equal(res.statusCode, 201, res.body)
        ids[u] = res.json().id
        tokens[u] = await login(u, `${u}-password-long`)
      }
      const r = await c.ingest.ingestFile({
        tenantId: 'ta',
        packagePath: await writeSipZip(join(inst.dir, 'sip.zip')),
        fileName: 'sip.zip',
        contractId: null,
        agent: 'test',
      })
      assert.equal(r.status, 'OK')
      unitId = (
        await c.db.kysely
          .selectFrom('archive_unit')
          .select('id')
          .where('tenant_id', '=', 'ta')
          .executeTakeFirstOrThrow()
      ).id
    })
    after(async () => {
      await app.close()
      await inst.close()
    })

    it('GET /audits lists the tenant’s audits, newest first, with status and counts; not another’s', async () => {
      for (const type of ['existence', 'integrity']) {
        const res = await app.inject({
          method: 'POST',
          url: '/api/v1/audits',
          headers: as('archi-a', 'ta'),
          payload: { type },
        })
        assert.equal(res.statusCode, 202, res.body)
      }
      await worker.drain()
      const list = await app.inject({ url: '/api/v1/audits', headers: as('archi-a', 'ta') })
      assert.equal(list.statusCode, 200, list.body)
      const body = list.json()
      assert.equal(body.total, 2)
      assert.deepEqual(
        body.results.map((a: { type: string; status: string }) => [a.type, a.status]),
        [
          ['integrity', 'OK'],
          ['existence', 'OK'],
        ],
      )
      assert.equal(body.results[0].counts.objects, 1)
      assert.equal(body.results[0].anomalies, undefined)
      const other = await app.inject({ url: '/api/v1/audits', headers: as('archi-b', 'tb') })
      assert.equal(other.json().total, 0)
      const reader = await app.inject({ url: '/api/v1/audits', headers: as('reader-a', 'ta') })
      assert.equal(reader.statusCode, 403)
      const bad = await app.inject({ url: '/api/v1/audits?limit=0', headers: as('archi-a', 'ta') })
      assert.equal(bad.statusCode, 400)
      const junk = await app.inject({ url: '/api/v1/audits?limit=1;drop', headers: as('archi-a', 'ta') })
      assert.equal(junk.statusCode, 400)
    })

    it('GET /logbook/seals: a tenant sees the seals covering its chain and only its range', async () => {
      const none = await app.inject({ url: '/api/v1/logbook/seals', headers: as('archi-a', 'ta') })
      assert.equal(none.statusCode, 200, none.body)
      assert.equal(none.json().total, 0)
      const made = await inst.c.seals.seal('test')
      assert.ok(made.sealed)
      const mine = await app.inject({ url: '/api/v1/logbook/seals', headers: as('archi-a', 'ta') })
      const seal = mine.json().results[0]
      assert.equal(mine.json().total, 1)
      assert.equal(seal.id, made.seal!.id)
      assert.match(seal.merkleRoot, /^[0-9a-f]{128}$/)
      assert.ok(seal.genTime)
      assert.deepEqual(
        seal.ranges.map((r: { chain: string }) => r.chain),
        ['ta'],
      )
      assert.equal(seal.events, undefined)
      const all = await app.inject({ url: '/api/v1/logbook/seals', headers: as('admin') })
      const chains = all.json().results[0].ranges.map((r: { chain: string }) => r.chain)
      assert.ok(chains.includes('ta') && chains.includes('tb') && chains.includes('_platform'), chains)
      const noTenant = await app.inject({ url: '/api/v1/logbook/seals', headers: as('archi-a') })
      assert.equal(noTenant.statusCode, 400)
      const reader = await app.inject({ url: '/api/v1/logbook/seals', headers: as('reader-a', 'ta') })
      assert.equal(reader.statusCode, 403)
      const foreign = await app.inject({ url: '/api/v1/logbook/seals', headers: as('archi-b', 'ta') })
      assert.equal(foreign.statusCode, 404)
    })

    it('GET /access-contracts/bindings lists the tenant’s bindings, for principal managers only', async () => {
      const put = await app.inject({
        method: 'PUT',
        url: `/api/v1/access-contracts/bindings/${ids['reader-a']}`,
        headers: as('archi-a', 'ta'),
        payload: { contracts: ['AC-DEFAUT'] },
      })
      assert.equal(put.statusCode, 200, put.body)
      const list = await app.inject({
        url: '/api/v1/access-contracts/bindings',
        headers: as('archi-a', 'ta'),
      })
      assert.deepEqual(list.json(), {
        total: 1,
        results: [{ principalId: ids['reader-a'], contracts: ['AC-DEFAUT'] }],
      })
      const other = await app.inject({
        url: '/api/v1/access-contracts/bindings',
        headers: as('archi-b', 'tb'),
      })
      assert.deepEqual(other.json(), { total: 0, results: [] })
      const reader = await app.inject({
        url: '/api/v1/access-contracts/bindings',
        headers: as('reader-a', 'ta'),
      })
      assert.equal(reader.statusCode, 403)
    })

    it('GET /access-log lists who read what under which contract, newest first; managers only', async () => {
      const read = await app.inject({ url: `/api/v1/units/${unitId}`, headers: as('archi-a', 'ta') })
      assert.equal(read.statusCode, 200, read.body)
      const search = await app.inject({ url: '/api/v1/units?q=zzzunknown', headers: as('reader-a', 'ta') })
      assert.equal(search.statusCode, 200, search.body)
      await inst.c.access.log.flush()
      const log = await app.inject({ url: '/api/v1/access-log', headers: as('archi-a', 'ta') })
      assert.equal(log.statusCode, 200, log.body)
      const rows = log.json().results as {
        type: string
        principal: string
        contract: string
        objectId: string
      }[]
      const consult = rows.find((r) => r.type === 'ACCESS_UNIT_CONSULT')
      assert.ok(consult, JSON.stringify(rows))
      assert.equal(consult.principal, 'archi-a')
      assert.equal(consult.contract, 'AC-DEFAUT')
      assert.equal(consult.objectId, unitId)
      const s = rows.find((r) => r.type === 'ACCESS_UNIT_SEARCH')
      assert.ok(s)
      assert.equal(s.principal, 'reader-a')
      assert.equal(rows.indexOf(s) < rows.indexOf(consult), true, 'newest first')
      const limited = await app.inject({ url: '/api/v1/access-log?limit=1', headers: as('archi-a', 'ta') })
      assert.equal(limited.json().results.length, 1)
      const other = await app.inject({ url: '/api/v1/access-log', headers: as('archi-b', 'tb') })
      assert.deepEqual(other.json().results, [])
      const reader = await app.inject({ url: '/api/v1/access-log', headers: as('reader-a', 'ta') })
      assert.equal(reader.statusCode, 403)
      const bad = await app.inject({ url: '/api/v1/access-log?limit=9999', headers: as('archi-a', 'ta') })
      assert.equal(bad.statusCode, 400)
      const extra = await app.inject({ url: '/api/v1/access-log?who=x', headers: as('archi-a', 'ta') })
      assert.equal(extra.statusCode, 400)
    })
  })
}
