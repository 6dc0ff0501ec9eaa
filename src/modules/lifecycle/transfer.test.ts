import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { createWriteStream } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import yauzl from 'yauzl'
import { createTestContainer } from '../../../test/helpers/container.js'
import { testDialects, POSTGRES_SKIP_REASON } from '../../../test/helpers/db.js'
import { writeSipZip, PDF_BYTES } from '../../../test/helpers/sip.js'
import { initInstance } from '../../main/instance.js'
import { SYSTEM_PRINCIPAL } from '../tenancy/index.js'
import { TransferService, type TransferView } from './index.js'
import { validateManifest } from '../seda/index.js'
import { receiverAtr } from '../../../test/helpers/atr.js'
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
      transfers = c.transfers
      void TransferService
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

    async function download(t: TransferView): Promise<string> {
      const p = join(inst.dir, `out-${++n}.zip`)
      const pkg = await transfers.openPackage(SYSTEM_PRINCIPAL, 'default', t.operationId)
      await pipeline(pkg.body, createWriteStream(p))
      return p
    }

    function manifestOf(zipPath: string): Promise<Buffer> {
      return new Promise((resolve, reject) => {
        yauzl.open(zipPath, { lazyEntries: true }, (err, zip) => {
          if (err) return reject(err)
          zip.on('entry', (e: yauzl.Entry) => {
            if (e.fileName !== 'manifest.xml') return zip.readEntry()
            zip.openReadStream(e, (er, s) => {
              if (er) return reject(er)
              const chunks: Buffer[] = []
              s.on('data', (c: Buffer) => chunks.push(c))
              s.on('end', () => {
                zip.close()
                resolve(Buffer.concat(chunks))
              })
            })
          })
          zip.readEntry()
        })
      })
    }

    for (const version of ['2.1', '2.2', '2.3'] as const) {
      it(`external file transfer in SEDA ${version}: valid against the XSD, re-ingestable, purged on ATR OK`, async () => {
        const { op, units } = await ingest('default', { physical: { id: 'P1', physicalId: 'BOITE-7' } })
        const root = units.find((u) => u.parentIds.length === 0)!
        const t = await transfers.create(SYSTEM_PRINCIPAL, {
          tenantId: 'default',
          selection: { unitIds: [root.id] },
          sedaVersion: version,
          contract: 'IC-DEFAUT',
          archivalAgency: 'AD99',
        })
        assert.equal(t.state, 'sent')
        assert.equal(t.units, units.length)
        const zip = await download(t)
        const manifest = await manifestOf(zip)
        assert.ok(manifest.toString().includes(`seda:v${version}`))
        const v = await validateManifest(manifest, version)
        assert.equal(v.valid, true, JSON.stringify(v.errors))
        // The receiving system (here: another tenant, by hand) ingests the file and answers.
        const r = await c.ingest.ingestFile({
          tenantId: 'ad',
          packagePath: zip,
          fileName: 'x.zip',
          agent: 'test',
        })
        assert.equal(r.status, 'OK', JSON.stringify(r.events.filter((e) => e.outcome !== 'OK')))
        assert.equal(r.units, units.length)
        // Still there until the ATR arrives.
        assert.equal((await c.catalog.listUnits('default', { operationId: op })).total, units.length)
        const atrXml = (
          await c.db.kysely
            .selectFrom('ingest')
            .select('atr')
            .where('operation_id', '=', r.operationId)
            .executeTakeFirstOrThrow()
        ).atr!
        const done = await transfers.ack(SYSTEM_PRINCIPAL, 'default', t.operationId, Buffer.from(atrXml))
        assert.equal(done.state, 'purged')
        assert.equal(done.targetOperationId, r.operationId)
        assert.equal(done.package, null)
        assert.equal((await c.catalog.listUnits('default', { operationId: op })).total, 0)
        await assert.rejects(transfers.ack(SYSTEM_PRINCIPAL, 'default', t.operationId, Buffer.from(atrXml)), {
          code: 'TRANSFER_STATE_CONFLICT',
        })
      })
    }

    it('external transfer: a KO ATR purges nothing; a foreign ATR or garbage is refused', async () => {
      const { op, units } = await ingest()
      const t = await transfers.create(SYSTEM_PRINCIPAL, {
        tenantId: 'default',
        selection: { query: { operationId: op } },
        type: 'RESTITUTION',
      })
      assert.equal(t.type, 'RESTITUTION')
      const atr = (status: 'OK' | 'KO', request: string) =>
        Buffer.from(receiverAtr({ request, status, id: 'REPLY-1' }))
      await assert.rejects(transfers.ack(SYSTEM_PRINCIPAL, 'default', t.operationId, atr('OK', 'OTHER')), {
        code: 'TRANSFER_ATR_MISMATCH',
      })
      await assert.rejects(
        transfers.ack(
          SYSTEM_PRINCIPAL,
          'default',
          t.operationId,
          Buffer.from('<!DOCTYPE x [<!ENTITY a "b">]><x/>'),
        ),
        {
          code: 'TRANSFER_ATR_INVALID',
        },
      )
      await assert.rejects(transfers.ack(SYSTEM_PRINCIPAL, 'default', t.operationId, Buffer.from('<a/>')), {
        code: 'TRANSFER_ATR_INVALID',
      })
      assert.equal((await transfers.show(SYSTEM_PRINCIPAL, 'default', t.operationId)).state, 'sent')
      const ko = await transfers.ack(
        SYSTEM_PRINCIPAL,
        'default',
        t.operationId,
        atr('KO', t.messageIdentifier),
      )
      assert.equal(ko.state, 'KO')
      assert.match(ko.reasons[0]!.message!, /empreinte fausse/)
      assert.equal((await c.catalog.listUnits('default', { operationId: op })).total, units.length)
    })

    it('restitution as a file: the owner’s OK ATR purges, and the tombstone names the owner as destination', async () => {
      const { op, units } = await ingest()
      const t = await transfers.create(SYSTEM_PRINCIPAL, {
        tenantId: 'default',
        selection: { query: { operationId: op } },
        type: 'RESTITUTION',
      })
      const atr = receiverAtr({
        request: t.messageIdentifier,
        status: 'OK',
        id: 'REPLY-OWNER',
        receiver: 'AD99',
        sender: 'default',
      })
      const done = await transfers.ack(SYSTEM_PRINCIPAL, 'default', t.operationId, Buffer.from(atr))
      assert.equal(done.state, 'purged', JSON.stringify(done.reasons))
      assert.equal((await c.catalog.listUnits('default', { operationId: op })).total, 0)
      const tomb = await c.db.kysely
        .selectFrom('unit_tombstone')
        .select(['destination', 'destination_operation_id', 'reason'])
        .where('operation_id', '=', t.operationId)
        .execute()
      assert.equal(tomb.length, units.length)
      // No receiver was named: the package goes back to its owner, the originating agency.
      assert.deepEqual(
        [...new Set(tomb.map((x) => `${x.reason} ${x.destination} ${x.destination_operation_id}`))],
        ['RESTITUTION AD99 REPLY-OWNER'],
      )
    })

    it('asynchronous request: checked at once, run by the worker; a hold put since ends it KO, nothing purged', async () => {
      const { op, units } = await ingest()
      const root = units.find((u) => u.parentIds.length === 0)!
      const req = await transfers.request(SYSTEM_PRINCIPAL, {
        tenantId: 'default',
        selection: { branch: root.id },
        targetTenant: 'ad',
        contract: 'IC-DEFAUT',
      })
      assert.equal(req.state, 'requested')
      assert.equal(req.units, units.length)
      await c.db.kysely
        .updateTable('unit_lifecycle')
        .set({ held: 1 })
        .where('unit_id', '=', root.id)
        .execute()
      await transfers.process({ operationId: req.operationId, tenantId: 'default' })
      const ko = await transfers.show(SYSTEM_PRINCIPAL, 'default', req.operationId)
      assert.equal(ko.state, 'KO')
      assert.equal(ko.reasons[0]!.type, 'TRANSFER_HELD_UNITS')
      assert.equal((await c.audit.getOperation('default', req.operationId)).status, 'KO')
      assert.equal((await c.catalog.listUnits('default', { operationId: op })).total, units.length)
      await c.db.kysely
        .updateTable('unit_lifecycle')
        .set({ held: 0 })
        .where('unit_id', '=', root.id)
        .execute()
      // A new request of the same units is allowed after a KO, and the worker carries it through.
      const again = await transfers.request(SYSTEM_PRINCIPAL, {
        tenantId: 'default',
        selection: { branch: root.id },
        targetTenant: 'ad',
        contract: 'IC-DEFAUT',
      })
      await transfers.process({ operationId: again.operationId, tenantId: 'default' })
      assert.equal((await transfers.show(SYSTEM_PRINCIPAL, 'default', again.operationId)).state, 'purged')
      // Run again (a worker that died after the work): nothing more happens.
      await transfers.process({ operationId: again.operationId, tenantId: 'default' })
      assert.equal((await c.catalog.listUnits('default', { operationId: op })).total, 0)
    })

    it('bad selections change nothing: another tenant’s ids, unknown ids, held units, pending units, bad version', async () => {
      const { units: adUnits } = await ingest('ad')
      const { units } = await ingest()
      const before = await c.db.kysely.selectFrom('transfer').select('operation_id').execute()
      await assert.rejects(
        transfers.create(SYSTEM_PRINCIPAL, {
          tenantId: 'default',
          selection: { unitIds: [units[0]!.id, adUnits[0]!.id] },
        }),
        (e: { code: string; details: { unitIds: string[] } }) =>
          e.code === 'UNIT_NOT_FOUND' && e.details.unitIds[0] === adUnits[0]!.id,
      )
      await assert.rejects(transfers.create(SYSTEM_PRINCIPAL, { tenantId: 'default', selection: {} }), {
        code: 'SELECTION_INVALID',
      })
      await assert.rejects(
        transfers.create(SYSTEM_PRINCIPAL, {
          tenantId: 'default',
          selection: { branch: units[0]!.id },
          sedaVersion: '1.0' as '2.1',
        }),
        { code: 'TRANSFER_INVALID' },
      )
      await assert.rejects(
        transfers.create(SYSTEM_PRINCIPAL, {
          tenantId: 'default',
          selection: { branch: units[0]!.id },
          targetTenant: 'default',
        }),
        { code: 'TRANSFER_INVALID' },
      )
      await assert.rejects(
        transfers.create(SYSTEM_PRINCIPAL, {
          tenantId: 'default',
          selection: { branch: units[0]!.id },
          targetTenant: 'nowhere',
        }),
        { code: 'TENANT_NOT_FOUND' },
      )
      await c.db.kysely
        .updateTable('unit_lifecycle')
        .set({ held: 1 })
        .where('unit_id', '=', units.at(-1)!.id)
        .execute()
      const root = units.find((u) => u.parentIds.length === 0)!
      await assert.rejects(
        transfers.create(SYSTEM_PRINCIPAL, { tenantId: 'default', selection: { branch: root.id } }),
        {
          code: 'TRANSFER_HELD_UNITS',
        },
      )
      await c.db.kysely
        .updateTable('unit_lifecycle')
        .set({ held: 0 })
        .where('unit_id', '=', units.at(-1)!.id)
        .execute()
      assert.deepEqual(await c.db.kysely.selectFrom('transfer').select('operation_id').execute(), before)
      const t = await transfers.create(SYSTEM_PRINCIPAL, {
        tenantId: 'default',
        selection: { branch: root.id },
      })
      await assert.rejects(
        transfers.create(SYSTEM_PRINCIPAL, {
          tenantId: 'default',
          selection: { unitIds: [units.at(-1)!.id] },
        }),
        {
          code: 'TRANSFER_UNITS_PENDING',
        },
      )
      await assert.rejects(transfers.show(SYSTEM_PRINCIPAL, 'ad', t.operationId), {
        code: 'TRANSFER_NOT_FOUND',
      })
    })
  })
}
