import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { openTestDb, testDialects, POSTGRES_SKIP_REASON } from '../../../test/helpers/db.js'
import { fixedClock } from '../../../test/helpers/fixed.js'
import type { Db } from '../../platform/db/create-db.js'
import { blobKey, createBlobRepository, createStorage, markRepairOnBadCopy } from './index.js'
import { chunked, collect, random, sha512, tempDir } from './test-support.js'
import { chmod, open } from 'node:fs/promises'
import type { FsBlobStore } from './index.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`blob records on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

const SHA = 'a'.repeat(128)

for (const dialect of testDialects()) {
  describe(`blob records (${dialect})`, () => {
    let t: Awaited<ReturnType<typeof openTestDb>>
    let db: Db
    const repo = createBlobRepository({ clock: fixedClock() })

    before(async () => {
      t = await openTestDb(dialect)
      db = t.db
      await db.kysely
        .insertInto('tenant')
        .values([
          { id: 't1', name: 'One', controlled_by: null, created_at: '2026-01-01T00:00:00.000Z' },
          { id: 't2', name: 'Two', controlled_by: null, created_at: '2026-01-01T00:00:00.000Z' },
        ])
        .execute()
    })
    after(() => t.close())

    it('records a blob with one ok copy per offer, marks repair and ok again', async () => {
      await db.kysely
        .transaction()
        .execute((tx) => repo.record(tx, 't1', { id: 'b1', size: 10, sha512: SHA }, ['fs-a', 'fs-b']))
      const got = await repo.get(db.kysely, 't1', 'b1')
      assert.equal(got?.size, 10)
      assert.equal(got?.sha512, SHA)
      assert.deepEqual(
        got?.copies.map((c) => [c.offerId, c.state]),
        [
          ['fs-a', 'ok'],
          ['fs-b', 'ok'],
        ],
      )
      assert.equal(await repo.markRepair(db.kysely, 't1', 'b1', 'fs-a', 'corrupt: SHA-512 differs'), true)
      const marked = await repo.listRepair(db.kysely, 't1')
      assert.deepEqual(
        marked.map((m) => [m.blobId, m.offerId, m.note]),
        [['b1', 'fs-a', 'corrupt: SHA-512 differs']],
      )
      assert.match(marked[0]?.checkedAt ?? '', /^2026-01-15T09:00/)
      // a copy on an offer added later gets a row
      assert.equal(await repo.markRepair(db.kysely, 't1', 'b1', 's3-1', 'missing'), true)
      assert.equal((await repo.listRepair(db.kysely, 't1')).length, 2)
      assert.equal(await repo.markOk(db.kysely, 't1', 'b1', 'fs-a', 'repaired'), true)
      assert.equal(await repo.markOk(db.kysely, 't1', 'b1', 's3-1'), true)
      assert.deepEqual(await repo.listRepair(db.kysely, 't1'), [])
    })

    it('a second tenant sees and changes nothing of the first', async () => {
      await repo.record(db.kysely, 't1', { id: 'b2', size: 1, sha512: SHA }, ['fs-a'])
      assert.equal(await repo.get(db.kysely, 't2', 'b2'), undefined)
      assert.equal(await repo.markRepair(db.kysely, 't2', 'b2', 'fs-a', 'hostile'), false)
      assert.deepEqual(await repo.listRepair(db.kysely, 't2'), [])
      assert.equal((await repo.get(db.kysely, 't1', 'b2'))?.copies[0]?.state, 'ok')
      await repo.markRepair(db.kysely, 't1', 'b2', 'fs-a', 'corrupt')
      assert.deepEqual(await repo.listRepair(db.kysely, 't2'), [])
      assert.equal((await repo.listRepair(db.kysely, 't1')).length, 1)
    })

    it('a corrupt copy found by a read is marked for repair in the database', async (tt) => {
      const dir = await tempDir(tt)
      const storage = createStorage([
        { id: 'fs-a', kind: 'fs', root: `${dir}/a` },
        { id: 'fs-b', kind: 'fs', root: `${dir}/b` },
      ])
      const bytes = random(20_000)
      const key = blobKey('t1', 'b3')
      const stored = await storage.put(key, chunked(bytes))
      await repo.record(db.kysely, 't1', { id: 'b3', size: stored.size, sha512: stored.sha512 }, [
        'fs-a',
        'fs-b',
      ])
      const path = (storage.offers[0] as FsBlobStore).pathOf(key)
      await chmod(path, 0o644)
      const fh = await open(path, 'r+')
      await fh.write(Buffer.from([0x42]), 0, 1, 7)
      await fh.close()
      const rec = await repo.get(db.kysely, 't1', 'b3')
      const got = await storage.open(key, {
        sha512: rec?.sha512 ?? '',
        size: rec?.size ?? 0,
        onBadCopy: markRepairOnBadCopy(repo, db.kysely, 't1', 'b3'),
      })
      assert.deepEqual(await collect(got.body), bytes)
      assert.equal(sha512(bytes), rec?.sha512)
      const marks = (await repo.listRepair(db.kysely, 't1')).filter((r) => r.blobId === 'b3')
      assert.deepEqual(
        marks.map((m) => m.offerId),
        ['fs-a'],
      )
      assert.match(marks[0]?.note ?? '', /^corrupt: /)
    })
  })
}
