// Ingests every package of the Vitam corpus (sip-ok, sip-ko) into a fresh embedded instance and prints
// the agreement with Vitam's verdicts. `node --import tsx bench/corpus-agreement.ts [--md]`
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../src/config/config.js'
import { buildContainer } from '../src/main/container.js'
import { initInstance } from '../src/main/instance.js'
import { SYSTEM_PRINCIPAL } from '../src/modules/tenancy/index.js'
import { silentLogger } from '../src/platform/log.js'
import {
  CORPUS_REFERENTIALS,
  EXCLUDED,
  corpusDir,
  corpusPackages,
  referentialBytes,
} from '../test/corpus/vitam-corpus.js'

const dir = await mkdtemp(join(tmpdir(), 'saeh-corpus-'))
const c = await buildContainer(loadConfig({ SAEH_HOME: dir }), { log: silentLogger() })
await initInstance(c)
await c.tenancy.createTenant(SYSTEM_PRINCIPAL, { id: 'vitam', name: 'Corpus Vitam' })
for (const [kind, ...files] of CORPUS_REFERENTIALS) {
  await c.referential.import('vitam', kind, referentialBytes(files), 'system')
}
const rows: string[] = []
let agree = 0
let counted = 0
for (const p of corpusPackages()) {
  const t0 = Date.now()
  const r = await c.ingest.ingestFile({
    tenantId: 'vitam',
    packagePath: join(corpusDir(), 'vitam', p.file),
    fileName: p.file,
    agent: 'system',
  })
  const accepted = r.status === 'OK' || r.status === 'WARNING'
  const excluded = EXCLUDED[p.file]
  const ok = accepted === p.expectAccepted
  if (!excluded) {
    counted++
    if (ok) agree++
  }
  const firstKo = r.events.find((e) => e.outcome === 'KO' || e.outcome === 'FATAL')
  rows.push(
    `| ${p.file} | ${p.expectAccepted ? 'accepted' : 'KO'} | ${r.status} | ${excluded ? 'excluded' : ok ? 'yes' : '**no**'} | ${(excluded ?? (firstKo ? `${firstKo.detail}: ${firstKo.message}` : '')).replace(/\|/g, '/').slice(0, 160)} | ${Date.now() - t0} |`,
  )
}
console.log('| package | Vitam | SAEH | agree | first KO event / reason | ms |')
console.log('|---|---|---|---|---|---|')
for (const r of rows) console.log(r)
console.log(
  `\nagreement: ${agree}/${counted} = ${((100 * agree) / counted).toFixed(1)} % (${Object.keys(EXCLUDED).length} excluded)`,
)
await c.close()
await rm(dir, { recursive: true, force: true })
