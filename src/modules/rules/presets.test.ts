import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { createTestContainer } from '../../../test/helpers/container.js'
import { testDialects, POSTGRES_SKIP_REASON } from '../../../test/helpers/db.js'
import { initInstance } from '../../main/instance.js'
import { buildHttpApp } from '../../http/app.js'
import { toJson } from '../../platform/db/create-db.js'
import { SYSTEM_PRINCIPAL } from '../tenancy/index.js'
import type { Container } from '../../main/container.js'
import { readPreset } from './index.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`rules presets on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

for (const dialect of testDialects()) {
  describe(`rules presets (${dialect})`, () => {
    let inst: Awaited<ReturnType<typeof createTestContainer>>
    let c: Container
    let app: FastifyInstance
    let auth: Record<string, string>
    before(async () => {
      inst = await createTestContainer(dialect)
      c = inst.c
      const r = await initInstance(c)
      await c.tenancy.createTenant(SYSTEM_PRINCIPAL, { id: 'commune', name: 'Commune' })
      app = await buildHttpApp(c)
      const login = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'admin', password: r.admin!.password },
      })
      auth = { authorization: `Bearer ${login.json().token}` }
    })
    after(async () => {
      await app.close()
      await inst.close()
    })

    it('l213-2 encodes every L213-2 delay with its start basis, the Vitam swap corrected', async () => {
      const p = await readPreset('l213-2')
      const csv = p.csv.toString('utf8')
      const dur = (id: string) => new RegExp(`^${id},.*,([^,]+),YEAR$`, 'm').exec(csv)![1]
      // standards.md §3.5: police judiciaire = 25 y after death (00022) / 75 y after the document (00023).
      assert.equal(dur('ACC-00022'), '25')
      assert.equal(p.rules['ACC-00022']!.startBasis, 'death')
      assert.equal(dur('ACC-00023'), '75')
      assert.equal(p.rules['ACC-00023']!.startBasis, 'document')
      assert.equal(dur('ACC-00001'), '0')
      assert.equal(dur('ACC-00009'), '120')
      assert.equal(p.rules['ACC-00009']!.startBasis, 'birth')
      assert.equal(p.rules['ACC-00031']!.startBasis, 'closure')
      assert.equal(p.rules['ACC-00018']!.startBasis, 'end-of-use')
      assert.equal(p.rules['ACC-00036']!.never, true)
      const delays = new Set([...csv.matchAll(/,(\d+),YEAR$/gm)].map((m) => m[1]))
      assert.deepEqual([...delays].sort(), ['0', '100', '120', '25', '50', '75'])
      const c2 = await readPreset('communes-retention')
      for (const [id, m] of Object.entries(c2.rules)) {
        assert.equal(m.toValidate, true, id)
        assert.ok(m.defaultFinalAction === 'Keep' || m.defaultFinalAction === 'Destroy', id)
        assert.match(
          c2.csv.toString('utf8'),
          new RegExp(`^${id},.*à valider par les Archives départementales`, 'mi'),
        )
      }
    })

    it('loads a preset into a tenant as one logged operation; a second preset merges; reloading changes nothing', async () => {
      const a = await c.rules.loadPreset('commune', 'l213-2', 'tester')
      assert.equal(a.created, 36)
      assert.equal(a.total, 36)
      const op = await c.audit.getOperation('commune', a.operationId)
      assert.equal(op.type, 'LOAD_RULES_PRESET')
      assert.ok(op.events.some((e) => e.type === 'STP_LOAD_RULES_PRESET' && e.outcome === 'OK'))
      const b = await c.rules.loadPreset('commune', 'communes-retention', 'tester')
      assert.equal(b.created, 52)
      assert.equal(b.total, 88, 'the access rules loaded before are kept')
      const again = await c.rules.loadPreset('commune', 'l213-2', 'tester')
      assert.deepEqual([again.created, again.updated, again.deleted, again.unchanged], [0, 0, 0, 36 + 52])
      const extras = await c.db.kysely
        .selectFrom('rule_extra')
        .select('rule_id')
        .where('tenant_id', '=', 'commune')
        .execute()
      assert.equal(extras.length, 88)
      assert.equal((await c.audit.verify('commune')).ok, true)
    })

    it('legal basis of the units follows the preset, recomputed in the same operation', async () => {
      const now = c.clock.now().toISOString()
      await c.db.kysely.transaction().execute(async (trx) => {
        await trx
          .insertInto('archive_unit')
          .values({
            id: 'u-priv',
            tenant_id: 'default',
            operation_id: 't',
            title: 'Vie privée',
            content: toJson({}),
            created_at: now,
            updated_at: now,
          })
          .execute()
        await trx
          .insertInto('unit_rule')
          .values({
            tenant_id: 'default',
            unit_id: 'u-priv',
            category: 'AccessRule',
            rule_id: 'ACC-00016',
            start_date: '1990-01-01',
            end_date: '2040-01-01',
            data: toJson({ refNonRuleIds: [] }),
          })
          .execute()
        await c.rules.recompute(trx, 'default', ['u-priv'])
      })
      const before = await c.catalog.getUnit('default', 'u-priv')
      assert.match((before.communicability as { legalBasis: string }).legalBasis, /^ACC-00016 : /)
      const r = await c.rules.loadPreset('default', 'l213-2', 'tester')
      assert.equal(r.updated, 0, 'the default referential already holds the same access rules')
      const after = await c.catalog.getUnit('default', 'u-priv')
      assert.deepEqual(after.communicability, {
        status: 'date',
        from: '2040-01-01',
        legalBasis: 'Code du patrimoine, art. L213-2, I, 3°, premier alinéa',
        ruleIds: ['ACC-00016'],
      })
      const op = await c.audit.getOperation('default', r.operationId)
      const ev = op.events.find((e) => e.type === 'UPDATE_UNIT_RULES')!
      assert.equal(ev.data?.unitsRecomputed, 1)
      // The same through HTTP (INTERFACES §3 shape plus computedRules and communicability).
      const res = await app.inject({
        url: '/api/v1/units/u-priv',
        headers: { ...auth, 'x-tenant-id': 'default' },
      })
      assert.equal(res.statusCode, 200, res.body)
      const body = res.json()
      assert.deepEqual(body.rules, [
        {
          category: 'AccessRule',
          ruleId: 'ACC-00016',
          startDate: '1990-01-01',
          endDate: '2040-01-01',
          finalAction: null,
          inherited: false,
          origin: 'u-priv',
        },
      ])
      assert.equal(body.computedRules.AccessRule.maxEndDate, '2040-01-01')
      assert.deepEqual(body.communicability, after.communicability)
      const other = await app.inject({
        url: '/api/v1/units/u-priv',
        headers: { ...auth, 'x-tenant-id': 'commune' },
      })
      assert.equal(other.statusCode, 404, 'another tenant’s unit is not found')
    })

    it('HTTP: POST /referentials/presets/{name}; unknown preset 404 and nothing changed; no access 401/403', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/referentials/presets/communes-retention',
        headers: { ...auth, 'x-tenant-id': 'default' },
      })
      assert.equal(res.statusCode, 200, res.body)
      assert.equal(res.json().preset, 'communes-retention')
      const count = async () =>
        Number(
          (
            await c.db.kysely
              .selectFrom('rule')
              .select(c.db.kysely.fn.countAll().as('n'))
              .where('tenant_id', '=', 'default')
              .executeTakeFirstOrThrow()
          ).n,
        )
      const n = await count()
      for (const name of ['nope', '..%2F..%2Fetc%2Fpasswd', 'rules']) {
        const bad = await app.inject({
          method: 'POST',
          url: `/api/v1/referentials/presets/${name}`,
          headers: { ...auth, 'x-tenant-id': 'default' },
        })
        assert.equal(bad.statusCode, 404, bad.body)
        assert.equal(bad.json().error.code, 'RULES_PRESET_UNKNOWN')
      }
      assert.equal(await count(), n)
      const anon = await app.inject({
        method: 'POST',
        url: '/api/v1/referentials/presets/l213-2',
        headers: { 'x-tenant-id': 'default' },
      })
      assert.equal(anon.statusCode, 401)
      const unknownTenant = await app.inject({
        method: 'POST',
        url: '/api/v1/referentials/presets/l213-2',
        headers: { ...auth, 'x-tenant-id': 'nowhere' },
      })
      assert.ok([403, 404].includes(unknownTenant.statusCode), unknownTenant.body)
      await assert.rejects(
        c.rules.loadPreset('nowhere', 'l213-2', 't'),
        (e: { kind: string }) => e.kind === 'not_found',
      )
    })
  })
}
