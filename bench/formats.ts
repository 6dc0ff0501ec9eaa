// Format identification benchmark: signature file load time, then µs per file on (a) N small files of
// mixed formats made here and (b) the binaries of the Vitam SIP corpus, beside baselines measured in
// the same run on the same files: Debian `file --mime-type` (one process for the whole list, when
// installed) and reading the same bytes (`cat` of the list to /dev/null).
//   node --import tsx bench/formats.ts [--runs N] [--small N]
// Prints a markdown table (medians of N runs) for docs/formats.md.
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadFormatIdentifier, type FormatIdentifier } from '../src/modules/formats/index.js'
import {
  extractSipCorpus,
  makeDocx,
  makeExcel97,
  makeGif,
  makeJpeg,
  makeOdt,
  makePdf,
  makePng,
  makeTiff,
  makeWord97,
  makeXml,
  makeZip,
} from '../src/modules/formats/test-support.js'

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : def
}
const RUNS = arg('runs', 5)
const SMALL_N = arg('small', 2_000)

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN
const cpuMs = () => {
  const c = process.cpuUsage()
  return (c.user + c.system) / 1000
}

async function makeSmallFiles(dir: string, n: number): Promise<string[]> {
  const pad = () => randomBytes(1024 + Math.floor(Math.random() * 15 * 1024))
  const makers: [string, () => Promise<Buffer> | Buffer][] = [
    [
      'pdf',
      () => {
        const p = makePdf('1.4')
        return Buffer.concat([p.subarray(0, 9), pad(), p.subarray(9)])
      },
    ],
    ['png', () => makePng({ srgb: true })],
    [
      'jpg',
      () => {
        const j = makeJpeg()
        return Buffer.concat([j.subarray(0, j.length - 2), pad(), j.subarray(j.length - 2)])
      },
    ],
    ['gif', () => makeGif()],
    ['tif', () => Buffer.concat([makeTiff(), pad()])],
    ['xml', () => Buffer.concat([makeXml(), Buffer.from(`<!-- ${pad().toString('hex')} -->\n`)])],
    ['odt', () => makeOdt('1.2')],
    ['docx', () => makeDocx()],
    ['doc', () => makeWord97()],
    ['xls', () => makeExcel97()],
    ['zip', () => makeZip([{ name: 'data.bin', data: pad() }])],
    ['txt', () => Buffer.from('Lorem ipsum dolor sit amet. '.repeat(200))],
    ['bin', () => pad()],
  ]
  const paths: string[] = []
  for (let i = 0; i < n; i++) {
    const [ext, make] = makers[i % makers.length]!
    const p = join(dir, `f${i}.${ext === 'bin' ? 'dat' : ext}`)
    writeFileSync(p, await make())
    paths.push(p)
  }
  return paths
}

interface Row {
  readonly set: string
  readonly what: string
  readonly usPerFile: number
  readonly note: string
}

