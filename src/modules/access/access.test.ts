import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { testDialects, POSTGRES_SKIP_REASON } from '../../../test/helpers/db.js'
import { PDF_BYTES } from '../../../test/helpers/sip.js'
import { buildHttpApp } from '../../http/app.js'
import { accessFixture, type Fixture } from './test-support.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`access on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

for (const dialect of testDialects()) {
  describe(`access contracts, consultation, requests (${dialect})`, () => {
    let f: Fixture
    let app: FastifyInstance
    const h: Record<string, Record<string, string>> = {}

    const login = async (username: string, password: string) =>
      `Bearer ${(await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } })).json().token}`
    const get = (who: string, url: string, extra: Record<string, string> = {}) =>
      app.inject({ method: 'GET', url: `/api/v1${url}`, headers: { ...h[who], ...extra } })
    const post = (who: string, url: string, payload: unknown = {}) =>
      app.inject({ method: 'POST', url: `/api/v1${url}`, headers: h[who], payload: payload as object })

    before(async () => {
      f = await accessFixture(dialect)
      app = await buildHttpApp(f.c)
      const t = { 'x-tenant-id': 'default' }
      h.admin = { authorization: await login('admin', f.adminPassword), ...t }
      h.archivist = { authorization: await login('archiviste', f.users.archivist.password), ...t }
      h.reader = { authorization: await login('lecteur', f.users.reader.password), ...t }
      h.reader98 = { authorization: await login('lecteur98', f.users.reader98.password), ...t }
      h.branch = { authorization: await login('lecteurbranche', f.users.readerBranch.password), ...t }
      h.other = {
        authorization: await login('lecteurautre', f.users.otherReader.password),
        'x-tenant-id': 'other',
      }
      // The reader of another tenant pointing at ours: refused as if the tenant did not exist.
      h.otherHere = { ...h.other, 'x-tenant-id': 'default' }
    })
    after(async () => {
      await app.close()
      await f.close()
    })

    it('no list, view or download path leaks a unit across tenants or contracts', async () => {
      const allIds = [f.open, f.closed, f.never, f.ad98].flatMap((x) => x.unitIds)
      const foreignObj = f.foreign.item.objects[0]!.id
      // Another tenant's ids answer exactly like unknown ones, for everyone.
      for (const who of ['admin', 'archivist', 'reader', 'reader98', 'branch']) {
        const u = await get(who, `/units/${f.foreign.item.id}`)
        assert.equal(u.statusCode, 404, who)
        assert.equal(u.json().error.code, 'UNIT_NOT_FOUND')
        for (const path of [`/objects/${foreignObj}`, `/objects/${foreignObj}/content`]) {
          const o = await get(who, path)
          assert.equal(o.statusCode, 404, `${who} ${path}`)
          assert.equal(o.json().error.code, 'OBJECT_NOT_FOUND')
        }
        const list = (await get(who, '/units?limit=200')).json()
        assert.ok(
          list.results.every((r: { id: string }) => allIds.includes(r.id)),
          `${who} sees only tenant units`,
        )
      }
      assert.equal((await get('otherHere', '/units')).json().error.code, 'TENANT_NOT_FOUND')
      // AC-AD98: only AD98's units; AD99's are not found; BinaryMaster is outside the contract's usages.
      const l98 = (await get('reader98', '/units?limit=200')).json()
      assert.deepEqual(l98.results.map((r: { id: string }) => r.id).sort(), [...f.ad98.unitIds].sort())
      assert.equal((await get('reader98', `/units/${f.open.item.id}`)).statusCode, 404)
      const oOpen = f.open.item.objects[0]!.id
      assert.equal((await get('reader98', `/objects/${oOpen}`)).statusCode, 404)
      assert.equal((await get('reader98', `/objects/${oOpen}/content`)).json().error.code, 'OBJECT_NOT_FOUND')
      assert.equal((await get('reader98', `/units/${f.ad98.item.id}`)).statusCode, 200)
      const usage = await get('reader98', `/objects/${f.ad98.item.objects[0]!.id}/content`)
      assert.equal(usage.statusCode, 403)
      assert.equal(usage.json().error.code, 'ACCESS_USAGE_FORBIDDEN')
      // AC-BRANCHE: only the branch under its root unit.
      const lb = (await get('branch', '/units?limit=200')).json()
      assert.deepEqual(lb.results.map((r: { id: string }) => r.id).sort(), [...f.open.unitIds].sort())
      assert.equal((await get('branch', `/units/${f.ad98.item.id}`)).statusCode, 404)
      assert.equal((await get('branch', `/objects/${f.ad98.item.objects[0]!.id}/content`)).statusCode, 404)
      // Contract choice: one bound to someone else, unknown, inactive.
      const notMine = await get('reader', '/units', { 'x-access-contract-id': 'AC-BRANCHE' })
      assert.equal(notMine.statusCode, 403)
      assert.equal(notMine.json().error.code, 'ACCESS_CONTRACT_NOT_ALLOWED')
      assert.equal(
        (await get('archivist', '/units', { 'x-access-contract-id': 'AC-NOPE' })).json().error.code,
        'ACCESS_CONTRACT_UNKNOWN',
      )
      assert.equal(
        (await get('archivist', '/units', { 'x-access-contract-id': 'AC-INACTIF' })).json().error.code,
        'ACCESS_CONTRACT_INACTIVE',
      )
      // The archivist may read under a narrower contract: then it is bound by it too.
      const narrowed = await get('archivist', `/units/${f.open.item.id}`, {
        'x-access-contract-id': 'AC-AD98',
      })
      assert.equal(narrowed.statusCode, 404)
    })

    it('readers get only communicable units; a closed object is 403 with its date and the request route', async () => {
      const list = (await get('reader', '/units?limit=200')).json()
      const ids = list.results.map((r: { id: string }) => r.id)
      for (const id of f.open.unitIds) assert.ok(ids.includes(id))
      for (const id of [...f.closed.unitIds, ...f.never.unitIds]) assert.ok(!ids.includes(id))
      assert.equal(list.total, ids.length)
      const v = await get('reader', `/units/${f.closed.item.id}`)
      assert.equal(v.statusCode, 403)
      assert.equal(v.json().error.code, 'UNIT_NOT_COMMUNICABLE')
      assert.equal(v.json().error.details.communicableFrom, '2049-01-12')
      const oid = f.closed.item.objects[0]!.id
      const d = await get('reader', `/objects/${oid}/content`)
      assert.equal(d.statusCode, 403)
      const e = d.json().error
      assert.equal(e.code, 'OBJECT_NOT_COMMUNICABLE')
      assert.equal(e.details.status, 'date')
      assert.equal(e.details.communicableFrom, '2049-01-12')
      assert.equal(e.details.derogation.href, '/api/v1/requests')
      assert.match(e.message, /2049-01-12/)
      assert.match(e.message, /dérogation/)
      const nv = await get('reader', `/objects/${f.never.item.objects[0]!.id}/content`)
      assert.equal(nv.json().error.details.status, 'never')
      assert.equal(nv.json().error.details.derogation, null)
      // The archivist sees and downloads everything of the tenant.
      const view = await get('archivist', `/units/${f.closed.item.id}`)
      assert.equal(view.statusCode, 200)
      assert.equal(view.json().communicability.status, 'date')
      const full = await get('archivist', `/objects/${oid}/content`)
      assert.equal(full.statusCode, 200)
      assert.deepEqual(full.rawPayload, PDF_BYTES)
      const b64 = createHash('sha512').update(PDF_BYTES).digest('base64')
      assert.equal(full.headers['repr-digest'], `sha-512=:${b64}:`)
      assert.ok(String(full.headers.etag).startsWith('"'))
      const part = await get('archivist', `/objects/${oid}/content`, { range: 'bytes=0-7' })
      assert.equal(part.statusCode, 206)
      assert.deepEqual(part.rawPayload, PDF_BYTES.subarray(0, 8))
      const bad = await get('archivist', `/objects/${oid}/content`, {
        range: `bytes=${PDF_BYTES.length + 5}-`,
      })
      assert.equal(bad.statusCode, 400)
      assert.equal(bad.json().error.code, 'RANGE_NOT_SATISFIABLE')
      // A communicable object: the reader downloads it.
      const ok = await get('reader', `/objects/${f.open.item.objects[0]!.id}/content`)
      assert.equal(ok.statusCode, 200)
    })

    it('a derogation opens the units to that requester for a limited time, then 403 again', async () => {
      const oid = f.closed.item.objects[0]!.id
      const created = await post('reader', '/requests', {
        kind: 'communication',
        unitIds: [f.closed.item.id],
        motive: 'Recherche généalogique',
      })
      assert.equal(created.statusCode, 201)
      const r = created.json()
      assert.equal(r.state, 'requested')
      // Only archivists decide.
      assert.equal((await post('reader', `/requests/${r.id}/approve`)).statusCode, 403)
      const noDero = await post('archivist', `/requests/${r.id}/approve`)
      assert.equal(noDero.statusCode, 409)
      assert.equal(noDero.json().error.code, 'REQUEST_DEROGATION_REQUIRED')
      assert.equal(noDero.json().error.details.units[0].communicableFrom, '2049-01-12')
      const past = await post('archivist', `/requests/${r.id}/approve`, {
        derogation: { reason: 'x', expiresAt: '2020-01-01T00:00:00Z' },
      })
      assert.equal(past.statusCode, 400)
      assert.equal((await get('archivist', `/requests/${r.id}`)).json().state, 'requested')
      const expiresAt = new Date(f.clock.now().getTime() + 3600_000).toISOString()
      const ap = await post('archivist', `/requests/${r.id}/approve`, {
        reason: 'Intérêt légitime',
        derogation: { reason: 'Dérogation L213-3', expiresAt },
      })
      assert.equal(ap.statusCode, 200, ap.body)
      assert.equal(ap.json().state, 'approved')
      assert.equal(ap.json().derogation.expiresAt, expiresAt)
      // Only that requester is opened.
      assert.equal((await get('reader98', `/objects/${oid}/content`)).statusCode, 404)
      assert.equal((await get('branch', `/objects/${oid}/content`)).statusCode, 404)
      const dl = await get('reader', `/objects/${oid}/content`)
      assert.equal(dl.statusCode, 200)
      assert.equal((await get('reader', `/units/${f.closed.item.id}`)).statusCode, 200)
      assert.ok(
        (await get('reader', '/units?limit=200'))
          .json()
          .results.some((u: { id: string }) => u.id === f.closed.item.id),
      )
      // Another unit of the same package is not covered.
      assert.equal((await get('reader', `/units/${f.closed.root.id}`)).statusCode, 403)
      assert.equal((await post('archivist', `/requests/${r.id}/deliver`)).json().state, 'delivered')
      const ret = await post('archivist', `/requests/${r.id}/return`)
      assert.equal(ret.json().error.code, 'REQUEST_NOT_RETURNABLE')
      f.clock.advance(2 * 3600_000)
      const after = await get('reader', `/objects/${oid}/content`)
      assert.equal(after.statusCode, 403)
      assert.equal(after.json().error.code, 'OBJECT_NOT_COMMUNICABLE')
      assert.equal(after.json().error.details.derogationExpiredAt, expiresAt)
      assert.equal((await get('reader', `/requests/${r.id}`)).json().derogation.expired, true)
      // The grant is in the logbook, in the approval's operation.
      const ev = await f.c.db.kysely
        .selectFrom('logbook_event')
        .select(['event_type', 'data'])
        .where('event_type', '=', 'DEROGATION_GRANT')
        .execute()
      assert.equal(ev.length, 1)
      // A never-communicable unit admits no derogation.
      const nr = (
        await post('reader', '/requests', { kind: 'communication', unitIds: [f.never.item.id] })
      ).json()
      const na = await post('archivist', `/requests/${nr.id}/approve`, {
        derogation: { reason: 'x', expiresAt: '2030-01-01T00:00:00Z' },
      })
      assert.equal(na.json().error.code, 'REQUEST_NEVER_COMMUNICABLE')
    })

    it('walks a reading-room consultation and a loan through every state, refusing every bad transition', async () => {
      const phys = f.open.physical!.id
      // Bad input first: nothing created.
      const before = (await get('archivist', '/requests')).json().results.length
      const bads: [unknown, number, string][] = [
        [{ kind: 'consultation', unitIds: [f.open.item.id] }, 400, 'REQUEST_NOT_PHYSICAL'],
        [{ kind: 'teleport', unitIds: [phys] }, 400, 'FST_ERR_VALIDATION'],
        [{ kind: 'consultation', unitIds: [] }, 400, 'FST_ERR_VALIDATION'],
        [{ kind: 'consultation', unitIds: [f.foreign.item.id] }, 404, 'UNIT_NOT_FOUND'],
        [{ kind: 'consultation', unitIds: [phys], dueDate: '2026-02-30' }, 400, 'REQUEST_INVALID'],
        [{ kind: 'communication', unitIds: [phys], dueDate: '2026-02-01' }, 400, 'REQUEST_INVALID'],
        [{ kind: 'loan', unitIds: [phys] }, 400, 'REQUEST_INVALID'],
        [{ kind: 'loan', unitIds: [phys], service: 'AD98' }, 403, 'REQUEST_LOAN_NOT_PRODUCER'],
      ]
      for (const [payload, status, code] of bads) {
        const r = await post('reader', '/requests', payload)
        assert.equal(r.statusCode, status, JSON.stringify(payload) + r.body)
        if (code !== 'FST_ERR_VALIDATION') assert.equal(r.json().error.code, code)
      }
      // A reader may not ask for a unit outside its contract.
      const out = await post('reader98', '/requests', { kind: 'consultation', unitIds: [phys] })
      assert.equal(out.statusCode, 404)
      assert.equal((await get('archivist', '/requests')).json().results.length, before)

      const c = (await post('reader', '/requests', { kind: 'consultation', unitIds: [phys] })).json()
      const tryAll = async (id: string, allowed: string[]) => {
        for (const a of ['approve', 'deliver', 'return']) {
          if (allowed.includes(a)) continue
          const r = await post('archivist', `/requests/${id}/${a}`)
          assert.equal(r.statusCode, 409, `${a} ${r.body}`)
          assert.ok(['REQUEST_STATE_CONFLICT', 'REQUEST_NOT_LENT'].includes(r.json().error.code))
        }
        if (!allowed.includes('refuse')) {
          const r = await post('archivist', `/requests/${id}/refuse`, { reason: 'non' })
          assert.equal(r.statusCode, 409)
        }
      }
      await tryAll(c.id, ['approve', 'refuse'])
      const notLent = await post('archivist', `/requests/${c.id}/return`)
      assert.equal(notLent.json().error.code, 'REQUEST_NOT_LENT')
      assert.match(notLent.json().error.message, /jamais été remise/)
      assert.equal(
        (await post('archivist', `/requests/${c.id}/refuse`, {})).json().error.code,
        'REQUEST_INVALID',
      )
      assert.equal((await post('archivist', `/requests/${c.id}/approve`)).json().state, 'approved')
      await tryAll(c.id, ['deliver'])
      const dl = await post('archivist', `/requests/${c.id}/deliver`, { dueDate: '2026-01-20' })
      assert.equal(dl.json().state, 'delivered')
      assert.equal(dl.json().overdue, false)
      await tryAll(c.id, ['return'])
      f.clock.advance(10 * 24 * 3600_000)
      // Sessions last 8 hours: log in again after ten days.
      h.archivist = { ...h.archivist, authorization: await login('archiviste', f.users.archivist.password) }
      h.reader = { ...h.reader, authorization: await login('lecteur', f.users.reader.password) }
      h.reader98 = { ...h.reader98, authorization: await login('lecteur98', f.users.reader98.password) }
      h.admin = { ...h.admin, authorization: await login('admin', f.adminPassword) }
      const late = (await get('archivist', `/requests/${c.id}`)).json()
      assert.equal(late.overdue, true)
      const overdue = (await get('archivist', '/requests?overdue=true')).json().results
      assert.deepEqual(
        overdue.map((r: { id: string }) => r.id),
        [c.id],
      )
      const back = (await post('archivist', `/requests/${c.id}/return`)).json()
      assert.equal(back.state, 'returned')
      assert.equal(back.overdue, false)
      await tryAll(c.id, [])
      assert.deepEqual(
        back.history.map((x: { state: string }) => x.state),
        ['requested', 'approved', 'delivered', 'returned'],
      )
      // Loan to the producer, refused with a reason.
      const loan = (
        await post('reader', '/requests', { kind: 'loan', unitIds: [phys], service: 'AD99' })
      ).json()
      const ref = (
        await post('archivist', `/requests/${loan.id}/refuse`, { reason: 'Document fragile' })
      ).json()
      assert.equal(ref.state, 'refused')
      assert.equal(ref.decisionReason, 'Document fragile')
      await tryAll(loan.id, [])
      // Readers see their own requests only; another's is not found.
      assert.equal((await get('reader98', `/requests/${c.id}`)).statusCode, 404)
      assert.ok(
        (await get('reader', '/requests'))
          .json()
          .results.every((r: { requester: { id: string } }) => r.requester.id === f.users.reader.id),
      )
      assert.equal((await get('admin', '/requests/nope')).json().error.code, 'REQUEST_NOT_FOUND')
      // The physical module's query: the box outings of these units.
      const outings = await f.c.requests.requestsForUnits('default', [phys])
      assert.deepEqual(outings.map((r) => r.id).sort(), [c.id, loan.id].sort())
      assert.deepEqual(await f.c.requests.requestsForUnits('other', [phys]), [])
    })

    it('logs consultations and downloads with who and which contract; a search is one event; nothing lost at close', async () => {
      await f.c.access.log.flush()
      const count = async (type: string) =>
        (
          await f.c.db.kysely
            .selectFrom('logbook_event')
            .select('seq')
            .where('event_type', '=', type)
            .execute()
        ).length
      const before = {
        search: await count('ACCESS_UNIT_SEARCH'),
        consult: await count('ACCESS_UNIT_CONSULT'),
        download: await count('ACCESS_OBJECT_DOWNLOAD'),
      }
      const list = await get('reader98', '/units?limit=200')
      assert.ok(list.json().total > 1)
      await get('reader98', `/units/${f.ad98.item.id}`)
      await get('reader', `/objects/${f.open.item.objects[0]!.id}/content`)
      await get('reader', `/objects/${f.open.item.objects[0]!.id}/content`, { range: 'bytes=0-3' })
      // A refused download is not an access.
      await get('reader', `/objects/${f.closed.item.objects[0]!.id}/content`)
      assert.equal(f.c.access.log.pending, 4)
      assert.equal(await count('ACCESS_UNIT_SEARCH'), before.search)
      await f.c.access.log.flush()
      assert.equal(f.c.access.log.pending, 0)
      assert.equal(await count('ACCESS_UNIT_SEARCH'), before.search + 1)
      assert.equal(await count('ACCESS_UNIT_CONSULT'), before.consult + 1)
      assert.equal(await count('ACCESS_OBJECT_DOWNLOAD'), before.download + 2)
      const ev = await f.c.db.kysely
        .selectFrom('logbook_event')
        .selectAll()
        .where('event_type', '=', 'ACCESS_UNIT_CONSULT')
        .orderBy('seq', 'desc')
        .executeTakeFirstOrThrow()
      assert.equal(ev.agent, f.users.reader98.id)
      assert.equal(ev.object_id, f.ad98.item.id)
      assert.match(JSON.stringify(ev.data), /AC-AD98/)
      assert.equal((await f.c.audit.verify('default')).ok, true)
    })
  })
}
