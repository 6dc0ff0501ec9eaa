import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { createTestContainer } from '../../../test/helpers/container.js'
import { testDialects } from '../../../test/helpers/db.js'
import {
  CORPUS_REFERENTIALS,
  CORPUS_SKIP_REASON,
  corpusDir,
  hasCorpus,
  referentialBytes,
} from '../../../test/corpus/vitam-corpus.js'
import { initInstance } from '../../main/instance.js'
import { SYSTEM_PRINCIPAL } from '../tenancy/index.js'
import type { Container } from '../../main/container.js'
import type { CategoryView } from './index.js'

/**
 * The Vitam packages built for rule inheritance, ingested with the corpus referentials. The Vitam
 * itests features that use them (vitam-itests `access-archive-unit-inherited-rules-*.feature`,
 * `access-archive-unit-rule-inheritance-*.feature`) are not in the corpus: only their names and final
 * outcome are (INDEX.md). Each check below says where its expectation comes from: the itests outcome
 * (accepted), or the SEDA 2.1 §2.3.5 / Vitam inheritance semantics (docs/rules.md) applied to the
 * package's tree.
 */
if (!hasCorpus()) {
  it.skip(CORPUS_SKIP_REASON)
} else {
  for (const dialect of testDialects()) {
    describe(`rules on the Vitam inheritance packages (${dialect})`, () => {
      let inst: Awaited<ReturnType<typeof createTestContainer>>
      let c: Container
      before(async () => {
        inst = await createTestContainer(dialect)
        c = inst.c
        await initInstance(c)
        await c.tenancy.createTenant(SYSTEM_PRINCIPAL, { id: 'vitam', name: 'Corpus Vitam' })
        for (const [kind, ...files] of CORPUS_REFERENTIALS) {
          await c.referential.import('vitam', kind, referentialBytes(files), 'system')
        }
      })
      after(() => inst.close())

      /** Ingests a corpus package; returns SEDA id → unit view. */
      async function load(file: string) {
        const r = await c.ingest.ingestFile({
          tenantId: 'vitam',
          packagePath: join(corpusDir(), 'vitam', file),
          fileName: file,
          agent: 'system',
        })
        // Vitam itests: final outcome OK.
        assert.ok(r.status === 'OK' || r.status === 'WARNING', `${file}: ${r.status}`)
        const rows = await c.db.kysely
          .selectFrom('archive_unit')
          .select(['id', 'seda_id'])
          .where('operation_id', '=', r.operationId)
          .execute()
        const bySeda = new Map(rows.map((u) => [u.seda_id!, u.id]))
        const sys = (seda: string) => bySeda.get(seda)!
        const unit = async (seda: string) => c.catalog.getUnit('vitam', sys(seda))
        const ids = async (seda: string, category: string) =>
          (await unit(seda)).rules
            .filter((x) => x.category === category)
            .map((x) => x.ruleId)
            .sort()
        const cat = async (seda: string, category: string) =>
          ((await unit(seda)).computedRules as Record<string, CategoryView>)[category]
        return { sys, unit, ids, cat, count: rows.length }
      }

      it('OK_PREVENT_INHERITANCE: PreventInheritance stops one category only, below the unit that sets it', async () => {
        const p = await load('sip-ok/OK_PREVENT_INHERITANCE.zip')
        // Branch 1: AU12 prevents StorageRule inheritance (R1 of AU11 not inherited), declares FinalAction Copy.
        assert.deepEqual(await p.ids('AU12', 'StorageRule'), [])
        assert.equal((await p.cat('AU12', 'StorageRule'))?.finalAction?.value, 'Copy')
        assert.deepEqual(await p.ids('AU12', 'AccessRule'), ['ACC-00001'], 'other categories still inherit')
        assert.deepEqual(await p.ids('AU15', 'StorageRule'), ['R3', 'R4'])
        // AU16 is referenced under AU14 (ArchiveUnitRefId): it inherits through that parent.
        assert.deepEqual(await p.ids('AU16', 'StorageRule'), ['R3', 'R4'])
        // Branch 3: AU34 declares R4 and prevents inheritance: R1, R3 stop there.
        assert.deepEqual(await p.ids('AU33', 'StorageRule'), ['R1', 'R3'])
        assert.deepEqual(await p.ids('AU34', 'StorageRule'), ['R4'])
        assert.deepEqual(await p.ids('AU35', 'StorageRule'), ['R4'])
        assert.deepEqual(await p.ids('AU36', 'StorageRule'), ['R4'])
        // Branch 4: AU42 prevents AccessRule inheritance only.
        assert.deepEqual(await p.ids('AU42', 'AccessRule'), [])
        assert.deepEqual(await p.ids('AU45', 'AccessRule'), [])
        assert.deepEqual(await p.ids('AU45', 'StorageRule'), ['R1', 'R3', 'R4'])
        const r4 = (await p.cat('AU45', 'StorageRule'))!.rules.find((r) => r.ruleId === 'R1')!
        assert.equal(r4.origin, p.sys('AU41'))
        assert.deepEqual(r4.path, ['AU41', 'AU42', 'AU43', 'AU44', 'AU45'].map(p.sys))
        assert.equal(r4.endDate, '2018-01-01', 'R1 = 1 year from 2017-01-01')
        // ACC-00001 (0 year) on AU41: communicable at once; AU45 has no access rule: L213-1.
        assert.equal(((await p.unit('AU41')).communicability as { status: string }).status, 'immediate')
        assert.deepEqual((await p.unit('AU45')).communicability, {
          status: 'immediate',
          from: null,
          legalBasis: 'Code du patrimoine, art. L213-1 (communicabilité de plein droit)',
          ruleIds: [],
        })
      })

      it('OK-RULES-MDRULES: properties are inherited with their origin and overridden where redeclared', async () => {
        const p = await load('sip-ok/OK-RULES-MDRULES.zip')
        const id2 = await p.cat('ID2', 'AppraisalRule')
        assert.deepEqual(id2!.rules.map((r) => [r.ruleId, r.origin, r.endDate]).sort(), [
          ['APP-00001', p.sys('ID1'), '2062-09-01'],
          ['APP-00002', p.sys('ID1'), '1987-09-01'],
        ])
        assert.equal(id2!.maxEndDate, '2062-09-01')
        assert.deepEqual(id2!.finalAction, { value: 'Keep', origin: p.sys('ID1'), inherited: true })
        // ID3 redeclares FinalAction Destroy and the classification properties; rules still inherited.
        const id3 = await p.cat('ID3', 'AppraisalRule')
        assert.deepEqual(id3!.finalAction, { value: 'Destroy', origin: p.sys('ID3'), inherited: false })
        assert.deepEqual(await p.ids('ID3', 'AppraisalRule'), ['APP-00001', 'APP-00002'])
        const cl = await p.cat('ID4', 'ClassificationRule')
        assert.deepEqual(cl!.properties.map((x) => [x.name, x.value, x.origin]).sort(), [
          ['ClassificationLevel', 'Confidentiel Défense', p.sys('ID3')],
          ['ClassificationOwner', 'Pablo', p.sys('ID3')],
        ])
        assert.deepEqual(await p.ids('ID4', 'ClassificationRule'), ['CLASS-00001'])
        // StorageRule block with only a FinalAction: the property is inherited, no rule.
        assert.deepEqual((await p.cat('ID4', 'StorageRule'))!.finalAction?.value, 'Copy')
        assert.deepEqual(await p.ids('ID4', 'StorageRule'), [])
        const life = await c.db.kysely
          .selectFrom('unit_lifecycle')
          .selectAll()
          .where('unit_id', '=', p.sys('ID4'))
          .executeTakeFirstOrThrow()
        assert.equal(life.final_action, 'Destroy')
        assert.equal(life.appraisal_end_date, '2062-09-01')
      })

      it('InheritedRules-SIP-Ambassade: a six-level chain without any rule inherits nothing', async () => {
        const p = await load('sip-ok/InheritedRules-SIP-Ambassade_de_France_en_Ruritanie.zip')
        assert.equal(p.count, 6)
        for (const seda of ['ID3', 'ID4', 'ID6', 'ID8', 'ID10', 'ID14']) {
          const u = await p.unit(seda)
          assert.deepEqual(u.rules, [], seda)
          assert.equal((u.communicability as { status: string }).status, 'immediate')
        }
        // No appraisal rule, no FinalAction: SAEH never treats it as eliminable (Vitam's default Keep).
        const life = await c.db.kysely
          .selectFrom('unit_lifecycle')
          .selectAll()
          .where('unit_id', '=', p.sys('ID14'))
          .executeTakeFirstOrThrow()
        assert.equal(life.final_action, null)
        assert.equal(life.appraisal_end_date, null)
      })
    })
  }
}
