import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { writeFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { createTestContainer } from '../../../test/helpers/container.js'
import { testDialects, POSTGRES_SKIP_REASON } from '../../../test/helpers/db.js'
import { fixedClock } from '../../../test/helpers/fixed.js'
import { writeSipZip } from '../../../test/helpers/sip.js'
import type { Container } from '../../main/container.js'
import { initInstance } from '../../main/instance.js'
import { registerJobHandlers } from '../../main/jobs.js'
import { Worker } from '../../jobs/runner.js'
import { silentLogger } from '../../platform/log.js'
import { eventHash, GENESIS_HASH, toEventRow } from '../audit/index.js'
import { canonicalJson } from '../../platform/canonical-json.js'
import {
  BuiltinAuthority,
  SealService,
  SEAL_QUEUE,
  inclusionProof,
  leafHash,
  merkleRoot,
  rootFromProof,
  type SealDocument,
} from './index.js'

const HAS_OPENSSL = spawnSync('openssl', ['version']).status === 0
if (!HAS_OPENSSL) it.skip('openssl cross-checks — SKIPPED: the openssl command is not installed')
if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`seals on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

type Inst = Awaited<ReturnType<typeof createTestContainer>>

async function fresh(dialect: 'sqlite' | 'postgres', env: Record<string, string> = {}): Promise<Inst> {
  const inst = await createTestContainer(dialect, env)
  await initInstance(inst.c)
  return inst
}

async function ingestOne(inst: Inst, name = 'sip.zip') {
  const path = await writeSipZip(join(inst.dir, name))
  const r = await inst.c.ingest.ingestFile({
    tenantId: 'default',
    packagePath: path,
    fileName: name,
    contractId: null,
    agent: 'test',
  })
  assert.equal(r.status, 'OK')
  return r
}

/** Rewrites one event's message and re-hashes the rest of its chain and its head: a forger's edit. */
async function forgeChain(c: Container, chain: string, seq: number) {
  const rows = await c.db.kysely
    .selectFrom('logbook_event')
    .selectAll()
    .where('chain', '=', chain)
    .orderBy('seq')
    .execute()
  let prev = GENESIS_HASH
  for (const r of rows) {
    const e = toEventRow(r)
    const { hash: _h, ...rest } = e
    void _h
    const base = { ...rest, prevHash: prev, message: e.seq === seq ? 'forged' : e.message }
    const hash = eventHash(base)
    await c.db.kysely
      .updateTable('logbook_event')
      .set({ message: base.message, prev_hash: prev, hash })
      .where('chain', '=', chain)
      .where('seq', '=', e.seq)
      .execute()
    prev = hash
  }
  await c.db.kysely.updateTable('logbook_chain').set({ last_hash: prev }).where('chain', '=', chain).execute()
}

describe('Merkle tree', () => {
  it('proves every leaf of trees of 1 to 17 leaves, and no proof works for another leaf', () => {
    for (let n = 1; n <= 17; n++) {
      const hashes = Array.from({ length: n }, (_, i) => Buffer.alloc(64, i + 1).toString('hex'))
      const leaves = hashes.map(leafHash)
      const root = merkleRoot(leaves).toString('hex')
      for (let i = 0; i < n; i++) {
        const p = inclusionProof(leaves, i)
        assert.equal(rootFromProof(hashes[i]!, p), root, `leaf ${i} of ${n}`)
        if (n > 1) assert.notEqual(rootFromProof(hashes[(i + 1) % n]!, p), root)
      }
    }
  })
  it('separates leaves from nodes (a node is not accepted as a leaf)', () => {
    const leaves = [leafHash('aa'.repeat(64)), leafHash('bb'.repeat(64))]
    const root = merkleRoot(leaves)
    assert.notDeepEqual(merkleRoot([root]), leafHash(root.toString('hex')))
  })
})

for (const dialect of testDialects()) {
  describe(`logbook seals (${dialect})`, () => {
    let inst: Inst
    let c: Container
    before(async () => {
      inst = await fresh(dialect)
      c = inst.c
    })
    after(() => inst.close())

    it('seals every chain since the last seal, chains seals, stores them on every offer, logs itself', async () => {
      await ingestOne(inst)
      const total = await c.db.kysely
        .selectFrom('logbook_event')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
      const r1 = await c.seals.seal('test')
      assert.equal(r1.sealed, true)
      assert.equal(r1.events, Number(total.n))
      assert.deepEqual(r1.seal!.ranges.map((x) => x.chain).sort(), ['_platform', 'default'])
      const r2 = await c.seals.seal('test')
      // only the first seal's own LOGBOOK_SEAL event was new
      assert.equal(r2.events, 1)
      assert.deepEqual(
        r2.seal!.ranges.map((x) => [x.chain, x.fromSeq === x.toSeq]),
        [['_platform', true]],
      )
      const [s1, s2] = await c.seals.list()
      const d2 = JSON.parse(s2!.document) as SealDocument
      assert.equal(d2.previous?.id, s1!.id)
      assert.equal(d2.previous?.digest, s1!.digest)
      assert.equal(d2.previousMinusOneMonth, null)
      const ev = await c.db.kysely
        .selectFrom('logbook_event')
        .selectAll()
        .where('event_type', '=', 'LOGBOOK_SEAL')
        .where('object_id', '=', s1!.id)
        .executeTakeFirstOrThrow()
      assert.equal(ev.chain, '_platform')
      for (const o of c.config.offers) {
        if (o.kind !== 'fs') continue
        const files = readdirSync(join(o.root, 'logbook-seals', s1!.id))
        assert.ok(files.some((f) => f.includes('seal.json')) || files.length >= 2, `copies on ${o.id}`)
      }
      const v = await c.seals.verify()
      assert.equal(v.ok, true, JSON.stringify(v.breaks))
      assert.equal(v.seals, 2)
      assert.equal(v.unsealedEvents, 1)
    })

    it(
      'tokens verify with the real `openssl ts -verify` against the built-in CA',
      { skip: !HAS_OPENSSL },
      async () => {
        const [s1] = await c.seals.list()
        const doc = join(inst.dir, 'seal.json')
        const tsr = join(inst.dir, 'token.tsr')
        writeFileSync(doc, s1!.document)
        writeFileSync(tsr, s1!.token)
        const ca = join(c.config.home, 'tsa', 'ca.cert.pem')
        const out = execFileSync('openssl', ['ts', '-verify', '-in', tsr, '-data', doc, '-CAfile', ca], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        })
        assert.match(out, /Verification: OK/)
        const text = execFileSync('openssl', ['ts', '-reply', '-in', tsr, '-text'], { encoding: 'utf8' })
        assert.match(text, /Hash Algorithm: sha512/)
        // the same token refused for other data
        writeFileSync(doc, s1!.document + ' ')
        const bad = spawnSync('openssl', ['ts', '-verify', '-in', tsr, '-data', doc, '-CAfile', ca], {
          encoding: 'utf8',
        })
        assert.notEqual(bad.status, 0)
        // the TSA key stays private
        assert.equal(statSync(join(c.config.home, 'tsa', 'tsa.key.pem')).mode & 0o077, 0)
      },
    )

    it('has nothing to seal when nothing happened since (after sealing its own event)', async () => {
      const before = (await c.seals.list()).length
      const r = await c.seals.seal('test')
      assert.equal(r.sealed, true) // the previous seal's event
      assert.equal((await c.seals.list()).length, before + 1)
    })
  })

  describe(`seal verification finds each break (${dialect})`, () => {
    let inst: Inst
    let c: Container
    before(async () => {
      inst = await fresh(dialect)
      c = inst.c
      await ingestOne(inst)
      await c.seals.seal('test')
      await ingestOne(inst, 'sip2.zip')
      await c.seals.seal('test')
      assert.equal((await c.seals.verify()).ok, true)
    })
    after(() => inst.close())

    it('an event rewritten with a recomputed chain: chains pass, the seal does not', async () => {
      await forgeChain(c, 'default', 3)
      const chains = await c.audit.verify('default')
      assert.equal(chains.ok, true, 'the forger re-hashed the chain')
      const v = await c.seals.verify('default')
      assert.equal(v.ok, false)
      assert.equal(v.firstBreak?.reason, 'merkle-root')
      assert.equal(v.firstBreak?.number, 1)
    })

    it('a seal document altered in the database', async () => {
      const [s1] = await c.seals.list()
      await c.db.kysely
        .updateTable('logbook_seal')
        .set({ document: s1!.document.replace('"events":', '"events": ') })
        .where('id', '=', s1!.id)
        .execute()
      const v = await c.seals.verify()
      assert.ok(v.breaks.some((b) => b.reason === 'document-altered' && b.number === 1))
      assert.ok(v.breaks.some((b) => b.reason === 'token' && b.number === 1))
      await c.db.kysely
        .updateTable('logbook_seal')
        .set({ document: s1!.document })
        .where('id', '=', s1!.id)
        .execute()
    })

    it('a token for another hash (seal 1’s token on seal 2)', async () => {
      const [s1, s2] = await c.seals.list()
      await c.db.kysely
        .updateTable('logbook_seal')
        .set({ token: s1!.token.toString('base64') })
        .where('id', '=', s2!.id)
        .execute()
      const v = await c.seals.verify()
      const b = v.breaks.find((x) => x.number === 2 && x.reason === 'token')
      assert.ok(b, JSON.stringify(v.breaks))
      assert.match(
        v.breaks
          .filter((x) => x.number === 2)
          .map((x) => x.message)
          .join(' '),
        /imprint/,
      )
      await c.db.kysely
        .updateTable('logbook_seal')
        .set({ token: s2!.token.toString('base64') })
        .where('id', '=', s2!.id)
        .execute()
    })

    it('a token signed by another CA (forged certificate)', async () => {
      const [, s2] = await c.seals.list()
      const other = await BuiltinAuthority.load(join(inst.dir, 'other-ca'), () => new Date())
      const { buildTimestampRequest } = await import('./tsa.js')
      const { createHash } = await import('node:crypto')
      const forged = await other.stamp(
        buildTimestampRequest(createHash('sha512').update(s2!.document).digest()),
      )
      await c.db.kysely
        .updateTable('logbook_seal')
        .set({
          token: forged.toString('base64'),
          token_digest: createHash('sha512').update(forged).digest('hex'),
        })
        .where('id', '=', s2!.id)
        .execute()
      const v = await c.seals.verify()
      const msgs = v.breaks.filter((x) => x.number === 2).map((x) => x.message)
      assert.ok(
        msgs.some((m) => /does not chain to the trusted CA|certificate/.test(m)),
        msgs.join('\n'),
      )
      await c.db.kysely
        .updateTable('logbook_seal')
        .set({ token: s2!.token.toString('base64'), token_digest: s2!.tokenDigest })
        .where('id', '=', s2!.id)
        .execute()
    })

    it('a stored copy damaged or deleted on one offer is named', async () => {
      const [s1] = await c.seals.list()
      const fsOffer = c.config.offers.find((o) => o.kind === 'fs')
      if (!fsOffer || fsOffer.kind !== 'fs') return
      const store = c.storage.offers.find((o) => o.id === fsOffer.id)!
      await store.delete(`logbook-seals/${s1!.id}/token.tsr`, 'test')
      const v = await c.seals.verify()
      const b = v.breaks.find((x) => x.reason === 'stored-copy')
      assert.ok(b)
      assert.match(b.message, new RegExp(`token is missing or unreadable on offer ${fsOffer.id}`))
    })

    it('a sealed event deleted: the seal names the missing event', async () => {
      await c.db.kysely
        .deleteFrom('logbook_event')
        .where('chain', '=', 'default')
        .where('seq', '=', 5)
        .execute()
      const v = await c.seals.verify('default')
      const b = v.breaks.find((x) => x.reason === 'merkle-root' && /5/.test(x.message))
      assert.ok(b, JSON.stringify(v.breaks))
      assert.match(b.message, /Événement 5 de la chaîne default manquant/)
    })

    it('a deleted seal breaks the chaining and the ranges', async () => {
      const [s1] = await c.seals.list()
      await c.db.kysely.deleteFrom('logbook_seal_range').where('seal_id', '=', s1!.id).execute()
      await c.db.kysely.deleteFrom('logbook_seal').where('id', '=', s1!.id).execute()
      const v = await c.seals.verify()
      assert.ok(v.breaks.some((b) => b.reason === 'chaining'))
      assert.ok(v.breaks.some((b) => b.reason === 'range-gap'))
    })
  })

  describe(`time-stamping authority faults (${dialect})`, () => {
    let garbage: Server
    let garbageUrl: string
    before(async () => {
      garbage = createServer((_req, res) => res.end('this is not a TimeStampResp'))
      await new Promise<void>((r) => garbage.listen(0, '127.0.0.1', r))
      garbageUrl = `http://127.0.0.1:${(garbage.address() as AddressInfo).port}/tsa`
    })
    after(async () => {
      garbage.closeAllConnections()
      await new Promise((r) => garbage.close(r))
    })

    it('a TSA that is down, or answers garbage, or signs under a foreign CA: nothing sealed, alert logged, nothing lost', async () => {
      const inst = await fresh(dialect)
      try {
        const { c } = inst
        await ingestOne(inst)
        const closed = createServer()
        await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
        const port = (closed.address() as AddressInfo).port
        await new Promise((r) => closed.close(r))
        const mk = (over: Partial<ConstructorParameters<typeof SealService>[0]>) =>
          new SealService({
            db: c.db,
            audit: c.audit,
            storage: c.storage,
            clock: c.clock,
            ids: c.ids,
            log: silentLogger(),
            home: c.config.home,
            ...over,
          })
        await assert.rejects(mk({ tsaUrl: `http://127.0.0.1:${port}/tsa` }).seal(), {
          code: 'SEAL_TSA_UNAVAILABLE',
        })
        await assert.rejects(mk({ tsaUrl: garbageUrl }).seal(), { code: 'SEAL_TSA_BAD_TOKEN' })
        const foreign = await BuiltinAuthority.load(join(inst.dir, 'foreign'), () => new Date())
        await assert.rejects(mk({ authority: foreign }).seal(), (e: { code: string; message: string }) => {
          assert.equal(e.code, 'SEAL_TSA_BAD_TOKEN')
          assert.match(e.message, /trusted CA/)
          return true
        })
        assert.equal((await c.seals.list()).length, 0, 'no seal recorded')
        const ko = await c.db.kysely
          .selectFrom('logbook_event')
          .selectAll()
          .where('event_type', '=', 'LOGBOOK_SEAL')
          .where('outcome', '=', 'KO')
          .execute()
        assert.equal(ko.length, 3)
        // the next seal (built-in TSA back) covers everything, the failures' events included
        const r = await c.seals.seal('test')
        const all = await c.db.kysely
          .selectFrom('logbook_event')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
        assert.equal(r.events, Number(all.n) - 1) // all but the new seal's own event
        assert.equal((await c.seals.verify()).ok, true)
      } finally {
        await inst.close()
      }
    })

    it('the scheduled job retries a failing TSA with backoff', async () => {
      const down = await createTestContainer(dialect, {
        SAEH_TSA_URL: garbageUrl,
        SAEH_TSA_CA_FILE: '/nonexistent.pem',
      })
      try {
        await initInstance(down.c)
        const worker = registerJobHandlers(
          new Worker({ db: down.c.db, queue: down.c.queue, log: silentLogger() }, { concurrency: 1 }),
          down.c,
        )
        const id = await down.c.db.kysely
          .transaction()
          .execute((trx) => down.c.queue.enqueue(trx, SEAL_QUEUE, {}, { maxAttempts: 3, backoffMs: 60_000 }))
        await worker.drain(5)
        const job = await down.c.queue.get(id)
        assert.equal(job?.state, 'pending', 'retried later, not dropped')
        assert.equal(job?.attempts, 1)
        assert.match(job?.lastError ?? '', /SEAL_TSA_BAD_TOKEN/)
      } finally {
        await down.close()
      }
    })
  })

  describe(`seals chain one month and one year back (${dialect})`, () => {
    it('links each seal to the last seal at least one month and one year older', async () => {
      const inst = await fresh(dialect)
      try {
        const { c } = inst
        // after the built-in CA's notBefore (a token dated before its certificate does not verify)
        const clock = fixedClock(new Date(Date.now() + 86400_000).toISOString())
        const svc = new SealService({
          db: c.db,
          audit: c.audit,
          storage: c.storage,
          clock,
          ids: c.ids,
          log: silentLogger(),
          home: c.config.home,
        })
        const s1 = await svc.seal()
        clock.advance(36 * 86400_000)
        const s2 = await svc.seal()
        clock.advance(350 * 86400_000)
        const s3 = await svc.seal()
        const docs = (await svc.list()).map((s) => JSON.parse(s.document) as SealDocument)
        assert.equal(docs[1]!.previousMinusOneMonth?.id, s1.seal!.id)
        assert.equal(docs[1]!.previousMinusOneYear, null)
        assert.equal(docs[2]!.previousMinusOneMonth?.id, s2.seal!.id)
        assert.equal(docs[2]!.previousMinusOneYear?.id, s1.seal!.id)
        assert.equal(docs[2]!.previous?.id, s2.seal!.id)
        void s3
        assert.equal((await svc.verify()).ok, true)
        // a seal document whose one-year link is dropped no longer verifies
        const last = (await svc.list())[2]!
        const forged = canonicalJson({ ...docs[2]!, previousMinusOneYear: null })
        await c.db.kysely
          .updateTable('logbook_seal')
          .set({ document: forged })
          .where('id', '=', last.id)
          .execute()
        const v = await svc.verify()
        assert.ok(v.breaks.some((b) => b.reason === 'chaining' && /one-year/.test(b.message)))
      } finally {
        await inst.close()
      }
    })
  })
}

