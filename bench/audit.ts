// Fixity audit benchmark: an integrity audit of fs offers (every copy read and SHA-512-hashed) beside
// `openssl dgst -sha512` over the same files, in the same run; objects of mixed sizes written through the
// storage strategy and recorded in the catalogue as an ingest would.
//   node --import tsx bench/audit.ts [--runs N] [--mib N] [--s3-mib N]
// S3: when SAEH_TEST_S3_ENDPOINT (+ SAEH_TEST_S3_ACCESS_KEY / _SECRET_KEY) is set, the same audit over two
// S3 offers, beside the offers' own raw read speed (every object read, no hashing, same concurrency).
// Prints a markdown table (medians of N runs) for docs/PERFORMANCE.md, section "Fixity audits".
import { execFile } from 'node:child_process'
import { createCipheriv, createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { promisify } from 'node:util'
import { loadConfig } from '../src/config/config.js'
import { buildContainer, type Container } from '../src/main/container.js'
import { initInstance } from '../src/main/instance.js'
import { silentLogger } from '../src/platform/log.js'
import { blobKeyFor } from '../src/modules/ingest/index.js'
import type { BlobStore } from '../src/modules/storage/index.js'

const sh = promisify(execFile)
function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : def
}
const RUNS = arg('runs', 3)
const MIB = arg('mib', 1024)
const S3_MIB = arg('s3-mib', 256)
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN
const mbps = (bytes: number, s: number) => bytes / 1e6 / s

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now()
  const r = await fn()
  return [(performance.now() - t0) / 1000, r]
}

/** Mixed sizes summing to about `total` bytes: half in 64 MiB files, then 16 MiB, 1 MiB, 64 KiB, 4 KiB. */
function sizes(total: number): number[] {
  const out: number[] = []
  const plan: [number, number][] = [
    [64 << 20, 0.5],
    [16 << 20, 0.35],
    [1 << 20, 0.1],
    [64 << 10, 0.03],
    [4 << 10, 0.02],
  ]
  for (const [size, share] of plan) {
    const n = Math.max(1, Math.round((total * share) / size))
    for (let i = 0; i < n; i++) out.push(size + (i % 7) * 13)
  }
  return out
}

/** Fast pseudo-random bytes (AES-128-CTR of zeros). */
function bytesOf(seed: string, size: number): Buffer {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16)
  const c = createCipheriv('aes-128-ctr', key, Buffer.alloc(16))
  return Buffer.concat([c.update(Buffer.alloc(size)), c.final()])
}

/** Writes the objects through the storage strategy and records them in the catalogue. */
async function populate(c: Container, total: number): Promise<{ objects: number; bytes: number }> {
  const tenant = 'default'
  const now = new Date().toISOString()
  const opId = await c.db.kysely
    .transaction()
    .execute(
      async (trx) =>
        (await c.audit.startOperation(trx, { tenantId: tenant, type: 'INGEST', status: 'OK' })).id,
    )
  const groupId = c.ids.next()
  await c.db.kysely
    .insertInto('object_group')
    .values({ id: groupId, tenant_id: tenant, operation_id: opId, seda_id: null, created_at: now })
    .execute()
  const list = sizes(total)
  let bytes = 0
  let batch: { id: string; size: number; sha512: string }[] = []
  const flush = async () => {
    await c.db.kysely.transaction().execute(async (trx) => {
      for (const b of batch) {
        await c.blobs.record(
          trx,
          tenant,
          b,
          c.storage.offers.map((o) => o.id),
        )
        await trx
          .insertInto('data_object')
          .values({
            id: b.id,
            tenant_id: tenant,
            group_id: groupId,
            operation_id: opId,
            seda_id: null,
            kind: 'binary',
            usage: 'BinaryMaster_1',
            blob_id: b.id,
            size: b.size,
            sha512: b.sha512,
            declared_algorithm: 'SHA-512',
            declared_digest: b.sha512,
            format_puid: null,
            format_name: null,
            mime_type: null,
            filename: null,
            physical_id: null,
            metadata: '{}',
            created_at: now,
          })
          .execute()
      }
    })
    batch = []
  }
  for (const [i, size] of list.entries()) {
    const id = c.ids.next()
    const data = bytesOf(`${i}`, size)
    const stored = await c.storage.put(blobKeyFor(tenant, opId, id), Readable.from([data]))
    batch.push({ id, size, sha512: stored.sha512 })
    bytes += size
    if (batch.length >= 200) await flush()
  }
  if (batch.length) await flush()
  return { objects: list.length, bytes }
}

async function audit(
  c: Container,
): Promise<{ seconds: number; bytes: number; copies: number; status: string }> {
  const id = await c.fixity.request({ tenantId: 'default', type: 'integrity', agent: 'bench' })
  const [s, r] = await timed(() => c.fixity.execute(id))
  if (r.status !== 'OK') throw new Error(`audit ${r.status}: ${JSON.stringify(r.anomalies.slice(0, 3))}`)
  return { seconds: s, bytes: r.counts.bytes, copies: r.counts.copies, status: r.status }
}

async function existence(c: Container): Promise<number> {
  const id = await c.fixity.request({ tenantId: 'default', type: 'existence', agent: 'bench' })
  const [s] = await timed(() => c.fixity.execute(id))
  return s
}

