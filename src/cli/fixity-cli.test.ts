import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { chmod, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.js'
import { writeSipZip, PDF_BYTES } from '../../test/helpers/sip.js'

const BIN = join(import.meta.dirname, '../../bin/saeh.js')

/** The CLI is the same on both dialects (the service tests cover PostgreSQL): SQLite only here. */
describe('saeh audit (CLI)', () => {
  let t: TestDatabase
  let env: Record<string, string>
  const saeh = (args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    })
    return { code: r.status, out: r.stdout, err: r.stderr, json: () => JSON.parse(r.stdout) }
  }
  /** The one copy of the ingested object in an offer's folder (`fs` keeps each object as one file). */
  const copyIn = async (offer: 'a' | 'b'): Promise<string> => {
    const root = join(env.SAEH_HOME!, 'offers', offer, 'default')
    for (const op of await readdir(root)) {
      for (const f of await readdir(join(root, op))) {
        const p = join(root, op, f)
        if ((await readFile(p)).equals(PDF_BYTES)) return p
      }
    }
    throw new Error('copy not found')
  }
  const damage = async (path: string) => {
    const b = await readFile(path)
    b[5] = (b[5] as number) ^ 0xff
    await chmod(path, 0o644)
    await writeFile(path, b)
  }

  before(async () => {
    t = await createTestDatabase('sqlite')
    env = {
      SAEH_HOME: join(t.dir, 'home'),
      SAEH_DATABASE_URL: t.config.dialect === 'sqlite' ? `sqlite://${t.config.file}` : t.config.url,
    }
    assert.equal(saeh(['init', '--json']).code, 0)
    const sip = await writeSipZip(join(t.dir, 'sip.zip'))
    const r = saeh(['ingest', sip, '--tenant', 'default', '--json'])
    assert.equal(r.code, 0, r.err)
  })
  after(() => t.destroy())

  it('audits, repairs, reports; exit 1 when an object has no good copy left', async () => {
    const ok = saeh(['audit', 'run', '--tenant', 'default', '--json'])
    assert.equal(ok.code, 0, ok.err)
    assert.equal(ok.json().status, 'OK')
    assert.equal(ok.json().type, 'integrity')
    assert.equal(ok.json().counts.objects, 1)

    const b = await copyIn('b')
    await damage(b)
    const fixed = saeh(['audit', 'run', '--tenant', 'default', '--type', 'integrity', '--json'])
    assert.equal(fixed.code, 0, fixed.err)
    const doc = fixed.json()
    assert.equal(doc.status, 'WARNING')
    assert.equal(doc.anomalies.length, 1)
    assert.equal(doc.anomalies[0].kind, 'digest')
    assert.equal(doc.anomalies[0].repair, 'repaired')
    assert.equal(doc.anomalies[0].repairedFrom, 'fs-1')
    assert.ok((await readFile(b)).equals(PDF_BYTES), 'the copy is rewritten')

    const shown = saeh(['audit', 'show', doc.auditId, '--tenant', 'default', '--json'])
    assert.equal(shown.code, 0)
    assert.deepEqual(shown.json().counts, doc.counts)
    const text = saeh(['audit', 'show', doc.auditId, '--tenant', 'default'])
    assert.match(text.out, /WARNING/)
    assert.match(text.out, /fs-2/)

    await damage(await copyIn('a'))
    await damage(await copyIn('b'))
    const lost = saeh(['audit', 'run', '--all', '--json'])
    assert.equal(lost.code, 1, 'KO: an object lost')
    assert.equal(lost.json().status, 'KO')
    assert.equal(lost.json().tenant, null)
    assert.equal(lost.json().alerts.length, 1)
  })

  it('refuses bad usage and unknown ids', () => {
    const neither = saeh(['audit', 'run', '--json'])
    assert.equal(neither.code, 2)
    assert.ok(neither.json().error.message)
    assert.equal(saeh(['audit', 'run', '--tenant', 'default', '--all', '--json']).code, 2)
    assert.equal(saeh(['audit', 'run', '--tenant', 'default', '--type', 'bogus', '--json']).code, 2)
    const unknownTenant = saeh(['audit', 'run', '--tenant', 'nope', '--json'])
    assert.equal(unknownTenant.code, 1)
    assert.equal(unknownTenant.json().error.code, 'TENANT_NOT_FOUND')
    const producer = saeh(['audit', 'run', '--tenant', 'default', '--producer', 'NOBODY', '--json'])
    assert.equal(producer.code, 1)
    assert.equal(producer.json().error.code, 'AUDIT_PRODUCER_NOT_FOUND')
    const missing = saeh(['audit', 'show', 'no-such-audit', '--tenant', 'default', '--json'])
    assert.equal(missing.code, 1)
    assert.equal(missing.json().error.code, 'AUDIT_NOT_FOUND')
    assert.equal(saeh(['audit', 'resume', 'no-such-audit', '--json']).json().error.code, 'AUDIT_NOT_FOUND')
  })
})
