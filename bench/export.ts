/**
 * Tenant export / import benchmark: one tenant holding BENCH_MIB MiB of binaries (BENCH_FILES files) is
 * exported to a BagIt bag and imported into a fresh instance; beside them, `openssl dgst -sha512` over
 * the same bytes (the physical baseline: an export reads, verifies and re-hashes every byte; an import
 * hashes the bag once to validate it, then writes every byte to two offers, verified).
 * Run: node --import tsx bench/export.ts   Options (env): BENCH_MIB (default 256), BENCH_FILES (default 4).
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { loadConfig } from '../src/config/config.js'
import { buildContainer } from '../src/main/container.js'
import { initInstance } from '../src/main/instance.js'
import { silentLogger } from '../src/platform/log.js'
import { SYSTEM_PRINCIPAL } from '../src/modules/tenancy/index.js'
import { writeSipZip } from '../test/helpers/sip.js'

const MIB = Number(process.env.BENCH_MIB ?? 256)
const FILES = Number(process.env.BENCH_FILES ?? 4)
const dir = await mkdtemp(path.join(os.tmpdir(), 'saeh-bench-export-'))
const instance = async (name: string) => {
  const home = path.join(dir, name)
  const c = await buildContainer(loadConfig({ SAEH_HOME: home }), { log: silentLogger() })
  await initInstance(c)
  return c
}
try {
  const src = await instance('src')
  await src.tenancy.createTenant(SYSTEM_PRINCIPAL, { id: 'bench', name: 'Bench' })
  await src.referential.loadDefaults('bench', 'bench')
  const per = Math.floor((MIB * 1024 * 1024) / FILES)
  const files = Array.from({ length: FILES }, (_, i) => ({ name: `f${i}.bin`, bytes: randomBytes(per) }))
  const raw = path.join(dir, 'raw.bin')
  await writeFile(raw, Buffer.concat(files.map((f) => f.bytes)))
  const sip = await writeSipZip(path.join(dir, 'sip.zip'), { files })
  const r = await src.ingest.ingestFile({
    tenantId: 'bench',
    packagePath: sip,
    fileName: 'sip.zip',
    agent: 'bench',
  })
  if (r.status !== 'OK') throw new Error(`ingest ${r.status}`)
  files.length = 0

  let t = performance.now()
  execFileSync('openssl', ['dgst', '-sha512', raw], { stdio: 'ignore' })
  const openssl = (performance.now() - t) / 1000

  t = performance.now()
  await src.exports.exportTenant('bench', path.join(dir, 'bag'), 'bench')
  const exp = (performance.now() - t) / 1000
  await src.close()

  const dst = await instance('dst')
  t = performance.now()
  await dst.exports.importBag(path.join(dir, 'bag'), 'bench')
  const imp = (performance.now() - t) / 1000
  await dst.close()

  const mb = (per * FILES) / 1048576
  const line = (what: string, s: number) =>
    `${what.padEnd(34)} ${s.toFixed(2).padStart(7)} s ${(mb / s).toFixed(0).padStart(6)} MiB/s  ${(s / openssl).toFixed(2)}× openssl`
  console.log(
    `${mb.toFixed(0)} MiB in ${FILES} files, rss ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`,
  )
  console.log(line('openssl dgst -sha512 (baseline)', openssl))
  console.log(line('saeh export tenant (2 fs offers)', exp))
  console.log(line('saeh import (validate + 2 offers)', imp))
} finally {
  await rm(dir, { recursive: true, force: true })
}
