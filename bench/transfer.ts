/**
 * Outgoing transfer benchmark: ingests a package of N binaries, then times writing the SEDA 2.2
 * ArchiveTransfer of the whole package (binaries streamed from the two fs offers, SHA-512 checked on
 * read and on the zip, XSD validation, storage of the zip on both offers), beside `openssl dgst -sha512`
 * over the same bytes. Run: node --import tsx bench/transfer.ts
 * Options (env): BENCH_FILES (default 20), BENCH_FILE_MB (default 5).
 */
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { loadConfig } from '../src/config/config.js'
import { buildContainer } from '../src/main/container.js'
import { initInstance } from '../src/main/instance.js'
import { silentLogger } from '../src/platform/log.js'
import { SYSTEM_PRINCIPAL } from '../src/modules/tenancy/index.js'
import { PDF_BYTES, writeSipZip } from '../test/helpers/sip.js'

const FILES = Number(process.env.BENCH_FILES ?? 20)
const MB = Number(process.env.BENCH_FILE_MB ?? 5)

const dir = await mkdtemp(path.join(os.tmpdir(), 'saeh-transfer-bench-'))
try {
  const c = await buildContainer(loadConfig({ SAEH_HOME: path.join(dir, 'home') }), { log: silentLogger() })
  await initInstance(c)
  const files = Array.from({ length: FILES }, (_, i) => ({
    name: `f${i}.pdf`,
    bytes: Buffer.concat([PDF_BYTES, randomBytes(MB * 1024 * 1024), Buffer.from('\n%%EOF\n')]),
  }))
  const raw = path.join(dir, 'all.bin')
  await writeFile(raw, Buffer.concat(files.map((f) => f.bytes)))
  const sip = await writeSipZip(path.join(dir, 'sip.zip'), { files })
  const r = await c.ingest.ingestFile({
    tenantId: 'default',
    packagePath: sip,
    fileName: 'sip.zip',
    agent: 'bench',
  })
  if (r.status !== 'OK')
    throw new Error(`ingest ${r.status}: ${JSON.stringify(r.events.filter((e) => e.outcome !== 'OK'))}`)
  const root = (
    await c.catalog.listUnits('default', { operationId: r.operationId, limit: 1000 })
  ).results.find((u) => u.parentIds.length === 0)!
  let t0 = process.hrtime.bigint()
  execFileSync('openssl', ['dgst', '-sha512', raw], { stdio: 'ignore' })
  const baseline = Number(process.hrtime.bigint() - t0) / 1e6
  t0 = process.hrtime.bigint()
  const t = await c.transfers.create(SYSTEM_PRINCIPAL, {
    tenantId: 'default',
    selection: { branch: root.id },
  })
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  const bytes = files.reduce((s, f) => s + f.bytes.length, 0)
  console.log(
    JSON.stringify({
      files: FILES,
      mib: FILES * MB,
      state: t.state,
      transferMs: Math.round(ms),
      transferMiBps: Math.round((bytes / 1048576 / ms) * 1000),
      opensslSha512Ms: Math.round(baseline),
      ratioVsOpensslSha512: Number((ms / baseline).toFixed(2)),
    }),
  )
  await c.close()
} finally {
  await rm(dir, { recursive: true, force: true })
}
