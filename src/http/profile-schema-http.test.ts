import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { createTestContainer } from '../../test/helpers/container.js'
import { testDialects } from '../../test/helpers/db.js'
import { SYSTEM_PRINCIPAL } from '../modules/tenancy/index.js'
import { initInstance } from '../main/instance.js'
import { buildHttpApp } from './app.js'

const RNG =
  '<grammar xmlns="http://relaxng.org/ns/structure/1.0"><start><element name="ArchiveTransfer"><text/></element></start></grammar>'

/** GET /referentials/profiles/:id/schema: the attached schema as a download, scoped to the tenant. */
for (const dialect of testDialects()) {
  describe(`profile schema download (${dialect})`, () => {
    let inst: Awaited<ReturnType<typeof createTestContainer>>
    let app: FastifyInstance
    let token = ''
    const as = (tenant: string) => ({ authorization: `Bearer ${token}`, 'x-tenant-id': tenant })

    before(async () => {
      inst = await createTestContainer(dialect, { SAEH_LOGIN_RATE_LIMIT: '1000' })
      const init = await initInstance(inst.c)
      app = await buildHttpApp(inst.c)
      token = (
        await app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { username: 'admin', password: init.admin!.password },
        })
      ).json().token as string
      for (const t of ['pa', 'pb']) {
        await inst.c.tenancy.createTenant(SYSTEM_PRINCIPAL, { id: t, name: t })
        await inst.c.referential.import(
          t,
          'profiles',
          Buffer.from(
            JSON.stringify([
              { Identifier: 'PR-A', Name: 'Avec schéma', Status: 'ACTIVE', Format: 'RNG' },
              { Identifier: 'PR-B', Name: 'Sans schéma', Status: 'ACTIVE', Format: 'RNG' },
            ]),
          ),
          'test',
        )
      }
      await inst.c.profiles.attach('pa', 'PR-A', Buffer.from(RNG), 'a.rng', 'test')
    })
    after(async () => {
      await app.close()
      await inst.close()
    })

    it('answers the attached schema with its type and a file name', async () => {
      const res = await app.inject({
        method: 'GET',
        url: '/api/v1/referentials/profiles/PR-A/schema',
        headers: as('pa'),
      })
      assert.equal(res.statusCode, 200, res.body)
      assert.equal(res.body, RNG)
      assert.match(String(res.headers['content-type']), /^application\/xml/)
      assert.match(String(res.headers['content-disposition']), /filename="PR-A\.rng"/)
    })

    it('answers 404 in French for a profile without schema, an unknown one, and another tenant’s', async () => {
      for (const [id, tenant] of [
        ['PR-B', 'pa'],
        ['PR-NOPE', 'pa'],
        ['PR-A', 'pb'],
        ['..%2F..%2Fetc', 'pa'],
      ] as const) {
        const res = await app.inject({
          method: 'GET',
          url: `/api/v1/referentials/profiles/${id}/schema`,
          headers: as(tenant),
        })
        assert.equal(res.statusCode, 404, `${id}@${tenant}: ${res.body}`)
        assert.equal(res.json().error.code, 'PROFILE_SCHEMA_NOT_FOUND')
        assert.match(res.json().error.message, /Aucun schéma attaché au profil/)
      }
    })

    it('needs a signed-in principal', async () => {
      const res = await app.inject({
        method: 'GET',
        url: '/api/v1/referentials/profiles/PR-A/schema',
        headers: { 'x-tenant-id': 'pa' },
      })
      assert.equal(res.statusCode, 401)
    })
  })
}
