import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { createTestContainer } from '../../../test/helpers/container.js'
import { testDialects, POSTGRES_SKIP_REASON } from '../../../test/helpers/db.js'
import { PDF_BYTES, writeSipZip } from '../../../test/helpers/sip.js'
import { buildHttpApp } from '../../http/app.js'
import type { Container } from '../../main/container.js'
import { initInstance } from '../../main/instance.js'
import { SYSTEM_PRINCIPAL } from '../tenancy/index.js'

const HAS_OPENSSL = spawnSync('openssl', ['version']).status === 0
if (!HAS_OPENSSL) it.skip('evidence bundles — SKIPPED: the openssl command is not installed (tokens)')
if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`evidence on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

function runVerify(dir: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [join(dir, 'verify.mjs'), dir], { encoding: 'utf8' })
  return { status: r.status, out: r.stdout + r.stderr }
}

function flipByte(path: string, at: (len: number) => number) {
  const b = readFileSync(path)
  const i = at(b.length)
  b[i] = b[i]! ^ 0x01
  writeFileSync(path, b)
}

for (const dialect of testDialects()) {
  describe(`evidence bundles (${dialect})`, { skip: !HAS_OPENSSL }, () => {
    let inst: Awaited<ReturnType<typeof createTestContainer>>
    let c: Container
    let objectId: string
    let unitId: string
    let bundle: string
    let n = 0
    const copy = () => {
      const d = join(inst.dir, `tampered-${++n}`)
      cpSync(bundle, d, { recursive: true })
      return d
    }

    before(async () => {
      inst = await createTestContainer(dialect)
      c = inst.c
      await initInstance(c)
      const path = await writeSipZip(join(inst.dir, 'sip.zip'))
      const r = await c.ingest.ingestFile({
        tenantId: 'default',
        packagePath: path,
        fileName: 'sip.zip',
        contractId: null,
        agent: 'test',
      })
      assert.equal(r.status, 'OK')
      const o = await c.db.kysely
        .selectFrom('data_object')
        .select('id')
        .where('operation_id', '=', r.operationId)
        .where('kind', '=', 'binary')
        .executeTakeFirstOrThrow()
      objectId = o.id
      const u = await c.db.kysely
        .selectFrom('archive_unit')
        .select('id')
        .where('operation_id', '=', r.operationId)
        .executeTakeFirstOrThrow()
      unitId = u.id
      bundle = join(inst.dir, 'bundle')
      const res = await c.evidence.write('default', objectId, bundle, 'test')
      assert.equal(res.target.kind, 'object')
      assert.ok(res.events >= 2)
    })
    after(() => inst.close())

    it('writes the object, its events, proofs, seals, tokens, CA and a script that verifies offline', () => {
      const files = readdirSync(bundle)
      for (const f of ['README.md', 'verify.mjs', 'verify.sh', 'bundle.json', 'proofs.json', 'target.sha512'])
        assert.ok(files.includes(f), f)
      const obj = readdirSync(join(bundle, 'object'))
      assert.deepEqual(readFileSync(join(bundle, 'object', obj[0]!)), PDF_BYTES)
      assert.match(readFileSync(join(bundle, 'README.md'), 'utf8'), /Français[\s\S]*English/)
      const r = runVerify(bundle)
      assert.equal(r.status, 0, r.out)
      assert.match(r.out, /RFC 3161 token verified by openssl/)
      assert.match(r.out, /matches the sealed record/)
      assert.doesNotMatch(r.out, /FAILED/)
      const sh = spawnSync('sh', [join(bundle, 'verify.sh')], { encoding: 'utf8' })
      assert.equal(sh.status, 0, sh.stdout + sh.stderr)
    })

    it('every event of the bundle is sealed (the bundle seals first) and the logbook still verifies', async () => {
      const b = JSON.parse(readFileSync(join(bundle, 'bundle.json'), 'utf8'))
      const proofs = JSON.parse(readFileSync(join(bundle, 'proofs.json'), 'utf8'))
      assert.equal(proofs.length, b.events.length)
      assert.ok(b.events.length > 0)
      assert.equal((await c.seals.verify()).ok, true)
    })

    it('one byte of the object changed → the script fails naming the object', () => {
      const d = copy()
      const f = join(d, 'object', readdirSync(join(d, 'object'))[0]!)
      flipByte(f, (len) => Math.floor(len / 2))
      const r = runVerify(d)
      assert.equal(r.status, 1)
      assert.match(r.out, new RegExp(`FAILED  object ${objectId}: .* does not match its SHA-512`))
    })

    it('object and its declared digest both replaced → no sealed event attests it', () => {
      const d = copy()
      const f = join(d, 'object', readdirSync(join(d, 'object'))[0]!)
      writeFileSync(f, Buffer.from('another document'))
      const b = JSON.parse(readFileSync(join(d, 'bundle.json'), 'utf8'))
      b.target.sha512 = createHash('sha512').update('another document').digest('hex')
      writeFileSync(join(d, 'bundle.json'), JSON.stringify(b))
      const r = runVerify(d)
      assert.equal(r.status, 1)
      assert.match(r.out, /no sealed event attests/)
    })

    it('an event edited → the script names the event', () => {
      const d = copy()
      const b = JSON.parse(readFileSync(join(d, 'bundle.json'), 'utf8'))
      const name = b.events[0] as string
      const ev = JSON.parse(readFileSync(join(d, name), 'utf8'))
      ev.message = `${ev.message} (modifié)`
      writeFileSync(join(d, name), JSON.stringify(ev))
      const r = runVerify(d)
      assert.equal(r.status, 1)
      assert.match(r.out, new RegExp(`FAILED  event ${name}: altered`))
    })

    it('an event edited with its hash recomputed → its proof no longer reaches the sealed root', () => {
      const d = copy()
      const b = JSON.parse(readFileSync(join(d, 'bundle.json'), 'utf8'))
      const name = b.events[0] as string
      const ev = JSON.parse(readFileSync(join(d, name), 'utf8'))
      ev.message = 'forged'
      const { hash: _h, ...rest } = ev
      void _h
      ev.hash = createHash('sha512').update(canonical(rest)).digest('hex')
      writeFileSync(join(d, name), JSON.stringify(ev))
      const r = runVerify(d)
      assert.equal(r.status, 1)
      assert.match(r.out, new RegExp(`FAILED  proof for ${name}: does not lead to the Merkle root`))
    })

    it('a proof step changed → the script names the proof', () => {
      const d = copy()
      const proofs = JSON.parse(readFileSync(join(d, 'proofs.json'), 'utf8'))
      const p = proofs.find((x: { path: unknown[] }) => x.path.length > 0)
      assert.ok(p, 'a proof with at least one step')
      const h = p.path[0].hash as string
      p.path[0].hash = (h[0] === '0' ? '1' : '0') + h.slice(1)
      writeFileSync(join(d, 'proofs.json'), JSON.stringify(proofs))
      const r = runVerify(d)
      assert.equal(r.status, 1)
      assert.match(r.out, new RegExp(`FAILED  proof for ${p.event}: does not lead to the Merkle root`))
    })

    it('a seal document changed → its token no longer verifies', () => {
      const d = copy()
      const b = JSON.parse(readFileSync(join(d, 'bundle.json'), 'utf8'))
      const s = b.seals[b.seals.length - 1]
      const text = readFileSync(join(d, s.document), 'utf8')
      writeFileSync(
        join(d, s.document),
        text.replace(/"events":(\d)/, (_m, x) => `"events":${(Number(x) + 1) % 10}`),
      )
      const r = runVerify(d)
      assert.equal(r.status, 1)
      assert.match(r.out, new RegExp(`FAILED  seal ${s.number}: its token .* does not verify`))
    })

    it('a token changed (one byte of the signature) → the script names the seal', () => {
      const d = copy()
      const b = JSON.parse(readFileSync(join(d, 'bundle.json'), 'utf8'))
      const s = b.seals[0]
      flipByte(join(d, s.token), (len) => len - 10)
      const r = runVerify(d)
      assert.equal(r.status, 1)
      assert.match(r.out, new RegExp(`FAILED  seal ${s.number}: its token`))
      const sh = spawnSync('sh', [join(d, 'verify.sh')], { encoding: 'utf8' })
      assert.equal(sh.status, 1)
      assert.match(sh.stdout, /FAILED .*does not verify/)
    })

    it('a unit: its metadata, events and seals verify', async () => {
      const d = join(inst.dir, 'unit-bundle')
      const res = await c.evidence.write('default', unitId, d, 'test')
      assert.equal(res.target.kind, 'unit')
      const r = runVerify(d)
      assert.equal(r.status, 0, r.out)
      const meta = JSON.parse(readFileSync(join(d, 'unit.json'), 'utf8'))
      assert.equal(meta.id, unitId)
    })

    it('unknown id, another tenant’s id, a non-empty folder: refused, nothing written', async () => {
      await assert.rejects(c.evidence.write('default', 'nope', join(inst.dir, 'x1'), 'test'), {
        code: 'EVIDENCE_TARGET_NOT_FOUND',
      })
      await c.tenancy.createTenant(SYSTEM_PRINCIPAL, { id: 'other', name: 'Autre' })
      await assert.rejects(c.evidence.write('other', objectId, join(inst.dir, 'x2'), 'test'), {
        code: 'EVIDENCE_TARGET_NOT_FOUND',
      })
      await assert.rejects(c.evidence.write('default', objectId, bundle, 'test'), {
        code: 'EVIDENCE_OUT_NOT_EMPTY',
      })
    })

    describe('over HTTP', () => {
      let app: FastifyInstance
      let auth: Record<string, string>
      before(async () => {
        app = await buildHttpApp(c)
        const pw = 'evidence-test-password-1'
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

      it('GET /evidence/{id} answers a zip; another tenant answers 404; verify includes seals', async () => {
        const res = await app.inject({ url: `/api/v1/evidence/${objectId}`, headers: auth })
        assert.equal(res.statusCode, 200, res.body)
        assert.equal(res.headers['content-type'], 'application/zip')
        assert.equal(res.rawPayload.subarray(0, 2).toString(), 'PK')
        // the central directory names the bundle's files, under one folder
        assert.ok(res.rawPayload.includes(`evidence-${objectId}/verify.mjs`))
        assert.ok(res.rawPayload.includes(`evidence-${objectId}/proofs.json`))
        const other = await app.inject({
          url: `/api/v1/evidence/${objectId}`,
          headers: { ...auth, 'x-tenant-id': 'other' },
        })
        assert.equal(other.statusCode, 404)
        const v = await app.inject({ url: '/api/v1/logbook/verify', headers: auth })
        assert.equal(v.statusCode, 200)
        assert.equal(v.json().ok, true)
        assert.ok(v.json().seals.seals >= 1)
        const seal = await app.inject({ method: 'POST', url: '/api/v1/logbook/seals', headers: auth })
        assert.equal(seal.statusCode, 403, 'sealing on demand is for platform administrators')
      })
    })
  })
}

function canonical(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(v)
}
