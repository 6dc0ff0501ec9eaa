// One ingest in a fresh embedded instance, measured: `node --import tsx bench/ingest-one.ts SIP [--corpus-referentials]`.
// Prints one JSON line: status, counts, wall time of the ingest alone, peak RSS of the process.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { loadConfig } from '../src/config/config.js'
import { buildContainer } from '../src/main/container.js'
import { initInstance } from '../src/main/instance.js'
import { SYSTEM_PRINCIPAL } from '../src/modules/tenancy/index.js'
import { defaultFormatIdentifier } from '../src/modules/formats/index.js'
import { createLogger, silentLogger } from '../src/platform/log.js'
import { CORPUS_REFERENTIALS, referentialBytes } from '../test/corpus/vitam-corpus.js'

const sip = process.argv[2]
if (!sip) throw new Error('usage: bench/ingest-one.ts SIP [--corpus-referentials]')
const home = await mkdtemp(join(process.env.SAEH_BENCH_DIR ?? tmpdir(), 'saeh-bench-'))
const c = await buildContainer(loadConfig({ SAEH_HOME: home }), {
  log: process.env.SAEH_BENCH_PHASES ? createLogger('debug') : silentLogger(),
})
await initInstance(c)
let tenant = 'default'
if (process.argv.includes('--corpus-referentials')) {
  tenant = 'vitam'
  await c.tenancy.createTenant(SYSTEM_PRINCIPAL, { id: tenant, name: 'Corpus' })
  for (const [kind, ...files] of CORPUS_REFERENTIALS) {
    let bytes = referentialBytes(files)
    // The performance packages hold `.seda` test files that no PRONOM signature knows: the bench
    // contracts accept unidentified formats, as Vitam's performance platform does.
    if (kind === 'ingest-contracts' && process.argv.includes('--allow-unidentified')) {
      const list = JSON.parse(bytes.toString('utf8')) as Array<Record<string, unknown>>
      bytes = Buffer.from(JSON.stringify(list.map((x) => ({ ...x, FormatUnidentifiedAuthorized: true }))))
    }
    await c.referential.import(tenant, kind, bytes, 'system')
  }
}
await defaultFormatIdentifier() // loaded once per process, outside the measured ingest
const t0 = process.hrtime.bigint()
const r = await c.ingest.ingestFile({
  tenantId: tenant,
  packagePath: sip,
  fileName: basename(sip),
  agent: 'bench',
})
const wallMs = Number(process.hrtime.bigint() - t0) / 1e6
const ko = r.events.find((e) => e.outcome === 'KO' || e.outcome === 'FATAL')
console.log(
  JSON.stringify({
    sip: basename(sip),
    status: r.status,
    units: r.units,
    objects: r.objects,
    bytes: r.bytes,
    wallMs: Math.round(wallMs),
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    ...(ko ? { ko: ko.message } : {}),
  }),
)
await c.close()
await rm(home, { recursive: true, force: true })
