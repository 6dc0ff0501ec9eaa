import assert from 'node:assert/strict'
import { mkdir, open, readFile, rename, rm, stat, symlink, writeFile, chmod } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { describe, test } from 'node:test'
import { AppError } from '../../platform/errors.js'
import type { BadCopyEvent, Durability, StorageStrategy, FsBlobStore } from './index.js'
import { blobKey, createStorage, validateKey } from './index.js'
import { HOST } from './fs-store.js'
import { allFiles, chunked, collect, random, sha512, tempDir } from './test-support.js'

type T = Parameters<NonNullable<Parameters<typeof test>[0]>>[0]

async function twoOffers(t: T, deps: Parameters<typeof createStorage>[1] = {}) {
  const dir = await tempDir(t)
  const a = join(dir, 'a')
  const b = join(dir, 'b')
  const storage = createStorage(
    [
      { id: 'fs-a', kind: 'fs', root: a },
      { id: 'fs-b', kind: 'fs', root: b },
    ],
    deps,
  )
  await storage.checkOffers()
  const [sa, sb] = storage.offers as [FsBlobStore, FsBlobStore]
  return { dir, a, b, storage, sa, sb }
}

function isCode(code: string, kind?: string) {
  return (e: unknown) => {
    assert.ok(e instanceof AppError, `expected an AppError, got ${String(e)}`)
    assert.equal(e.code, code, e.message)
    if (kind) assert.equal(e.kind, kind)
    return true
  }
}

async function read(storage: StorageStrategy, key: string, sha: string, extra: object = {}): Promise<Buffer> {
  const opened = await storage.open(key, { sha512: sha, ...extra })
  return collect(opened.body)
}