async function measure(idf: FormatIdentifier, set: string, paths: string[], rows: Row[]): Promise<void> {
  const n = paths.length
  const listFile = join(tmpdir(), `saeh-bench-formats-${process.pid}.lst`)
  writeFileSync(listFile, paths.join('\n') + '\n')
  const buffers = paths.map((p) => readFileSync(p))
  const bytes = buffers.reduce((s, b) => s + b.length, 0)

  // identifyFile: open + read windows (+ container entries) + match.
  const fileTimes: number[] = []
  const fileCpu: number[] = []
  const methods = new Map<string, number>()
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now()
    const c0 = cpuMs()
    for (const p of paths) {
      const res = await idf.identifyFile(p)
      if (r === 0) methods.set(res.method, (methods.get(res.method) ?? 0) + 1)
    }
    fileTimes.push(performance.now() - t0)
    fileCpu.push(cpuMs() - c0)
  }
  // identifyBuffer: bytes already in memory (the stream-tap case), matching only.
  const bufTimes: number[] = []
  const bufCpu: number[] = []
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now()
    const c0 = cpuMs()
    for (const b of buffers) {
      await idf.identifyBuffer(b.subarray(0, 65_536), b.subarray(Math.max(0, b.length - 65_536)), {
        size: b.length,
      })
    }
    bufTimes.push(performance.now() - t0)
    bufCpu.push(cpuMs() - c0)
  }
  const us = (ms: number) => (ms * 1000) / n
  rows.push({
    set,
    what: 'saeh identifyFile',
    usPerFile: us(median(fileTimes)),
    note: `cpu ${us(median(fileCpu)).toFixed(0)} µs/file; methods ${JSON.stringify(Object.fromEntries(methods))}`,
  })
  rows.push({
    set,
    what: 'saeh identifyBuffer (in memory)',
    usPerFile: us(median(bufTimes)),
    note: `cpu ${us(median(bufCpu)).toFixed(0)} µs/file`,
  })

  const run = (cmd: string, args: string[]) => {
    const times: number[] = []
    for (let r = 0; r < RUNS; r++) {
      const t0 = performance.now()
      const res = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'ignore'], maxBuffer: 1 << 26 })
      if (res.status !== 0) return undefined
      times.push(performance.now() - t0)
    }
    return median(times)
  }
  const fileCmd = spawnSync('file', ['--version'])
  if (fileCmd.status === 0) {
    const ms = run('file', ['--mime-type', '-b', '-f', listFile])
    const version = fileCmd.stdout.toString().split('\n')[0] ?? 'file'
    if (ms !== undefined)
      rows.push({ set, what: `${version} --mime-type (1 process)`, usPerFile: us(ms), note: 'MIME only' })
  } else {
    rows.push({ set, what: '`file`', usPerFile: NaN, note: 'not installed' })
  }
  const catMs = run('bash', ['-c', `xargs -d '\\n' cat < '${listFile}' > /dev/null`])
  if (catMs !== undefined) {
    rows.push({
      set,
      what: 'cat > /dev/null (same bytes)',
      usPerFile: us(catMs),
      note: `${(bytes / 1024 / n).toFixed(1)} KiB/file`,
    })
  }
  rmSync(listFile, { force: true })
}

async function main(): Promise<void> {
  // Load time: the first load in the process is the one a server pays at start-up (cold JIT).
  const loads: number[] = []
  let idf: FormatIdentifier & { loadMillis: number } = await loadFormatIdentifier()
  loads.push(idf.loadMillis)
  for (let i = 1; i < RUNS; i++) {
    idf = await loadFormatIdentifier()
    loads.push(idf.loadMillis)
  }
  const heapMiB = process.memoryUsage().heapUsed / 1024 / 1024

  const dir = mkdtempSync(join(tmpdir(), 'saeh-bench-formats-'))
  const rows: Row[] = []
  let corpusNote = ''
  try {
    const small = await makeSmallFiles(dir, SMALL_N)
    await measure(idf, `${SMALL_N} small mixed files`, small, rows)
    const corpus = extractSipCorpus()
    if ('skip' in corpus) {
      corpusNote = `corpus skipped: ${corpus.skip}`
    } else {
      try {
        await measure(
          idf,
          `Vitam SIP corpus (${corpus.objects.length} binaries)`,
          corpus.objects.map((o) => o.path),
          rows,
        )
      } finally {
        rmSync(corpus.dir, { recursive: true, force: true })
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }

  console.log(
    `\nnode ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load average ${(
      await import('node:os')
    )
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  )
  console.log(
    `signature files load+compile (V122 + container 20221102): first ${loads[0]!.toFixed(0)} ms, ` +
      `then median ${median(loads.slice(1)).toFixed(0)} ms (${RUNS - 1} reloads); heap after load ${heapMiB.toFixed(0)} MiB\n`,
  )
  console.log('| set | tool | µs / file | note |')
  console.log('|---|---|---:|---|')
  for (const r of rows)
    console.log(
      `| ${r.set} | ${r.what} | ${Number.isNaN(r.usPerFile) ? '—' : r.usPerFile.toFixed(0)} | ${r.note} |`,
    )
  if (corpusNote) console.log(`\n${corpusNote}`)
}

await main()
