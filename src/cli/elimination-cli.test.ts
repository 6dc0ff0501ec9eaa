import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  createTestDatabase,
  testDialects,
  POSTGRES_SKIP_REASON,
  type TestDatabase,
} from '../../test/helpers/db.js'
import { writeSipZip } from '../../test/helpers/sip.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`elimination CLI on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

const BIN = join(import.meta.dirname, '../../bin/saeh.js')
const REFERENTIALS_DIR = join(import.meta.dirname, '../assets/referentials')
// Real clock: a DUA of 5 years from 2020 is over.
const RULES =
  '<AppraisalRule><Rule>APP-COM-0005</Rule><StartDate>2020-01-12</StartDate><FinalAction>Destroy</FinalAction></AppraisalRule>'

for (const dialect of testDialects()) {
  describe(`saeh elimination / hold (${dialect})`, () => {
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
    const ok = (args: string[]) => {
      const r = saeh([...args, '--json'])
      assert.equal(r.code, 0, r.out + r.err)
      return r.json()
    }

    before(async () => {
      t = await createTestDatabase(dialect)
      env = {
        SAEH_HOME: join(t.dir, 'home'),
        SAEH_DATABASE_URL: t.config.dialect === 'sqlite' ? `sqlite://${t.config.file}` : t.config.url,
      }
    })
    after(() => t.destroy())

    it('analyse, request, submit, visa (--as the AD control authority only), execute, document; holds', async () => {
      ok(['init'])
      ok(['tenant', 'create', 'ad33', '--name', 'AD Gironde'])
      ok(['tenant', 'create', 'c-begles', '--name', 'Bègles', '--controlled-by', 'ad33'])
      ok(['referential', 'load-defaults', '--tenant', 'c-begles'])
      ok(['user', 'create', 'ctl33', '--tenant', 'ad33', '--role', 'control-authority'])
      const sip = await writeSipZip(join(t.dir, 'sip.zip'), { rules: RULES })
      const ing = ok(['ingest', sip, '--tenant', 'c-begles'])
      assert.equal(ing.status, 'OK')

      const a = ok(['elimination', 'analyse', '--tenant', 'c-begles'])
      assert.equal(a.eligible.length, 2)
      const bad = saeh(['elimination', 'analyse', '--tenant', 'c-begles', '--branch', 'nope', '--json'])
      assert.equal(bad.code, 1)
      assert.equal(bad.json().error.code, 'UNIT_NOT_FOUND')

      const root = a.eligible.find((u: { title: string }) => u.title.startsWith('Délibérations'))!.unitId
      const h = ok(['hold', 'create', root, '--tenant', 'c-begles', '--reason', 'Contentieux', '--branch'])
      assert.equal(ok(['hold', 'list', '--tenant', 'c-begles', '--active']).results.length, 1)
      assert.equal(ok(['elimination', 'analyse', '--tenant', 'c-begles']).eligible.length, 0)
      ok(['hold', 'lift', h.id, '--tenant', 'c-begles', '--reason', 'Clos'])
      const a2 = ok(['elimination', 'analyse', '--tenant', 'c-begles'])

      const r = ok(['elimination', 'request', a2.analysisId, '--tenant', 'c-begles', '--observations', 'CLI'])
      assert.equal(r.status, 'draft')
      ok(['elimination', 'submit', r.id, '--tenant', 'c-begles'])
      const asAdmin = saeh([
        'elimination',
        'visa',
        r.id,
        '--tenant',
        'c-begles',
        '--approve',
        '--comment',
        'x',
        '--json',
      ])
      assert.equal(asAdmin.code, 1)
      assert.equal(asAdmin.json().error.code, 'ELIMINATION_VISA_FORBIDDEN')
      const usage = saeh([
        'elimination',
        'visa',
        r.id,
        '--tenant',
        'c-begles',
        '--comment',
        'x',
        '--as',
        'ctl33',
      ])
      assert.equal(usage.code, 2)
      const v = ok([
        'elimination',
        'visa',
        r.id,
        '--tenant',
        'c-begles',
        '--approve',
        '--comment',
        'Favorable',
        '--as',
        'ctl33',
      ])
      assert.equal(v.status, 'approved')
      const done = ok(['elimination', 'execute', r.id, '--tenant', 'c-begles'])
      assert.equal(done.status, 'executed')
      const out = join(t.dir, 'cert.json')
      ok(['elimination', 'document', r.id, 'certificate.json', '--tenant', 'c-begles', '--out', out])
      const cert = JSON.parse(readFileSync(out, 'utf8'))
      assert.equal(cert.visa.comment, 'Favorable')
      assert.equal(cert.totals.units, 2)
      assert.equal(ok(['elimination', 'show', r.id, '--tenant', 'c-begles']).status, 'executed')
      // `unit show` of an eliminated unit says so (exit 1, UNIT_NOT_FOUND), with the request.
      const goneText = saeh(['unit', 'show', root, '--tenant', 'c-begles'])
      assert.equal(goneText.code, 1)
      assert.match(goneText.err, new RegExp(`n’est plus dans le fonds : éliminée le .*\\(demande ${r.id}`))
      const gone = saeh(['unit', 'show', root, '--tenant', 'c-begles', '--json'])
      assert.equal(gone.json().error.code, 'UNIT_NOT_FOUND')
      assert.equal(gone.json().error.details.departure.reason, 'ELIMINATION')
      // Under a contract that does not cover the unit's producer, only the bare « inconnue ».
      const contracts = join(t.dir, 'access-contracts.json')
      const defaults = JSON.parse(readFileSync(join(REFERENTIALS_DIR, 'access-contracts.json'), 'utf8'))
      writeFileSync(
        contracts,
        JSON.stringify([
          ...defaults,
          {
            ...defaults[0],
            Identifier: 'AC-AD98',
            Name: 'Fonds des AD 98',
            EveryOriginatingAgency: false,
            OriginatingAgencies: ['AD98'],
          },
        ]),
      )
      ok(['referential', 'import', 'access-contracts', contracts, '--tenant', 'c-begles'])
      const narrow = saeh([
        'unit',
        'show',
        root,
        '--tenant',
        'c-begles',
        '--access-contract',
        'AC-AD98',
        '--json',
      ])
      assert.equal(narrow.code, 1, narrow.out + narrow.err)
      assert.equal(narrow.json().error.code, 'UNIT_NOT_FOUND')
      assert.equal(narrow.json().error.details.departure, undefined)
      assert.doesNotMatch(narrow.json().error.message, /éliminée/)
      assert.equal(ok(['logbook', 'verify']).ok, true)
    })
  })
}
