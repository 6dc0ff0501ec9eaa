import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { createTestContainer } from '../../test/helpers/container.js'
import { testDialects, POSTGRES_SKIP_REASON } from '../../test/helpers/db.js'
import { writeSipZip } from '../../test/helpers/sip.js'
import { initInstance } from '../main/instance.js'
import { SYSTEM_PRINCIPAL } from '../modules/tenancy/index.js'
import { buildHttpApp } from './app.js'
import { registerJobHandlers } from '../main/jobs.js'
import { Worker } from '../jobs/runner.js'
import { silentLogger } from '../platform/log.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`lifecycle API on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

for (const dialect of testDialects()) {
  describe(`lifecycle API (${dialect})`, () => {
    let inst: Awaited<ReturnType<typeof createTestContainer>>
    let app: FastifyInstance
    let worker: Worker
    let admin: Record<string, string>
    let archivist: Record<string, string>
    let n = 0

    const login = async (username: string, password: string) =>
      `Bearer ${(await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } })).json().token}`
    async function ingest(tenant: string) {
      const p = await writeSipZip(join(inst.dir, `sip-${++n}.zip`))
      const r = await inst.c.ingest.ingestFile({
        tenantId: tenant,
        packagePath: p,
        fileName: 's.zip',
        agent: 't',
      })
      assert.equal(r.status, 'OK')
      const units = (await inst.c.catalog.listUnits(tenant, { operationId: r.operationId })).results
      return {
        op: r.operationId,
        root: units.find((u) => u.parentIds.length === 0)!,
        item: units.find((u) => u.parentIds.length > 0)!,
      }
    }

    before(async () => {
      inst = await createTestContainer(dialect)
      const r = await initInstance(inst.c)
      app = await buildHttpApp(inst.c)
      worker = registerJobHandlers(
        new Worker({ db: inst.c.db, queue: inst.c.queue, log: silentLogger() }, { concurrency: 1 }),
        inst.c,
      )
      await inst.c.tenancy.createTenant(SYSTEM_PRINCIPAL, { id: 'ad', name: 'AD' })
      await inst.c.referential.loadDefaults('ad', 'test')
      const u = await inst.c.tenancy.createUser(SYSTEM_PRINCIPAL, {
        username: 'commune',
        tenantId: 'default',
        role: 'archivist',
      })
      admin = { authorization: await login('admin', r.admin!.password), 'x-tenant-id': 'default' }
      archivist = { authorization: await login('commune', u.password), 'x-tenant-id': 'default' }
    })
    const settle = async (id: string, headers: Record<string, string>) => {
      assert.equal(await worker.drain(), 1)
      return (await app.inject({ url: `/api/v1/transfers/${id}`, headers })).json()
    }
    after(async () => {
      await app.close()
      await inst.close()
    })

    it('POST /transfers to another tenant needs the right to ingest there; the admin’s transfer is purged', async () => {
      const a = await ingest('default')
      const payload = {
        selection: { branch: a.root.id },
        targetTenant: 'ad',
        contract: 'IC-DEFAUT',
        archivalAgency: 'AD99',
      }
      const refused = await app.inject({
        method: 'POST',
        url: '/api/v1/transfers',
        headers: archivist,
        payload,
      })
      assert.equal(refused.statusCode, 404, refused.body)
      assert.equal(refused.json().error.code, 'TENANT_NOT_FOUND')
      assert.equal((await app.inject({ url: '/api/v1/transfers', headers: admin })).json().total, 0)
      const res = await app.inject({ method: 'POST', url: '/api/v1/transfers', headers: admin, payload })
      assert.equal(res.statusCode, 202, res.body)
      assert.equal(res.json().state, 'requested')
      const again = await app.inject({ method: 'POST', url: '/api/v1/transfers', headers: admin, payload })
      assert.equal(again.json().error.code, 'TRANSFER_UNITS_PENDING')
      const got = await settle(res.json().operationId, admin)
      assert.equal(got.state, 'purged', JSON.stringify(got))
      assert.ok(got.targetOperationId)
      const op = await app.inject({ url: `/api/v1/operations/${res.json().operationId}`, headers: admin })
      assert.equal(op.json().status, 'OK')
      const foreign = await app.inject({
        url: `/api/v1/transfers/${res.json().operationId}`,
        headers: { ...admin, 'x-tenant-id': 'ad' },
      })
      assert.equal(foreign.statusCode, 404)
      const gone = await app.inject({
        url: `/api/v1/transfers/${res.json().operationId}/package`,
        headers: admin,
      })
      assert.equal(gone.statusCode, 409)
      // The purged units keep a tombstone: what they were, the operation, the destination.
      const unit = await app.inject({ url: `/api/v1/units/${a.root.id}`, headers: admin })
      assert.equal(unit.statusCode, 404)
      // Still UNIT_NOT_FOUND, but it says where the unit went and when.
      assert.equal(unit.json().error.code, 'UNIT_NOT_FOUND')
      assert.match(unit.json().error.message, /n’est plus dans le fonds : transférée le .* à ad \(opération /)
      assert.deepEqual(
        [unit.json().error.details.departure.reason, unit.json().error.details.departure.destination],
        ['TRANSFER', 'ad'],
      )
      // Another tenant's id of it, or an id that never existed: the bare 404, no departure.
      for (const [id, tenant] of [
        [a.root.id, 'ad'],
        ['inconnue', 'default'],
      ] as const) {
        const bare = await app.inject({
          url: `/api/v1/units/${id}`,
          headers: { ...admin, 'x-tenant-id': tenant },
        })
        assert.equal(bare.statusCode, 404, bare.body)
        assert.equal(bare.json().error.details.departure, undefined)
      }
      const tomb = await app.inject({ url: `/api/v1/transfers/tombstones/${a.root.id}`, headers: archivist })
      assert.equal(tomb.statusCode, 200, tomb.body)
      assert.equal(tomb.json().unitId, a.root.id)
      assert.equal(tomb.json().title, a.root.title)
      assert.equal(tomb.json().reason, 'TRANSFER')
      assert.equal(tomb.json().operationId, res.json().operationId)
      assert.equal(tomb.json().destination, 'ad')
      assert.equal(tomb.json().destinationOperationId, got.targetOperationId)
      for (const [id, tenant] of [
        [a.root.id, 'ad'],
        ['inconnue', 'default'],
        ['%00', 'default'],
      ] as const) {
        const none = await app.inject({
          url: `/api/v1/transfers/tombstones/${id}`,
          headers: { ...admin, 'x-tenant-id': tenant },
        })
        assert.equal(none.statusCode, 404, none.body)
        assert.equal(none.json().error.code, 'UNIT_TOMBSTONE_NOT_FOUND')
      }
    })

    it('file transfer: package download, ATR as XML, bad bodies refused', async () => {
      const a = await ingest('default')
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/transfers',
        headers: archivist,
        payload: { selection: { unitIds: [a.root.id] }, sedaVersion: '2.3', type: 'RESTITUTION' },
      })
      assert.equal(res.statusCode, 202, res.body)
      const id = res.json().operationId
      assert.equal((await settle(id, archivist)).state, 'sent')
      const pkg = await app.inject({ url: `/api/v1/transfers/${id}/package`, headers: archivist })
      assert.equal(pkg.statusCode, 200)
      assert.equal(pkg.headers['content-type'], 'application/zip')
      assert.equal(pkg.rawPayload.subarray(0, 2).toString(), 'PK')
      const junk = await app.inject({
        method: 'POST',
        url: `/api/v1/transfers/${id}/ack`,
        headers: { ...archivist, 'content-type': 'application/xml' },
        payload: '<x>',
      })
      assert.equal(junk.statusCode, 400)
      assert.equal(junk.json().error.code, 'TRANSFER_ATR_INVALID')
      const bad = await app.inject({
        method: 'POST',
        url: '/api/v1/transfers',
        headers: admin,
        payload: { selection: { unitIds: [a.root.id] }, sedaVersion: '9.9' },
      })
      assert.equal(bad.statusCode, 400)
      const other = await ingest('ad')
      const leak = await app.inject({
        method: 'POST',
        url: '/api/v1/transfers',
        headers: admin,
        payload: { selection: { unitIds: [other.root.id] } },
      })
      assert.equal(leak.statusCode, 404)
      assert.equal(leak.json().error.code, 'UNIT_NOT_FOUND')
    })

    it('POST /units/rules, /reclassifications and their reverts; GET /register as JSON and CSV', async () => {
      const a = await ingest('default')
      const b = await ingest('default')
      const bad = await app.inject({
        method: 'POST',
        url: '/api/v1/units/rules',
        headers: archivist,
        payload: {
          selection: { unitIds: [a.item.id] },
          changes: [
            {
              category: 'AppraisalRule',
              action: 'add',
              rules: [{ ruleId: 'ACC-00003', startDate: '2024-01-01' }],
            },
          ],
        },
      })
      assert.equal(bad.statusCode, 400)
      assert.equal(bad.json().error.details.errors[0].code, 'WRONG_CATEGORY')
      const ok = await app.inject({
        method: 'POST',
        url: '/api/v1/units/rules',
        headers: archivist,
        payload: {
          selection: { unitIds: [a.item.id] },
          changes: [
            {
              category: 'AccessRule',
              action: 'add',
              rules: [{ ruleId: 'ACC-00011', startDate: '2024-01-01' }],
            },
          ],
        },
      })
      assert.equal(ok.statusCode, 200, ok.body)
      const rv = await app.inject({
        method: 'POST',
        url: `/api/v1/units/rules/${ok.json().operationId}/revert`,
        headers: archivist,
      })
      assert.equal(rv.statusCode, 200, rv.body)
      const mv = await app.inject({
        method: 'POST',
        url: '/api/v1/reclassifications',
        headers: archivist,
        payload: { moves: [{ unitId: b.root.id, parentIds: [a.item.id] }] },
      })
      assert.equal(mv.statusCode, 200, mv.body)
      const cyc = await app.inject({
        method: 'POST',
        url: '/api/v1/reclassifications',
        headers: archivist,
        payload: { moves: [{ unitId: a.root.id, parentIds: [b.item.id] }] },
      })
      assert.equal(cyc.statusCode, 409)
      assert.equal(cyc.json().error.code, 'RECLASSIFY_CYCLE')
      const back = await app.inject({
        method: 'POST',
        url: `/api/v1/reclassifications/${mv.json().operationId}/revert`,
        headers: archivist,
      })
      assert.equal(back.statusCode, 200)
      const reg = await app.inject({ url: '/api/v1/register', headers: archivist })
      assert.equal(reg.statusCode, 200)
      assert.ok(reg.json().lines.some((l: { type: string }) => l.type === 'TRANSFER'))
      const csv = await app.inject({
        url: '/api/v1/register?producer=AD99',
        headers: { ...archivist, accept: 'text/csv' },
      })
      assert.match(csv.headers['content-type'] as string, /^text\/csv/)
      assert.match(csv.body, /^operationId,date,type/)
      const noTenant = await app.inject({
        url: '/api/v1/register',
        headers: { authorization: archivist.authorization! },
      })
      assert.equal(noTenant.statusCode, 400)
    })
  })
}
