// Storage benchmark: write throughput of the storage strategy with two fs offers, beside a physical
// baseline measured in the same run on the same bytes (openssl dgst -sha512; cp to two folders + sync).
//   node --import tsx bench/storage.ts [--runs N] [--large-mib N] [--small N] [--small-kib N]
// Prints a markdown table (medians of N runs) for docs/PERFORMANCE.md.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { blobKey, createStorage, type Durability } from '../src/modules/storage/index.js'

const sh = promisify(execFile)

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : def
}
const RUNS = arg('runs', 3)
const LARGE = arg('large-mib', 1024) * 1024 * 1024
const SMALL_N = arg('small', 10_000)
const SMALL_SIZE = arg('small-kib', 10) * 1024

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now()
  await fn()
  return (performance.now() - t0) / 1000
}

async function bash(script: string): Promise<void> {
  await sh('bash', ['-c', script], { maxBuffer: 64 * 1024 * 1024 })
}

async function clean(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  await bash('sync') // the deletions' writeback must not land in the next measurement
}

interface Row {
  group: string
  name: string
  seconds: number
  bytes: number
  objects: number
  baseline?: string
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0] ?? 0
  const work = await mkdtemp(join(tmpdir(), 'saeh-bench-storage-'))
  const rows: Row[] = []
  const offersDir = join(work, 'offers')
  const strategy = () =>
    createStorage([
      { id: 'fs-a', kind: 'fs', root: join(offersDir, 'a') },
      { id: 'fs-b', kind: 'fs', root: join(offersDir, 'b') },
    ])
  try {
    // ---- one large object -------------------------------------------------------------------------
    const big = join(work, 'big.bin')
    {
      const fh = await open(big, 'w')
      for (let off = 0; off < LARGE; off += 1 << 20)
        await fh.write(randomBytes(Math.min(1 << 20, LARGE - off)))
      await fh.close()
      await bash('sync')
    }
    const large = { openssl: [] as number[], cp: [] as number[], put: [] as number[] }
    for (let r = 0; r < RUNS; r++) {
      large.openssl.push(await timed(() => bash(`openssl dgst -sha512 ${big} >/dev/null`)))
      await clean(offersDir)
      large.cp.push(
        await timed(() => bash(`cp ${big} ${offersDir}/a.bin && cp ${big} ${offersDir}/b.bin && sync`)),
      )
      await clean(offersDir)
      const s = strategy()
      await s.checkOffers()
      large.put.push(
        await timed(() =>
          s.put('t1/00/big', createReadStream(big, { highWaterMark: 1 << 20 }), { expectedSize: LARGE }),
        ),
      )
    }
    const L = `${(LARGE / 1024 ** 3).toFixed(LARGE >= 1024 ** 3 ? 0 : 2)} GiB, 1 object`
    rows.push({
      group: L,
      name: 'baseline: `openssl dgst -sha512`',
      seconds: median(large.openssl),
      bytes: LARGE,
      objects: 1,
    })
    rows.push({
      group: L,
      name: 'baseline: `cp` to 2 folders + `sync`',
      seconds: median(large.cp),
      bytes: LARGE,
      objects: 1,
    })
    rows.push({
      group: L,
      name: 'strategy `put` (SHA-512 + 2 fs offers, fsync)',
      seconds: median(large.put),
      bytes: LARGE,
      objects: 1,
      baseline: 'baseline: `cp` to 2 folders + `sync`',
    })

    // ---- many small objects -----------------------------------------------------------------------
    const srcDir = join(work, 'small')
    await mkdir(srcDir)
    const items = Array.from({ length: SMALL_N }, (_, i) => ({
      key: blobKey('t1', `obj-${i}`),
      bytes: randomBytes(SMALL_SIZE),
    }))
    for (let i = 0; i < items.length; i++)
      await writeFile(join(srcDir, `f${i}`), items[i]?.bytes ?? Buffer.alloc(0))
    await bash('sync')
    async function* one(b: Buffer) {
      yield b
    }
    const small: Record<string, number[]> = {}
    const add = (k: string, v: number) => (small[k] ??= []).push(v)
    /** Runs `fn` over the items with `n` of them in flight. */
    async function inFlight<T>(list: readonly T[], n: number, fn: (t: T) => Promise<unknown>): Promise<void> {
      let next = 0
      await Promise.all(
        Array.from({ length: n }, async () => {
          while (next < list.length) await fn(list[next++] as T)
        }),
      )
    }
    const modes: { name: string; run: () => Promise<void> }[] = [
      ...[1, 4].map((n) => ({
        name: `per-file fsync: \`put\` each, ${n} in flight`,
        run: async () => {
          const s = strategy()
          await s.checkOffers()
          await inFlight(items, n, (it) => s.put(it.key, one(it.bytes)))
        },
      })),
      ...(
        [
          ['parallel', SMALL_N, 4],
          ['parallel', 1000, 4],
          ['parallel', 100, 4],
          ['syncfs', SMALL_N, 1],
          ['syncfs', SMALL_N, 4],
          ['syncfs', 1000, 4],
          ['syncfs', 100, 4],
        ] as [Durability, number, number][]
      ).map(([d, size, n]) => ({
        name: `batch of ${size.toLocaleString('en')}, \`${d}\`, ${n} in flight`,
        run: async () => {
          const s = strategy()
          await s.checkOffers()
          for (let i = 0; i < items.length; i += size) {
            const b = s.batch({ durability: d })
            await inFlight(items.slice(i, i + size), n, (it) => b.put(it.key, one(it.bytes)))
            await b.commit()
          }
        },
      })),
    ]
    for (let r = 0; r < RUNS; r++) {
      add(
        'openssl',
        await timed(() =>
          bash(`cd ${srcDir} && find . -type f -print0 | xargs -0 openssl dgst -sha512 >/dev/null`),
        ),
      )
      await clean(offersDir)
      add(
        'cp',
        await timed(() => bash(`cp -r ${srcDir} ${offersDir}/a && cp -r ${srcDir} ${offersDir}/b && sync`)),
      )
      for (const m of modes) {
        await clean(offersDir)
        add(m.name, await timed(m.run))
      }
    }
    const S = `${SMALL_N.toLocaleString('en')} × ${SMALL_SIZE / 1024} KiB`
    const total = SMALL_N * SMALL_SIZE
    rows.push({
      group: S,
      name: 'baseline: `openssl dgst -sha512` (all files)',
      seconds: median(small.openssl ?? []),
      bytes: total,
      objects: SMALL_N,
    })
    rows.push({
      group: S,
      name: 'baseline: `cp -r` to 2 folders + `sync`',
      seconds: median(small.cp ?? []),
      bytes: total,
      objects: SMALL_N,
    })
    for (const m of modes) {
      rows.push({
        group: S,
        name: m.name,
        seconds: median(small[m.name] ?? []),
        bytes: total,
        objects: SMALL_N,
        baseline: 'baseline: `cp -r` to 2 folders + `sync`',
      })
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }

  const find = (group: string, name: string) => rows.find((r) => r.group === group && r.name === name)
  const cpu = cpus()[0]?.model ?? 'unknown CPU'
  const load = `load average ${loadBefore.toFixed(1)} before, ${(loadavg()[0] ?? 0).toFixed(1)} after`
  console.log(
    `\nStorage offers — ${new Date().toISOString()} — ${cpus().length} × ${cpu}, Node ${process.version}, ` +
      `medians of ${RUNS} runs, ${load}\n`,
  )
  console.log('| bytes | what | time (s) | MB/s | objects/s | × baseline time |')
  console.log('|---|---|---:|---:|---:|---:|')
  for (const r of rows) {
    const base = r.baseline ? find(r.group, r.baseline) : undefined
    const ratio = base ? (r.seconds / base.seconds).toFixed(2) : '—'
    console.log(
      `| ${r.group} | ${r.name} | ${r.seconds.toFixed(2)} | ${(r.bytes / 1e6 / r.seconds).toFixed(0)} | ${(r.objects / r.seconds).toFixed(0)} | ${ratio} |`,
    )
  }
}

await main()
