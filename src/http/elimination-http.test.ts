import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { POSTGRES_SKIP_REASON, testDialects } from '../../test/helpers/db.js'
import { SYSTEM_PRINCIPAL } from '../modules/tenancy/index.js'
import { elimWorld, type ElimWorld } from '../modules/elimination/test-support.js'
import { ELIMINATION_ANALYSIS_QUEUE, ELIMINATION_EXECUTE_QUEUE } from '../modules/elimination/index.js'
import { buildHttpApp } from './app.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`elimination HTTP on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

const T = 'c-begles'

for (const dialect of testDialects()) {
  describe(`elimination and holds over HTTP (${dialect})`, () => {
    let w: ElimWorld
    let app: FastifyInstance
    const tokens: Record<string, string> = {}
    const as = (who: string, tenant = T) => ({
      authorization: `Bearer ${tokens[who]}`,
      'x-tenant-id': tenant,
    })

    before(async () => {
      w = await elimWorld(dialect, { SAEH_LOGIN_RATE_LIMIT: '1000' })
      app = await buildHttpApp(w.c)
      // API keys (sessions would expire when the test moves the clock past the DUA).
      for (const [u, tenant, role] of [
        ['h-arch', T, 'archivist'],
        ['h-ctl33', 'ad33', 'control-authority'],
        ['h-ctl40', 'ad40', 'control-authority'],
        ['h-reader', T, 'reader'],
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

    /** Runs the queued jobs of a queue as the worker would (one claim each). */
    async function runJobs(queue: string): Promise<number> {
      let n = 0
      for (;;) {
        const job = await w.c.queue.claim([queue], 'test-worker', 60_000)
        if (!job) return n
        const p = job.payload as { tenantId: string; analysisId?: string; requestId?: string }
        if (queue === ELIMINATION_ANALYSIS_QUEUE)
          await w.c.elimination.runAnalysis({ tenantId: p.tenantId, analysisId: p.analysisId! })
        else await w.c.elimination.runExecution({ tenantId: p.tenantId, requestId: p.requestId! })
        await w.c.db.kysely.transaction().execute((trx) => w.c.queue.complete(trx, job, 'test-worker'))
        n++
      }
    }

    it('walks analysis (202) → request → submit → visa → execute (202) → documents; refusals with stable codes', async () => {
      const sip = await w.ingest()
      w.clock.set('2030-03-01T10:00:00.000Z')
      const a = await app.inject({
        method: 'POST',
        url: '/api/v1/eliminations/analysis',
        headers: as('h-arch'),
        payload: {},
      })
      assert.equal(a.statusCode, 202, a.body)
      const { analysisId } = a.json()
      const pending = await app.inject({
        url: `/api/v1/eliminations/analysis/${analysisId}`,
        headers: as('h-arch'),
      })
      assert.equal(pending.json().status, 'PENDING')
      assert.equal(await runJobs(ELIMINATION_ANALYSIS_QUEUE), 1)
      const res = await app.inject({
        url: `/api/v1/eliminations/analysis/${analysisId}`,
        headers: as('h-arch'),
      })
      assert.equal(res.json().status, 'DONE')
      assert.equal(res.json().eligible.length, 2)

      const bad = await app.inject({
        method: 'POST',
        url: '/api/v1/eliminations/analysis',
        headers: as('h-arch'),
        payload: { branch: 42 },
      })
      assert.equal(bad.statusCode, 400)
      assert.equal(bad.json().error.code, 'ELIMINATION_INVALID')

      const cr = await app.inject({
        method: 'POST',
        url: '/api/v1/eliminations',
        headers: as('h-arch'),
        payload: { analysisId, observations: 'HTTP' },
      })
      assert.equal(cr.statusCode, 201, cr.body)
      const id = cr.json().id
      const sub = await app.inject({
        method: 'POST',
        url: `/api/v1/eliminations/${id}/submit`,
        headers: as('h-arch'),
      })
      assert.equal(sub.statusCode, 200, sub.body)
      const bordereau = await app.inject({
        url: `/api/v1/eliminations/${id}/bordereau.pdf`,
        headers: as('h-ctl33'),
      })
      assert.equal(bordereau.statusCode, 200)
      assert.equal(bordereau.headers['content-type'], 'application/pdf')
      assert.equal(bordereau.rawPayload.subarray(0, 5).toString(), '%PDF-')

      const visa = (who: string, payload: unknown) =>
        app.inject({
          method: 'POST',
          url: `/api/v1/eliminations/${id}/visa`,
          headers: as(who),
          payload: payload as object,
        })
      const own = await visa('h-arch', { decision: 'approve', comment: 'moi-même' })
      assert.equal(own.statusCode, 403)
      assert.equal(own.json().error.code, 'ELIMINATION_VISA_FORBIDDEN')
      const other = await visa('h-ctl40', { decision: 'approve', comment: 'pas mon ressort' })
      assert.equal(other.statusCode, 404)
      const noComment = await visa('h-ctl33', { decision: 'approve' })
      assert.equal(noComment.statusCode, 400)
      const ok = await visa('h-ctl33', { decision: 'approve', comment: 'Visa favorable' })
      assert.equal(ok.statusCode, 200, ok.body)
      assert.equal(ok.json().status, 'approved')

      const notMine = await app.inject({
        method: 'POST',
        url: `/api/v1/eliminations/${id}/execute`,
        headers: as('h-ctl33'),
      })
      assert.equal(notMine.statusCode, 403)
      const ex = await app.inject({
        method: 'POST',
        url: `/api/v1/eliminations/${id}/execute`,
        headers: as('h-arch'),
      })
      assert.equal(ex.statusCode, 202, ex.body)
      assert.equal(await runJobs(ELIMINATION_EXECUTE_QUEUE), 1)
      const shown = await app.inject({ url: `/api/v1/eliminations/${id}`, headers: as('h-reader') })
      assert.equal(shown.json().status, 'executed')
      const op = await app.inject({
        url: `/api/v1/operations/${ex.json().operationId}`,
        headers: as('h-arch'),
      })
      assert.equal(op.json().status, 'OK', op.body)

      const cert = await app.inject({
        url: `/api/v1/eliminations/${id}/certificate.json`,
        headers: as('h-reader'),
      })
      assert.equal(cert.statusCode, 200)
      assert.equal(cert.json().visa.comment, 'Visa favorable')
      const pdf = await app.inject({
        url: `/api/v1/eliminations/${id}/certificate.pdf`,
        headers: as('h-reader'),
      })
      assert.equal(pdf.rawPayload.subarray(0, 5).toString(), '%PDF-')
      const xml = await app.inject({
        url: `/api/v1/eliminations/${id}/notification.xml`,
        headers: as('h-reader'),
      })
      assert.match(xml.body, /<ArchiveDestructionNotification/)
      const tomb = await app.inject({ url: `/api/v1/tombstones/${sip.item}`, headers: as('h-reader') })
      assert.equal(tomb.json().requestId, id)
      // The unit's own route says it was eliminated, by which request, still as UNIT_NOT_FOUND.
      const unit = await app.inject({ url: `/api/v1/units/${sip.item}`, headers: as('h-reader') })
      assert.equal(unit.statusCode, 404)
      assert.equal(unit.json().error.code, 'UNIT_NOT_FOUND')
      assert.match(
        unit.json().error.message,
        new RegExp(`n’est plus dans le fonds : éliminée le .* \\(demande ${id}`),
      )
      assert.equal(unit.json().error.details.departure.requestId, id)
      const gone = await app.inject({
        url: `/api/v1/eliminations/${id}/certificate.json`,
        headers: as('h-ctl40'),
      })
      assert.equal(gone.statusCode, 404)
    })

    it('holds over HTTP: create, list, lift; bad input answers 400/404 and changes nothing', async () => {
      const sip = await w.ingest()
      const h = await app.inject({
        method: 'POST',
        url: '/api/v1/holds',
        headers: as('h-arch'),
        payload: { unitId: sip.root, reason: 'Contentieux', includeDescendants: true },
      })
      assert.equal(h.statusCode, 201, h.body)
      const list = await app.inject({
        url: `/api/v1/holds?unitId=${sip.root}&active=true`,
        headers: as('h-reader'),
      })
      assert.equal(list.json().results.length, 1)
      const byReader = await app.inject({
        method: 'POST',
        url: '/api/v1/holds',
        headers: as('h-reader'),
        payload: { unitId: sip.root, reason: 'x' },
      })
      assert.equal(byReader.statusCode, 403)
      for (const payload of [
        { unitId: sip.root },
        { unitId: 'nope', reason: 'x' },
        { unitId: sip.root, reason: 'x', endDate: 'demain' },
      ]) {
        const r = await app.inject({ method: 'POST', url: '/api/v1/holds', headers: as('h-arch'), payload })
        assert.ok([400, 404].includes(r.statusCode), r.body)
      }
      const lift = await app.inject({
        method: 'POST',
        url: `/api/v1/holds/${h.json().id}/lift`,
        headers: as('h-arch'),
        payload: { reason: 'Fin du contentieux' },
      })
      assert.equal(lift.statusCode, 200, lift.body)
      const after = await app.inject({ url: `/api/v1/holds?unitId=${sip.root}`, headers: as('h-reader') })
      assert.equal(after.json().results.length, 1)
      assert.equal(after.json().results[0].active, false)
    })
  })
}
