import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { sql } from 'kysely'
import yazl from 'yazl'
import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import { filesUnder } from '../../../test/helpers/files.js'
import { createTestContainer } from '../../../test/helpers/container.js'
import { testDialects, POSTGRES_SKIP_REASON } from '../../../test/helpers/db.js'
import { PDF_BYTES, manifestXml, writeSipZip, type SipOptions } from '../../../test/helpers/sip.js'
import { initInstance } from '../../main/instance.js'
import { SYSTEM_PRINCIPAL } from '../tenancy/index.js'
import { validateSedaMessage } from '../seda/index.js'
import type { Container } from '../../main/container.js'
import type { IngestResult } from './index.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`ingest on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

for (const dialect of testDialects()) {
  describe(`ingest (${dialect})`, () => {
    let inst: Awaited<ReturnType<typeof createTestContainer>>
    let c: Container
    let n = 0
    const sip = async (o: SipOptions = {}) => writeSipZip(join(inst.dir, `sip-${++n}.zip`), o)
    const ingest = async (path: string, extra: { contractId?: string; tenantId?: string } = {}) =>
      c.ingest.ingestFile({
        tenantId: extra.tenantId ?? 'default',
        packagePath: path,
        fileName: path.split('/').pop()!,
        contractId: extra.contractId ?? null,
        agent: 'test',
      })

    async function assertNothingStored(r: IngestResult) {
      assert.equal(r.units, 0)
      assert.equal(r.objects, 0)
      for (const t of ['archive_unit', 'data_object', 'object_group'] as const) {
        const row = await c.db.kysely
          .selectFrom(t)
          .select(sql<number>`count(*)`.as('n'))
          .where('operation_id', '=', r.operationId)
          .executeTakeFirstOrThrow()
        assert.equal(Number(row.n), 0, `no ${t} row for a refused ingest`)
      }
      for (const offer of c.storage.offers) {
        const keys: string[] = []
        for await (const h of offer.list(`default/${r.operationId}/`)) keys.push(h.key)
        assert.deepEqual(keys, [], `offer ${offer.id} holds nothing of the refused ingest`)
      }
      for (const o of c.config.offers) {
        if (o.kind === 'fs') assert.deepEqual(filesUnder(join(o.root, 'default', r.operationId)), [])
      }
      assert.equal(existsSync(join(c.config.home, 'staging', r.operationId)), false, 'no staging left behind')
      const atr = await c.ingest.atrOf('default', r.operationId)
      assert.match(atr, /<ReplyCode>(?!000)\d{3}<\/ReplyCode>/)
      const v = await validateSedaMessage(Buffer.from(atr), (r.sedaVersion ?? '2.1') as '2.1')
      assert.equal(v.valid, true, `the KO ATR is valid SEDA: ${JSON.stringify(v.errors.slice(0, 2))}`)
    }

    async function refused(o: SipOptions | string, eventType: RegExp, message: RegExp, contractId?: string) {
      const path = typeof o === 'string' ? o : await sip(o)
      const r = await ingest(path, contractId ? { contractId } : {})
      assert.equal(r.status, 'KO', JSON.stringify(r.events.slice(-4)))
      const ko = r.events.find((e) => e.outcome === 'KO')!
      assert.match(ko.type, eventType)
      assert.match(ko.message ?? '', message)
      await assertNothingStored(r)
      return r
    }

    before(async () => {
      inst = await createTestContainer(dialect)
      c = inst.c
      await initInstance(c)
    })
    after(() => inst.close())

    it('accepts a valid transfer, stores every byte on every offer and answers with a valid ATR', async () => {
      const r = await ingest(await sip({ physical: { id: 'P1', physicalId: 'REG-1952-001' } }))
      assert.equal(r.status, 'OK', JSON.stringify(r.events.filter((e) => e.outcome !== 'OK')))
      assert.equal(r.sedaVersion, '2.2')
      assert.equal(r.units, 3)
      assert.equal(r.objects, 1)
      assert.equal(r.physicalObjects, 1)
      assert.equal(r.bytes, PDF_BYTES.length)
      assert.equal(r.replyCode, '000')
      const atr = await c.ingest.atrOf('default', r.operationId)
      assert.match(atr, /<ReplyCode>000<\/ReplyCode>/)
      assert.equal((await validateSedaMessage(Buffer.from(atr), '2.2')).valid, true)

      const units = await c.catalog.listUnits('default', { operationId: r.operationId })
      assert.equal(units.total, 3)
      const item = units.results.find((u) => u.title === 'Délibération du 12 janvier 2024')!
      assert.ok(item, 'the item unit carries its title')
      assert.equal(item.objects.length, 1)
      const obj = item.objects[0]!
      assert.equal(obj.digest, createHash('sha512').update(PDF_BYTES).digest('hex'))
      assert.equal(obj.format, 'fmt/18')
      assert.match(atr, new RegExp(item.id), 'the ATR gives the system id of each unit')

      const detail = await c.catalog.getUnit('default', item.id)
      const appraisal = detail.rules.find((x) => x.category === 'AppraisalRule')!
      assert.deepEqual(
        {
          ruleId: appraisal.ruleId,
          start: appraisal.startDate,
          end: appraisal.endDate,
          inherited: appraisal.inherited,
        },
        { ruleId: 'APP-COM-0001', start: '2024-01-12', end: '2025-01-12', inherited: true },
      )
      assert.equal(detail.rules.find((x) => x.category === 'AccessRule')!.endDate, '2049-01-12')
      assert.ok(JSON.stringify(detail.content).includes('2024-01-12'), 'the whole Content is kept')

      const phys = units.results.find((u) => u.title === 'Registre papier')!.objects[0]!
      assert.equal(phys.kind, 'physical')
      assert.equal(phys.physicalId, 'REG-1952-001')

      // every offer holds the exact bytes, as one plain file
      for (const o of c.config.offers) {
        if (o.kind !== 'fs') continue
        const files = filesUnder(join(o.root))
        assert.ok(
          files.some((f) => readFileSync(f).equals(PDF_BYTES)),
          `offer ${o.root} holds the PDF byte for byte`,
        )
      }
      const opened = await c.storage.open(`default/${r.operationId}/${obj.id}`, { sha512: obj.digest! })
      const chunks: Buffer[] = []
      for await (const ch of opened.body) chunks.push(ch as Buffer)
      assert.ok(Buffer.concat(chunks).equals(PDF_BYTES))
      assert.equal((await c.audit.verify('default')).ok, true)
    })

    it('accepts tar and tar.gz packages the same way', async () => {
      const dir = join(inst.dir, `tar-${++n}`)
      execFileSync('mkdir', ['-p', join(dir, 'Content')])
      writeFileSync(join(dir, 'manifest.xml'), manifestXml())
      writeFileSync(join(dir, 'Content', 'deliberation-2024-01.pdf'), PDF_BYTES)
      execFileSync('tar', ['-C', dir, '-cf', `${dir}.tar`, 'manifest.xml', 'Content'])
      execFileSync('tar', ['-C', dir, '-czf', `${dir}.tar.gz`, 'manifest.xml', 'Content'])
      for (const p of [`${dir}.tar`, `${dir}.tar.gz`]) {
        const r = await ingest(p)
        assert.equal(r.status, 'OK', `${p}: ${JSON.stringify(r.events.filter((e) => e.outcome !== 'OK'))}`)
        assert.equal(r.objects, 1)
      }
    })

    it('warns, but accepts, when a declared size is wrong', async () => {
      const r = await ingest(await sip({ files: [{ name: 'a.pdf', bytes: PDF_BYTES, declaredSize: 12 }] }))
      assert.equal(r.status, 'WARNING')
      assert.equal(r.replyCode, '000')
      assert.ok(
        r.events.some(
          (e) => e.type === 'CHECK_OBJECT_SIZE' && e.outcome === 'WARNING' && /O0/.test(e.message ?? ''),
        ),
      )
    })

    it('refuses a digest mismatch, naming the object, and stores nothing', async () => {
      const r = await refused(
        {
          files: [
            { name: 'a.pdf', bytes: PDF_BYTES },
            { name: 'b.pdf', bytes: PDF_BYTES, declaredSha512: 'ab'.repeat(64) },
          ],
        },
        /^CHECK_DIGEST$/,
        /O1.*b\.pdf/,
      )
      assert.equal(r.replyCode, '207')
    })

    it('refuses digests with an unknown algorithm', async () => {
      await refused(
        { files: [{ name: 'a.pdf', bytes: PDF_BYTES, declaredAlgorithm: 'SHA-999' }] },
        /CHECK_MANIFEST/,
        /SHA-999/,
      )
    })

    it('refuses hostile manifests: external entity, billion laughs, DTD, invalid UTF-8', async () => {
      const xxe = (x: string) =>
        x
          .replace(
            '<ArchiveTransfer',
            '<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<ArchiveTransfer',
          )
          .replace('Versement de test', '&x;')
      await refused({ transformManifest: xxe }, /CHECK_SEDA/, /DOCTYPE|DTD|entit/i)
      const laughs = (x: string) =>
        x
          .replace(
            '<ArchiveTransfer',
            `<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">${Array.from({ length: 9 }, (_, i) => `<!ENTITY ${String.fromCharCode(98 + i)} "${`&${String.fromCharCode(97 + i)};`.repeat(10)}">`).join('')}]>\n<ArchiveTransfer`,
          )
          .replace('Versement de test', '&j;')
      await refused({ transformManifest: laughs }, /CHECK_SEDA/, /DOCTYPE|DTD|entit/i)
      const badUtf8 = (x: string) => x.replace('Versement de test', 'Versement \u0000de test')
      const path = await sip({ transformManifest: badUtf8 })
      // write real invalid UTF-8 bytes into the manifest
      const zip = new yazl.ZipFile()
      const xml = Buffer.from(manifestXml())
      const at = xml.indexOf('Versement')
      zip.addBuffer(
        Buffer.concat([xml.subarray(0, at), Buffer.from([0xc3, 0x28, 0xff]), xml.subarray(at)]),
        'manifest.xml',
      )
      zip.addBuffer(PDF_BYTES, 'Content/deliberation-2024-01.pdf')
      zip.end()
      const bad = join(inst.dir, `utf8-${++n}.zip`)
      const out = createWriteStream(bad)
      zip.outputStream.pipe(out)
      await once(out, 'close')
      await refused(bad, /CHECK_SEDA/, /UTF-8/i)
      void path
    })

    it('refuses undeclared files and a Uri that points outside the package', async () => {
      await refused(
        { extraEntries: { 'Content/secret.txt': Buffer.from('x') } },
        /OBJECTNUMBER/,
        /secret\.txt/,
      )
      await refused(
        {
          transformManifest: (x) =>
            x.replace('<Uri>Content/deliberation-2024-01.pdf</Uri>', '<Uri>../../../etc/passwd</Uri>'),
        },
        /OBJECTNUMBER/,
        /etc\/passwd/,
      )
    })

    it('refuses unknown agencies, contracts and rules, and bad unit metadata', async () => {
      const agent = await refused({ agency: 'NOBODY' }, /CHECK_AGENT/, /NOBODY/)
      assert.equal(agent.replyCode, '200')
      await refused({ contract: 'IC-NOWHERE' }, /CHECK_CONTRACT_INGEST/, /IC-NOWHERE/)
      await refused({ contract: null }, /CHECK_CONTRACT_INGEST/, /ArchivalAgreement/)
      await refused({}, /CHECK_CONTRACT_INGEST/, /IC-OTHER/, 'IC-OTHER')
      await refused(
        {
          rules:
            '<AppraisalRule><Rule>APP-NOPE</Rule><StartDate>2024-01-01</StartDate><FinalAction>Keep</FinalAction></AppraisalRule>',
        },
        /UNITS_RULES_COMPUTE/,
        /APP-NOPE/,
      )
      await refused(
        {
          rules:
            '<AppraisalRule><Rule>ACC-00003</Rule><StartDate>2024-01-01</StartDate><FinalAction>Keep</FinalAction></AppraisalRule>',
        },
        /UNITS_RULES_COMPUTE/,
        /ACC-00003.*AccessRule/,
      )
      await refused({ unitTitle: '<script>alert(1)</script>' }, /CHECK_UNIT_SCHEMA/, /HTML/)
      await refused({ startDate: '2024-05-01', endDate: '2023-01-01' }, /CHECK_UNIT_SCHEMA/, /précède/)
      await refused({ startDate: '9500-01-01' }, /CHECK_UNIT_SCHEMA/, /9500/)
    })

    it('refuses unsafe and broken containers', async () => {
      const slip = join(inst.dir, `slip-${++n}.zip`)
      const z = new yazl.ZipFile()
      z.addBuffer(Buffer.from(manifestXml()), 'manifest.xml')
      z.addBuffer(PDF_BYTES, 'Content/deliberation-2024-01.pdf')
      z.end()
      const chunks: Buffer[] = []
      for await (const ch of z.outputStream) chunks.push(ch as Buffer)
      const good = Buffer.concat(chunks)
      // zip slip: rename an entry to climb out, in both the local and the central headers
      writeFileSync(
        slip,
        Buffer.from(
          good
            .toString('latin1')
            .replaceAll('Content/deliberation-2024-01.pdf', '../../../../../../tmp/evil01.pdf'),
          'latin1',
        ),
      )
      await refused(slip, /CHECK_CONTAINER/, /\.\.\//)
      const truncated = join(inst.dir, `trunc-${++n}.zip`)
      writeFileSync(truncated, good.subarray(0, Math.floor(good.length / 2)))
      await refused(truncated, /CHECK_CONTAINER/, /./)
      const noise = join(inst.dir, `noise-${++n}.zip`)
      writeFileSync(noise, randomBytes(4096))
      await refused(noise, /CHECK_CONTAINER/, /./)
      const none = join(inst.dir, `nomanifest-${++n}.zip`)
      const z2 = new yazl.ZipFile()
      z2.addBuffer(PDF_BYTES, 'Content/a.pdf')
      z2.end()
      const o2 = createWriteStream(none)
      z2.outputStream.pipe(o2)
      await once(o2, 'close')
      await refused(none, /MANIFEST_FILE_NAME_CHECK/, /manifest/i)
    })

    it('refuses 100,000 undeclared entries with bounded memory', async () => {
      const path = join(inst.dir, `many-${++n}.zip`)
      const z = new yazl.ZipFile()
      z.addBuffer(Buffer.from(manifestXml()), 'manifest.xml')
      z.addBuffer(PDF_BYTES, 'Content/deliberation-2024-01.pdf')
      for (let i = 0; i < 100_000; i++)
        z.addBuffer(Buffer.alloc(0), `Content/x/${i}.txt`, { compress: false })
      z.end()
      const out = createWriteStream(path)
      z.outputStream.pipe(out)
      await once(out, 'close')
      const before = process.memoryUsage().rss
      await refused(path, /OBJECTNUMBER/, /100000 fichier/)
      assert.ok(process.memoryUsage().rss - before < 300 * 1024 * 1024, 'memory stays bounded')
    })

    it('keeps tenants apart', async () => {
      await c.tenancy.createTenant(SYSTEM_PRINCIPAL, { id: 'other', name: 'Autre' })
      const r = await ingest(await sip())
      assert.equal(r.status, 'OK')
      const u = (await c.catalog.listUnits('default', { operationId: r.operationId })).results[0]!
      await assert.rejects(c.catalog.getUnit('other', u.id), { code: 'UNIT_NOT_FOUND' })
      assert.equal((await c.catalog.listUnits('other', { operationId: r.operationId })).total, 0)
      await assert.rejects(c.ingest.atrOf('other', r.operationId), { code: 'OPERATION_NOT_FOUND' })
      await assert.rejects(c.ingest.result('other', r.operationId), { code: 'OPERATION_NOT_FOUND' })
      // the other tenant has no referentials: its transfer is refused on its own merits
      const o = await ingest(await sip(), { tenantId: 'other' })
      assert.equal(o.status, 'KO')
    })
  })
}

const S3 = process.env.SAEH_TEST_S3_ENDPOINT
if (!S3) it.skip('ingest onto an S3 offer — skipped: SAEH_TEST_S3_ENDPOINT is not set')
else {
  describe('ingest onto a filesystem offer and an S3 offer', () => {
    let inst: Awaited<ReturnType<typeof createTestContainer>>
    let c: Container
    before(async () => {
      process.env.AWS_ACCESS_KEY_ID = process.env.SAEH_TEST_S3_ACCESS_KEY ?? ''
      process.env.AWS_SECRET_ACCESS_KEY = process.env.SAEH_TEST_S3_SECRET_KEY ?? ''
      const bucket = `saeh-ingest-${randomBytes(5).toString('hex')}`
      const dialect = process.env.SAEH_TEST_DATABASE_URL ? 'postgres' : 'sqlite'
      const probe = await createTestContainer(dialect)
      const fsRoot = join(probe.dir, 'fs-offer')
      await probe.close()
      inst = await createTestContainer(dialect, {
        SAEH_OFFERS: `fs://${fsRoot},s3://${bucket}?endpoint=${encodeURIComponent(S3)}&region=us-east-1`,
      })
      c = inst.c
      await initInstance(c)
    })
    after(() => inst.close())

    it('stores every object on both offers and reads it back from S3 alone', async () => {
      const path = await writeSipZip(join(inst.dir, 's3.zip'))
      const r = await c.ingest.ingestFile({
        tenantId: 'default',
        packagePath: path,
        fileName: 's3.zip',
        agent: 'test',
      })
      assert.equal(r.status, 'OK', JSON.stringify(r.events.filter((e) => e.outcome !== 'OK')))
      const unit = (await c.catalog.listUnits('default', { operationId: r.operationId })).results.find(
        (u) => u.objects.length > 0,
      )!
      const obj = unit.objects[0]!
      const s3 = c.storage.offers.find((o) => o.kind === 's3')!
      const got = await s3.get(`default/${r.operationId}/${obj.id}`)
      const chunks: Buffer[] = []
      for await (const ch of got.body) chunks.push(ch as Buffer)
      assert.ok(Buffer.concat(chunks).equals(PDF_BYTES))
    })

    it('leaves nothing on S3 when a transfer is refused', async () => {
      const path = await writeSipZip(join(inst.dir, 's3-ko.zip'), {
        files: [
          { name: 'a.pdf', bytes: PDF_BYTES },
          { name: 'b.pdf', bytes: PDF_BYTES, declaredSha512: 'cd'.repeat(64) },
        ],
      })
      const r = await c.ingest.ingestFile({
        tenantId: 'default',
        packagePath: path,
        fileName: 's3-ko.zip',
        agent: 'test',
      })
      assert.equal(r.status, 'KO')
      for (const offer of c.storage.offers) {
        const keys: string[] = []
        for await (const h of offer.list(`default/${r.operationId}/`)) keys.push(h.key)
        assert.deepEqual(keys, [], `offer ${offer.id} holds nothing of the refused ingest`)
      }
    })
  })
}

describe('archive profiles (sqlite)', () => {
  let inst: Awaited<ReturnType<typeof createTestContainer>>
  before(async () => {
    inst = await createTestContainer('sqlite')
    await initInstance(inst.c)
    await inst.c.referential.import(
      'default',
      'profiles',
      Buffer.from(
        JSON.stringify([{ Identifier: 'PR-DELIB', Name: 'Délibérations', Status: 'ACTIVE', Format: 'RNG' }]),
      ),
      'test',
    )
    const contracts = await inst.c.referential.list('default', 'ingest-contracts')
    await inst.c.referential.import(
      'default',
      'ingest-contracts',
      Buffer.from(
        JSON.stringify([
          ...contracts.map((x) => x.body),
          { Identifier: 'IC-PROFIL', Name: 'Avec profil', Status: 'ACTIVE', ArchiveProfiles: ['PR-DELIB'] },
        ]),
      ),
      'test',
    )
  })
  after(() => inst.close())

  // A RelaxNG profile: any ArchiveTransfer whose Comment is exactly "Délibérations".
  const rng = (comment: string) =>
    `<grammar xmlns="http://relaxng.org/ns/structure/1.0" ns="fr:gouv:culture:archivesdefrance:seda:v2.2"><start><element name="ArchiveTransfer"><element name="Comment"><value>${comment}</value></element><zeroOrMore><ref name="any"/></zeroOrMore></element></start><define name="any"><element><anyName/><zeroOrMore><choice><attribute><anyName/></attribute><text/><ref name="any"/></choice></zeroOrMore></element></define></grammar>`
  const withProfile = (comment: string) => (x: string) =>
    x
      .replace('<Comment>Versement de test</Comment>', `<Comment>${comment}</Comment>`)
      .replace('<ManagementMetadata>', '<ManagementMetadata><ArchivalProfile>PR-DELIB</ArchivalProfile>')

  it('refuses a bad schema file whole, and attaches a good one', async () => {
    await assert.rejects(
      inst.c.profiles.attach(
        'default',
        'PR-DELIB',
        Buffer.from('<grammar xmlns="http://relaxng.org/ns/structure/1.0"><start><nope/></start></grammar>'),
        'bad.rng',
        'test',
      ),
      {
        code: 'PROFILE_SCHEMA_INVALID',
      },
    )
    await assert.rejects(
      inst.c.profiles.attach('default', 'PR-NONE', Buffer.from(rng('x')), 'x.rng', 'test'),
      { code: 'REFERENTIAL_ENTRY_NOT_FOUND' },
    )
    const r = await inst.c.profiles.attach(
      'default',
      'PR-DELIB',
      Buffer.from(rng('Délibérations')),
      'delib.rng',
      'test',
    )
    assert.equal(r.format, 'RNG')
  })

  it('checks a declared profile: conforming accepted, non-conforming refused', async () => {
    const ok = await writeSipZip(join(inst.dir, 'p-ok.zip'), {
      contract: 'IC-PROFIL',
      transformManifest: withProfile('Délibérations'),
    })
    const r1 = await inst.c.ingest.ingestFile({
      tenantId: 'default',
      packagePath: ok,
      fileName: 'p-ok.zip',
      agent: 't',
    })
    assert.equal(r1.status, 'OK', JSON.stringify(r1.events.filter((e) => e.outcome !== 'OK')))
    assert.ok(r1.events.some((e) => e.type === 'CHECK_HEADER.CHECK_ARCHIVEPROFILE' && e.outcome === 'OK'))
    const bad = await writeSipZip(join(inst.dir, 'p-ko.zip'), {
      contract: 'IC-PROFIL',
      transformManifest: withProfile('Arrêtés'),
    })
    const r2 = await inst.c.ingest.ingestFile({
      tenantId: 'default',
      packagePath: bad,
      fileName: 'p-ko.zip',
      agent: 't',
    })
    assert.equal(r2.status, 'KO')
    const ko = r2.events.find((e) => e.outcome === 'KO')!
    assert.equal(ko.type, 'CHECK_HEADER.CHECK_ARCHIVEPROFILE')
    assert.match(ko.message ?? '', /PR-DELIB/)
    const none = await writeSipZip(join(inst.dir, 'p-none.zip'), { contract: 'IC-PROFIL' })
    const r3 = await inst.c.ingest.ingestFile({
      tenantId: 'default',
      packagePath: none,
      fileName: 'p-none.zip',
      agent: 't',
    })
    assert.equal(r3.status, 'KO')
    assert.match(r3.events.find((e) => e.outcome === 'KO')!.type, /CHECK_IC_AP_RELATION/)
  })
})

describe('attachments under the contract (sqlite)', () => {
  let inst: Awaited<ReturnType<typeof createTestContainer>>
  let n = 0
  const ingestWith = async (contract: string, o: SipOptions = {}) =>
    inst.c.ingest.ingestFile({
      tenantId: 'default',
      packagePath: await writeSipZip(join(inst.dir, `att-${++n}.zip`), { contract, ...o }),
      fileName: `att-${n}.zip`,
      agent: 't',
    })
  const setContracts = async (extra: object[]) => {
    const base = (await inst.c.referential.list('default', 'ingest-contracts')).filter(
      (x) => x.identifier === 'IC-DEFAUT',
    )
    await inst.c.referential.import(
      'default',
      'ingest-contracts',
      Buffer.from(JSON.stringify([...base.map((x) => x.body), ...extra])),
      't',
    )
  }
  before(async () => {
    inst = await createTestContainer('sqlite')
    await initInstance(inst.c)
  })
  after(() => inst.close())

  it('attaches a package under the contract’s LinkParentId, and enforces CheckParentLink', async () => {
    const first = await ingestWith('IC-DEFAUT')
    assert.equal(first.status, 'OK')
    const fonds = (
      await inst.c.catalog.listUnits('default', { operationId: first.operationId })
    ).results.find((u) => u.parentIds.length === 0)!
    await setContracts([
      { Identifier: 'IC-LINK', Name: 'Rattaché', Status: 'ACTIVE', LinkParentId: fonds.id },
      { Identifier: 'IC-REQ', Name: 'Rattachement exigé', Status: 'ACTIVE', CheckParentLink: 'REQUIRED' },
      { Identifier: 'IC-NO', Name: 'Sans rattachement', Status: 'ACTIVE', CheckParentLink: 'UNAUTHORIZED' },
    ])
    const linked = await ingestWith('IC-LINK')
    assert.equal(linked.status, 'OK', JSON.stringify(linked.events.filter((e) => e.outcome !== 'OK')))
    const root = (
      await inst.c.catalog.listUnits('default', { operationId: linked.operationId })
    ).results.find((u) => u.title.startsWith('Délibérations'))!
    assert.deepEqual(root.parentIds, [fonds.id])
    const required = await ingestWith('IC-REQ')
    assert.equal(required.status, 'KO')
    assert.match(required.events.find((e) => e.outcome === 'KO')!.message ?? '', /exige le rattachement/)
    const attach = (x: string) =>
      x.replace(
        '<DescriptiveMetadata>',
        `<DescriptiveMetadata><ArchiveUnit id="EXISTING"><Management><UpdateOperation><SystemId>${fonds.id}</SystemId></UpdateOperation></Management><Content><DescriptionLevel>Fonds</DescriptionLevel><Title>Fonds existant</Title></Content><ArchiveUnit id="REF"><ArchiveUnitRefId>ROOT</ArchiveUnitRefId></ArchiveUnit></ArchiveUnit>`,
      )
    const withAttach = await ingestWith('IC-REQ', { transformManifest: attach })
    assert.equal(withAttach.status, 'OK', JSON.stringify(withAttach.events.filter((e) => e.outcome !== 'OK')))
    const refused = await ingestWith('IC-NO', { transformManifest: attach })
    assert.equal(refused.status, 'KO')
    assert.match(
      refused.events.find((e) => e.outcome === 'KO')!.detail ?? '',
      /CHECK_ATTACHEMENT.UNAUTHORIZED/,
    )
  })

  it('refuses a rules import that would remove a rule archived units still use', async () => {
    const csv =
      'RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n' +
      'ACC-00003,AccessRule,Relations extérieures,25 ans,25,YEAR\n'
    await assert.rejects(
      inst.c.referential.import('default', 'rules', Buffer.from(csv), 't'),
      (e: { code: string; message: string }) => {
        assert.equal(e.code, 'REFERENTIAL_IN_USE')
        assert.match(e.message, /APP-COM-0001/)
        return true
      },
    )
    assert.ok(
      (await inst.c.referential.list('default', 'rules')).some((r) => r.ruleId === 'APP-COM-0001'),
      'nothing changed',
    )
  })
})