// Seals on S3 offers (CI's Ceph RGW): each seal's document and token reach both buckets, verification
// reads them back from there, and a copy deleted from one bucket is named.
const S3 = process.env.SAEH_TEST_S3_ENDPOINT
if (!S3) it.skip('seals on S3 offers — skipped: SAEH_TEST_S3_ENDPOINT is not set')
else {
  describe('seals stored on two S3 offers', () => {
    let inst: Inst
    before(async () => {
      process.env.AWS_ACCESS_KEY_ID = process.env.SAEH_TEST_S3_ACCESS_KEY ?? ''
      process.env.AWS_SECRET_ACCESS_KEY = process.env.SAEH_TEST_S3_SECRET_KEY ?? ''
      const tag = randomBytes(4).toString('hex')
      const s3 = (name: string) =>
        `s3://saeh-seal-${name}-${tag}?endpoint=${encodeURIComponent(S3)}&region=us-east-1`
      inst = await fresh(process.env.SAEH_TEST_DATABASE_URL ? 'postgres' : 'sqlite', {
        SAEH_OFFERS: `${s3('a')},${s3('b')}`,
      })
    })
    after(() => inst.close())

    it('stores and verifies a seal on both buckets, and names a deleted copy', async () => {
      const { c } = inst
      await ingestOne(inst)
      const r = await c.seals.seal('test')
      assert.equal(r.sealed, true)
      const [s1] = await c.seals.list()
      for (const store of c.storage.offers) {
        const keys: string[] = []
        for await (const h of store.list(`logbook-seals/${s1!.id}/`)) keys.push(h.key)
        assert.ok(
          keys.some((k) => k.endsWith('token.tsr')),
          `token on ${store.id}: ${keys.join(', ')}`,
        )
      }
      assert.equal((await c.seals.verify()).ok, true)
      const b = c.storage.offers[1]!
      await b.delete(`logbook-seals/${s1!.id}/token.tsr`, 'test')
      const v = await c.seals.verify()
      assert.equal(v.ok, false)
      const br = v.breaks.find((x) => x.reason === 'stored-copy')
      assert.ok(br, JSON.stringify(v.breaks))
      assert.match(br.message, new RegExp(`token is missing or unreadable on offer ${b.id}`))
    })
  })
}
