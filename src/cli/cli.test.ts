import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import {
  createTestDatabase,
  testDialects,
  POSTGRES_SKIP_REASON,
  type TestDatabase,
} from '../../test/helpers/db.js'
import { createDb } from '../platform/db/create-db.js'
import { writeSipZip } from '../../test/helpers/sip.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`CLI on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

const BIN = join(import.meta.dirname, '../../bin/saeh.js')

for (const dialect of testDialects()) {
  describe(`saeh CLI (${dialect})`, () => {
    let t: TestDatabase
    let env: Record<string, string>

    const saeh = (args: string[], input?: string) => {
      const r = spawnSync(process.execPath, [BIN, ...args], {
        env: { PATH: process.env.PATH ?? '', ...env },
        input: input ?? '',
        encoding: 'utf8',
        timeout: 60_000,
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

    it('initialises once, printing the admin password only the first time', () => {
      const first = saeh(['init', '--json'])
      assert.equal(first.code, 0, first.err)
      const doc = first.json()
      assert.equal(doc.admin.username, 'admin')
      assert.ok(doc.admin.password.length >= 16)
      assert.equal(doc.createdTenant, true)
      const again = saeh(['init', '--json'])
      assert.equal(again.code, 0)
      assert.equal(again.json().admin, null)
      assert.equal(again.json().createdTenant, false)
      const mig = saeh(['migrate', '--json'])
      assert.equal(mig.code, 0)
      assert.deepEqual(mig.json().applied, [])
    })

    it('creates tenants and users, with exit codes 0, 1 and 2', () => {
      assert.equal(saeh(['tenant', 'create', 'ad33', '--name', 'AD Gironde']).code, 0)
      const c = saeh([
        'tenant',
        'create',
        'c-begles',
        '--name',
        'Bègles',
        '--controlled-by',
        'ad33',
        '--json',
      ])
      assert.equal(c.code, 0, c.err)
      assert.deepEqual(
        { id: c.json().id, controlledBy: c.json().controlledBy },
        { id: 'c-begles', controlledBy: 'ad33' },
      )
      const dup = saeh(['tenant', 'create', 'ad33', '--name', 'again', '--json'])
      assert.equal(dup.code, 1)
      assert.equal(dup.json().error.code, 'TENANT_EXISTS')
      const unknownCtl = saeh(['tenant', 'create', 'c-x', '--name', 'X', '--controlled-by', 'nowhere'])
      assert.equal(unknownCtl.code, 1)
      assert.match(unknownCtl.err, /nowhere/)
      const usage = saeh(['tenant', 'create', 'c-y', '--json'])
      assert.equal(usage.code, 2, 'a missing required option is a usage error')
      assert.ok(usage.json().error.code)
      const u = saeh(
        ['user', 'create', 'secr', '--tenant', 'c-begles', '--role', 'producer', '--password-stdin'],
        'secretary-password-1\n',
      )
      assert.equal(u.code, 0, u.err)
      const u2 = saeh(['user', 'create', 'other', '--tenant', 'ad33', '--role', 'archivist', '--json'])
      assert.equal(u2.code, 0)
      assert.ok(u2.json().password, 'a generated password is shown once')
      const short = saeh(
        ['user', 'create', 'weak', '--tenant', 'ad33', '--role', 'reader', '--password-stdin', '--json'],
        'short\n',
      )
      assert.equal(short.code, 1)
      assert.equal(short.json().error.code, 'TENANCY_INVALID')
      const role = saeh(['user', 'create', 'x', '--tenant', 'ad33', '--role', 'emperor'])
      assert.equal(role.code, 2)
      const key = saeh(['apikey', 'create', '--tenant', 'c-begles', '--role', 'producer', '--json'])
      assert.equal(key.code, 0)
      assert.match(key.json().key, /^saeh_/)
    })

    it('acts with a principal’s own rights under --as, and reaches no other tenant', () => {
      const ops = saeh(['tenant', 'list', '--as', 'secr', '--json'])
      assert.equal(ops.code, 0, ops.err)
      assert.deepEqual(
        ops.json().results.map((x: { id: string }) => x.id),
        ['c-begles'],
      )
      const cross = saeh(['logbook', 'verify', '--tenant', 'ad33', '--as', 'secr', '--json'])
      assert.equal(cross.code, 1)
      assert.equal(cross.json().error.code, 'TENANT_NOT_FOUND')
      const forbidden = saeh(['tenant', 'create', 'rogue', '--name', 'R', '--as', 'secr', '--json'])
      assert.equal(forbidden.code, 1)
      assert.equal(forbidden.json().error.code, 'FORBIDDEN')
      const nobody = saeh(['tenant', 'list', '--as', 'ghost', '--json'])
      assert.equal(nobody.code, 1)
      assert.equal(nobody.json().error.code, 'PRINCIPAL_NOT_FOUND')
    })

    it('rebuilds the search index of a tenant or of all (platform administrator only), logged', async () => {
      const sip = await writeSipZip(join(t.dir, 'reindex.zip'))
      assert.equal(saeh(['ingest', sip, '--tenant', 'default', '--json']).json().status, 'OK')
      const found = () =>
        saeh(['unit', 'search', 'délibération', '--tenant', 'default', '--json']).json().total
      const total = found()
      assert.ok(total >= 2)
      const all = saeh(['unit', 'search', '--tenant', 'default', '--json']).json().total
      assert.ok(all >= total)
      const r = saeh(['reindex', '--tenant', 'default', '--json'])
      assert.equal(r.code, 0, r.err)
      const [one] = r.json().results
      assert.equal(one.tenantId, 'default')
      assert.equal(one.units, all)
      assert.equal(one.missing, 0)
      assert.equal(found(), total)
      const op = saeh(['operation', 'show', one.operationId, '--tenant', 'default', '--json']).json()
      assert.equal(op.type, 'SEARCH_REINDEX')
      assert.equal(op.events[0].outcome, 'OK')
      assert.match(
        op.events[0].message,
        new RegExp(String.raw`${all} unité\(s\) réindexée\(s\), dont 0 absente\(s\)`),
      )
      const text = saeh(['reindex', '--all'])
      assert.equal(text.code, 0, text.err)
      assert.match(text.out, new RegExp(String.raw`^default : ${all} unité\(s\) réindexée\(s\)`, 'm'))
      assert.match(text.out, /^c-begles : 0 unité\(s\)/m)
      assert.equal(saeh(['reindex']).code, 2)
      assert.equal(saeh(['reindex', '--all', '--tenant', 'default']).code, 2)
      const unknown = saeh(['reindex', '--tenant', 'nope', '--json'])
      assert.equal(unknown.code, 1)
      assert.equal(unknown.json().error.code, 'TENANT_NOT_FOUND')
      const secr = saeh(['reindex', '--tenant', 'c-begles', '--as', 'secr', '--json'])
      assert.equal(secr.code, 1)
      assert.equal(secr.json().error.code, 'FORBIDDEN')
    })

    it('verifies the logbook and names the first broken link', async () => {
      const ok = saeh(['logbook', 'verify', '--json'])
      assert.equal(ok.code, 0, ok.out)
      assert.equal(ok.json().ok, true)
      const db = createDb(t.config)
      try {
        await db.kysely
          .updateTable('logbook_event')
          .set({ message: 'forged' })
          .where('chain', '=', 'c-begles')
          .where('seq', '=', 2)
          .execute()
      } finally {
        await db.close()
      }
      const broken = saeh(['logbook', 'verify', '--json'])
      assert.equal(broken.code, 1)
      const chain = broken.json().chains.find((c: { chain: string }) => c.chain === 'c-begles')
      assert.equal(chain.ok, false)
      assert.equal(chain.firstBreak.seq, 2)
      const text = saeh(['logbook', 'verify', '--tenant', 'c-begles'])
      assert.equal(text.code, 1)
      assert.match(text.out, /ROMPU\s+c-begles/)
      const other = saeh(['logbook', 'verify', '--tenant', 'ad33'])
      assert.equal(other.code, 0)
    })

    it('replaces the platform format referential from a DROID signature file, refusing a bad one whole', async () => {
      const ok = saeh([
        'referential',
        'import',
        'formats',
        join(import.meta.dirname, '../assets/formats/DROID_SignatureFile_V122.xml'),
        '--json',
      ])
      assert.equal(ok.code, 0, ok.err)
      assert.equal(ok.json().version, 122)
      assert.ok(ok.json().total > 2000)
      const bad = join(t.dir, 'bad-signatures.xml')
      writeFileSync(
        bad,
        '<FFSignatureFile xmlns="http://www.nationalarchives.gov.uk/pronom/SignatureFile" Version="1"><broken',
      )
      const ko = saeh(['referential', 'import', 'formats', bad, '--json'])
      assert.equal(ko.code, 1)
      assert.equal(ko.json().error.code, 'FORMAT_SIGNATURE_FILE_INVALID')
      const db = createDb(t.config)
      try {
        const n = await db.kysely
          .selectFrom('format')
          .select(db.kysely.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
        assert.equal(Number(n.n), ok.json().total, 'a refused file changes nothing')
      } finally {
        await db.close()
      }
      const notAdmin = saeh(['referential', 'import', 'formats', bad, '--as', 'secr', '--json'])
      assert.equal(notAdmin.code, 1)
      assert.equal(notAdmin.json().error.code, 'FORBIDDEN')
    })

    it('reports every bad setting at once, by name, and exits 2', () => {
      const r = saeh(['init', '--json'])
      assert.equal(r.code, 0)
      const bad = spawnSync(process.execPath, [BIN, 'init', '--json'], {
        env: {
          PATH: process.env.PATH ?? '',
          SAEH_HOME: env.SAEH_HOME,
          SAEH_PORT: 'eighty',
          SAEH_OFFERS: 'ftp://x',
          SAEH_DATABSE_URL: 'typo',
        },
        encoding: 'utf8',
      })
      assert.equal(bad.status, 2)
      const e = JSON.parse(bad.stdout).error
      assert.equal(e.code, 'CONFIG_INVALID')
      const vars = e.details.issues.map((i: { variable: string }) => i.variable).sort()
      assert.deepEqual(vars, ['SAEH_DATABSE_URL', 'SAEH_OFFERS', 'SAEH_PORT'])
    })
  })
}
