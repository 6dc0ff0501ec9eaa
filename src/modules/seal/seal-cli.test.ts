import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import {
  createTestDatabase,
  testDialects,
  POSTGRES_SKIP_REASON,
  type TestDatabase,
} from '../../../test/helpers/db.js'
import { writeSipZip } from '../../../test/helpers/sip.js'
import { createDb } from '../../platform/db/create-db.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`seal CLI on PostgreSQL — ${POSTGRES_SKIP_REASON}`)
const HAS_OPENSSL = spawnSync('openssl', ['version']).status === 0
if (!HAS_OPENSSL) it.skip('seal CLI — SKIPPED: the openssl command is not installed')

const BIN = join(import.meta.dirname, '../../../bin/saeh.js')

for (const dialect of testDialects()) {
  describe(`saeh logbook seal / verify / evidence (${dialect})`, { skip: !HAS_OPENSSL }, () => {
    let t: TestDatabase
    let env: Record<string, string>
    const saeh = (args: string[]) => {
      const r = spawnSync(process.execPath, [BIN, ...args], {
        env: { PATH: process.env.PATH ?? '', ...env },
        input: '',
        encoding: 'utf8',
        timeout: 120_000,
      })
      return { code: r.status, out: r.stdout, err: r.stderr, json: () => JSON.parse(r.stdout) }
    }
    before(async () => {
      t = await createTestDatabase(dialect)
      env = {
        SAEH_HOME: join(t.dir, 'home'),
        SAEH_DATABASE_URL: t.config.dialect === 'sqlite' ? `sqlite://${t.config.file}` : t.config.url,
      }
    })
    after(() => t.destroy())

    it('init creates the built-in authority; seal, verify and evidence work; a break exits 1', async () => {
      assert.equal(saeh(['init']).code, 0)
      for (const f of ['ca.cert.pem', 'ca.key.pem', 'tsa.cert.pem', 'tsa.key.pem'])
        assert.ok(existsSync(join(env.SAEH_HOME!, 'tsa', f)), f)
      const sip = await writeSipZip(join(t.dir, 'sip.zip'))
      const ing = saeh(['ingest', sip, '--tenant', 'default', '--json'])
      assert.equal(ing.code, 0, ing.err)
      const seal = saeh(['logbook', 'seal', '--json'])
      assert.equal(seal.code, 0, seal.err)
      assert.equal(seal.json().sealed, true)
      assert.equal(seal.json().seal.number, 1)
      const v = saeh(['logbook', 'verify', '--json'])
      assert.equal(v.code, 0, v.out)
      assert.equal(v.json().ok, true)
      assert.equal(v.json().seals.seals, 1)
      const vt = saeh(['logbook', 'verify', '--tenant', 'default'])
      assert.equal(vt.code, 0)
      assert.match(vt.out, /sceaux : 1 vérifiés/)
      const unit = saeh(['unit', 'search', '--tenant', 'default', '--json'])
        .json()
        .results.find((u: { objects: unknown[] }) => u.objects.length > 0)
      const out = join(t.dir, 'evidence')
      const ev = saeh(['evidence', unit.objects[0].id, '--tenant', 'default', '--out', out, '--json'])
      assert.equal(ev.code, 0, ev.err)
      const script = spawnSync(process.execPath, [join(out, 'verify.mjs')], { encoding: 'utf8' })
      assert.equal(script.status, 0, script.stdout)
      const missing = saeh(['evidence', 'nope', '--tenant', 'default', '--out', join(t.dir, 'e2'), '--json'])
      assert.equal(missing.code, 1)
      assert.equal(missing.json().error.code, 'EVIDENCE_TARGET_NOT_FOUND')
      // a forger rewrites a sealed event's hash in place: exit 1, the break named
      const db = createDb(t.config)
      try {
        await db.kysely
          .updateTable('logbook_seal')
          .set({ merkle_root: '00'.repeat(64) })
          .where('number', '=', 1)
          .execute()
      } finally {
        await db.close()
      }
      const broken = saeh(['logbook', 'verify'])
      assert.equal(broken.code, 1)
      assert.match(broken.out, /ROMPU {2}sceau n° 1 \(merkle-root\)/)
    })

    it('an external TSA that is down: exit 2, SEAL_TSA_UNAVAILABLE; bad settings are named', () => {
      const r = spawnSync(process.execPath, [BIN, 'logbook', 'seal', '--json'], {
        env: {
          PATH: process.env.PATH ?? '',
          ...env,
          SAEH_TSA_URL: 'http://127.0.0.1:9/tsa',
          SAEH_TSA_CA_FILE: join(env.SAEH_HOME!, 'tsa', 'ca.cert.pem'),
        },
        encoding: 'utf8',
        timeout: 60_000,
      })
      assert.equal(r.status, 2, r.stdout + r.stderr)
      assert.equal(JSON.parse(r.stdout).error.code, 'SEAL_TSA_UNAVAILABLE')
      const bad = spawnSync(process.execPath, [BIN, 'logbook', 'seal', '--json'], {
        env: {
          PATH: process.env.PATH ?? '',
          ...env,
          SAEH_TSA_URL: 'ftp://x',
          SAEH_SEAL_INTERVAL_MINUTES: '0',
        },
        encoding: 'utf8',
      })
      assert.equal(bad.status, 2)
      assert.match(bad.stdout, /SAEH_TSA_URL/)
      assert.match(bad.stdout, /SAEH_TSA_CA_FILE/)
      assert.match(bad.stdout, /SAEH_SEAL_INTERVAL_MINUTES/)
    })
  })
}
