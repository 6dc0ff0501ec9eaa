import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { testDialects, POSTGRES_SKIP_REASON } from '../../test/helpers/db.js'
import { createCliInstance, type CliInstance } from '../../test/helpers/cli.js'
import { writeSipZip } from '../../test/helpers/sip.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`lifecycle CLI on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

for (const dialect of testDialects()) {
  describe(`saeh transfer / reclassify / rules update / register (${dialect})`, () => {
    let t: CliInstance
    const saeh = (args: string[]) => t.run(args)
    before(async () => {
      t = await createCliInstance(dialect)
      assert.equal(saeh(['init']).code, 0)
      assert.equal(saeh(['tenant', 'create', 'ad', '--name', 'AD']).code, 0)
      assert.equal(saeh(['referential', 'load-defaults', '--tenant', 'ad']).code, 0)
    })
    after(() => t.destroy())

    it('walks a transfer to a file, its ATR, a reclassification, a rules update, their reverts and the register', async () => {
      const sip = await writeSipZip(join(t.dir, 'a.zip'))
      const { units } = t.ingest(sip)
      const root = units.find((u) => u.parentIds.length === 0)!
      const item = units.find((u) => u.parentIds.length > 0)!
      const bRoot = t
        .ingest(await writeSipZip(join(t.dir, 'b.zip')))
        .units.find((u) => u.parentIds.length === 0)!

      const mv = saeh(['reclassify', 'move', item.id, '--parent', bRoot.id, '--tenant', 'default', '--json'])
      assert.equal(mv.code, 0, mv.out + mv.err)
      const cyc = saeh(['reclassify', 'move', bRoot.id, '--parent', item.id, '--tenant', 'default', '--json'])
      assert.equal(cyc.code, 1)
      assert.equal(cyc.json().error.code, 'RECLASSIFY_CYCLE')
      assert.equal(saeh(['reclassify', 'revert', mv.json().operationId, '--tenant', 'default']).code, 0)
      assert.deepEqual(saeh(['unit', 'show', item.id, '--tenant', 'default', '--json']).json().parentIds, [
        root.id,
      ])

      // Adds a Destroy appraisal rule to the item.
      const addRule = (rule: string) =>
        saeh([
          ...['rules', 'update', '--unit', item.id, '--category', 'AppraisalRule', '--action', 'add'],
          ...['--rule', rule, '--final-action', 'Destroy', '--tenant', 'default', '--json'],
        ])
      const bad = addRule('APP-COM-0005')
      assert.equal(bad.code, 1)
      assert.equal(bad.json().error.details.errors[0].code, 'MISSING_START_DATE')
      const up = addRule('APP-COM-0005@2024-01-12')
      assert.equal(up.code, 0, up.out + up.err)
      const shown = saeh(['unit', 'show', item.id, '--tenant', 'default', '--json']).json()
      assert.ok(
        shown.rules.some(
          (r: { ruleId: string; inherited: boolean }) => r.ruleId === 'APP-COM-0005' && !r.inherited,
        ),
      )
      assert.equal(saeh(['rules', 'revert', up.json().operationId, '--tenant', 'default']).code, 0)
      assert.ok(
        !saeh(['unit', 'show', item.id, '--tenant', 'default', '--json'])
          .json()
          .rules.some((r: { ruleId: string }) => r.ruleId === 'APP-COM-0005'),
      )

      const out = join(t.dir, 'transfer.zip')
      const tr = saeh([
        'transfer',
        'create',
        '--branch',
        root.id,
        '--seda',
        '2.1',
        '--contract',
        'IC-DEFAUT',
        '--archival-agency',
        'AD99',
        '--out',
        out,
        '--tenant',
        'default',
        '--json',
      ])
      assert.equal(tr.code, 0, tr.out + tr.err)
      assert.equal(tr.json().state, 'sent')
      const there = saeh(['ingest', out, '--tenant', 'ad', '--json'])
      assert.equal(there.code, 0, there.out)
      const atrFile = join(t.dir, 'atr.xml')
      const atr = saeh(['atr', there.json().operationId, '--tenant', 'ad'])
      assert.equal(atr.code, 0, atr.err)
      writeFileSync(atrFile, atr.out)
      const ack = saeh(['transfer', 'ack', tr.json().operationId, atrFile, '--tenant', 'default', '--json'])
      assert.equal(ack.code, 0, ack.out + ack.err)
      assert.equal(ack.json().state, 'purged')
      assert.equal(saeh(['unit', 'show', root.id, '--tenant', 'default', '--json']).code, 1)
      const shownTr = saeh(['transfer', 'show', tr.json().operationId, '--tenant', 'default', '--json'])
      assert.equal(shownTr.json().state, 'purged')
      assert.equal(saeh(['transfer', 'show', tr.json().operationId, '--tenant', 'ad', '--json']).code, 1)
      const list = saeh(['transfer', 'list', '--tenant', 'default', '--json']).json()
      assert.equal(list.total, 1)
      assert.equal(saeh(['transfer', 'ack', 'nope', atrFile, '--tenant', 'default']).code, 1)
      assert.equal(saeh(['transfer', 'create', '--tenant', 'default']).code, 2)

      const reg = saeh(['register', '--tenant', 'default', '--json']).json()
      assert.deepEqual(
        reg.lines.map((l: { type: string }) => l.type),
        ['INGEST', 'INGEST', 'TRANSFER'],
      )
      assert.equal(reg.totals.held.units, 2)
      const csv = saeh(['register', '--tenant', 'default', '--csv'])
      assert.equal(csv.out.trim().split('\r\n').length, 4)
    })
  })
}
