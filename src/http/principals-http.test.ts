import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { createTestContainer } from '../../test/helpers/container.js'
import { testDialects } from '../../test/helpers/db.js'
import { initInstance } from '../main/instance.js'
import { buildHttpApp } from './app.js'

/** GET /users and GET /apikeys: who may list, what is listed, and what never is. */
for (const dialect of testDialects()) {
  describe(`listing users and API keys (${dialect})`, () => {
    let inst: Awaited<ReturnType<typeof createTestContainer>>
    let app: FastifyInstance
    const tokens: Record<string, string> = {}
    let key = ''
    let keyId = ''
    const as = (who: string, tenant?: string) => ({
      authorization: `Bearer ${tokens[who]}`,
      ...(tenant ? { 'x-tenant-id': tenant } : {}),
    })
    const login = async (username: string, password: string) => {
      const r = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username, password },
      })
      assert.equal(r.statusCode, 200, r.body)
      tokens[username] = r.json().token
    }

    before(async () => {
      inst = await createTestContainer(dialect, { SAEH_LOGIN_RATE_LIMIT: '1000' })
      const r = await initInstance(inst.c)
      app = await buildHttpApp(inst.c)
      await login('admin', r.admin!.password)
      for (const id of ['c-a', 'c-b']) {
        const t = await app.inject({
          method: 'POST',
          url: '/api/v1/tenants',
          headers: as('admin'),
          payload: { id, name: id },
        })
        assert.equal(t.statusCode, 201, t.body)
      }
      for (const [u, tenant, role] of [
        ['archiviste-a', 'c-a', 'archivist'],
        ['lecteur-a', 'c-a', 'reader'],
        ['archiviste-b', 'c-b', 'archivist'],
      ] as const) {
        const res = await app.inject({
          method: 'POST',
          url: '/api/v1/users',
          headers: as('admin', tenant),
          payload: { username: u, role, password: `${u}-password-long` },
        })
        assert.equal(res.statusCode, 201, res.body)
        await login(u, `${u}-password-long`)
      }
      const k = await app.inject({
        method: 'POST',
        url: '/api/v1/apikeys',
        headers: as('archiviste-a', 'c-a'),
        payload: { role: 'producer', label: 'Parapheur' },
      })
      assert.equal(k.statusCode, 201, k.body)
      key = k.json().key
      keyId = k.json().id
    })
    after(async () => {
      await app.close()
      await inst.close()
    })

    it('lists the tenant’s users with their roles, and nobody else’s', async () => {
      const r = await app.inject({ url: '/api/v1/users', headers: as('archiviste-a', 'c-a') })
      assert.equal(r.statusCode, 200, r.body)
      const body = r.json()
      assert.equal(body.total, 2)
      assert.deepEqual(
        body.results.map((u: { name: string; role: string; kind: string }) => [u.name, u.role, u.kind]),
        [
          ['archiviste-a', 'archivist', 'user'],
          ['lecteur-a', 'reader', 'user'],
        ],
      )
      assert.doesNotMatch(r.body, /password|hash|archiviste-b|admin/)
    })

    it('lists API keys by label and public prefix, never the key, and shows revocation', async () => {
      const r = await app.inject({ url: '/api/v1/apikeys', headers: as('archiviste-a', 'c-a') })
      assert.equal(r.statusCode, 200, r.body)
      const [k] = r.json().results
      assert.equal(r.json().total, 1)
      assert.equal(k.id, keyId)
      assert.equal(k.name, 'Parapheur')
      assert.equal(k.role, 'producer')
      assert.equal(k.revokedAt, null)
      assert.ok(key.startsWith(`saeh_${k.keyPrefix}_`))
      assert.ok(!r.body.includes(key.slice(`saeh_${k.keyPrefix}_`.length)), 'the secret part never leaves')
      const del = await app.inject({
        method: 'DELETE',
        url: `/api/v1/apikeys/${keyId}`,
        headers: as('archiviste-a', 'c-a'),
      })
      assert.equal(del.statusCode, 204)
      const again = await app.inject({ url: '/api/v1/apikeys', headers: as('archiviste-a', 'c-a') })
      assert.match(again.json().results[0].revokedAt, /^\d{4}-/)
      const users = await app.inject({ url: '/api/v1/users', headers: as('archiviste-a', 'c-a') })
      assert.equal(users.json().total, 2, 'keys are not users')
    })

    it('refuses readers, other tenants, and requests without a tenant', async () => {
      const reader = await app.inject({ url: '/api/v1/users', headers: as('lecteur-a', 'c-a') })
      assert.equal(reader.statusCode, 403)
      assert.equal(reader.json().error.code, 'FORBIDDEN')
      for (const url of ['/api/v1/users', '/api/v1/apikeys']) {
        const other = await app.inject({ url, headers: as('archiviste-a', 'c-b') })
        assert.equal(other.statusCode, 404, 'another tenant answers not found')
        assert.equal(other.json().error.code, 'TENANT_NOT_FOUND')
        const none = await app.inject({ url, headers: as('archiviste-a') })
        assert.equal(none.statusCode, 400)
        assert.equal(none.json().error.code, 'TENANT_REQUIRED')
        const anon = await app.inject({ url })
        assert.equal(anon.statusCode, 401)
      }
      const admin = await app.inject({ url: '/api/v1/users', headers: as('admin', 'c-b') })
      assert.deepEqual(
        admin.json().results.map((u: { name: string }) => u.name),
        ['archiviste-b'],
      )
    })
  })
}
