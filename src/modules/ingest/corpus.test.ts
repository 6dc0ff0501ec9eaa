import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { createTestContainer } from '../../../test/helpers/container.js'
import { testDialects } from '../../../test/helpers/db.js'
import {
  CORPUS_REFERENTIALS,
  CORPUS_SKIP_REASON,
  EXCLUDED,
  KNOWN_DISAGREEMENTS,
  corpusDir,
  corpusPackages,
  hasCorpus,
  referentialBytes,
} from '../../../test/corpus/vitam-corpus.js'
import { initInstance } from '../../main/instance.js'
import { SYSTEM_PRINCIPAL } from '../tenancy/index.js'

/**
 * Ingests every package of the Vitam corpus (sip-ok expected accepted, sip-ko expected KO) and compares
 * the final status with Vitam's verdict. Target: at least 95 % agreement; the packages left out and the
 * known disagreements are listed, with their reasons, in test/corpus/vitam-corpus.ts and docs/ingest.md.
 */
if (!hasCorpus()) {
  it.skip(CORPUS_SKIP_REASON)
} else {
  // The corpus runs on SQLite always; on PostgreSQL too when it is configured (CI).
  for (const dialect of testDialects()) {
    describe(`Vitam corpus agreement (${dialect})`, () => {
      let inst: Awaited<ReturnType<typeof createTestContainer>>
      before(async () => {
        inst = await createTestContainer(dialect)
        await initInstance(inst.c)
        await inst.c.tenancy.createTenant(SYSTEM_PRINCIPAL, { id: 'vitam', name: 'Corpus Vitam' })
        for (const [kind, ...files] of CORPUS_REFERENTIALS) {
          await inst.c.referential.import('vitam', kind, referentialBytes(files), 'system')
        }
      })
      after(() => inst.close())

      it('agrees with Vitam on at least 95 % of the packages', async () => {
        let agree = 0
        let counted = 0
        const disagreements: string[] = []
        for (const p of corpusPackages()) {
          const r = await inst.c.ingest.ingestFile({
            tenantId: 'vitam',
            packagePath: join(corpusDir(), 'vitam', p.file),
            fileName: p.file,
            agent: 'system',
          })
          assert.notEqual(r.status, 'FATAL', `${p.file} ended FATAL: ${JSON.stringify(r.events.slice(-3))}`)
          if (EXCLUDED[p.file]) continue
          counted++
          const accepted = r.status === 'OK' || r.status === 'WARNING'
          if (accepted === p.expectAccepted) agree++
          else
            disagreements.push(
              `${p.file}: Vitam ${p.expectAccepted ? 'accepts' : 'refuses'}, SAEH ${r.status}`,
            )
        }
        const rate = agree / counted
        console.log(
          `# Vitam corpus (${dialect}): ${agree}/${counted} = ${(100 * rate).toFixed(1)} % agreement, ${Object.keys(EXCLUDED).length} excluded`,
        )
        for (const d of disagreements) console.log(`#   disagreement: ${d}`)
        assert.ok(rate >= 0.95, `agreement ${(100 * rate).toFixed(1)} % is below 95 %`)
        const unexplained = disagreements.filter((d) => !KNOWN_DISAGREEMENTS[d.split(':')[0]!])
        assert.deepEqual(unexplained, [], 'every disagreement is known and explained')
        assert.equal((await inst.c.audit.verify('vitam')).ok, true)
      })
    })
  }
}
