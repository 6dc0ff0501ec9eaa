/**
 * Container reader benchmark: read + SHA-512 every entry of SIP_10000_100.zip and 1_UNIT_1_GOTS_1GB.zip,
 * beside `unzip` baselines measured in the same run. Run: node --import tsx bench/container.ts
 * Options (env): SAEH_CORPUS (corpus folder), BENCH_RUNS (default 3; medians are printed).
 */
import { execFileSync, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { buffer as streamToBuffer } from 'node:stream/consumers'
import zlib from 'node:zlib'
import * as yauzl from 'yauzl'
import { openPackage, type PackageReader } from '../src/modules/ingest/container/index.js'
import { corpusDir, packTar, type PackEntry } from '../src/modules/ingest/container/test-support.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const corpus = corpusDir()
if (corpus.skip) {
  console.log(`container bench skipped: ${corpus.skip}`)
  process.exit(0)
}
const perf = path.join(corpus.dir, 'vitam', 'sip-perf')

function which(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

function sh(command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('sh', ['-c', command], { stdio: ['ignore', 'ignore', 'inherit'] })
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}`))))
  })
}

async function hashStream(s: Readable, algo: string | null): Promise<number> {
  const h = algo === null ? null : createHash(algo)
  let n = 0
  for await (const chunk of s) {
    h?.update(chunk as Buffer)
    n += (chunk as Buffer).length
  }
  h?.digest()
  return n
}

interface Figures {
  seconds: number
  bytes: number
  entries: number
  maxRss?: number
}

interface OursFigures extends Figures {
  openSeconds: number
  /** Time spent on the entries other than the manifest, and their count. */
  smallSeconds: number
  smallEntries: number
}

async function ours(file: string, algo: string | null, staging: string): Promise<OursFigures> {
  const t0 = performance.now()
  const r: PackageReader = await openPackage(file, undefined, { stagingDir: staging })
  const openSeconds = (performance.now() - t0) / 1000
  let bytes = 0
  let entries = 0
  let smallSeconds = 0
  let smallEntries = 0
  let maxRss = process.memoryUsage().rss
  for (const e of r.entries) {
    if (e.isDirectory) continue
    const t1 = performance.now()
    bytes += await hashStream(r.openEntry(e.name), algo)
    if (e.name !== r.manifestName) {
      smallSeconds += (performance.now() - t1) / 1000
      smallEntries++
    }
    entries++
    if (entries % 256 === 0 || e.size > 1e8) maxRss = Math.max(maxRss, process.memoryUsage().rss)
  }
  await r.close()
  return {
    seconds: (performance.now() - t0) / 1000,
    bytes,
    entries,
    openSeconds,
    maxRss,
    smallSeconds,
    smallEntries,
  }
}

/** yauzl as deps.md first measured it: its own fd reader (16 KiB reads) and its own inflate. */
async function yauzlStock(file: string): Promise<Figures> {
  const t0 = performance.now()
  const zip = await yauzl.openPromise(file, {
    lazyEntries: true,
    validateEntrySizes: true,
    strictFileNames: true,
  })
  let bytes = 0
  let entries = 0
  for await (const e of zip.eachEntry()) {
    if (e.fileName.endsWith('/')) continue
    bytes += await hashStream(await zip.openReadStreamPromise(e), 'sha512')
    entries++
  }
  zip.close()
  return { seconds: (performance.now() - t0) / 1000, bytes, entries }
}

/** yauzl with its stock reader but raw data (decodeFileData: false) and our inflateRaw(256 KiB chunks). */
async function yauzlOwnInflate(file: string): Promise<Figures> {
  const t0 = performance.now()
  const zip = await yauzl.openPromise(file, {
    lazyEntries: true,
    validateEntrySizes: true,
    strictFileNames: true,
  })
  let bytes = 0
  let entries = 0
  for await (const e of zip.eachEntry()) {
    if (e.fileName.endsWith('/')) continue
    const raw = await zip.openReadStreamPromise(e, { decodeFileData: false })
    const s = e.compressionMethod === 8 ? raw.pipe(zlib.createInflateRaw({ chunkSize: 256 * 1024 })) : raw
    bytes += await hashStream(s, 'sha512')
    entries++
  }
  zip.close()
  return { seconds: (performance.now() - t0) / 1000, bytes, entries }
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now()
  await run()
  return (performance.now() - t0) / 1000
}

function loadavg(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}

interface Row {
  pkg: string
  method: string
  seconds: number
  mbps: number
  perEntryUs?: number
  note?: string
}

async function main(): Promise<void> {
  const hasUnzip = which('unzip')
  const hasOpenssl = which('openssl')
  const hasTar = which('tar')
  console.log(
    `node ${process.version}, ${os.cpus().length} CPU (${os.cpus()[0]?.model ?? '?'}), load average ${loadavg()}, runs=${RUNS} (medians); unzip: ${hasUnzip ? execFileSync('sh', ['-c', 'unzip -v | head -1']).toString().trim() : 'absent'}`,
  )
  const work = await mkdtemp(path.join(os.tmpdir(), 'saeh-bench-container-'))
  const staging = path.join(work, 'staging')
  await mkdir(staging)
  const rows: Row[] = []
  try {
    const packages = ['SIP_10000_100.zip', '1_UNIT_1_GOTS_1GB.zip']
    const files = new Map<string, string>(packages.map((p) => [p, path.join(perf, p)]))

    // The 10,000-object package also as tar and tar.gz, built from the zip's entries.
    {
      const zip = await openPackage(path.join(perf, 'SIP_10000_100.zip'), undefined, { stagingDir: staging })
      const entries: PackEntry[] = []
      for (const e of zip.entries) {
        entries.push(
          e.isDirectory
            ? { name: e.name, directory: true }
            : { name: e.name, data: await streamToBuffer(zip.openEntry(e.name)) },
        )
      }
      await zip.close()
      for (const gz of [false, true]) {
        const p = path.join(work, `SIP_10000_100.${gz ? 'tar.gz' : 'tar'}`)
        await writeFile(p, await packTar(entries, gz))
        files.set(path.basename(p), p)
      }
    }

    for (const [pkg, file] of files) {
      const isZip = pkg.endsWith('.zip')
      const measure = async (method: string, run: () => Promise<Figures | number>, note?: string) => {
        const secs: number[] = []
        let fig: Figures | undefined
        for (let i = 0; i < RUNS; i++) {
          const t0 = performance.now()
          const out = await run()
          secs.push((performance.now() - t0) / 1000)
          if (typeof out !== 'number') fig = out
        }
        const seconds = median(secs)
        const bytes = fig?.bytes ?? bytesOf.get(pkg) ?? 0
        const row: Row = { pkg, method, seconds, mbps: bytes / 1e6 / seconds }
        if (note !== undefined) row.note = note
        rows.push(row)
        process.stdout.write(`  ${pkg} · ${method}: ${seconds.toFixed(3)} s\n`)
        return { seconds, fig }
      }
      const bytesOf = new Map<string, number>()
      bytesOf.set(pkg, (await ours(file, null, staging)).bytes) // also warms the JIT up
      const opens: number[] = []
      const perEntry: number[] = []
      const drained = await measure('ours: openPackage + openEntry, drain (no hash)', async () => {
        const f = await ours(file, null, staging)
        opens.push(f.openSeconds)
        if (f.smallEntries > 0) perEntry.push((f.smallSeconds / f.smallEntries) * 1e6)
        return f
      })
      const drainRow = rows[rows.length - 1] as Row
      if (perEntry.length > 0 && (drained.fig?.entries ?? 0) > 100) drainRow.perEntryUs = median(perEntry)
      drainRow.note = `${drained.fig?.entries ?? '?'} file entries; open ${(median(opens) * 1000).toFixed(0)} ms`
      const hashed = await measure('ours: openPackage + openEntry + SHA-512', () =>
        ours(file, 'sha512', staging),
      )
      const last = rows[rows.length - 1] as Row
      last.note = `max RSS of the bench process ${((hashed.fig?.maxRss ?? 0) / 1048576).toFixed(0)} MiB`
      if (isZip && hasUnzip) {
        await measure('unzip -qt (inflate + CRC, no hash)', () => timed(() => sh(`unzip -qqt '${file}'`)))
        if (hasOpenssl) {
          await measure('unzip -p | openssl dgst -sha512 (one stream)', () =>
            timed(() => sh(`unzip -p '${file}' | openssl dgst -sha512 > /dev/null`)),
          )
        }
      }
      if (!isZip && hasTar && hasOpenssl) {
        const z = pkg.endsWith('.gz') ? 'z' : ''
        await measure(`tar -xO${z}f | openssl dgst -sha512 (one stream)`, () =>
          timed(() => sh(`tar -xO${z}f '${file}' | openssl dgst -sha512 > /dev/null`)),
        )
      }
      if (isZip) {
        await measure('yauzl stock reader + its inflate, SHA-512', () => yauzlStock(file))
        await measure('yauzl stock reader + own inflateRaw 256 KiB, SHA-512', () => yauzlOwnInflate(file))
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }

  console.log(`\nload average at the end ${loadavg()}`)
  // Table, with the ratio to the unzip|openssl (or tar|openssl) baseline of the same package.
  console.log(
    '\n| package | method | time (s) | MB/s (uncompressed) | vs baseline | µs per small entry | notes |',
  )
  console.log('|---|---|---:|---:|---:|---:|---|')
  for (const r of rows) {
    const base = rows.find((b) => b.pkg === r.pkg && /openssl/.test(b.method))
    const ratio = base ? `${(r.seconds / base.seconds).toFixed(2)}×` : ''
    console.log(
      `| ${r.pkg} | ${r.method} | ${r.seconds.toFixed(3)} | ${r.mbps.toFixed(0)} | ${ratio} | ${r.perEntryUs === undefined ? '' : r.perEntryUs.toFixed(1)} | ${r.note ?? ''} |`,
    )
  }
}

await main()
