import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { testDialects, POSTGRES_SKIP_REASON } from '../../test/helpers/db.js'
import { createCliInstance, type CliInstance } from '../../test/helpers/cli.js'
import { writeSipZip } from '../../test/helpers/sip.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`access CLI on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

for (const dialect of testDialects()) {
  describe(`saeh request / dip / access bind (${dialect})`, () => {
    let t: CliInstance
    const saeh = (args: string[]) => t.run(args)
    before(async () => {
      t = await createCliInstance(dialect)
      assert.equal(saeh(['init']).code, 0)
    })
    after(() => t.destroy())

    it('a reader asks, the archivist grants with a derogation, the reader downloads; a DIP is written', async () => {
      const sip = await writeSipZip(join(t.dir, 'a.zip'), { physical: { id: 'P1', physicalId: 'BOITE-9' } })
      const { units } = t.ingest(sip)
      const item = units.find((u) => u.objects.some((o) => o.kind === 'binary'))!
      const obj = item.objects[0]!.id
      assert.equal(saeh(['user', 'create', 'lea', '--tenant', 'default', '--role', 'reader']).code, 0)
      // Not communicable before 2049: the reader sees nothing and is refused the file with the date.
      assert.equal(saeh(['unit', 'search', '--tenant', 'default', '--as', 'lea', '--json']).json().total, 0)
      // --exact-total: accepted, the exact count (no lower-bound flag for a small set)
      const exact = saeh(['unit', 'search', '--tenant', 'default', '--exact-total', '--json']).json()
      assert.deepEqual([exact.total, exact.totalIsLowerBound], [units.length, undefined])
      const refused = saeh([
        'object',
        'get',
        obj,
        '--tenant',
        'default',
        '--out',
        join(t.dir, 'x'),
        '--as',
        'lea',
        '--json',
      ])
      assert.equal(refused.code, 1)
      assert.equal(refused.json().error.code, 'OBJECT_NOT_COMMUNICABLE')
      assert.match(refused.json().error.details.communicableFrom, /^2049-/)
      const r = saeh([
        'request',
        'create',
        '--tenant',
        'default',
        '--kind',
        'communication',
        '--unit',
        item.id,
        '--as',
        'lea',
        '--json',
      ]).json()
      assert.equal(r.state, 'requested')
      const bad = saeh(['request', 'approve', r.id, '--tenant', 'default', '--json'])
      assert.equal(bad.code, 1)
      assert.equal(bad.json().error.code, 'REQUEST_DEROGATION_REQUIRED')
      assert.equal(
        saeh(['request', 'approve', r.id, '--tenant', 'default', '--derogation-reason', 'x']).code,
        2,
        'a derogation needs its end',
      )
      const until = new Date(Date.now() + 86_400_000).toISOString()
      const ok = saeh([
        'request',
        'approve',
        r.id,
        '--tenant',
        'default',
        '--derogation-reason',
        'Thèse',
        '--derogation-until',
        until,
        '--json',
      ]).json()
      assert.equal(ok.state, 'approved')
      const out = join(t.dir, 'doc.pdf')
      assert.equal(saeh(['object', 'get', obj, '--tenant', 'default', '--out', out, '--as', 'lea']).code, 0)
      assert.ok(existsSync(out))
      const ret = saeh(['request', 'return', r.id, '--tenant', 'default', '--json'])
      assert.equal(ret.json().error.code, 'REQUEST_NOT_RETURNABLE')
      assert.equal(
        saeh(['request', 'list', '--tenant', 'default', '--as', 'lea', '--json']).json().results.length,
        1,
      )
      assert.equal(saeh(['request', 'show', 'nope', '--tenant', 'default', '--json']).code, 1)
      // DIP of the branch, written as a re-ingestable ArchiveTransfer, and re-ingested.
      const root = units.find((u) => u.parentIds.length === 0)!
      const dipFile = join(t.dir, 'dip.zip')
      const d = saeh([
        'dip',
        'export',
        '--tenant',
        'default',
        '--branch',
        root.id,
        '--seda',
        '2.3',
        '--out',
        dipFile,
        '--as-transfer',
        '--json',
      ])
      assert.equal(d.code, 0, d.out + d.err)
      assert.equal(d.json().state, 'ready')
      const shownDip = saeh(['dip', 'show', d.json().operationId, '--tenant', 'default', '--json'])
      assert.equal(shownDip.json().operationId, d.json().operationId)
      assert.equal(shownDip.json().state, 'ready')
      assert.match(saeh(['dip', 'show', d.json().operationId, '--tenant', 'default']).out, /^DIP .+ : ready/)
      const again = saeh(['ingest', dipFile, '--tenant', 'default', '--contract', 'IC-DEFAUT', '--json'])
      assert.equal(again.code, 0, again.out)
      assert.equal(saeh(['dip', 'export', '--tenant', 'default', '--json']).code, 2)
      assert.equal(
        saeh(['access', 'bind', 'nobody', '--tenant', 'default', '--contract', 'AC-NOPE', '--json']).json()
          .error.code,
        'ACCESS_CONTRACT_UNKNOWN',
      )
    })
  })
}
