import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { POSTGRES_SKIP_REASON, testDialects } from '../../../test/helpers/db.js'
import type { AppError } from '../../platform/errors.js'
import type { ReferentialError } from './index.js'
import { addTenant, csv, json, openReferentialTestDb, snapshot } from './referential.test-support.js'

if (!process.env.SAEH_TEST_DATABASE_URL)
  it.skip(`referential service on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

const HEADER = 'RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement'
const RULES_V1 = csv([
  HEADER,
  'APP-00001,AppraisalRule,Délibérations,"Conservation des délibérations\nà partir de la séance",1,YEAR',
  'APP-00002,AppraisalRule,Factures,,10,year',
  'ACC-00001,AccessRule,Libre communicabilité,,0,YEAR',
  'HOL-00001,HoldRule,Gel sans durée,,,',
])
const RULES_V2 = csv([
  HEADER,
  'APP-00001,AppraisalRule,Délibérations,"Conservation des délibérations\nà partir de la séance",1,YEAR',
  'APP-00002,AppraisalRule,Factures,Pièces comptables,10,YEAR',
  'ACC-00002,AccessRule,Vie privée,,50,YEAR',
  'HOL-00001,HoldRule,Gel sans durée,,,',
])
const AGENCIES = csv([
  'Identifier,Name,Description,EntityType',
  'AD99,Archives départementales (exemple),Service d’archives,corporateBody',
  'C21234,Commune de Saint-Exemple,,',
])

function refusal(e: unknown, code: string): AppError {
  const err = e as AppError
  assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`)
  return err
}

async function rejects(p: Promise<unknown>, code: string): Promise<AppError> {
  try {
    await p
  } catch (e) {
    return refusal(e, code)
  }
  assert.fail(`expected ${code}`)
}

