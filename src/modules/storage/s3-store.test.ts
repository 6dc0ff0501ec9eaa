import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import {
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3'
import { AppError } from '../../platform/errors.js'
import type { BadCopyEvent, FsBlobStore, S3BlobStore } from './index.js'
import { createBlobStore, createStorage } from './index.js'
import {
  chunked,
  collect,
  random,
  s3Offer,
  s3TestEnv,
  sha512,
  tempDir,
  uniqueBucket,
} from './test-support.js'

const env = s3TestEnv()
const skip = 'skip' in env ? env.skip : false

function isCode(code: string, kind?: string) {
  return (e: unknown) => {
    assert.ok(e instanceof AppError, `expected an AppError, got ${String(e)}`)
    assert.equal(e.code, code, e.message)
    if (kind) assert.equal(e.kind, kind)
    return true
  }
}

describe('s3 offer (real S3-compatible server)', { skip }, () => {
  if ('skip' in env) return
  const bucket = uniqueBucket('st')
  const deps = { s3Credentials: env.credentials, s3MaxAttempts: 2 }
  const store = createBlobStore(s3Offer('s3-1', bucket, env.endpoint), deps) as S3BlobStore

  async function rawKeys(prefix = ''): Promise<string[]> {
    const r = await store.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))
    return (r.Contents ?? []).map((o) => o.Key ?? '').sort()
  }
  async function pendingUploads(): Promise<number> {
    const r = await store.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))
    return (r.Uploads ?? []).length
  }

  before(async () => {
    await store.check() // creates the bucket
    await store.check() // and is happy when it exists
  })

  after(async () => {
    for (const k of await rawKeys())
      await store.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: k }))
    await store.sweepTemp({ graceMs: 0 })
    await store.client.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined)
  })

  test('round trip, small and multipart, with the SHA-512 in the object metadata', async () => {
    for (const size of [0, 1000, 20 * 1024 * 1024 + 5]) {
      const bytes = random(size)
      const key = `t1/00/rt-${size}`
      const r = await store.put(key, chunked(bytes, 1 << 20), { expectedSha512: sha512(bytes) })
      assert.equal(r.created, true)
      assert.deepEqual(await store.head(key), { key, size, sha512: sha512(bytes) })
      assert.deepEqual(await collect((await store.get(key)).body), bytes)
    }
    assert.equal(await pendingUploads(), 0)
  })

  test('without a digest given, bytes go through a staging key and land with their computed digest', async () => {
    const bytes = random(12 * 1024 * 1024)
    const r = await store.put('t1/00/nodigest', chunked(bytes))
    assert.equal(r.sha512, sha512(bytes))
    assert.equal((await store.head('t1/00/nodigest'))?.sha512, sha512(bytes))
    assert.deepEqual(await rawKeys('.staging/'), [])
    const listed = []
    for await (const h of store.list('t1/')) listed.push(h.key)
    assert.ok(listed.includes('t1/00/nodigest'))
  })

  test('write-once conflict and idempotent same bytes', async () => {
    const one = random(3000)
    await store.put('t1/00/once', chunked(one), { expectedSha512: sha512(one) })
    const again = await store.put('t1/00/once', chunked(one), { expectedSha512: sha512(one) })
    assert.equal(again.created, false)
    const other = random(3000)
    await assert.rejects(
      store.put('t1/00/once', chunked(other), { expectedSha512: sha512(other) }),
      isCode('STORAGE_OBJECT_EXISTS', 'conflict'),
    )
    await assert.rejects(store.put('t1/00/once', chunked(other)), isCode('STORAGE_OBJECT_EXISTS', 'conflict'))
    assert.deepEqual(await collect((await store.get('t1/00/once')).body), one)
    assert.deepEqual(await rawKeys('.staging/'), [])
  })

  test('two writers racing on one key: the stored object is one writer’s bytes, whole, with its digest', async (t) => {
    // AWS S3 refuses the second writer atomically (If-None-Match: *); Ceph RGW 16 checks the
    // precondition when a request starts, so two overlapping uploads may both succeed (last one wins).
    for (const size of [2000, 12 * 1024 * 1024]) {
      const x = random(size)
      const y = random(size)
      const results = await Promise.allSettled([
        store.put(`t1/00/race-${size}`, chunked(x, 1 << 20), { expectedSha512: sha512(x) }),
        store.put(`t1/00/race-${size}`, chunked(y, 1 << 20), { expectedSha512: sha512(y) }),
      ])
      for (const r of results)
        if (r.status === 'rejected') isCode('STORAGE_OBJECT_EXISTS', 'conflict')(r.reason)
      const ok = results.filter((r) => r.status === 'fulfilled').length
      assert.ok(ok >= 1)
      const stored = await collect((await store.get(`t1/00/race-${size}`)).body)
      assert.ok(stored.equals(x) || stored.equals(y))
      assert.equal((await store.head(`t1/00/race-${size}`))?.sha512, sha512(stored))
      t.diagnostic(
        `${size} bytes: ${ok === 1 ? 'the server refused the second writer' : 'both writers succeeded (no atomic If-None-Match)'}`,
      )
    }
    assert.equal(await pendingUploads(), 0)
  })

  test('a digest mismatch leaves no object and no pending multipart upload', async () => {
    for (const size of [5000, 20 * 1024 * 1024]) {
      const bytes = random(size)
      await assert.rejects(
        store.put(`t1/00/bad-${size}`, chunked(bytes, 1 << 20), { expectedSha512: sha512('other') }),
        isCode('STORAGE_DIGEST_MISMATCH'),
      )
      assert.equal(await store.head(`t1/00/bad-${size}`), undefined)
    }
    assert.equal(await pendingUploads(), 0)
  })

  test('range reads', async () => {
    const bytes = random(100_000)
    await store.put('t1/00/range', chunked(bytes), { expectedSha512: sha512(bytes) })
    const r = await store.get('t1/00/range', { range: { start: 10, end: 19 } })
    assert.deepEqual(r.range, { start: 10, end: 19 })
    assert.equal(r.size, bytes.length)
    assert.deepEqual(await collect(r.body), bytes.subarray(10, 20))
    const tail = await store.get('t1/00/range', { range: { start: 99_990, end: 200_000 } })
    assert.deepEqual(tail.range, { start: 99_990, end: 99_999 })
    assert.deepEqual(await collect(tail.body), bytes.subarray(99_990))
    await assert.rejects(
      store.get('t1/00/range', { range: { start: 100_000 } }),
      isCode('STORAGE_RANGE_INVALID'),
    )
    await assert.rejects(store.get('t1/00/none'), isCode('STORAGE_OBJECT_NOT_FOUND', 'not_found'))
  })

  test('hostile keys are refused before any request', async () => {
    for (const key of ['../x', '/abs', 'a//b', 'a\\b', '', '.staging/x', 'a/../b']) {
      await assert.rejects(store.put(key, chunked(Buffer.from('x'))), isCode('STORAGE_KEY_INVALID'), key)
      await assert.rejects(store.get(key), isCode('STORAGE_KEY_INVALID'))
      await assert.rejects(store.delete(key, 'test'), isCode('STORAGE_KEY_INVALID'))
    }
  })

  test('strategy over fs + s3: every offer gets the bytes; reads fall back both ways', async (t) => {
    const dir = await tempDir(t)
    const fsOffer = { id: 'fs-1', kind: 'fs' as const, root: join(dir, 'fs') }
    const storage = createStorage([s3Offer('s3-1', bucket, env.endpoint), fsOffer], deps)
    await storage.checkOffers()
    const bytes = random(3 * 1024 * 1024)
    const sha = sha512(bytes)
    const stored = await storage.put('t1/00/both', chunked(bytes), { expectedSha512: sha })
    assert.deepEqual(stored.createdOn, ['s3-1', 'fs-1'])

    // S3 endpoint wrong: the fs copy serves
    const wrong = createStorage([s3Offer('s3-1', bucket, 'http://127.0.0.1:1'), fsOffer], {
      ...deps,
      s3MaxAttempts: 1,
    })
    const viaFs = await wrong.open('t1/00/both', { sha512: sha })
    assert.equal(viaFs.offerId, 'fs-1')
    assert.deepEqual(await collect(viaFs.body), bytes)
    await assert.rejects(wrong.checkOffers(), (e: unknown) => {
      assert.ok(e instanceof AppError)
      assert.equal(e.code, 'STORAGE_OFFER_UNAVAILABLE')
      assert.match(e.message, /s3-1/)
      return true
    })
    // a write with one offer down fails and leaves nothing on the other
    await assert.rejects(
      wrong.put('t1/00/during-outage', chunked(random(10))),
      isCode('STORAGE_OFFER_UNAVAILABLE'),
    )
    assert.equal(await storage.offers[1]?.head('t1/00/during-outage'), undefined)

    // fs copy missing: S3 serves (fs first this time)
    const fsFirst = createStorage([fsOffer, s3Offer('s3-1', bucket, env.endpoint)], deps)
    await rm((fsFirst.offers[0] as FsBlobStore).pathOf('t1/00/both'))
    const events: BadCopyEvent[] = []
    const viaS3 = await fsFirst.open('t1/00/both', { sha512: sha, onBadCopy: (e) => void events.push(e) })
    assert.equal(viaS3.offerId, 's3-1')
    assert.deepEqual(await collect(viaS3.body), bytes)
    assert.deepEqual(
      events.map((e) => [e.offerId, e.reason]),
      [['fs-1', 'missing']],
    )
    const range = await fsFirst.open('t1/00/both', { sha512: sha, range: { start: 5, end: 9 } })
    assert.deepEqual(await collect(range.body), bytes.subarray(5, 10))
  })

  test('a corrupted S3 copy is detected and reported, the fs copy serves', async (t) => {
    const dir = await tempDir(t)
    const events: BadCopyEvent[] = []
    const storage = createStorage(
      [s3Offer('s3-1', bucket, env.endpoint), { id: 'fs-1', kind: 'fs', root: join(dir, 'fs') }],
      {
        ...deps,
        onBadCopy: (e) => void events.push(e),
      },
    )
    const bytes = random(40_000)
    const sha = sha512(bytes)
    await storage.put('t1/00/corrupt', chunked(bytes), { expectedSha512: sha })
    const damaged = Buffer.from(bytes)
    damaged[100] = (damaged[100] ?? 0) ^ 1
    await store.client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 't1/00/corrupt',
        Body: damaged,
        Metadata: { sha512: sha },
      }),
    )
    const got = await storage.open('t1/00/corrupt', { sha512: sha, size: bytes.length })
    assert.equal(got.offerId, 'fs-1')
    assert.deepEqual(await collect(got.body), bytes)
    assert.deepEqual(
      events.map((e) => [e.offerId, e.reason]),
      [['s3-1', 'corrupt']],
    )
  })

  test('a batch over fs + s3 commits, and an aborted one removes what it wrote', async (t) => {
    const dir = await tempDir(t)
    const storage = createStorage(
      [{ id: 'fs-1', kind: 'fs', root: join(dir, 'fs') }, s3Offer('s3-1', bucket, env.endpoint)],
      deps,
    )
    const b = storage.batch()
    const items = Array.from({ length: 10 }, (_, i) => ({ key: `t9/00/b${i}`, bytes: random(1000 + i) }))
    for (const it of items) await b.put(it.key, chunked(it.bytes), { expectedSha512: sha512(it.bytes) })
    await b.commit()
    for (const it of items) {
      const got = await storage.open(it.key, { sha512: sha512(it.bytes) })
      assert.deepEqual(await collect(got.body), it.bytes)
    }
    const aborted = storage.batch()
    await aborted.put('t9/00/gone', chunked(random(100)))
    await aborted.abort()
    assert.equal(await store.head('t9/00/gone'), undefined)
    assert.equal(await storage.offers[0]?.head('t9/00/gone'), undefined)
    assert.deepEqual(await storage.delete('t9/00/b0', 'test'), ['fs-1', 's3-1'])
  })
})
