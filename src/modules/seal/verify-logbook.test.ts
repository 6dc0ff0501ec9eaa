import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { createTestContainer } from '../../../test/helpers/container.js'
import { testDialects } from '../../../test/helpers/db.js'
import { writeSipZip } from '../../../test/helpers/sip.js'
import type { Container } from '../../main/container.js'
import { initInstance } from '../../main/instance.js'
import { eventHash, GENESIS_HASH, toEventRow } from '../audit/index.js'
import { leafHash, merkleRoot, MerkleStream, MerkleStreams } from './merkle.js'

type Inst = Awaited<ReturnType<typeof createTestContainer>>

const hashOf = (i: number) => eventHash({ ...EV, seq: i })
const EV = {
  chain: 'c',
  seq: 0,
  operationId: 'op',
  tenantId: null,
  type: 'T',
  outcome: 'OK' as const,
  detail: null,
  message: null,
  agent: null,
  objectId: null,
  data: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  prevHash: GENESIS_HASH,
}

describe('streamed Merkle roots', () => {
  it('MerkleStream gives merkleRoot’s root for 1 to 300 leaves', () => {
    const hashes = Array.from({ length: 300 }, (_, i) => hashOf(i))
    for (let n = 1; n <= 300; n++) {
      const s = new MerkleStream()
      for (let i = 0; i < n; i++) s.add(Buffer.from(hashes[i]!, 'hex'))
      assert.equal(s.count, n)
      assert.equal(
        s.root().toString('hex'),
        merkleRoot(hashes.slice(0, n).map(leafHash)).toString('hex'),
        `${n} leaves`,
      )
    }
    assert.throws(() => new MerkleStream().root(), /no leaves/)
  })

  it('MerkleStreams (worker thread, small batches, back-pressure) gives the same roots, trees interleaved', async () => {
    const streams = new MerkleStreams(3, 2)
    try {
      const sizes = [1, 2, 3, 7, 8, 9, 64, 100]
      const hashes = sizes.map((n, k) => Array.from({ length: n }, (_, i) => hashOf(1000 * k + i)))
      for (let i = 0; i < 100; i++)
        for (let k = 0; k < sizes.length; k++) if (i < sizes[k]!) await streams.add(`t${k}`, hashes[k]![i]!)
      const roots = await Promise.all(sizes.map((_, k) => streams.end(`t${k}`)))
      roots.forEach((r, k) => assert.equal(r, merkleRoot(hashes[k]!.map(leafHash)).toString('hex')))
      await assert.rejects(streams.end('never-fed'), /no leaves/)
      assert.throws(() => streams.add('x', 'not hex'), /SHA-512/)
    } finally {
      await streams.close()
    }
  })
})

async function ingestOne(inst: Inst, name: string) {
  const path = await writeSipZip(join(inst.dir, name))
  const r = await inst.c.ingest.ingestFile({
    tenantId: 'default',
    packagePath: path,
    fileName: name,
    contractId: null,
    agent: 'test',
  })
  assert.equal(r.status, 'OK')
}

/** The two passes `saeh logbook verify` made before verifyLogbook: the reference reports. */
async function twoPasses(c: Container, chain?: string) {
  const chains = await c.audit.verify(chain)
  const seals = await c.seals.verify(chain)
  return { chains, seals }
}

const strip = (r: Awaited<ReturnType<typeof twoPasses>>) => ({
  chains: r.chains,
  seals: { ...r.seals, durationMs: 0 },
})

async function sameAsTwoPasses(c: Container, chain?: string) {
  const one = await c.seals.verifyLogbook(chain)
  const two = await twoPasses(c, chain)
  assert.deepEqual(strip(one), strip(two))
  return one
}

for (const dialect of testDialects()) {
  describe(`verifyLogbook: chains and seals in one pass (${dialect})`, () => {
    let inst: Inst
    let c: Container
    before(async () => {
      inst = await createTestContainer(dialect)
      await initInstance(inst.c)
      c = inst.c
      await ingestOne(inst, 'sip.zip')
      await c.seals.seal('test')
      await ingestOne(inst, 'sip2.zip')
      await c.seals.seal('test')
      await ingestOne(inst, 'sip3.zip') // unsealed events after the last seal
    })
    after(() => inst.close())

    it('an intact logbook: the same reports as the two passes, for every chain and for one', async () => {
      const all = await sameAsTwoPasses(c)
      assert.equal(all.chains.ok, true)
      assert.equal(all.seals.ok, true)
      assert.equal(all.seals.seals, 2)
      assert.ok(all.seals.sealedEvents > 10 && all.seals.unsealedEvents > 0)
      const one = await sameAsTwoPasses(c, 'default')
      assert.equal(one.seals.ok, true)
    })

    it('an event rewritten and its chain re-hashed: the streamed root catches it', async () => {
      const rows = await c.db.kysely
        .selectFrom('logbook_event')
        .selectAll()
        .where('chain', '=', 'default')
        .orderBy('seq')
        .execute()
      let prev = GENESIS_HASH
      for (const r of rows) {
        const { hash: _h, ...rest } = toEventRow(r)
        void _h
        const base = { ...rest, prevHash: prev, message: rest.seq === 2 ? 'forged' : rest.message }
        const hash = eventHash(base)
        await c.db.kysely
          .updateTable('logbook_event')
          .set({ message: base.message, prev_hash: prev, hash })
          .where('chain', '=', 'default')
          .where('seq', '=', base.seq)
          .execute()
        prev = hash
      }
      await c.db.kysely
        .updateTable('logbook_chain')
        .set({ last_hash: prev })
        .where('chain', '=', 'default')
        .execute()
      const r = await sameAsTwoPasses(c)
      assert.equal(r.chains.ok, true, 'the forger re-hashed the chain')
      assert.equal(r.seals.ok, false)
      assert.equal(r.seals.firstBreak?.reason, 'merkle-root')
      assert.equal(r.seals.firstBreak?.number, 1)
      assert.ok(r.seals.breaks.some((b) => /Merkle root recomputed from the events differs/.test(b.message)))
    })

    it('an event altered without re-hashing, then one deleted: chain breaks and seal breaks as before', async () => {
      await c.db.kysely
        .updateTable('logbook_event')
        .set({ agent: 'mallory' })
        .where('chain', '=', 'default')
        .where('seq', '=', 4)
        .execute()
      const r = await sameAsTwoPasses(c)
      assert.equal(r.chains.ok, false)
      assert.equal(r.chains.chains.find((x) => x.chain === 'default')?.firstBreak?.reason, 'hash-mismatch')
      await c.db.kysely
        .deleteFrom('logbook_event')
        .where('chain', '=', 'default')
        .where('seq', '=', 6)
        .execute()
      const d = await sameAsTwoPasses(c, 'default')
      assert.ok(d.seals.breaks.some((b) => /Événement 6 de la chaîne default manquant/.test(b.message)))
    })
  })
}
