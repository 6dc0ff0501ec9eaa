import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { createTestContainer } from '../../test/helpers/container.js'
import { testDialects, POSTGRES_SKIP_REASON } from '../../test/helpers/db.js'
import { SYSTEM_PRINCIPAL } from '../modules/tenancy/index.js'
import { initInstance } from '../main/instance.js'
import { buildHttpApp } from './app.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`HTTP API on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

for (const dialect of testDialects()) {
  describe(`HTTP API (${dialect})`, () => {
    let inst: Awaited<ReturnType<typeof createTestContainer>>
    let app: FastifyInstance
    let adminPassword = ''
    const tokens: Record<string, string> = {}
    const users: Record<string, string> = {}

    const login = async (username: string, password: string) =>
      app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } })
    const as = (who: string, tenant?: string) => ({
      authorization: `Bearer ${tokens[who]}`,
      ...(tenant ? { 'x-tenant-id': tenant } : {}),
    })

    before(async () => {
      inst = await createTestContainer(dialect, { SAEH_LOGIN_RATE_LIMIT: '1000' })
      const r = await initInstance(inst.c)
      adminPassword = r.admin!.password
      app = await buildHttpApp(inst.c)
      const res = await login('admin', adminPassword)
      assert.equal(res.statusCode, 200)
      tokens.admin = res.json().token
      // Two departmental archives, each with a commune; users in each.
      for (const [id, name, ctl] of [
        ['ad33', 'AD Gironde', undefined],
        ['ad24', 'AD Dordogne', undefined],
        ['c-begles', 'Bègles', 'ad33'],
        ['c-sarlat', 'Sarlat', 'ad24'],
      ] as const) {
        const t = await app.inject({
          method: 'POST',
          url: '/api/v1/tenants',
          headers: as('admin'),
          payload: { id, name, ...(ctl ? { controlledBy: ctl } : {}) },
        })
        assert.equal(t.statusCode, 201, t.body)
      }
      for (const [u, tenant, role] of [
        ['archi33', 'ad33', 'archivist'],
        ['ctl33', 'ad33', 'control-authority'],
        ['secr-begles', 'c-begles', 'producer'],
        ['secr-sarlat', 'c-sarlat', 'producer'],
      ] as const) {
        const res = await app.inject({
          method: 'POST',
          url: '/api/v1/users',
          headers: as('admin', tenant),
          payload: { username: u, role, password: `${u}-password-long` },
        })
        assert.equal(res.statusCode, 201, res.body)
        users[u] = res.json().id
        const l = await login(u, `${u}-password-long`)
        assert.equal(l.statusCode, 200)
        tokens[u] = l.json().token
      }
    })
    after(async () => {
      await app.close()
      await inst.close()
    })

    it('serves health, the web application, OpenAPI and security headers', async () => {
      const h = await app.inject({ url: '/health' })
      assert.equal(h.statusCode, 200)
      assert.equal(h.json().status, 'ok')
      assert.deepEqual(Object.keys(h.json().checks).sort(), ['database', 'offer:fs-1', 'offer:fs-2'])
      // scripts/run-tests.mjs builds web/dist first (scripts/build-web.mjs --if-stale).
      const home = await app.inject({ url: '/' })
      assert.equal(home.statusCode, 200)
      assert.match(home.body, /Système d’archivage électronique hybride/)
      assert.match(home.body, /<div id="root">/)
      assert.match(String(home.headers['content-security-policy']), /default-src 'self'/)
      assert.doesNotMatch(String(home.headers['content-security-policy']), /upgrade-insecure-requests/)
      assert.equal(home.headers['x-content-type-options'], 'nosniff')
      // Client routes answer the application; API and asset misses keep the JSON 404.
      for (const url of ['/search?q=x', '/units/abc', '/admin/users']) {
        const r = await app.inject({ url })
        assert.equal(r.statusCode, 200, url)
        assert.equal(r.body, home.body, url)
      }
      for (const url of ['/api/v1/nowhere', '/assets/nowhere.js', '/favicon.ico']) {
        const r = await app.inject({ url })
        assert.equal(r.statusCode, 404, url)
        assert.equal(r.json().error.code, 'ROUTE_NOT_FOUND', url)
      }
      // Hostile paths never reach a file outside web/dist.
      for (const url of [
        '/..%2f..%2fpackage.json',
        '/assets/..%2f..%2f..%2fpackage.json',
        '/%2e%2e/%2e%2e/package.json',
        '/assets/../../package.json',
        '/..%5c..%5cpackage.json',
      ]) {
        const r = await app.inject({ url })
        assert.doesNotMatch(r.body, /"name": "saeh"/, url)
        assert.ok(['PATH_FORBIDDEN', 'ROUTE_NOT_FOUND'].includes(r.json().error.code), url)
        assert.ok([403, 404].includes(r.statusCode), `${url}: ${r.statusCode}`)
      }
      const post = await app.inject({ method: 'POST', url: '/search' })
      assert.equal(post.statusCode, 404)
      const script = /src="(\/assets\/[^"]+\.js)"/.exec(home.body)?.[1]
      assert.ok(script, 'index.html loads a bundled script from /assets/')
      const js = await app.inject({ url: script })
      assert.equal(js.statusCode, 200)
      assert.match(String(js.headers['cache-control']), /immutable/)
      assert.doesNotMatch(js.body, /https?:\/\/(?!www\.w3\.org|react\.dev|reactjs\.org)[a-z]/i)
      const o = await app.inject({ url: '/api/v1/openapi.json' })
      assert.equal(o.statusCode, 200)
      const doc = o.json()
      assert.equal(doc.openapi, '3.0.3')
      for (const p of [
        '/api/v1/auth/login',
        '/api/v1/tenants',
        '/api/v1/logbook/operations',
        '/api/v1/operations/{id}',
      ]) {
        assert.ok(doc.paths[p], `OpenAPI documents ${p}`)
      }
    })

    it('reports an offer that is down in /health, by name', async () => {
      const { rm, writeFile } = await import('node:fs/promises')
      const offer = inst.c.config.offers[1]!
      if (offer.kind !== 'fs') return
      await rm(offer.root, { recursive: true, force: true })
      await writeFile(offer.root, 'not a folder any more')
      try {
        const h = await app.inject({ url: '/health' })
        assert.equal(h.statusCode, 503)
        assert.equal(h.json().checks['offer:fs-2'], 'unavailable')
        assert.equal(h.json().checks['offer:fs-1'], 'ok')
      } finally {
        await rm(offer.root, { force: true })
        await inst.c.storage.checkOffers()
      }
    })

    it('answers errors in one JSON shape with stable codes', async () => {
      const nf = await app.inject({ url: '/api/v1/nowhere', headers: as('admin') })
      assert.equal(nf.statusCode, 404)
      assert.equal(nf.json().error.code, 'ROUTE_NOT_FOUND')
      const anon = await app.inject({ url: '/api/v1/tenants' })
      assert.equal(anon.statusCode, 401)
      assert.equal(anon.json().error.code, 'AUTH_REQUIRED')
      const bad = await app.inject({ url: '/api/v1/tenants', headers: { authorization: 'Bearer nonsense' } })
      assert.equal(bad.statusCode, 401)
      assert.equal(bad.json().error.code, 'AUTH_INVALID_TOKEN')
      const malformed = await app.inject({
        method: 'POST',
        url: '/api/v1/tenants',
        headers: { ...as('admin'), 'content-type': 'application/json' },
        payload: '{"id": "x", ',
      })
      assert.equal(malformed.statusCode, 400)
      assert.ok(malformed.json().error.code)
      assert.doesNotMatch(malformed.body, /at .*\.ts:\d+/, 'no stack trace')
      const missing = await app.inject({ url: '/api/v1/logbook/operations', headers: as('admin') })
      assert.equal(missing.statusCode, 400)
      assert.equal(missing.json().error.code, 'TENANT_REQUIRED')
      const wrongPw = await login('admin', 'not-the-password')
      assert.equal(wrongPw.statusCode, 401)
      assert.equal(wrongPw.json().error.code, 'AUTH_INVALID_CREDENTIALS')
      const unknownUser = await login('nobody', 'not-the-password')
      assert.equal(unknownUser.json().error.code, 'AUTH_INVALID_CREDENTIALS')
      const dup = await app.inject({
        method: 'POST',
        url: '/api/v1/tenants',
        headers: as('admin'),
        payload: { id: 'ad33', name: 'again' },
      })
      assert.equal(dup.statusCode, 409)
      assert.equal(dup.json().error.code, 'TENANT_EXISTS')
    })

    it('keeps each tenant to itself', async () => {
      // the commune secretary of Sarlat sees nothing of Bègles
      const t = await app.inject({ url: '/api/v1/tenants/c-begles', headers: as('secr-sarlat') })
      assert.equal(t.statusCode, 404)
      assert.equal(t.json().error.code, 'TENANT_NOT_FOUND')
      const ops = await app.inject({
        url: '/api/v1/logbook/operations',
        headers: as('secr-sarlat', 'c-begles'),
      })
      assert.equal(ops.statusCode, 404)
      const list = await app.inject({ url: '/api/v1/tenants', headers: as('secr-sarlat') })
      assert.deepEqual(
        list.json().results.map((x: { id: string }) => x.id),
        ['c-sarlat'],
      )
      // an operation of Bègles, asked for through Sarlat's tenant, does not exist
      const begOps = await app.inject({ url: '/api/v1/logbook/operations', headers: as('admin', 'c-begles') })
      const opId = begOps.json().results[0].id
      assert.ok(opId)
      const cross = await app.inject({
        url: `/api/v1/operations/${opId}`,
        headers: as('secr-sarlat', 'c-sarlat'),
      })
      assert.equal(cross.statusCode, 404)
      assert.equal(cross.json().error.code, 'OPERATION_NOT_FOUND')
      const own = await app.inject({ url: `/api/v1/operations/${opId}`, headers: as('admin', 'c-begles') })
      assert.equal(own.statusCode, 200)
      assert.equal(own.json().operationId, opId)
      // no user creation in another tenant
      const u = await app.inject({
        method: 'POST',
        url: '/api/v1/users',
        headers: as('archi33', 'c-sarlat'),
        payload: { username: 'intruder', role: 'archivist' },
      })
      assert.equal(u.statusCode, 404)
      // a producer cannot manage users of its own tenant, nor create tenants
      const p = await app.inject({
        method: 'POST',
        url: '/api/v1/users',
        headers: as('secr-begles', 'c-begles'),
        payload: { username: 'friend', role: 'producer' },
      })
      assert.equal(p.statusCode, 403)
      assert.equal(p.json().error.code, 'FORBIDDEN')
      const nt = await app.inject({
        method: 'POST',
        url: '/api/v1/tenants',
        headers: as('archi33'),
        payload: { id: 'rogue', name: 'Rogue' },
      })
      assert.equal(nt.statusCode, 403)
    })

    it('gives the departmental control authority its communes, and only those', async () => {
      const mine = await app.inject({ url: '/api/v1/logbook/operations', headers: as('ctl33', 'c-begles') })
      assert.equal(mine.statusCode, 200)
      const other = await app.inject({ url: '/api/v1/logbook/operations', headers: as('ctl33', 'c-sarlat') })
      assert.equal(other.statusCode, 404)
      const list = await app.inject({ url: '/api/v1/tenants', headers: as('ctl33') })
      assert.deepEqual(
        list
          .json()
          .results.map((x: { id: string }) => x.id)
          .sort(),
        ['ad33', 'c-begles'],
      )
      // an archivist of the AD is not, by that alone, an archivist of its communes
      const archi = await app.inject({
        url: '/api/v1/logbook/operations',
        headers: as('archi33', 'c-begles'),
      })
      assert.equal(archi.statusCode, 404)
    })

    it('issues, uses and revokes API keys', async () => {
      const k = await app.inject({
        method: 'POST',
        url: '/api/v1/apikeys',
        headers: as('archi33', 'ad33'),
        payload: { role: 'producer', label: 'Pastell' },
      })
      assert.equal(k.statusCode, 201, k.body)
      const { id, key } = k.json()
      assert.match(key, /^saeh_/)
      const stored = await inst.c.db.kysely
        .selectFrom('principal')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
      assert.notEqual(stored.key_hash, key)
      assert.ok(!JSON.stringify(stored).includes(key.slice(-43)), 'the secret is stored hashed')
      const use = await app.inject({ url: '/api/v1/tenants', headers: { authorization: `Bearer ${key}` } })
      assert.equal(use.statusCode, 200)
      assert.deepEqual(
        use.json().results.map((x: { id: string }) => x.id),
        ['ad33'],
      )
      const tampered = await app.inject({
        url: '/api/v1/tenants',
        headers: { authorization: `Bearer ${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}` },
      })
      assert.equal(tampered.statusCode, 401)
      const rv = await app.inject({
        method: 'DELETE',
        url: `/api/v1/apikeys/${id}`,
        headers: as('archi33', 'ad33'),
      })
      assert.equal(rv.statusCode, 204)
      const after = await app.inject({ url: '/api/v1/tenants', headers: { authorization: `Bearer ${key}` } })
      assert.equal(after.statusCode, 401)
      assert.equal(after.json().error.code, 'AUTH_KEY_REVOKED')
      // another tenant's archivist cannot revoke (or even see) this key
      const k2 = await app.inject({
        method: 'POST',
        url: '/api/v1/apikeys',
        headers: as('admin', 'ad24'),
        payload: { role: 'reader' },
      })
      const rv2 = await app.inject({
        method: 'DELETE',
        url: `/api/v1/apikeys/${k2.json().id}`,
        headers: as('archi33', 'ad33'),
      })
      assert.equal(rv2.statusCode, 404)
    })

    it('logs every change in the tenant chain and verifies it', async () => {
      const v = await app.inject({ url: '/api/v1/logbook/verify', headers: as('admin') })
      assert.equal(v.statusCode, 200)
      assert.equal(v.json().ok, true)
      const chains = v.json().chains.map((c: { chain: string }) => c.chain)
      assert.ok(chains.includes('_platform') && chains.includes('ad33'))
      const ops = await app.inject({ url: '/api/v1/logbook/operations', headers: as('archi33', 'ad33') })
      const types = ops.json().results.map((o: { type: string }) => o.type)
      assert.ok(types.includes('PRINCIPAL_CREATE'))
      assert.ok(types.includes('APIKEY_REVOKE'))
      // a tenant user verifies its own chain only
      const mine = await app.inject({ url: '/api/v1/logbook/verify', headers: as('archi33', 'ad33') })
      assert.deepEqual(
        mine.json().chains.map((c: { chain: string }) => c.chain),
        ['ad33'],
      )
      const all = await app.inject({ url: '/api/v1/logbook/verify', headers: as('archi33') })
      assert.equal(all.statusCode, 400)
      void SYSTEM_PRINCIPAL
    })

    it('imports referentials as raw files, refusing bad ones whole', async () => {
      const csv =
        'RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n' +
        'APP-T-1,AppraisalRule,Délibérations,Conservation des délibérations,10,YEAR\n'
      const ok = await app.inject({
        method: 'POST',
        url: '/api/v1/referentials/rules',
        headers: { ...as('archi33', 'ad33'), 'content-type': 'text/csv' },
        payload: csv,
      })
      assert.equal(ok.statusCode, 200, ok.body)
      assert.equal(ok.json().created, 1)
      const bad = await app.inject({
        method: 'POST',
        url: '/api/v1/referentials/rules',
        headers: { ...as('archi33', 'ad33'), 'content-type': 'text/csv' },
        payload: csv + 'APP-T-2,NotARule,X,Y,-3,CENTURY\n',
      })
      assert.equal(bad.statusCode, 400)
      const err = bad.json().error
      assert.equal(err.code, 'REFERENTIAL_INVALID')
      assert.ok(err.details.errors.length >= 3, 'every error is listed')
      assert.ok(err.details.errors.every((e: { line: number }) => e.line === 3))
      const list = await app.inject({ url: '/api/v1/referentials/rules', headers: as('archi33', 'ad33') })
      assert.deepEqual(
        list.json().results.map((r: { ruleId: string }) => r.ruleId),
        ['APP-T-1'],
      )
      // another tenant neither sees nor changes it
      const other = await app.inject({
        url: '/api/v1/referentials/rules',
        headers: as('secr-sarlat', 'c-sarlat'),
      })
      assert.equal(other.json().total, 0)
      const cross = await app.inject({
        method: 'POST',
        url: '/api/v1/referentials/rules',
        headers: { ...as('secr-sarlat', 'ad33'), 'content-type': 'text/csv' },
        payload: csv,
      })
      assert.equal(cross.statusCode, 404)
      const producer = await app.inject({
        method: 'POST',
        url: '/api/v1/referentials/rules',
        headers: { ...as('secr-begles', 'c-begles'), 'content-type': 'text/csv' },
        payload: csv,
      })
      assert.equal(producer.statusCode, 403)
      const unknown = await app.inject({ url: '/api/v1/referentials/spells', headers: as('archi33', 'ad33') })
      assert.equal(unknown.statusCode, 404)
      assert.equal(unknown.json().error.code, 'REFERENTIAL_KIND_UNKNOWN')
    })

    it('rate-limits login attempts', async () => {
      const strict = await createTestContainer(dialect, { SAEH_LOGIN_RATE_LIMIT: '3' })
      const a2 = await buildHttpApp(strict.c)
      try {
        const codes: number[] = []
        for (let i = 0; i < 5; i++) {
          const r = await a2.inject({
            method: 'POST',
            url: '/api/v1/auth/login',
            payload: { username: 'x', password: 'y' },
          })
          codes.push(r.statusCode)
          if (r.statusCode === 429) assert.equal(r.json().error.code, 'RATE_LIMITED')
        }
        assert.deepEqual(codes, [401, 401, 401, 429, 429])
      } finally {
        await a2.close()
        await strict.close()
      }
    })
  })
}
