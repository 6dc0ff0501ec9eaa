import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { POSTGRES_SKIP_REASON, testDialects } from '../../test/helpers/db.js'
import { SYSTEM_PRINCIPAL } from '../modules/tenancy/index.js'
import { elimWorld, type ElimWorld } from '../modules/elimination/test-support.js'
import { buildHttpApp } from './app.js'

if (!process.env.SAEH_TEST_DATABASE_URL)
  it.skip(`elimination pending visas HTTP on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

const T = 'c-begles'

for (const dialect of testDialects()) {
  describe(`GET /eliminations/pending-visas: the control authority's inbox (${dialect})`, () => {
    let w: ElimWorld
    let app: FastifyInstance
    const tokens: Record<string, string> = {}
    const inbox = async (who: string | null, tenant?: string) => {
      const res = await app.inject({
        url: '/api/v1/eliminations/pending-visas',
        headers: {
          ...(who ? { authorization: `Bearer ${tokens[who]}` } : {}),
          ...(tenant ? { 'x-tenant-id': tenant } : {}),
        },
      })
      return res
    }
    const ids = async (who: string) => {
      const res = await inbox(who)
      assert.equal(res.statusCode, 200, res.body)
      return (res.json() as { results: { id: string; tenantId: string; status: string }[] }).results
    }

    before(async () => {
      w = await elimWorld(dialect, { SAEH_LOGIN_RATE_LIMIT: '1000' })
      app = await buildHttpApp(w.c)
      // A second commune of the same département, and one of another département.
      await w.c.tenancy.createTenant(SYSTEM_PRINCIPAL, {
        id: 'c-talence',
        name: 'Talence',
        controlledBy: 'ad33',
      })
      await w.c.tenancy.createTenant(SYSTEM_PRINCIPAL, { id: 'c-dax', name: 'Dax', controlledBy: 'ad40' })
      // API keys (sessions would expire when the test moves the clock past the DUA).
      for (const [u, tenant, role] of [
        ['arch', T, 'archivist'],
        ['reader', T, 'reader'],
        ['ctl-commune', T, 'control-authority'],
        ['ctl33', 'ad33', 'control-authority'],
        ['arch33', 'ad33', 'archivist'],
        ['ctl40', 'ad40', 'control-authority'],
        ['ctl-dax', 'c-dax', 'control-authority'],
      ] as const) {
        tokens[u] = (
          await w.c.tenancy.createApiKey(SYSTEM_PRINCIPAL, { tenantId: tenant, role, label: u })
        ).key
      }
    })
    after(async () => {
      await app.close()
      await w.close()
    })

    it('lists submitted requests of the controlled communes to their AD only; drafts and decided ones never', async () => {
      await w.ingest()
      w.clock.set('2030-03-01T10:00:00.000Z')
      const a = await w.c.elimination.analyse(w.who.archivist, T, {})
      const r = await w.c.elimination.createRequest(w.who.archivist, T, { analysisId: a.analysisId })
      // A draft awaits nobody's visa.
      assert.deepEqual(await ids('ctl33'), [])
      await w.c.elimination.submit(w.who.archivist, T, r.id)

      const got = await ids('ctl33')
      assert.deepEqual(
        got.map((x) => [x.id, x.tenantId, x.status]),
        [[r.id, T, 'submitted']],
      )
      assert.equal(
        (got[0] as unknown as Record<string, unknown>).units,
        undefined,
        'no unit list in the inbox',
      )
      // The header is not needed, and naming another tenant changes nothing.
      const withHeader = await inbox('ctl33', 'ad33')
      assert.deepEqual(
        (withHeader.json() as { results: { id: string }[] }).results.map((x) => x.id),
        [r.id],
      )

      // Nobody else: another AD, the AD's archivist, the commune's own staff, a control-authority grant
      // on the commune itself, one on another commune.
      for (const who of ['ctl40', 'arch33', 'arch', 'reader', 'ctl-commune', 'ctl-dax'])
        assert.deepEqual(await ids(who), [], who)

      // Once decided, it leaves the inbox.
      await w.c.elimination.visa(w.who.control, T, r.id, { decision: 'approve', comment: 'Visa favorable' })
      assert.deepEqual(await ids('ctl33'), [])
    })

    it('refuses an anonymous call and a bad token (401), and the path is not a request id', async () => {
      const anon = await inbox(null)
      assert.equal(anon.statusCode, 401)
      const res = await app.inject({
        url: '/api/v1/eliminations/pending-visas',
        headers: { authorization: 'Bearer saehs_not-a-token' },
      })
      assert.equal(res.statusCode, 401)
      // `/eliminations/{id}` still answers for ids (and NOT_FOUND for a look-alike).
      const lookAlike = await app.inject({
        url: '/api/v1/eliminations/pending-visas-x',
        headers: { authorization: `Bearer ${tokens.arch}`, 'x-tenant-id': T },
      })
      assert.equal(lookAlike.statusCode, 404)
    })
  })
}
