import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { createTestContainer } from '../../test/helpers/container.js'
import { testDialects } from '../../test/helpers/db.js'
import { SYSTEM_PRINCIPAL } from '../modules/tenancy/index.js'
import { initInstance } from '../main/instance.js'
import { buildHttpApp } from './app.js'

const RNG =
  '<grammar xmlns="http://relaxng.org/ns/structure/1.0"><start><element name="ArchiveTransfer"><text/></element></start></grammar>'
const XSD =
  '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="ArchiveTransfer" type="xs:string"/></xs:schema>'

/**
 * PUT /referentials/profiles/:id/schema (what the referentials screen's upload sends): the file attached
 * as sent, or a French refusal that changes nothing.
 */
for (const dialect of testDialects()) {
  describe(`profile schema upload (${dialect})`, () => {
    let inst: Awaited<ReturnType<typeof createTestContainer>>
    let app: FastifyInstance
    let admin = ''
    let reader = ''
    const as = (token: string, tenant: string) => ({
      authorization: `Bearer ${token}`,
      'x-tenant-id': tenant,
    })
    const login = async (username: string, password: string) =>
      (
        await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } })
      ).json().token as string
    const put = (
      id: string,
      body: string | Buffer,
      headers: Record<string, string>,
      type = 'application/xml',
    ) =>
      app.inject({
        method: 'PUT',
        url: `/api/v1/referentials/profiles/${id}/schema`,
        headers: { ...headers, 'content-type': type },
        payload: body,
      })
    const get = (id: string, tenant = 'pa') =>
      app.inject({
        method: 'GET',
        url: `/api/v1/referentials/profiles/${id}/schema`,
        headers: as(admin, tenant),
      })

    before(async () => {
      inst = await createTestContainer(dialect, { SAEH_LOGIN_RATE_LIMIT: '1000' })
      const init = await initInstance(inst.c)
      app = await buildHttpApp(inst.c)
      admin = await login('admin', init.admin!.password)
      for (const [t, profiles] of [
        ['pa', ['PR-RNG', 'PR-XSD']],
        ['pb', ['PR-B']],
      ] as const) {
        await inst.c.tenancy.createTenant(SYSTEM_PRINCIPAL, { id: t, name: t })
        await inst.c.referential.import(
          t,
          'profiles',
          Buffer.from(
            JSON.stringify(
              profiles.map((id) => ({
                Identifier: id,
                Name: id,
                Status: 'ACTIVE',
                Format: id.endsWith('XSD') ? 'XSD' : 'RNG',
              })),
            ),
          ),
          'test',
        )
      }
      const created = await app.inject({
        method: 'POST',
        url: '/api/v1/users',
        headers: { ...as(admin, 'pa'), 'content-type': 'application/json' },
        payload: { username: 'lecteur-pa', password: 'lecteur-pa-123', role: 'reader' },
      })
      assert.equal(created.statusCode, 201, created.body)
      reader = await login('lecteur-pa', 'lecteur-pa-123')
    })
    after(async () => {
      await app.close()
      await inst.close()
    })

    it('attaches an RNG and an XSD, answers their digest and serves them back byte for byte', async () => {
      for (const [id, body, format] of [
        ['PR-RNG', RNG, 'RNG'],
        ['PR-XSD', XSD, 'XSD'],
      ] as const) {
        const res = await put(id, body, as(admin, 'pa'))
        assert.equal(res.statusCode, 200, res.body)
        const r = res.json()
        assert.equal(r.profileId, id)
        assert.equal(r.format, format)
        assert.equal(r.sha512, createHash('sha512').update(body).digest('hex'))
        const op = await inst.c.db.kysely
          .selectFrom('operation')
          .select(['type', 'tenant_id'])
          .where('id', '=', r.operationId)
          .executeTakeFirstOrThrow()
        assert.deepEqual(op, { type: 'UPDATE_PROFILE_SCHEMA', tenant_id: 'pa' })
        const back = await get(id)
        assert.equal(back.statusCode, 200)
        assert.equal(back.body, body)
      }
    })

    it('refuses in French what is not a schema of the declared format, and keeps the previous one', async () => {
      const cases: [string, string, RegExp][] = [
        ['PR-RNG', '<grammar xmlns="http://relaxng.org/ns/structure/1.0"><start>', /^Schéma refusé : /],
        ['PR-RNG', '<?xml version="1.0"?><!DOCTYPE g [<!ENTITY x "y">]><g>&x;</g>', /^Schéma refusé : /],
        ['PR-RNG', '<racine/>', /ni un schéma RelaxNG .* ni un schéma XSD/],
        ['PR-RNG', XSD, /déclaré au format RNG, le fichier est un schéma XSD/],
        [
          'PR-RNG',
          '<grammar xmlns="http://relaxng.org/ns/structure/1.0"><start><nope/></start></grammar>',
          /^Schéma RNG invalide : /,
        ],
        ['PR-RNG', '', /^Schéma refusé : /],
      ]
      for (const [id, body, message] of cases) {
        const res = await put(id, body, as(admin, 'pa'))
        assert.equal(res.statusCode, 400, `${body}: ${res.body}`)
        assert.equal(res.json().error.code, 'PROFILE_SCHEMA_INVALID')
        assert.match(res.json().error.message, message)
      }
      assert.equal((await get('PR-RNG')).body, RNG)
    })

    it('answers 404 for an unknown profile and another tenant’s, 403 for a reader, 401 without session', async () => {
      for (const [id, tenant] of [
        ['PR-NOPE', 'pa'],
        ['PR-B', 'pa'],
        ['..%2F..%2Fetc', 'pa'],
      ] as const) {
        const res = await put(id, RNG, as(admin, tenant))
        assert.equal(res.statusCode, 404, res.body)
        assert.equal(res.json().error.code, 'REFERENTIAL_ENTRY_NOT_FOUND')
        assert.match(res.json().error.message, /^Profil d'archivage inconnu/)
      }
      const denied = await put('PR-RNG', XSD, as(reader, 'pa'))
      assert.equal(denied.statusCode, 403, denied.body)
      const anonymous = await put('PR-RNG', XSD, { 'x-tenant-id': 'pa' })
      assert.equal(anonymous.statusCode, 401)
      assert.equal((await get('PR-RNG')).body, RNG)
      assert.equal((await get('PR-B', 'pb')).statusCode, 404)
    })
  })
}
