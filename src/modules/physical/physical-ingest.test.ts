import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { POSTGRES_SKIP_REASON, testDialects } from '../../../test/helpers/db.js'
import { createTestContainer } from '../../../test/helpers/container.js'
import {
  CORPUS_REFERENTIALS,
  CORPUS_SKIP_REASON,
  corpusDir,
  hasCorpus,
  referentialBytes,
} from '../../../test/corpus/vitam-corpus.js'
import { elimWorld, type ElimWorld } from '../elimination/test-support.js'
import { SYSTEM_PRINCIPAL } from '../tenancy/index.js'
import type { Container } from '../../main/container.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`physical ingest on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

const T = 'c-begles'

for (const dialect of testDialects()) {
  describe(`physical objects at ingest go into boxes (${dialect})`, () => {
    let w: ElimWorld
    before(async () => {
      w = await elimWorld(dialect)
    })
    after(() => w.close())

    it('a PhysicalDataObject gets a box named by its PhysicalId; a second one with the same PhysicalId joins it', async () => {
      const { c, who } = w
      const first = await w.ingest({ physical: { id: 'PH1', physicalId: 'REG-1789' } })
      const box = await c.physical.getBox(who.archivist, T, 'REG-1789')
      assert.equal(box.status, 'active')
      assert.equal(box.place, null, 'to be shelved')
      assert.equal(box.boxType, null)
      assert.equal(box.operationId, first.operationId)
      assert.equal(box.content.length, 1)
      assert.equal(box.content[0]!.title, 'Registre papier')
      assert.deepEqual(
        box.history.map((h) => h.kind),
        ['created'],
      )
      const op = await c.audit.getOperation(T, first.operationId)
      assert.ok(op.events.some((e) => e.type === 'PHYSICAL_BOX_CREATE'))
      assert.ok(op.events.some((e) => e.type === 'PHYSICAL_BOX_ASSIGN' && e.outcome === 'OK'))
      const second = await w.ingest({ physical: { id: 'PH1', physicalId: 'REG-1789' } })
      const again = await c.physical.getBox(who.archivist, T, 'REG-1789')
      assert.equal(again.content.length, 2)
      assert.equal(again.operationId, first.operationId)
      // The unit view shows the digital object and the physical one with its box, side by side.
      const units = (await c.catalog.listUnits(T, { operationId: second.operationId })).results
      const paper = units.find((u) => u.title === 'Registre papier')!
      const view = await c.catalog.getUnit(T, paper.id)
      const obj = view.objects.find((o) => o.kind === 'physical')!
      assert.equal((obj.box as { box: { barcode: string } }).box.barcode, 'REG-1789')
      const digital = await c.catalog.getUnit(T, second.item)
      assert.ok(digital.objects.every((o) => o.kind === 'binary' && o.box === undefined))
      // A digital-only ingest creates no box.
      const boxes = await c.physical.listBoxes(who.archivist, T)
      await w.ingest()
      assert.equal((await c.physical.listBoxes(who.archivist, T)).total, boxes.total)
    })

    it('a PhysicalId that cannot be a barcode is logged, and the ingest still succeeds', async () => {
      const r = await w.ingest({ physical: { id: 'PH1', physicalId: 'avec espace' } })
      const op = await w.c.audit.getOperation(T, r.operationId)
      const ev = op.events.find((e) => e.type === 'PHYSICAL_BOX_ASSIGN')!
      assert.equal(ev.outcome, 'WARNING')
      assert.equal(ev.detail, 'PHYSICAL_BOX_ASSIGN.NO_BARCODE')
    })
  })

  if (!hasCorpus()) it.skip(CORPUS_SKIP_REASON)
  else
    describe(`Vitam corpus packages with physical objects ingest into boxes (${dialect})`, () => {
      let inst: Awaited<ReturnType<typeof createTestContainer>>
      let c: Container
      before(async () => {
        inst = await createTestContainer(dialect)
        c = inst.c
        await c.tenancy.createTenant(SYSTEM_PRINCIPAL, { id: 'vitam', name: 'Corpus Vitam' })
        for (const [kind, ...files] of CORPUS_REFERENTIALS)
          await c.referential.import('vitam', kind, referentialBytes(files), 'system')
      })
      after(() => inst.close())

      for (const file of ['sip-ok/OK_ArchivesPhysiques.zip', 'sip-ok/OK_AU_Physiques.zip'])
        it(`${file}: its PhysicalMaster (PhysicalId 123456789) is in box 123456789`, async () => {
          const r = await c.ingest.ingestFile({
            tenantId: 'vitam',
            packagePath: join(corpusDir(), 'vitam', file),
            fileName: file,
            agent: 'system',
          })
          assert.ok(r.status === 'OK' || r.status === 'WARNING', `${file}: ${r.status}`)
          const phys = await c.db.kysely
            .selectFrom('data_object')
            .select(['id', 'group_id'])
            .where('operation_id', '=', r.operationId)
            .where('kind', '=', 'physical')
            .execute()
          assert.equal(phys.length, 1)
          const box = await c.physical.getBox(SYSTEM_PRINCIPAL, 'vitam', '123456789')
          assert.ok(box.content.some((x) => x.objectId === phys[0]!.id))
          const unit = await c.db.kysely
            .selectFrom('archive_unit')
            .select('id')
            .where('object_group_id', '=', phys[0]!.group_id)
            .executeTakeFirstOrThrow()
          const view = await c.catalog.getUnit('vitam', unit.id)
          assert.deepEqual(
            view.objects.map((o) => o.kind).sort(),
            ['binary', 'physical'],
            'digital and physical objects side by side',
          )
          const p = view.objects.find((o) => o.kind === 'physical')!
          assert.equal((p.box as { box: { barcode: string } }).box.barcode, '123456789')
        })
    })
}