async function open(home: string, offers?: string): Promise<Container> {
  const c = await buildContainer(
    loadConfig({ SAEH_HOME: home, ...(offers ? { SAEH_OFFERS: offers } : {}) }),
    { log: silentLogger() },
  )
  await initInstance(c)
  return c
}

async function rawRead(offers: readonly BlobStore[], c: Container, concurrency: number): Promise<number> {
  const rows = await c.db.kysely.selectFrom('data_object').select(['id', 'operation_id']).execute()
  let bytes = 0
  await Promise.all(
    offers.map(async (o) => {
      let next = 0
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < rows.length) {
            const r = rows[next++]!
            const g = await o.get(blobKeyFor('default', r.operation_id, r.id))
            for await (const chunk of g.body) bytes += (chunk as Buffer).length
          }
        }),
      )
    }),
  )
  return bytes
}

const dir = await mkdtemp(join(tmpdir(), 'saeh-bench-audit-'))
try {
  console.log(
    `# fixity audit bench — ${MIB} MiB of objects on 2 fs offers, ${RUNS} runs, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load ${loadavg()[0]?.toFixed(2)}`,
  )
  const home = join(dir, 'fs')
  const c = await open(home)
  const pop = await populate(c, MIB * 1024 * 1024)
  console.log(`populated: ${pop.objects} objects, ${pop.bytes} bytes per offer`)
  const roots = c.config.offers.map((o) => (o.kind === 'fs' ? o.root : ''))
  const openssl = `find ${roots.join(' ')} -type f -print0 | xargs -0 openssl dgst -sha512 > /dev/null`
  await sh('sh', ['-c', `find ${roots.join(' ')} -type f -print0 | xargs -0 cat > /dev/null`]) // warm the cache
  const ours: number[] = []
  const base: number[] = []
  const exist: number[] = []
  let bytes = 0
  for (let i = 0; i < RUNS; i++) {
    const [bs] = await timed(() => sh('sh', ['-c', openssl], { maxBuffer: 1 << 20 }))
    base.push(bs)
    const a = await audit(c)
    ours.push(a.seconds)
    bytes = a.bytes
    exist.push(await existence(c))
  }
  const oursMbps = mbps(bytes, median(ours))
  const baseMbps = mbps(bytes, median(base))
  console.log('')
  console.log('| measure (fs, 2 offers) | seconds (median) | MB/s | ratio |')
  console.log('|---|---:|---:|---:|')
  console.log(
    `| \`openssl dgst -sha512\` over every copy | ${median(base).toFixed(2)} | ${baseMbps.toFixed(0)} | 1.00 |`,
  )
  console.log(
    `| integrity audit (read + SHA-512 + records) | ${median(ours).toFixed(2)} | ${oursMbps.toFixed(0)} | **${(oursMbps / baseMbps).toFixed(2)}** |`,
  )
  console.log(
    `| existence audit (${pop.objects} objects × 2 offers) | ${median(exist).toFixed(2)} | — | ${((pop.objects * 2) / median(exist)).toFixed(0)} copies/s |`,
  )
  console.log(`bytes checked per audit: ${bytes} (${pop.objects * 2} copies)`)
  await c.close()
  await rm(home, { recursive: true, force: true })

  const S3 = process.env.SAEH_TEST_S3_ENDPOINT
  if (!S3) console.log('\nS3: skipped (SAEH_TEST_S3_ENDPOINT is not set)')
  else {
    process.env.AWS_ACCESS_KEY_ID = process.env.SAEH_TEST_S3_ACCESS_KEY ?? ''
    process.env.AWS_SECRET_ACCESS_KEY = process.env.SAEH_TEST_S3_SECRET_KEY ?? ''
    const tag = randomBytes(4).toString('hex')
    const url = (n: string) =>
      `s3://saeh-bench-audit-${n}-${tag}?endpoint=${encodeURIComponent(S3)}&region=us-east-1`
    const s3 = await open(join(dir, 's3'), `${url('a')},${url('b')}`)
    const p = await populate(s3, S3_MIB * 1024 * 1024)
    const raw: number[] = []
    const aud: number[] = []
    let rawBytes = 0
    let audBytes = 0
    for (let i = 0; i < RUNS; i++) {
      const [rs, rb] = await timed(() => rawRead(s3.storage.offers, s3, 16))
      raw.push(rs)
      rawBytes = rb
      const a = await audit(s3)
      aud.push(a.seconds)
      audBytes = a.bytes
    }
    console.log('')
    console.log(
      `| measure (S3 Ceph RGW, 2 offers, ${p.objects} objects, ${p.bytes} bytes each) | seconds | MB/s | ratio |`,
    )
    console.log('|---|---:|---:|---:|')
    console.log(
      `| raw read of every copy (16 per offer, no hash) | ${median(raw).toFixed(2)} | ${mbps(rawBytes, median(raw)).toFixed(0)} | 1.00 |`,
    )
    console.log(
      `| integrity audit | ${median(aud).toFixed(2)} | ${mbps(audBytes, median(aud)).toFixed(0)} | **${(mbps(audBytes, median(aud)) / mbps(rawBytes, median(raw))).toFixed(2)}** |`,
    )
    for (const o of s3.storage.offers) {
      for await (const h of o.list('')) await o.delete(h.key, 'bench cleanup')
    }
    await s3.close()
  }
} finally {
  await rm(dir, { recursive: true, force: true })
}