describe('fs offers through the strategy', () => {
  test('round trip: each offer holds one file with exactly the bytes; reads verify them', async (t) => {
    const { storage, sa, sb } = await twoOffers(t)
    for (const size of [0, 1, 1000, 3 * 1024 * 1024 + 17]) {
      const bytes = random(size)
      const key = blobKey('t1', `blob-${size}`)
      const stored = await storage.put(key, chunked(bytes, 100_000), {
        expectedSha512: sha512(bytes),
        expectedSize: size,
      })
      assert.equal(stored.sha512, sha512(bytes))
      assert.equal(stored.size, size)
      assert.deepEqual(stored.createdOn, ['fs-a', 'fs-b'])
      assert.deepEqual(await readFile(sa.pathOf(key)), bytes)
      assert.deepEqual(await readFile(sb.pathOf(key)), bytes)
      assert.deepEqual(await read(storage, key, sha512(bytes), { size }), bytes)
    }
    assert.match(sa.pathOf(blobKey('t1', 'x')), /\/t1\/[0-9a-f]{2}\/x$/)
  })

  test('a Node Readable works as a source; the digest is computed when not given', async (t) => {
    const { storage, sa } = await twoOffers(t)
    const bytes = random(200_000)
    const stored = await storage.put('t1/00/readable', Readable.from(chunked(bytes, 777)))
    assert.equal(stored.sha512, sha512(bytes))
    assert.deepEqual(await readFile(sa.pathOf('t1/00/readable')), bytes)
  })

  test('write-once: other bytes under the same key are refused, the first copy is intact', async (t) => {
    const { storage, a, b, sa } = await twoOffers(t)
    const one = random(5000)
    await storage.put('t1/00/k', chunked(one))
    await assert.rejects(
      storage.put('t1/00/k', chunked(random(5000))),
      isCode('STORAGE_OBJECT_EXISTS', 'conflict'),
    )
    await assert.rejects(
      storage.put('t1/00/k', chunked(random(10)), { expectedSize: 10 }),
      isCode('STORAGE_OBJECT_EXISTS', 'conflict'),
    )
    assert.deepEqual(await readFile(sa.pathOf('t1/00/k')), one)
    assert.deepEqual(await allFiles(a), ['t1/00/k'])
    assert.deepEqual(await allFiles(b), ['t1/00/k'])
  })

  test('idempotent: the same bytes again succeed and change nothing', async (t) => {
    const { storage, a } = await twoOffers(t)
    const one = random(5000)
    await storage.put('t1/00/k', chunked(one))
    const before = await stat(join(a, 't1/00/k'))
    const again = await storage.put('t1/00/k', chunked(one), { expectedSha512: sha512(one) })
    assert.deepEqual(again.createdOn, [])
    assert.equal(again.sha512, sha512(one))
    assert.equal((await stat(join(a, 't1/00/k'))).ino, before.ino)
    assert.deepEqual(await allFiles(a), ['t1/00/k'])
  })

  test('a digest or size mismatch stores nothing on any offer', async (t) => {
    const { storage, a, b } = await twoOffers(t)
    const bytes = random(3 * 1024 * 1024)
    await assert.rejects(
      storage.put('t1/00/bad', chunked(bytes), { expectedSha512: sha512('something else') }),
      isCode('STORAGE_DIGEST_MISMATCH', 'invalid'),
    )
    await assert.rejects(
      storage.put('t1/00/bad', chunked(bytes), { expectedSize: bytes.length - 1 }),
      isCode('STORAGE_SIZE_MISMATCH', 'invalid'),
    )
    await assert.rejects(
      storage.put('t1/00/bad', chunked(bytes), { expectedSize: bytes.length + 1 }),
      isCode('STORAGE_SIZE_MISMATCH', 'invalid'),
    )
    assert.deepEqual(await allFiles(a), [])
    assert.deepEqual(await allFiles(b), [])
  })

  test('a source that fails midway leaves nothing', async (t) => {
    const { storage, a, b } = await twoOffers(t)
    async function* failing() {
      yield random(2 * 1024 * 1024)
      throw new Error('client went away')
    }
    await assert.rejects(storage.put('t1/00/x', failing()), /client went away/)
    assert.deepEqual(await allFiles(a), [])
    assert.deepEqual(await allFiles(b), [])
  })

  test('reads fall back to the next offer when a copy is missing, and report it', async (t) => {
    const events: BadCopyEvent[] = []
    const { storage, sa } = await twoOffers(t)
    const bytes = random(4000)
    await storage.put('t1/00/k', chunked(bytes))
    await rm(sa.pathOf('t1/00/k'))
    const got = await storage.open('t1/00/k', {
      sha512: sha512(bytes),
      onBadCopy: (e) => void events.push(e),
    })
    assert.equal(got.offerId, 'fs-b')
    assert.deepEqual(await collect(got.body), bytes)
    assert.deepEqual(
      events.map((e) => [e.offerId, e.reason]),
      [['fs-a', 'missing']],
    )
  })

  test('reads fall back when an offer folder cannot be read (offer down)', async (t) => {
    const events: BadCopyEvent[] = []
    const { storage, a } = await twoOffers(t)
    const bytes = random(4000)
    await storage.put('t1/00/k', chunked(bytes))
    const root = process.getuid?.() === 0
    if (!root) {
      await chmod(a, 0o000)
      t.after(() => chmod(a, 0o755))
    } else {
      // root ignores permission bits: make the folder unreachable by putting a plain file in its place
      await rename(a, `${a}.away`)
      await writeFile(a, 'not a folder')
    }
    const got = await storage.open('t1/00/k', {
      sha512: sha512(bytes),
      onBadCopy: (e) => void events.push(e),
    })
    assert.equal(got.offerId, 'fs-b')
    assert.deepEqual(await collect(got.body), bytes)
    assert.deepEqual(events, [], 'an offer that is down is not a bad copy')
    await assert.rejects(storage.checkOffers(), (e: unknown) => {
      assert.ok(e instanceof AppError)
      assert.equal(e.code, 'STORAGE_OFFER_UNAVAILABLE')
      assert.equal(e.kind, 'unavailable')
      assert.match(e.message, /fs-a/)
      assert.doesNotMatch(e.message, /fs-b/)
      return true
    })
    // writes refuse to proceed with an offer down, leaving nothing on the other
    await assert.rejects(storage.put('t1/00/new', chunked(random(100))), isCode('STORAGE_OFFER_UNAVAILABLE'))
    assert.equal(await storage.offers[1]?.head('t1/00/new'), undefined)
  })

  test('a corrupted small copy is skipped transparently and reported; a large one makes the stream fail', async (t) => {
    const events: BadCopyEvent[] = []
    const { storage, sa } = await twoOffers(t, { onBadCopy: (e) => void events.push(e) })
    const small = random(50_000)
    const large = random(3 * 1024 * 1024)
    await storage.put('t1/00/small', chunked(small))
    await storage.put('t1/00/large', chunked(large))
    for (const key of ['t1/00/small', 't1/00/large']) {
      const p = sa.pathOf(key)
      await chmod(p, 0o644)
      const fh = await open(p, 'r+') // flip one byte in place, as an operator's tool would
      const one = Buffer.alloc(1)
      await fh.read(one, 0, 1, 1234)
      one[0] = (one[0] ?? 0) ^ 0xff
      await fh.write(one, 0, 1, 1234)
      await fh.close()
    }
    const got = await storage.open('t1/00/small', { sha512: sha512(small), size: small.length })
    assert.equal(got.offerId, 'fs-b')
    assert.deepEqual(await collect(got.body), small)
    assert.deepEqual(
      events.map((e) => [e.offerId, e.key, e.reason]),
      [['fs-a', 't1/00/small', 'corrupt']],
    )

    const big = await storage.open('t1/00/large', { sha512: sha512(large), size: large.length })
    assert.equal(big.offerId, 'fs-a')
    let received = 0
    await assert.rejects(
      (async () => {
        for await (const c of big.body) received += (c as Buffer).length
      })(),
      isCode('STORAGE_CORRUPT_COPY'),
    )
    assert.ok(received < large.length, 'the reader never gets the complete wrong bytes')
    await new Promise((r) => setTimeout(r, 10))
    assert.deepEqual(events.at(-1)?.offerId, 'fs-a')
    assert.deepEqual(events.at(-1)?.reason, 'corrupt')
    // once marked, the caller avoids that copy and gets the good one
    const good = await storage.open('t1/00/large', { sha512: sha512(large), avoidOffers: ['fs-a'] })
    assert.equal(good.offerId, 'fs-b')
    assert.deepEqual(await collect(good.body), large)
  })

  test('no good copy anywhere: not found, or corrupt', async (t) => {
    const { storage, sa, sb } = await twoOffers(t)
    await assert.rejects(
      storage.open('t1/00/none', { sha512: sha512('x') }),
      isCode('STORAGE_OBJECT_NOT_FOUND', 'not_found'),
    )
    const bytes = random(100)
    await storage.put('t1/00/k', chunked(bytes))
    for (const s of [sa, sb]) {
      await chmod(s.pathOf('t1/00/k'), 0o644)
      await writeFile(s.pathOf('t1/00/k'), random(100))
    }
    await assert.rejects(storage.open('t1/00/k', { sha512: sha512(bytes) }), isCode('STORAGE_CORRUPT_COPY'))
  })

  test('range reads, with fallback, clamping and refusal of unsatisfiable ranges', async (t) => {
    const { storage, sa } = await twoOffers(t)
    const bytes = random(3 * 1024 * 1024)
    const sha = sha512(bytes)
    await storage.put('t1/00/r', chunked(bytes))
    const cases: [number, number | undefined][] = [
      [0, 0],
      [0, 99],
      [1_000_000, 2_500_000],
      [bytes.length - 10, undefined],
      [bytes.length - 10, bytes.length + 1000],
    ]
    for (const [start, end] of cases) {
      const got = await storage.open('t1/00/r', {
        sha512: sha,
        range: end === undefined ? { start } : { start, end },
      })
      const last = Math.min(end ?? bytes.length - 1, bytes.length - 1)
      assert.deepEqual(got.range, { start, end: last })
      assert.equal(got.size, bytes.length)
      assert.deepEqual(await collect(got.body), bytes.subarray(start, last + 1))
    }
    await assert.rejects(
      storage.open('t1/00/r', { sha512: sha, range: { start: bytes.length } }),
      isCode('STORAGE_RANGE_INVALID', 'invalid'),
    )
    await assert.rejects(
      storage.open('t1/00/r', { sha512: sha, range: { start: 5, end: 4 } }),
      isCode('STORAGE_RANGE_INVALID'),
    )
    await rm(sa.pathOf('t1/00/r'))
    const fb = await storage.open('t1/00/r', { sha512: sha, range: { start: 10, end: 19 } })
    assert.equal(fb.offerId, 'fs-b')
    assert.deepEqual(await collect(fb.body), bytes.subarray(10, 20))
  })

  test('hostile keys are refused everywhere and nothing is written outside the offer', async (t) => {
    const { dir, storage, sa, a } = await twoOffers(t)
    const hostile = [
      '',
      '../x',
      'a/../../x',
      '/etc/passwd',
      'a//b',
      'a/',
      'a\\b',
      '..\\x',
      'a/./b',
      '.',
      '..',
      '.tmp-host-1-aaaaaaaaaaaa',
      'a/.hidden',
      'a\0b',
      'a b',
      'é',
      '-rf',
      'x'.repeat(2000),
      'a/'.repeat(20) + 'b',
    ]
    for (const key of hostile) {
      assert.throws(() => validateKey(key), isCode('STORAGE_KEY_INVALID', 'invalid'), JSON.stringify(key))
      await assert.rejects(
        storage.put(key, chunked(Buffer.from('x'))),
        isCode('STORAGE_KEY_INVALID'),
        JSON.stringify(key),
      )
      await assert.rejects(storage.open(key, { sha512: sha512('x') }), isCode('STORAGE_KEY_INVALID'))
      await assert.rejects(sa.get(key), isCode('STORAGE_KEY_INVALID'))
      await assert.rejects(sa.head(key), isCode('STORAGE_KEY_INVALID'))
      await assert.rejects(sa.delete(key, 'test'), isCode('STORAGE_KEY_INVALID'))
    }
    assert.throws(() => validateKey(42), isCode('STORAGE_KEY_INVALID'))
    assert.deepEqual(await allFiles(a), [])
    assert.deepEqual(
      (await allFiles(dir)).filter((f) => !f.startsWith('a/') && !f.startsWith('b/')),
      [],
    )
    // a symlink planted inside an offer is not followed out by list()
    await mkdir(join(a, 't1'), { recursive: true })
    await symlink('/etc', join(a, 't1', 'etc'))
    const listed = []
    for await (const h of sa.list('t1/')) listed.push(h.key)
    assert.deepEqual(listed, [])
  })

  test('list by prefix, head, and delete with a reason', async (t) => {
    const { storage, sa } = await twoOffers(t)
    for (const k of ['t1/aa/one', 't1/ab/two', 't2/aa/three']) await storage.put(k, chunked(Buffer.from(k)))
    const keys = async (p?: string) => {
      const out = []
      for await (const h of sa.list(p)) out.push(h.key)
      return out
    }
    assert.deepEqual(await keys(), ['t1/aa/one', 't1/ab/two', 't2/aa/three'])
    assert.deepEqual(await keys('t1/'), ['t1/aa/one', 't1/ab/two'])
    assert.deepEqual(await keys('t1/a'), ['t1/aa/one', 't1/ab/two'])
    assert.deepEqual(await keys('t1/aa/'), ['t1/aa/one'])
    assert.deepEqual(await keys('t3/'), [])
    assert.deepEqual(await sa.head('t1/aa/one'), { key: 't1/aa/one', size: 9 })
    assert.equal(await sa.head('t1/aa/none'), undefined)
    assert.deepEqual(await storage.delete('t1/aa/one', 'test: elimination'), ['fs-a', 'fs-b'])
    assert.deepEqual(await storage.delete('t1/aa/one', 'again'), [])
    assert.deepEqual(await keys('t1/'), ['t1/ab/two'])
  })

  test('checkOffers creates missing folders and names an offer that is down', async (t) => {
    const dir = await tempDir(t)
    await writeFile(join(dir, 'file'), 'x')
    const ok = createStorage([{ id: 'fs-new', kind: 'fs', root: join(dir, 'new', 'deep') }])
    assert.deepEqual(
      (await ok.checkOffers()).map((s) => [s.id, s.ok]),
      [['fs-new', true]],
    )
    assert.ok((await stat(join(dir, 'new', 'deep'))).isDirectory())
    const down = createStorage([
      { id: 'fs-ok', kind: 'fs', root: join(dir, 'ok') },
      { id: 'fs-broken', kind: 'fs', root: join(dir, 'file', 'offer') },
    ])
    await assert.rejects(down.checkOffers(), (e: unknown) => {
      assert.ok(e instanceof AppError)
      assert.equal(e.code, 'STORAGE_OFFER_UNAVAILABLE')
      assert.equal(e.kind, 'unavailable')
      assert.match(e.message, /fs-broken/)
      assert.deepEqual(e.details?.offers, ['fs-broken'])
      return true
    })
  })

  for (const durability of ['each', 'parallel', 'syncfs'] as Durability[]) {
    test(`batch (${durability}): nothing is visible before commit, everything after`, async (t) => {
      const { storage, a, b, sa, sb } = await twoOffers(t)
      const batch = storage.batch({ durability })
      const items = Array.from({ length: 40 }, (_, i) => ({
        key: blobKey('t1', `b${i}`),
        bytes: random(100 + i * 300),
      }))
      await Promise.all(
        items
          .slice(0, 20)
          .map((it) => batch.put(it.key, chunked(it.bytes), { expectedSha512: sha512(it.bytes) })),
      )
      for (const it of items.slice(20)) await batch.put(it.key, chunked(it.bytes))
      assert.equal(batch.count, 40)
      const visible = async () => {
        const out = []
        for await (const h of sa.list()) out.push(h.key)
        for await (const h of sb.list()) out.push(h.key)
        return out
      }
      if (durability !== 'each') assert.deepEqual(await visible(), [])
      await batch.commit()
      assert.equal((await visible()).length, 80)
      for (const it of items) {
        assert.deepEqual(await readFile(sa.pathOf(it.key)), it.bytes)
        assert.deepEqual(await readFile(sb.pathOf(it.key)), it.bytes)
      }
      assert.equal((await allFiles(a)).filter((f) => f.includes('.tmp-')).length, 0)
      assert.equal((await allFiles(b)).filter((f) => f.includes('.tmp-')).length, 0)
      await assert.rejects(batch.put('t1/00/late', chunked(random(1))), isCode('STORAGE_BATCH_CLOSED'))
    })
  }

  test('batch abort and failed commit leave nothing behind', async (t) => {
    const { storage, a, b } = await twoOffers(t)
    const batch = storage.batch()
    for (let i = 0; i < 5; i++) await batch.put(`t1/00/a${i}`, chunked(random(1000)))
    await batch.abort()
    assert.deepEqual(await allFiles(a), [])
    assert.deepEqual(await allFiles(b), [])

    // two different binaries under one key in one batch: the commit fails and rolls the batch back
    const bad = storage.batch({ durability: 'parallel' })
    for (let i = 0; i < 5; i++) await bad.put(`t1/00/c${i}`, chunked(random(1000)))
    await bad.put('t1/00/dup', chunked(random(1000)))
    await bad.put('t1/00/dup', chunked(random(1000)))
    await assert.rejects(bad.commit(), isCode('STORAGE_OBJECT_EXISTS', 'conflict'))
    assert.deepEqual(await allFiles(a), [])
    assert.deepEqual(await allFiles(b), [])
  })

  test('sweepTemp removes temp files of dead writers and keeps a live writer’s recent ones', async (t) => {
    const { a, sa, storage } = await twoOffers(t)
    await mkdir(join(a, 't1', '00'), { recursive: true })
    await writeFile(join(a, 't1', '00', `.tmp-${HOST}-999999-0123456789ab`), 'half') // dead writer
    await writeFile(join(a, 't1', '00', '.tmp-otherhost-999999-0123456789ab'), 'other') // recent, other host
    const live = await sa.openWrite('t1/00/inflight')
    await live.write(Buffer.from('partial'))
    assert.equal(await storage.sweepTemp(), 1)
    const left = (await allFiles(a)).filter((f) => f.includes('.tmp-'))
    assert.equal(left.length, 2, 'the live writer’s and the other host’s recent temp files are kept')
    assert.equal(await storage.sweepTemp({ graceMs: 0 }), 2)
    await live.abort()
    assert.deepEqual(await allFiles(a), [])
  })
})
