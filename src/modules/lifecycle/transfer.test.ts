import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { writeFile } from 'node:fs/promises'
import { createTestContainer } from '../../../test/helpers/container.js'
import { testDialects, POSTGRES_SKIP_REASON } from '../../../test/helpers/db.js'
import { writeSipZip, PDF_BYTES } from '../../../test/helpers/sip.js'
import { initInstance } from '../../main/instance.js'
import { SYSTEM_PRINCIPAL } from '../tenancy/index.js'
import { TransferService } from './index.js'
import type { Container } from '../../main/container.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`transfers on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

for (const dialect of testDialects()) {
  describe(`transfers (${dialect})`, () => {
    let inst: Awaited<ReturnType<typeof createTestContainer>>
    let c: Container
    let transfers: TransferService
    let n = 0
    before(async () => {
      inst = await createTestContainer(dialect)
      c = inst.c
      await initInstance(c)
      await c.tenancy.createTenant(SYSTEM_PRINCIPAL, { id: 'ad', name: 'AD' })
      await c.tenancy.createTenant(SYSTEM_PRINCIPAL, { id: 'empty', name: 'Sans référentiels' })
      await c.referential.loadDefaults('ad', 'test')
      transfers = new TransferService({
        db: c.db,
        audit: c.audit,
        tenancy: c.tenancy,
        clock: c.clock,
        ids: c.ids,
        storage: c.storage,
        blobs: c.blobs,
        catalog: c.catalog,
        ingest: c.ingest,
        stagingRoot: join(inst.dir, 'staging'),
      })
    })
    after(() => inst.close())

    async function ingest(tenant = 'default', opts = {}) {
      const p = join(inst.dir, `sip-${++n}.zip`)
      await writeSipZip(p, opts)
      const r = await c.ingest.ingestFile({
        tenantId: tenant,
        packagePath: p,
        fileName: 'sip.zip',
        agent: 'test',
      })
      assert.equal(r.status, 'OK', JSON.stringify(r.events.filter((e) => e.outcome !== 'OK')))
      const units = await c.catalog.listUnits(tenant, { operationId: r.operationId })
      return { op: r.operationId, units: units.results }
    }

    it('commune → AD: the target ingests the package, then the source is purged', async () => {
      const { op, units } = await ingest('default', { physical: { id: 'P1', physicalId: 'BOITE-12' } })
      const root = units.find((u) => u.parentIds.length === 0)!
      const digests = units
        .flatMap((u) => u.objects.map((o) => o.digest))
        .filter(Boolean)
        .sort()
      const t = await transfers.create(SYSTEM_PRINCIPAL, {
        tenantId: 'default',
        selection: { branch: root.id },
        targetTenant: 'ad',
        contract: 'IC-DEFAUT',
        archivalAgency: 'AD99',
      })
      assert.equal(t.state, 'purged', JSON.stringify(t.reasons))
      assert.equal(t.units, units.length)
      assert.equal(t.physicalObjects, 1)
      assert.ok(t.targetOperationId)
      const there = await c.catalog.listUnits('ad', { operationId: t.targetOperationId! })
      assert.equal(there.total, units.length)
      assert.deepEqual(
        there.results
          .flatMap((u) => u.objects.map((o) => o.digest))
          .filter(Boolean)
          .sort(),
        digests,
      )
      assert.equal((await c.catalog.listUnits('default', { operationId: op })).total, 0)
      const tomb = await c.db.kysely
        .selectFrom('unit_tombstone')
        .selectAll()
        .where('operation_id', '=', t.operationId)
        .execute()
      assert.equal(tomb.length, units.length)
      assert.ok(
        tomb.every((x) => x.destination_operation_id === t.targetOperationId && x.destination === 'ad'),
      )
      const ev = await c.audit.getOperation('default', t.operationId)
      assert.deepEqual(
        ev.events.map((e) => e.type),
        ['TRANSFER_PREPARE', 'TRANSFER_SEND', 'TRANSFER_REPLY', 'TRANSFER_PURGE', 'TRANSFER_PURGE_BINARIES'],
      )
      assert.equal(ev.events.at(-1)!.outcome, 'OK')
      void PDF_BYTES
    })

    it('receiver KO (no referentials): nothing purged, transfer KO with reasons', async () => {
      const { op, units } = await ingest()
      const root = units.find((u) => u.parentIds.length === 0)!
      const t = await transfers.create(SYSTEM_PRINCIPAL, {
        tenantId: 'default',
        selection: { branch: root.id },
        targetTenant: 'empty',
        contract: 'IC-DEFAUT',
      })
      assert.equal(t.state, 'KO')
      assert.ok(t.reasons.length > 0)
      assert.equal((await c.catalog.listUnits('default', { operationId: op })).total, units.length)
      const obj = units.flatMap((u) => u.objects)[0]!
      const got = await c.catalog.getObject('default', obj.id)
      assert.ok(got.blobId)
    })
  })
}