for (const dialect of testDialects()) {
  describe(`referential service (${dialect})`, () => {
    let t: Awaited<ReturnType<typeof openReferentialTestDb>>

    before(async () => {
      t = await openReferentialTestDb(dialect, ['ad99', 'c1', 'c2'])
    })
    after(() => t.close())

    it('imports a rules CSV, lists it and logs the operation with its counts', async () => {
      const r = await t.service.import('ad99', 'rules', RULES_V1, 'admin')
      assert.deepEqual(
        {
          created: r.created,
          updated: r.updated,
          deleted: r.deleted,
          unchanged: r.unchanged,
          total: r.total,
        },
        { created: 4, updated: 0, deleted: 0, unchanged: 0, total: 4 },
      )
      const rules = await t.service.list('ad99', 'rules')
      assert.deepEqual(
        rules.map((x) => [x.ruleId, x.ruleType, x.ruleDuration, x.ruleMeasurement]),
        [
          ['ACC-00001', 'AccessRule', '0', 'YEAR'],
          ['APP-00001', 'AppraisalRule', '1', 'YEAR'],
          ['APP-00002', 'AppraisalRule', '10', 'YEAR'],
          ['HOL-00001', 'HoldRule', null, null],
        ],
      )
      assert.equal(rules[1]!.ruleDescription, 'Conservation des délibérations\nà partir de la séance')
      const rule = await t.service.getRule('ad99', 'APP-00002')
      assert.equal(rule?.ruleValue, 'Factures')
      assert.equal(await t.service.getRule('ad99', 'NOPE'), null)
      const op = await t.audit.getOperation('ad99', r.operationId)
      assert.equal(op.type, 'IMPORT_RULES')
      assert.equal(op.status, 'OK')
      assert.deepEqual(
        op.events.map((e) => [e.type, e.outcome, e.detail]),
        [
          ['CHECK_RULES', 'OK', 'CHECK_RULES.OK'],
          ['STP_IMPORT_RULES', 'OK', 'STP_IMPORT_RULES.OK'],
        ],
      )
      assert.equal(op.events[1]!.data?.created, 4)
      assert.equal(op.events[0]!.data?.sha512 !== undefined, true)
    })

    it('importing the same file again succeeds and changes nothing', async () => {
      const before = await snapshot(t.db, 'ad99')
      const r = await t.service.import('ad99', 'rules', RULES_V1, 'admin')
      assert.deepEqual([r.created, r.updated, r.deleted, r.unchanged], [0, 0, 0, 4])
      assert.equal(await snapshot(t.db, 'ad99'), before, 'no row touched, not even updated_at')
      const op = await t.audit.getOperation('ad99', r.operationId)
      assert.equal(op.status, 'OK')
    })

    it('replaces the referential as a whole: creates, updates and deletes', async () => {
      const r = await t.service.import('ad99', 'rules', RULES_V2, 'admin')
      assert.deepEqual(r.identifiers, {
        created: ['ACC-00002'],
        updated: ['APP-00002'],
        deleted: ['ACC-00001'],
      })
      assert.equal(r.unchanged, 2)
      const ids = (await t.service.list('ad99', 'rules')).map((x) => x.ruleId)
      assert.deepEqual(ids, ['ACC-00002', 'APP-00001', 'APP-00002', 'HOL-00001'])
    })

    it('refuses a file with errors whole, lists every error by line, changes nothing and logs a KO operation', async () => {
      const before = await snapshot(t.db, 'ad99')
      const bad = csv([
        HEADER,
        'APP-00001,AppraisalRule,Délibérations,,1,YEAR',
        'APP-00003,aPPraisalRule,X,,1,YEAR',
        'APP-00004,AppraisalRule,Y,,-3,YEAR',
        'APP-00001,AppraisalRule,Z,,1000,YEAR',
      ])
      const err = await rejects(t.service.import('ad99', 'rules', bad, 'admin'), 'REFERENTIAL_INVALID')
      assert.equal(err.kind, 'invalid')
      const errors = err.details?.errors as ReferentialError[]
      assert.deepEqual(
        errors.map((e) => [e.line, e.field, e.code]),
        [
          [3, 'RuleType', 'RULE_TYPE_UNKNOWN'],
          [4, 'RuleDuration', 'RULE_DURATION_INVALID'],
          [5, 'RuleId', 'DUPLICATE_IDENTIFIER'],
          [5, 'RuleDuration', 'RULE_DURATION_TOO_LONG'],
        ],
      )
      assert.ok(errors.every((e) => typeof e.message === 'string' && e.message.length > 0))
      assert.equal(await snapshot(t.db, 'ad99'), before)
      const op = await t.audit.getOperation('ad99', err.details?.operationId as string)
      assert.equal(op.status, 'KO')
      assert.equal(op.events[0]!.detail, 'CHECK_RULES.INVALID_CSV.KO')
      assert.equal((await t.audit.verify('ad99')).ok, true)
    })

    it('refuses deleting or re-categorising a rule that a registered checker says is in use', async () => {
      const unregister = t.service.registerInUseChecker(
        'rules',
        async (_trx, tenantId, ids) => (tenantId === 'ad99' ? ids.filter((id) => id === 'APP-00001') : []),
        { label: 'des unités archivistiques' },
      )
      try {
        const before = await snapshot(t.db, 'ad99')
        const withoutApp1 = csv([HEADER, 'APP-00002,AppraisalRule,Factures,Pièces comptables,10,YEAR'])
        const err = await rejects(
          t.service.import('ad99', 'rules', withoutApp1, 'admin'),
          'REFERENTIAL_IN_USE',
        )
        assert.equal(err.kind, 'conflict')
        assert.deepEqual(err.details?.inUse, [
          { identifier: 'APP-00001', change: 'deleted', usedBy: ['des unités archivistiques'] },
        ])
        assert.match(err.message, /APP-00001/)
        const recategorised = csv([
          HEADER,
          'APP-00001,AccessRule,Délibérations,,1,YEAR',
          'APP-00002,AppraisalRule,Factures,Pièces comptables,10,YEAR',
        ])
        const err2 = await rejects(
          t.service.import('ad99', 'rules', recategorised, 'admin'),
          'REFERENTIAL_IN_USE',
        )
        assert.equal((err2.details?.inUse as Array<{ change: string }>)[0]!.change, 'modified')
        assert.equal(await snapshot(t.db, 'ad99'), before)
        const op = await t.audit.getOperation('ad99', err.details?.operationId as string)
        assert.equal(op.events[0]!.detail, 'STP_IMPORT_RULES.DELETION.KO')
      } finally {
        unregister()
      }
      // Once nothing uses it any more, the same file goes through.
      const ok = await t.service.import(
        'ad99',
        'rules',
        csv([HEADER, 'APP-00002,AppraisalRule,Factures,Pièces comptables,10,YEAR']),
        'admin',
      )
      assert.equal(ok.deleted, 3)
    })

    it('keeps tenants apart: tenant B’s import never touches tenant A’s referential', async () => {
      await t.service.import('c1', 'rules', RULES_V1, 'admin')
      const a = await snapshot(t.db, 'c1')
      await t.service.import('c2', 'rules', RULES_V2, 'admin')
      await t.service.import('c2', 'rules', csv([HEADER, 'X-1,StorageRule,Stockage,,1,DAY']), 'admin')
      assert.equal(await snapshot(t.db, 'c1'), a)
      assert.deepEqual(
        (await t.service.list('c2', 'rules')).map((r) => r.ruleId),
        ['X-1'],
      )
      assert.equal(await t.service.getRule('c2', 'APP-00001'), null)
      await rejects(t.service.get('c2', 'rules', 'APP-00001'), 'REFERENTIAL_ENTRY_NOT_FOUND')
      assert.equal((await t.service.get('c1', 'rules', 'APP-00001')).ruleId, 'APP-00001')
      // An agency of tenant c1 does not satisfy an access contract of tenant c2.
      await t.service.import('c1', 'agencies', AGENCIES, 'admin')
      const err = await rejects(
        t.service.import(
          'c2',
          'access-contracts',
          json([{ Identifier: 'AC1', Name: 'A', OriginatingAgencies: ['AD99'] }]),
          'admin',
        ),
        'REFERENTIAL_INVALID',
      )
      assert.equal((err.details?.errors as ReferentialError[])[0]!.code, 'REFERENCE_UNKNOWN')
    })

    it('answers TENANT_NOT_FOUND and REFERENTIAL_KIND_UNKNOWN', async () => {
      await rejects(t.service.import('nope', 'rules', RULES_V1, 'admin'), 'TENANT_NOT_FOUND')
      await rejects(
        t.service.import('ad99', 'formatz' as 'rules', RULES_V1, 'admin'),
        'REFERENTIAL_KIND_UNKNOWN',
      )
      await rejects(t.service.loadDefaults('nope', 'admin'), 'TENANT_NOT_FOUND')
    })

    it('stores agencies with their additional columns', async () => {
      const r = await t.service.import('ad99', 'agencies', AGENCIES, 'admin')
      assert.equal(r.created, 2)
      const ad = await t.service.get('ad99', 'agencies', 'AD99')
      assert.deepEqual(ad.extra, { EntityType: 'corporateBody' })
      const c = await t.service.get('ad99', 'agencies', 'C21234')
      assert.equal(c.description, null)
      assert.deepEqual(c.extra, {})
      const again = await t.service.import('ad99', 'agencies', AGENCIES, 'admin')
      assert.equal(again.unchanged, 2)
    })

    it('checks an access contract’s agencies and refuses removing an agency a contract uses', async () => {
      const unknown = json([
        { Identifier: 'AC-X', Name: 'X', Status: 'ACTIVE', OriginatingAgencies: ['AD99', 'GHOST'] },
      ])
      const err = await rejects(
        t.service.import('ad99', 'access-contracts', unknown, 'admin'),
        'REFERENTIAL_INVALID',
      )
      const e = (err.details?.errors as ReferentialError[])[0]!
      assert.deepEqual([e.code, e.field, e.line], ['REFERENCE_UNKNOWN', 'OriginatingAgencies[1]', 8])
      assert.match(e.message, /GHOST/)
      const op = await t.audit.getOperation('ad99', err.details?.operationId as string)
      assert.equal(op.events[0]!.detail, 'CHECK_ACCESS_CONTRACT.UNKNOWN_REFERENCE.KO')

      await t.service.import(
        'ad99',
        'access-contracts',
        json([
          { Identifier: 'AC-1', Name: 'Lecture commune', Status: 'ACTIVE', OriginatingAgencies: ['C21234'] },
        ]),
        'admin',
      )
      const before = await snapshot(t.db, 'ad99')
      const inUse = await rejects(
        t.service.import('ad99', 'agencies', csv(['Identifier,Name,Description', 'AD99,AD,']), 'admin'),
        'REFERENTIAL_IN_USE',
      )
      assert.deepEqual(inUse.details?.inUse, [
        { identifier: 'C21234', change: 'deleted', usedBy: ['des contrats d’accès'] },
      ])
      assert.equal(await snapshot(t.db, 'ad99'), before)
      const contract = await t.service.get('ad99', 'access-contracts', 'AC-1')
      assert.equal(contract.status, 'ACTIVE')
      assert.equal(contract.body.WritingPermission, false, 'Vitam defaults are filled in')
      assert.equal(contract.body.Identifier, 'AC-1')
    })

    it('checks an ingest contract’s profiles and management contract', async () => {
      const ic = json([
        {
          Identifier: 'IC-1',
          Name: 'Délibérations',
          Status: 'ACTIVE',
          ArchiveProfiles: ['PR-DELIB'],
          ManagementContractId: 'MC-1',
        },
      ])
      const err = await rejects(
        t.service.import('ad99', 'ingest-contracts', ic, 'admin'),
        'REFERENTIAL_INVALID',
      )
      assert.deepEqual(
        (err.details?.errors as ReferentialError[]).map((e) => [e.field, e.code]),
        [
          ['ArchiveProfiles[0]', 'REFERENCE_UNKNOWN'],
          ['ManagementContractId', 'REFERENCE_UNKNOWN'],
        ],
      )
      await t.service.import(
        'ad99',
        'profiles',
        json([{ Identifier: 'PR-DELIB', Name: 'Délibérations', Format: 'RNG', Status: 'ACTIVE' }]),
        'admin',
      )
      await t.service.import(
        'ad99',
        'management-contracts',
        json([
          { Identifier: 'MC-1', Name: 'Gestion', Status: 'ACTIVE', Storage: { ObjectStrategy: 'default' } },
        ]),
        'admin',
      )
      const ok = await t.service.import('ad99', 'ingest-contracts', ic, 'admin')
      assert.equal(ok.created, 1)
      await rejects(
        t.service.import(
          'ad99',
          'profiles',
          json([{ Identifier: 'PR-2', Name: 'Autre', Format: 'XSD' }]),
          'admin',
        ),
        'REFERENTIAL_IN_USE',
      )
      await rejects(
        t.service.import(
          'ad99',
          'management-contracts',
          json([{ Identifier: 'MC-2', Name: 'Autre' }]),
          'admin',
        ),
        'REFERENTIAL_IN_USE',
      )
      await rejects(
        t.service.import(
          'ad99',
          'management-contracts',
          json([{ Identifier: 'MC-1', Name: 'Gestion', Storage: { UnitStrategy: 'bande-magnetique' } }]),
          'admin',
        ),
        'REFERENTIAL_INVALID',
      )
    })

    it('refuses archive units it cannot resolve, and accepts them once a resolver knows them', async () => {
      const ac = json([
        { Identifier: 'AC-NODES', Name: 'Noeuds', RootUnits: ['unit-1'], OriginatingAgencies: [] },
      ])
      const err = await rejects(
        t.service.import('c1', 'access-contracts', ac, 'admin'),
        'REFERENTIAL_INVALID',
      )
      assert.match((err.details?.errors as ReferentialError[])[0]!.message, /unit-1/)
      const off = t.service.registerReferenceResolver('units', async (_trx, tenantId, ids) =>
        tenantId === 'c1' ? ids.filter((i) => i === 'unit-1') : [],
      )
      try {
        assert.equal((await t.service.import('c1', 'access-contracts', ac, 'admin')).created, 1)
      } finally {
        off()
      }
    })

    it('checks FormatType against the platform’s format referential once it is loaded', async () => {
      const ic = json([
        { Identifier: 'IC-F', Name: 'Formats', EveryFormatType: false, FormatType: ['fmt/354', 'fmt/999'] },
      ])
      await t.service.import('c2', 'ingest-contracts', ic, 'admin') // no format referential yet: syntax only
      await t.db.kysely
        .insertInto('format')
        .values({ puid: 'fmt/354', name: 'PDF/A-1b', version: null, mime_types: null, extensions: null })
        .execute()
      try {
        const err = await rejects(
          t.service.import('c2', 'ingest-contracts', ic, 'admin'),
          'REFERENTIAL_INVALID',
        )
        assert.deepEqual(
          (err.details?.errors as ReferentialError[]).map((e) => [e.field, e.code]),
          [['FormatType[1]', 'REFERENCE_UNKNOWN']],
        )
      } finally {
        await t.db.kysely.deleteFrom('format').execute()
      }
    })

    it('gives contracts without Identifier one, as Vitam does, and keeps it on re-import', async () => {
      await addTenant(t.db, 'c3')
      const file = json([{ Name: 'Contrat A' }, { Name: 'Contrat B', Status: 'ACTIVE' }])
      const r = await t.service.import('c3', 'ingest-contracts', file, 'admin')
      assert.deepEqual(r.identifiers.created, ['IC-000001', 'IC-000002'])
      const again = await t.service.import('c3', 'ingest-contracts', file, 'admin')
      assert.deepEqual([again.created, again.updated, again.deleted, again.unchanged], [0, 0, 0, 2])
      const b = await t.service.get('c3', 'ingest-contracts', 'IC-000002')
      assert.deepEqual(
        [b.name, b.status, b.body.EveryFormatType, b.body.MasterMandatory],
        ['Contrat B', 'ACTIVE', true, true],
      )
      const a = await t.service.get('c3', 'ingest-contracts', 'IC-000001')
      assert.equal(a.status, 'INACTIVE', 'Vitam’s default status')
    })

    it('serialises concurrent imports of one tenant: each sees the previous one’s result', async () => {
      await addTenant(t.db, 'c4')
      const results = await Promise.all(
        [1, 2, 3].map(() => t.service.import('c4', 'rules', RULES_V1, 'admin')),
      )
      assert.deepEqual(results.map((r) => r.created).sort(), [0, 0, 4])
      assert.equal((await t.service.list('c4', 'rules')).length, 4)
      assert.equal((await t.audit.verify('c4')).ok, true)
    })

    it('loads the shipped defaults in one operation, and loading them again changes nothing', async () => {
      await addTenant(t.db, 'd1')
      const r = await t.service.loadDefaults('d1', 'system')
      assert.deepEqual(
        r.results.map((x) => x.kind),
        ['agencies', 'rules', 'ingest-contracts', 'access-contracts'],
      )
      assert.ok(r.results.every((x) => x.created > 0 && x.created === x.total))
      const op = await t.audit.getOperation('d1', r.operationId)
      assert.equal(op.type, 'IMPORT_DEFAULT_REFERENTIALS')
      assert.equal(op.events.length, 8)
      const before = await snapshot(t.db, 'd1')
      const again = await t.service.loadDefaults('d1', 'system')
      assert.ok(again.results.every((x) => x.created + x.updated + x.deleted === 0))
      assert.equal(await snapshot(t.db, 'd1'), before)
      const acc = await t.service.getRule('d1', 'ACC-00001')
      assert.deepEqual([acc?.ruleType, acc?.ruleDuration, acc?.ruleMeasurement], ['AccessRule', '0', 'YEAR'])
      const ic = await t.service.list('d1', 'ingest-contracts')
      const ac = await t.service.list('d1', 'access-contracts')
      assert.equal(ic.length, 1)
      assert.equal(ac.length, 1)
      assert.equal(ic[0]!.status, 'ACTIVE')
      assert.equal(ac[0]!.status, 'ACTIVE')
      assert.equal((await t.audit.verify('d1')).ok, true)
    })
  })
}
