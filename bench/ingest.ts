// Ingest benchmark against the hardware, measured in one run (`node --import tsx bench/ingest.ts`):
//  - sip-perf/SIP_10000_100.zip (20,003 ArchiveUnit elements, 10,002 units, 10,000 objects): units per second;
//  - a package with one 1 GiB incompressible file: wall time against `openssl dgst -sha512` on the file
//    plus copying it to two folders and `sync`;
//  - sip-perf/1_UNIT_1_GOTS_1GB.zip (1 GB, very compressible);
// each ingest in its own process, with its peak RSS. Needs the Vitam corpus (SAEH_CORPUS).
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import {
  mkdtempSync,
  openSync,
  writeSync,
  closeSync,
  rmSync,
  mkdirSync,
  writeFileSync,
  statSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { manifestXml } from '../test/helpers/sip.js'
import { corpusDir } from '../test/corpus/vitam-corpus.js'

const work = mkdtempSync(join(process.env.SAEH_BENCH_DIR ?? tmpdir(), 'saeh-ingest-bench-'))
const seconds = (f: () => void) => {
  const t = process.hrtime.bigint()
  f()
  return Number(process.hrtime.bigint() - t) / 1e9
}
function ingestOne(
  sip: string,
  extra: string[] = [],
): { wallMs: number; maxRssMB: number; status: string; units: number; objects: number } {
  const r = spawnSync(
    process.execPath,
    [
      '--max-semi-space-size=2',
      '--max-old-space-size=512',
      ...(process.env.SAEH_BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean),
      '--import',
      'tsx',
      'bench/ingest-one.ts',
      sip,
      ...extra,
    ],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    },
  )
  const line = r.stdout.trim().split('\n').pop() ?? ''
  try {
    return JSON.parse(line)
  } catch {
    throw new Error(`ingest-one failed: ${r.stderr.slice(-2000)}`)
  }
}

const rows: string[][] = []

// 1. The 10,000-object package.
const perf = join(corpusDir(), 'vitam', 'sip-perf', 'SIP_10000_100.zip')
const a = ingestOne(perf, ['--corpus-referentials', '--allow-unidentified'])
rows.push([
  'SIP_10000_100.zip',
  a.status,
  `${(a.wallMs / 1000).toFixed(2)} s`,
  `${Math.round((20003 * 1000) / a.wallMs)} AU elements/s, ${Math.round((a.units * 1000) / a.wallMs)} units/s`,
  '—',
  '—',
  `${a.maxRssMB} MB`,
])

// 2. One 1 GiB incompressible file.
const big = join(work, 'big.bin')
const fd = openSync(big, 'w')
const chunk = randomBytes(8 << 20)
const hash = createHash('sha512')
for (let i = 0; i < 128; i++) {
  chunk.writeUInt32LE(i, 0)
  writeSync(fd, chunk)
  hash.update(chunk)
}
closeSync(fd)
const sha = hash.digest('hex')
const dir = join(work, 'sip')
mkdirSync(join(dir, 'Content'), { recursive: true })
execFileSync('mv', [big, join(dir, 'Content', 'big.bin')])
writeFileSync(
  join(dir, 'manifest.xml'),
  manifestXml({
    files: [{ name: 'big.bin', bytes: Buffer.alloc(0), declaredSha512: sha, declaredSize: 1 << 30 }],
  }),
)
const zip = join(work, 'big.zip')
execFileSync('zip', ['-0', '-q', '-r', zip, 'manifest.xml', 'Content'], { cwd: dir })
const file = join(dir, 'Content', 'big.bin')
execFileSync('sync')
const tHash = seconds(() => execFileSync('openssl', ['dgst', '-sha512', file]))
const c1 = join(work, 'copy1')
const c2 = join(work, 'copy2')
const tCopy = seconds(() => {
  execFileSync('cp', [file, c1])
  execFileSync('cp', [file, c2])
  execFileSync('sync')
})
rmSync(c1)
rmSync(c2)
const baseline = tHash + tCopy
const b = ingestOne(zip)
rows.push([
  '1 GiB incompressible (zip, stored)',
  b.status,
  `${(b.wallMs / 1000).toFixed(2)} s`,
  `${Math.round(1024 / (b.wallMs / 1000))} MiB/s`,
  `${baseline.toFixed(2)} s (sha512 ${tHash.toFixed(2)} + 2×cp+sync ${tCopy.toFixed(2)})`,
  `${(b.wallMs / 1000 / baseline).toFixed(2)} ×`,
  `${b.maxRssMB} MB`,
])

// 3. The 1 GB compressible Vitam package.
const gig = join(corpusDir(), 'vitam', 'sip-perf', '1_UNIT_1_GOTS_1GB.zip')
const g = ingestOne(gig, ['--corpus-referentials', '--allow-unidentified'])
rows.push([
  '1_UNIT_1_GOTS_1GB.zip (412:1)',
  g.status,
  `${(g.wallMs / 1000).toFixed(2)} s`,
  `${Math.round(1000 / (g.wallMs / 1000))} MB/s`,
  '—',
  '—',
  `${g.maxRssMB} MB`,
])

console.log('| package | status | ingest wall time | rate | baseline (same run) | ratio | peak RSS |')
console.log('|---|---|---|---|---|---|---|')
for (const r of rows) console.log(`| ${r.join(' | ')} |`)
console.log(
  `\n(zip size ${statSync(zip).size} bytes; ${new Date().toISOString()}; load ${(await import('node:os'))
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')})`,
)
rmSync(work, { recursive: true, force: true })
