import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { createTestContainer } from '../../../test/helpers/container.js'
import { testDialects, POSTGRES_SKIP_REASON } from '../../../test/helpers/db.js'
import { writeSipZip, type SipFile } from '../../../test/helpers/sip.js'
import { buildHttpApp } from '../../http/app.js'
import type { Container } from '../../main/container.js'
import { initInstance } from '../../main/instance.js'
import { sealKeys } from '../seal/index.js'
import { SYSTEM_PRINCIPAL, type Principal } from '../tenancy/index.js'
import { renderProbativePdf, type ProbativeReport } from './index.js'

const HAS_OPENSSL = spawnSync('openssl', ['version']).status === 0
if (!HAS_OPENSSL) it.skip('probative reports — SKIPPED: the openssl command is not installed (seal tokens)')
if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`probative reports on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

const BIN = join(import.meta.dirname, '../../../bin/saeh.js')
const sha = (b: Buffer) => createHash('sha512').update(b).digest('hex')

/**
 * The text drawn on an uncompressed pdfkit PDF: pdfkit writes standard-font text as hex strings in
 * TJ arrays (WinAnsi bytes); each TJ's pieces are joined, TJs are separated by newlines.
 */
function pdfText(pdf: Buffer): string {
  const src = pdf.toString('latin1')
  const out: string[] = []
  for (const m of src.matchAll(/\[([^\]]*)\]\s*TJ/g)) {
    let line = ''
    for (const h of m[1]!.matchAll(/<([0-9a-fA-F]*)>/g)) line += Buffer.from(h[1]!, 'hex').toString('latin1')
    out.push(line)
  }
  return out.join('\n')
}

for (const dialect of testDialects()) {
  describe(`probative-value report (${dialect})`, { skip: !HAS_OPENSSL }, () => {
    let inst: Awaited<ReturnType<typeof createTestContainer>>
    let c: Container
    let n = 0
    let obj: { id: string; key: string; bytes: Buffer; operationId: string }
    let report: ProbativeReport
    const admin: Principal = SYSTEM_PRINCIPAL

    const ingest = async (files: SipFile[]) => {
      const path = await writeSipZip(join(inst.dir, `sip-${++n}.zip`), { files })
      const r = await c.ingest.ingestFile({
        tenantId: 'default',
        packagePath: path,
        fileName: `sip-${n}.zip`,
        contractId: null,
        agent: 'test',
      })
      assert.equal(r.status, 'OK')
      const row = await c.db.kysely
        .selectFrom('data_object')
        .select(['id', 'operation_id'])
        .where('operation_id', '=', r.operationId)
        .where('kind', '=', 'binary')
        .executeTakeFirstOrThrow()
      return {
        id: row.id,
        key: `default/${r.operationId}/${row.id}`,
        bytes: files[0]!.bytes,
        operationId: r.operationId,
      }
    }
    /** Overwrites a copy through the fs offer's own files, as a failing disk would. */
    const damage = async (offerIndex: number, key: string, bytes: Buffer) => {
      const conf = c.config.offers[offerIndex]!
      assert.equal(conf.kind, 'fs')
      const path = join((conf as { root: string }).root, ...key.split('/'))
      await chmod(path, 0o644)
      await writeFile(path, bytes)
      await chmod(path, 0o444)
    }
    const audit = async () =>
      c.fixity.execute(await c.fixity.request({ tenantId: 'default', type: 'integrity', agent: 'test' }))

    before(async () => {
      inst = await createTestContainer(dialect)
      c = inst.c
      await initInstance(c)
      await c.tenancy.createTenant(SYSTEM_PRINCIPAL, { id: 'other', name: 'Autre service' })
      obj = await ingest([
        { name: 'deliberation-é.txt', bytes: Buffer.from('Délibération du conseil\n'.repeat(50)) },
      ])
      await audit()
      const s = await c.seals.seal('test')
      assert.equal(s.sealed, true)
      report = await c.probative.build(admin, 'default', obj.id)
    })
    after(() => inst.close())

    it('JSON: the object, its unit, its ingest, digests, per-offer audit results, events and the verified seal', async () => {
      assert.equal(report.format, 'saeh-probative-report/1')
      assert.equal(report.object.id, obj.id)
      assert.equal(report.object.sha512, sha(obj.bytes))
      assert.equal(report.object.size, obj.bytes.length)
      assert.equal(report.object.filename, 'deliberation-é.txt')
      assert.ok(report.units.length >= 1 && report.units[0]!.title.length > 0)
      assert.equal(report.origin.operationId, obj.operationId)
      assert.equal(report.origin.status, 'OK')
      assert.ok(report.origin.messageIdentifier)
      assert.ok(report.origin.manifest, 'the manifest kept at ingest')
      const manifestRow = await c.db.kysely
        .selectFrom('blob')
        .select(['sha512', 'size'])
        .where('id', '=', report.origin.manifest.blobId)
        .executeTakeFirstOrThrow()
      assert.equal(report.origin.manifest.sha512, manifestRow.sha512)
      // digests: the ingest digest and one integrity check per offer, all equal to the catalogue's
      const ingestDigest = report.digests.find((d) => d.source === 'ingest')
      assert.equal(ingestDigest?.digest, sha(obj.bytes))
      assert.equal(report.copies.length, c.storage.offers.length)
      assert.ok(c.storage.offers.length >= 2)
      for (const copy of report.copies) {
        assert.equal(copy.lastCheck?.type, 'integrity', copy.offer)
        assert.equal(copy.lastCheck?.outcome, 'ok', copy.offer)
        assert.equal(copy.lastCheck?.digest, sha(obj.bytes))
        const d = report.digests.find((x) => x.source === 'fixity' && x.offer === copy.offer)
        assert.equal(d?.matches, true)
      }
      assert.equal(report.audits.length, 1)
      assert.equal(report.audits[0]!.type, 'integrity')
      // events: the ingest operation's, all sealed by seal 1, which verifies now
      assert.ok(report.events.length >= 2)
      assert.ok(report.events.every((e) => e.operationId === obj.operationId || e.objectId === obj.id))
      assert.ok(report.events.every((e) => e.seal === 1 && /^[0-9a-f]{128}$/.test(e.hash)))
      assert.equal(report.seals.length, 1)
      const seal = report.seals[0]!
      assert.equal(seal.verified, true, seal.problems.join('; '))
      assert.match(seal.merkleRoot, /^[0-9a-f]{128}$/)
      assert.ok(seal.tsa && seal.tokenTime)
      assert.equal(report.unsealedEvents, 0)
      assert.deepEqual(report.conclusion, { status: 'OK', integrity: 'OK', findings: [] })
    })

    it('each generation is logged: one PROBATIVE_REPORT event on the object stating the document digest', async () => {
      const before = await c.db.kysely
        .selectFrom('logbook_event')
        .select(['data'])
        .where('event_type', '=', 'PROBATIVE_REPORT')
        .where('object_id', '=', obj.id)
        .execute()
      assert.equal(before.length, 1)
      const r2 = await c.probative.build(admin, 'default', obj.id)
      const after = await c.db.kysely
        .selectFrom('logbook_event')
        .selectAll()
        .where('event_type', '=', 'PROBATIVE_REPORT')
        .where('object_id', '=', obj.id)
        .orderBy('seq')
        .execute()
      assert.equal(after.length, 2)
      const data = (
        typeof after[1]!.data === 'string' ? JSON.parse(after[1]!.data) : after[1]!.data
      ) as Record<string, unknown>
      assert.equal(data.sha512, sha(Buffer.from(JSON.stringify(r2))))
      // the earlier generation event is now part of the report, not yet sealed
      assert.ok(r2.events.some((e) => e.type === 'PROBATIVE_REPORT' && e.seal === null))
      assert.equal(r2.conclusion.status, 'WARNING')
      assert.match(r2.conclusion.findings.join('\n'), /pas encore scellé/)
    })

    it('PDF: %PDF-, the title, the object id, its digest, page numbers, generated at and by', async () => {
      const { pdf, report: r } = await c.probative.pdf(admin, 'default', obj.id, { compress: false })
      assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-')
      const text = pdfText(pdf)
      assert.match(text, /Relevé de valeur probante/)
      assert.ok(text.includes(obj.id), 'the object id is drawn')
      assert.ok(text.includes(sha(obj.bytes)) || text.includes(sha(obj.bytes).slice(0, 60)))
      assert.ok(text.includes(r.generatedAt))
      assert.ok(text.includes('deliberation-é.txt'), 'French accents survive (WinAnsi)')
      assert.match(text, /page 1 \/ \d+/)
      assert.match(text, /Sceaux et horodatages/)
      // compressed by default, and still a PDF
      const compressed = await renderProbativePdf(r)
      assert.equal(compressed.subarray(0, 5).toString('latin1'), '%PDF-')
      assert.ok(compressed.length < pdf.length)
      const ev = await c.db.kysely
        .selectFrom('logbook_event')
        .select('data')
        .where('event_type', '=', 'PROBATIVE_REPORT')
        .orderBy('seq', 'desc')
        .executeTakeFirstOrThrow()
      const data = (typeof ev.data === 'string' ? JSON.parse(ev.data) : ev.data) as Record<string, unknown>
      assert.equal(data.format, 'pdf')
      assert.equal(data.sha512, sha(pdf))
    })

    it('a tampered copy: after an audit, the report lists the anomaly and its repair (integrity ANOMALIES)', async () => {
      const flipped = Buffer.from(obj.bytes)
      flipped[3] = flipped[3]! ^ 0x01
      await damage(1, obj.key, flipped)
      // before any audit, nothing knows: the report cannot invent what no audit saw
      const pre = await c.probative.build(admin, 'default', obj.id)
      assert.equal(pre.anomalies.length, 0)
      await audit()
      const r = await c.probative.build(admin, 'default', obj.id)
      const offer = c.config.offers[1]!.id
      assert.equal(r.anomalies.length, 1)
      assert.equal(r.anomalies[0]!.offer, offer)
      assert.equal(r.anomalies[0]!.kind, 'digest')
      assert.equal(r.anomalies[0]!.repair, 'repaired')
      assert.ok(r.digests.some((d) => d.source === 'fixity' && d.offer === offer && d.matches === false))
      assert.equal(r.conclusion.integrity, 'ANOMALIES')
      assert.equal(r.conclusion.status, 'WARNING')
      assert.match(r.conclusion.findings.join('\n'), new RegExp(`offre ${offer}.*réparée`))
      assert.equal(r.audits.length, 2)
      // the repair event on the object is among the events
      assert.ok(r.events.some((e) => e.type === 'AUDIT_COPY_REPAIR' && e.objectId === obj.id))
    })

    it('an object with no good copy left: conclusion KO, nothing claimed as repaired', async () => {
      const lost = await ingest([{ name: 'perdu.txt', bytes: Buffer.from('à perdre\n'.repeat(20)) }])
      const bad = Buffer.from('corrompu partout\n')
      await damage(0, lost.key, bad)
      await damage(1, lost.key, bad)
      await audit()
      const r = await c.probative.build(admin, 'default', lost.id)
      assert.equal(r.conclusion.status, 'KO')
      assert.equal(r.conclusion.integrity, 'ANOMALIES')
      assert.match(r.conclusion.findings.join('\n'), /Aucune copie intègre/)
      assert.ok(r.anomalies.length >= 2 && r.anomalies.every((a) => a.repair !== 'repaired'))
      assert.ok(r.copies.every((x) => x.lastCheck?.outcome !== 'ok'))
    })

    it('unknown ids, another tenant’s object, hostile ids and missing rights answer NOT_FOUND / FORBIDDEN, log nothing', async () => {
      const count = async () =>
        Number(
          (
            await c.db.kysely
              .selectFrom('logbook_event')
              .select((eb) => eb.fn.countAll().as('n'))
              .where('event_type', '=', 'PROBATIVE_REPORT')
              .executeTakeFirstOrThrow()
          ).n,
        )
      const n0 = await count()
      for (const id of ['inconnu', '', "x' OR 1=1 --", '../../etc/passwd', 'é'.repeat(5000), 'a\u0000b'])
        await assert.rejects(c.probative.build(admin, 'default', id), { code: 'OBJECT_NOT_FOUND' })
      await assert.rejects(c.probative.build(admin, 'other', obj.id), { code: 'OBJECT_NOT_FOUND' })
      await assert.rejects(c.probative.build(admin, 'nope', obj.id), (e: { kind?: string }) => {
        assert.equal(e.kind, 'not_found')
        return true
      })
      await c.tenancy.createUser(SYSTEM_PRINCIPAL, {
        username: 'lecteur',
        password: 'probative-reader-password-1',
        tenantId: 'default',
        role: 'reader',
      })
      const reader = await c.tenancy.principalByName('lecteur')
      await assert.rejects(c.probative.build(reader, 'default', obj.id), { code: 'FORBIDDEN' })
      await assert.rejects(c.probative.build(reader, 'other', obj.id), (e: { kind?: string }) => {
        assert.equal(e.kind, 'not_found')
        return true
      })
      assert.equal(await count(), n0)
    })

    describe('over HTTP', () => {
      let app: FastifyInstance
      let auth: Record<string, string>
      before(async () => {
        app = await buildHttpApp(c)
        const pw = 'probative-test-password-1'
        await c.tenancy.createUser(SYSTEM_PRINCIPAL, {
          username: 'archiviste',
          password: pw,
          tenantId: 'default',
          role: 'archivist',
        })
        const login = await app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { username: 'archiviste', password: pw },
        })
        auth = { authorization: `Bearer ${login.json().token}`, 'x-tenant-id': 'default' }
      })
      after(() => app.close())

      it('GET …/probative-report (JSON) and …/probative-report.pdf; other tenant and unknown id → 404', async () => {
        const j = await app.inject({ url: `/api/v1/objects/${obj.id}/probative-report`, headers: auth })
        assert.equal(j.statusCode, 200, j.body)
        assert.equal(j.json().object.id, obj.id)
        assert.equal(j.json().generatedBy.includes('archiviste'), true)
        const p = await app.inject({ url: `/api/v1/objects/${obj.id}/probative-report.pdf`, headers: auth })
        assert.equal(p.statusCode, 200)
        assert.equal(p.headers['content-type'], 'application/pdf')
        assert.equal(p.rawPayload.subarray(0, 5).toString('latin1'), '%PDF-')
        for (const url of [
          `/api/v1/objects/${obj.id}/probative-report`,
          `/api/v1/objects/${obj.id}/probative-report.pdf`,
        ]) {
          const other = await app.inject({ url, headers: { ...auth, 'x-tenant-id': 'other' } })
          assert.equal(other.statusCode, 404, url)
        }
        const unknown = await app.inject({ url: `/api/v1/objects/inconnu/probative-report`, headers: auth })
        assert.equal(unknown.statusCode, 404)
        assert.equal(unknown.json().error.code, 'OBJECT_NOT_FOUND')
        for (const id of ['a%00b', '%2e%2e%2f%2e%2e', 'x'.repeat(3000)]) {
          const hostile = await app.inject({
            url: `/api/v1/objects/${id}/probative-report.pdf`,
            headers: auth,
          })
          assert.equal(hostile.statusCode, 404, id)
        }
        const anon = await app.inject({
          url: `/api/v1/objects/${obj.id}/probative-report`,
          headers: { 'x-tenant-id': 'default' },
        })
        assert.equal(anon.statusCode, 401)
        const doc = (await app.inject({ url: '/api/v1/openapi.json' })).json()
        assert.ok(doc.paths['/api/v1/objects/{id}/probative-report'])
        assert.ok(doc.paths['/api/v1/objects/{id}/probative-report.pdf'])
      })
    })

    it('CLI: saeh report probative — JSON on stdout, PDF to --out, refusals with exit codes', async () => {
      const saeh = (args: string[]) => {
        const r = spawnSync(process.execPath, [BIN, ...args], {
          env: { PATH: process.env.PATH ?? '', ...inst.env },
          input: '',
          encoding: 'utf8',
          timeout: 120_000,
        })
        return { code: r.status, out: r.stdout, err: r.stderr }
      }
      const j = saeh(['report', 'probative', obj.id, '--tenant', 'default', '--json'])
      assert.equal(j.code, 0, j.err)
      assert.equal(JSON.parse(j.out).object.id, obj.id)
      const out = join(inst.dir, 'releve.pdf')
      const p = saeh(['report', 'probative', obj.id, '--tenant', 'default', '--out', out, '--json'])
      assert.equal(p.code, 0, p.err)
      const pdf = await readFile(out)
      assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-')
      assert.equal(JSON.parse(p.out).sha512, sha(pdf))
      assert.equal(saeh(['report', 'probative', obj.id, '--tenant', 'default', '--out', out]).code, 1)
      const bad = saeh(['report', 'probative', obj.id, '--tenant', 'default', '--format', 'xml'])
      assert.equal(bad.code, 2)
      assert.equal(saeh(['report', 'probative', obj.id, '--tenant', 'other']).code, 1)
      assert.equal(existsSync(join(inst.dir, 'never.pdf')), false)
    })

    it('an event altered after sealing: the seal no longer verifies and the report concludes KO', async () => {
      const ev = await c.db.kysely
        .selectFrom('logbook_event')
        .select(['chain', 'seq'])
        .where('chain', '=', 'default')
        .where('operation_id', '=', obj.operationId)
        .orderBy('seq')
        .executeTakeFirstOrThrow()
      await c.db.kysely
        .updateTable('logbook_event')
        .set({ hash: 'f'.repeat(128) })
        .where('chain', '=', ev.chain)
        .where('seq', '=', ev.seq)
        .execute()
      const r = await c.probative.build(admin, 'default', obj.id)
      const seal = r.seals.find((s) => s.number === 1)!
      assert.equal(seal.verified, false)
      assert.ok(seal.problems.length > 0)
      assert.equal(r.conclusion.status, 'KO')
      assert.match(r.conclusion.findings.join('\n'), /Sceau n° 1/)
    })

    it('a seal token damaged on one offer: the seal no longer verifies, the offer is named', async () => {
      const seal = (await c.seals.list()).find((s) => s.number === 1)!
      const offer = c.storage.offers[1]!
      const key = sealKeys(seal.storagePrefix).token
      const bad = Buffer.from(seal.token)
      bad[bad.length - 5] = bad[bad.length - 5]! ^ 0x01
      await offer.delete(key, 'test: damage')
      await offer.put(key, Readable.from([bad]))
      const r = await c.probative.build(admin, 'default', obj.id)
      const s1 = r.seals.find((s) => s.number === 1)!
      assert.equal(s1.verified, false)
      assert.ok(
        s1.problems.some((p) => p.includes(`offre ${offer.id}`) && p.includes('jeton')),
        s1.problems.join('; '),
      )
    })
  })
}
