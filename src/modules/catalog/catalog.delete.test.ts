import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { createTestContainer } from '../../../test/helpers/container.js'
import { testDialects, POSTGRES_SKIP_REASON } from '../../../test/helpers/db.js'
import { writeSipZip } from '../../../test/helpers/sip.js'
import { initInstance } from '../../main/instance.js'
import { SYSTEM_PRINCIPAL } from '../tenancy/index.js'
import { deleteUnits } from './index.js'
import type { Container } from '../../main/container.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`catalogue deletion on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

for (const dialect of testDialects()) {
  describe(`catalogue deletion: deleteUnits (${dialect})`, () => {
    let inst: Awaited<ReturnType<typeof createTestContainer>>
    let c: Container
    let n = 0
    before(async () => {
      inst = await createTestContainer(dialect)
      c = inst.c
      await initInstance(c)
      await c.tenancy.createTenant(SYSTEM_PRINCIPAL, { id: 'other', name: 'other' })
      await c.referential.loadDefaults('other', 'test')
    })
    after(() => inst.close())

    async function ingest(tenant = 'default') {
      const p = join(inst.dir, `sip-${++n}.zip`)
      await writeSipZip(p)
      const r = await c.ingest.ingestFile({
        tenantId: tenant,
        packagePath: p,
        fileName: 'sip.zip',
        agent: 'test',
      })
      assert.equal(r.status, 'OK')
      const units = (await c.catalog.listUnits(tenant, { operationId: r.operationId })).results
      const root = units.find((u) => u.parentIds.length === 0)!
      const item = units.find((u) => u.parentIds.length > 0)!
      const unit = await c.db.kysely
        .selectFrom('archive_unit')
        .selectAll()
        .where('id', '=', item.id)
        .executeTakeFirstOrThrow()
      const objects = await c.db.kysely
        .selectFrom('data_object')
        .selectAll()
        .where('group_id', '=', unit.object_group_id!)
        .execute()
      return { op: r.operationId, root: root.id, item: item.id, group: unit.object_group_id!, objects }
    }

    /** Rows left anywhere in the catalogue for these units and this group. */
    async function rowsOf(units: string[], group: string, blobs: string[]) {
      const k = c.db.kysely
      const count = async (q: { execute(): Promise<unknown[]> }) => (await q.execute()).length
      return {
        units: await count(k.selectFrom('archive_unit').select('id').where('id', 'in', units)),
        rules: await count(k.selectFrom('unit_rule').select('unit_id').where('unit_id', 'in', units)),
        effective: await count(
          k.selectFrom('unit_effective_rule').select('unit_id').where('unit_id', 'in', units),
        ),
        lifecycle: await count(
          k.selectFrom('unit_lifecycle').select('unit_id').where('unit_id', 'in', units),
        ),
        parents: await count(
          k
            .selectFrom('unit_parent')
            .select('unit_id')
            .where((eb) => eb.or([eb('unit_id', 'in', units), eb('parent_id', 'in', units)])),
        ),
        search: await count(k.selectFrom('unit_search').select('unit_id').where('unit_id', 'in', units)),
        objects: await count(k.selectFrom('data_object').select('id').where('group_id', '=', group)),
        groups: await count(k.selectFrom('object_group').select('id').where('id', '=', group)),
        blobs: blobs.length ? await count(k.selectFrom('blob').select('id').where('id', 'in', blobs)) : 0,
        copies: blobs.length
          ? await count(k.selectFrom('blob_copy').select('blob_id').where('blob_id', 'in', blobs))
          : 0,
      }
    }

    it('deletes a unit, its rule, lifecycle, parent and search rows, its unshared group, objects and blobs', async () => {
      const p = await ingest()
      const blobs = p.objects.map((o) => o.blob_id!).filter((b) => b !== null)
      assert.ok(blobs.length > 0)
      const before = await rowsOf([p.item], p.group, blobs)
      assert.ok(before.units === 1 && before.effective > 0 && before.lifecycle === 1)
      assert.ok(before.parents === 1 && before.search === 1)
      assert.ok(before.objects > 0 && before.groups === 1 && before.copies > 0)
      const deleted = await c.db.kysely
        .transaction()
        .execute((trx) => deleteUnits(trx, 'default', [p.item], { searchIndex: c.search }))
      assert.deepEqual(
        deleted.map((d) => ({ ...d })).sort((a, b) => a.id.localeCompare(b.id)),
        p.objects
          .map((o) => ({ id: o.id, blobId: o.blob_id, operationId: p.op }))
          .sort((a, b) => a.id.localeCompare(b.id)),
      )
      assert.deepEqual(await rowsOf([p.item], p.group, blobs), {
        units: 0,
        rules: 0,
        effective: 0,
        lifecycle: 0,
        parents: 0,
        search: 0,
        objects: 0,
        groups: 0,
        blobs: 0,
        copies: 0,
      })
      // The parent stays, now without children.
      assert.equal((await c.catalog.getUnit('default', p.root)).id, p.root)
    })

    it('a parent and its child in one call (links both ways), in foreign-key order', async () => {
      const p = await ingest()
      await c.db.kysely
        .transaction()
        .execute((trx) => deleteUnits(trx, 'default', [p.root, p.item], { searchIndex: c.search }))
      const left = await rowsOf([p.root, p.item], p.group, [])
      assert.equal(left.units + left.parents + left.rules + left.objects + left.groups, 0)
    })

    it('another tenant’s or unknown ids delete nothing and return nothing', async () => {
      const p = await ingest('other')
      const blobs = p.objects.map((o) => o.blob_id!).filter((b) => b !== null)
      const before = await rowsOf([p.root, p.item], p.group, blobs)
      const deleted = await c.db.kysely
        .transaction()
        .execute((trx) =>
          deleteUnits(trx, 'default', [p.root, p.item, 'no-such-unit'], { searchIndex: c.search }),
        )
      assert.deepEqual(deleted, [])
      assert.deepEqual(await rowsOf([p.root, p.item], p.group, blobs), before)
    })

    it('a group still referenced by a remaining unit is kept with its objects and blobs', async () => {
      const p = await ingest()
      await c.db.kysely
        .updateTable('archive_unit')
        .set({ object_group_id: p.group })
        .where('id', '=', p.root)
        .execute()
      const blobs = p.objects.map((o) => o.blob_id!).filter((b) => b !== null)
      const deleted = await c.db.kysely
        .transaction()
        .execute((trx) => deleteUnits(trx, 'default', [p.item], { searchIndex: c.search }))
      assert.deepEqual(deleted, [])
      const left = await rowsOf([p.item], p.group, blobs)
      assert.equal(left.units, 0)
      assert.equal(left.groups, 1)
      assert.equal(left.objects, p.objects.length)
      assert.equal(left.blobs, blobs.length)
    })

    it('an empty list changes nothing', async () => {
      const before = await c.db.kysely.selectFrom('archive_unit').select('id').execute()
      assert.deepEqual(await c.db.kysely.transaction().execute((trx) => deleteUnits(trx, 'default', [])), [])
      assert.equal(
        (await c.db.kysely.selectFrom('archive_unit').select('id').execute()).length,
        before.length,
      )
    })
  })
}
