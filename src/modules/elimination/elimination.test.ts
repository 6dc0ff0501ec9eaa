import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { POSTGRES_SKIP_REASON, testDialects } from '../../../test/helpers/db.js'
import { validateSedaMessage } from '../seda/index.js'
import { SYSTEM_PRINCIPAL } from '../tenancy/index.js'
import { elimWorld, type ElimWorld } from './test-support.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`elimination on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

const T = 'c-begles'

async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const c of s) parts.push(Buffer.from(c as Buffer))
  return Buffer.concat(parts)
}

async function rejects(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: { code?: string }) => {
    assert.equal(e.code, code)
    return true
  })
}

const S3 = process.env.SAEH_TEST_S3_ENDPOINT
if (!S3) it.skip('elimination end to end on an S3 offer — skipped: SAEH_TEST_S3_ENDPOINT is not set')
const DIALECTS = testDialects()
const variants: { name: string; dialect: (typeof DIALECTS)[number]; s3: boolean }[] = [
  ...DIALECTS.map((d) => ({ name: d, dialect: d, s3: false })),
  ...(S3 ? [{ name: `${DIALECTS.at(-1)!}, fs and S3 offers`, dialect: DIALECTS.at(-1)!, s3: true }] : []),
]

for (const v of variants) {
  describe(`elimination end to end (${v.name})`, () => {
    let w: ElimWorld
    let fsRoot: string | undefined
    before(async () => {
      let env: Record<string, string> = {}
      if (v.s3) {
        process.env.AWS_ACCESS_KEY_ID = process.env.SAEH_TEST_S3_ACCESS_KEY ?? ''
        process.env.AWS_SECRET_ACCESS_KEY = process.env.SAEH_TEST_S3_SECRET_KEY ?? ''
        const bucket = `saeh-elim-${randomBytes(5).toString('hex')}`
        fsRoot = join(tmpdir(), `saeh-elim-fs-${randomBytes(5).toString('hex')}`)
        env = {
          SAEH_OFFERS: `fs://${fsRoot},s3://${bucket}?endpoint=${encodeURIComponent(S3!)}&region=us-east-1`,
        }
      }
      w = await elimWorld(v.dialect, env)
    })
    after(async () => {
      await w.close()
      if (fsRoot) await rm(fsRoot, { recursive: true, force: true })
    })

    it('ingest → DUA expiry → analysis → request → visa by the AD → destruction, certificate, notification, logbook', async () => {
      const { c, who, clock } = w
      const sip = await w.ingest()
      const objects = await c.db.kysely
        .selectFrom('data_object')
        .selectAll()
        .where('tenant_id', '=', T)
        .where('operation_id', '=', sip.operationId)
        .execute()
      assert.equal(objects.length, 1)
      const key = `${T}/${sip.operationId}/${objects[0]!.id}`
      // Every offer (fs or S3) is asked directly.
      const held = async () =>
        Promise.all(c.storage.offers.map(async (o) => (await o.head(key)) !== undefined))
      assert.deepEqual(
        await held(),
        c.storage.offers.map(() => true),
        'binary on every offer',
      )

      // Before the DUA's end (APP-COM-0005: 5 years from 2024-01-12): nothing to eliminate.
      clock.set('2028-06-01T10:00:00.000Z')
      const early = await c.elimination.analyse(who.archivist, T, {})
      assert.equal(early.eligible.length, 0)

      clock.set('2030-03-01T10:00:00.000Z')
      const analysis = await c.elimination.analyse(who.archivist, T, {})
      assert.deepEqual(analysis.eligible.map((u) => u.unitId).sort(), [sip.item, sip.root].sort())
      assert.equal(analysis.conflicts.length, 0)
      assert.equal(analysis.totals.objects, 1)

      const draft = await c.elimination.createRequest(who.archivist, T, {
        analysisId: analysis.analysisId,
        observations: 'Arrêtés temporaires de voirie 2024',
      })
      assert.equal(draft.status, 'draft')
      assert.equal(draft.totals.units, 2)
      assert.equal(draft.totals.objects, 1)
      // Visa on a draft is refused.
      await rejects(
        c.elimination.visa(who.control, T, draft.id, { decision: 'approve', comment: 'ok' }),
        'ELIMINATION_INVALID_STATE',
      )
      // Execution before the visa is refused.
      await rejects(c.elimination.execute(who.archivist, T, draft.id), 'ELIMINATION_INVALID_STATE')

      const submitted = await c.elimination.submit(who.archivist, T, draft.id)
      assert.equal(submitted.status, 'submitted')
      assert.match(submitted.seal!, /^[0-9a-f]{128}$/)
      const acar = await c.elimination.openDocument(who.control, T, draft.id, 'authorization-request.xml')
      const acarXml = await readAll(acar.body)
      const v1 = await validateSedaMessage(acarXml, '2.2')
      assert.equal(v1.valid, true, JSON.stringify(v1))
      assert.match(acarXml.toString(), /<AuthorizationControlAuthorityRequest/)
      const bordereau = await readAll(
        (await c.elimination.openDocument(who.archivist, T, draft.id, 'bordereau.pdf')).body,
      )
      assert.equal(bordereau.subarray(0, 5).toString(), '%PDF-')

      // Only the AD's control authority can give the visa.
      for (const p of [who.archivist, who.producer, who.communeControl, SYSTEM_PRINCIPAL])
        await rejects(
          c.elimination.visa(p, T, draft.id, { decision: 'approve', comment: 'ok' }),
          'ELIMINATION_VISA_FORBIDDEN',
        )
      await rejects(
        c.elimination.visa(who.reader, T, draft.id, { decision: 'approve', comment: 'ok' }),
        'ELIMINATION_VISA_FORBIDDEN',
      )
      for (const p of [who.adArchivist, who.otherControl])
        await rejects(
          c.elimination.visa(p, T, draft.id, { decision: 'approve', comment: 'ok' }),
          'TENANT_NOT_FOUND',
        )
      await rejects(
        c.elimination.visa(who.control, T, draft.id, { decision: 'maybe', comment: 'ok' }),
        'ELIMINATION_INVALID',
      )
      await rejects(
        c.elimination.visa(who.control, T, draft.id, { decision: 'approve', comment: '  ' }),
        'ELIMINATION_INVALID',
      )
      await rejects(
        c.elimination.visa(who.control, T, 'nope', { decision: 'approve', comment: 'ok' }),
        'ELIMINATION_NOT_FOUND',
      )

      const approved = await c.elimination.visa(who.control, T, draft.id, {
        decision: 'approve',
        comment: 'Visa favorable — R212-14',
      })
      assert.equal(approved.status, 'approved')
      assert.equal(approved.visa!.by, who.control.id)
      assert.ok(approved.expiresAt! > '2030-05-29')
      await rejects(
        c.elimination.visa(who.control, T, draft.id, { decision: 'refuse', comment: 'non' }),
        'ELIMINATION_INVALID_STATE',
      )
      // Only the tenant's archivists execute.
      await rejects(c.elimination.execute(who.control, T, draft.id), 'FORBIDDEN')

      const done = await c.elimination.execute(who.archivist, T, draft.id)
      assert.equal(done.status, 'executed')
      assert.deepEqual(
        done.units.map((u) => u.status),
        ['destroyed', 'destroyed'],
      )

      // Binaries gone from every offer; catalogue rows gone; tombstones kept.
      assert.deepEqual(
        await held(),
        c.storage.offers.map(() => false),
        'binary removed from every offer',
      )
      for (const t of ['archive_unit', 'data_object', 'unit_lifecycle', 'unit_effective_rule'] as const) {
        const rows = await c.db.kysely.selectFrom(t).select('tenant_id').where('tenant_id', '=', T).execute()
        assert.equal(rows.length, 0, `${t} emptied`)
      }
      const tomb = await c.elimination.tombstone(who.reader, T, sip.item)
      assert.equal(tomb.requestId, draft.id)
      assert.equal(tomb.visaId, approved.visa!.id)
      assert.equal((tomb.objects as { sha512: string }[])[0]!.sha512, objects[0]!.sha512)
      assert.equal(tomb.title, 'Délibération du 12 janvier 2024')

      // Certificate (JSON + PDF) and notification (XSD-valid, citing the visa).
      const cert = JSON.parse(
        (
          await readAll((await c.elimination.openDocument(who.control, T, draft.id, 'certificate.json')).body)
        ).toString(),
      )
      assert.equal(cert.visa.id, approved.visa!.id)
      assert.equal(cert.visa.by, who.control.id)
      assert.equal(cert.visa.comment, 'Visa favorable — R212-14')
      assert.equal(cert.totals.units, 2)
      assert.equal(cert.totals.objects, 1)
      assert.equal(cert.totals.bytes, objects[0]!.size)
      assert.deepEqual(
        cert.units.map((u: { unitId: string }) => u.unitId).sort(),
        [sip.item, sip.root].sort(),
      )
      const pdf = await readAll(
        (await c.elimination.openDocument(who.archivist, T, draft.id, 'certificate.pdf')).body,
      )
      assert.equal(pdf.subarray(0, 5).toString(), '%PDF-')
      assert.match(pdf.subarray(-6).toString(), /%%EOF/)
      const notif = await readAll(
        (await c.elimination.openDocument(who.archivist, T, draft.id, 'notification.xml')).body,
      )
      const v2 = await validateSedaMessage(notif, '2.2')
      assert.equal(v2.valid, true, JSON.stringify(v2))
      assert.match(
        notif.toString(),
        new RegExp(`<AuthorizationRequestReplyIdentifier>${approved.visa!.id}</`),
      )

      // Logbook: the steps in order, and the chain still verifies.
      const events = await c.db.kysely
        .selectFrom('logbook_event')
        .select(['event_type', 'outcome', 'object_id'])
        .where('chain', '=', T)
        .where('event_type', 'like', 'ELIMINATION%')
        .orderBy('seq')
        .execute()
      const types = events.map((e) => `${e.event_type}.${e.outcome}`)
      const order = [
        'ELIMINATION_REQUEST.OK',
        'ELIMINATION_SUBMIT.OK',
        'ELIMINATION_VISA.OK',
        'ELIMINATION_ACTION.STARTED',
        'ELIMINATION_UNIT_DESTROYED.OK',
        'ELIMINATION_UNIT_DESTROYED.OK',
        'ELIMINATION_ACTION.OK',
      ]
      const fromRequest = types.slice(types.indexOf('ELIMINATION_REQUEST.OK'))
      assert.deepEqual(fromRequest, order)
      assert.ok(types.indexOf('ELIMINATION_ANALYSIS.OK') < types.indexOf('ELIMINATION_REQUEST.OK'))
      const destroyedOrder = events
        .filter((e) => e.event_type === 'ELIMINATION_UNIT_DESTROYED')
        .map((e) => e.object_id)
      assert.deepEqual(destroyedOrder, [sip.item, sip.root], 'children destroyed before parents')
      assert.equal((await c.audit.verify()).ok, true)
      // The accession register shows the departure: two units out, the package's bytes with them.
      const reg = await c.register.register(who.archivist, T)
      const out = reg.lines.filter((l) => l.type === 'ELIMINATION')
      assert.equal(out.length, 1, JSON.stringify(reg.lines))
      assert.equal(out[0]!.direction, 'out')
      assert.equal(out[0]!.units, 2)
      assert.equal(out[0]!.counterpart, draft.id)
      assert.equal(reg.totals.out.units, 2)
      assert.ok(out[0]!.bytes > 0)
      // An executed request cannot run again.
      await rejects(c.elimination.execute(who.archivist, T, draft.id), 'ELIMINATION_INVALID_STATE')
    })
  })
}
