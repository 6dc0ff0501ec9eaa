import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { AppError } from '../../platform/errors.js'
import {
  LEGACY_REPLY_CODES,
  createSedaValidator,
  readManifest,
  replyCodeFor,
  replyCodeForDetail,
  validateSedaMessage,
  writeAtr,
  type AtrInput,
  type Outcome,
  type SedaVersion,
} from './index.js'
import { corpusIndex, extractManifest, vitamCorpus } from './test-support.js'

const DATE = '2024-03-01T10:17:42+01:00'

function input(status: Outcome, version: SedaVersion | null, withIds: boolean): AtrInput {
  const ko = status === 'KO' || status === 'FATAL'
  return {
    sedaVersion: version,
    messageIdentifier: 'aeeaaaaaace2txtzabdlkaltyrxo4siaaaaq',
    date: DATE,
    messageRequestIdentifier: ko ? null : 'SAEH-21234-2024-000042',
    archivalAgreement: ko ? null : 'IC-DELIB',
    archivalAgencyIdentifier: 'AD99',
    transferringAgencyIdentifier: ko ? null : '21234000100011',
    status,
    events: [
      { type: 'CHECK_SEDA', outcome: 'OK', detail: 'CHECK_SEDA.OK', message: 'Bordereau conforme au SEDA' },
      {
        type: 'CHECK_DIGEST',
        outcome: status === 'OK' ? 'OK' : status,
        detail: `CHECK_DIGEST.${status}`,
        message: "Empreinte de l'objet BDO1 <différente> & \u0007 non conforme",
        dateTime: new Date('2024-03-01T09:16:03.120Z'),
        id: 'evt-2',
      },
    ],
    ...(withIds
      ? {
          units: [
            { id: 'AU1', systemId: 'aeaqaaaaaae2txtzaadjwaltyrxsyxiaaaaq' },
            { id: 'AU2', systemId: 'aeaqaaaaaae2txtzaadjwaltyrxsyxaaaaaq' },
          ],
          objects: [
            {
              id: 'BDO1',
              systemId: 'aeaaaaaaaae2txtzaadjwaltyrxsypiaaaaq',
              kind: 'binary',
              groupId: 'GOT1',
              groupSystemId: 'aebaaaaaaae2txtzaadjwaltyrxsypqaaaaq',
              dataObjectVersion: 'BinaryMaster_1',
            },
            {
              id: 'PDO1',
              systemId: 'aeaaaaaaaae2txtzaadjwaltyrxsyrqaaaaq',
              kind: 'physical',
              groupId: 'GOT1',
            },
            { id: 'BDO9', systemId: 'aeaaaaaaaae2txtzaadjwaltyrxsyryaaaaq', kind: 'binary' },
          ],
        }
      : {}),
  }
}

describe('writeAtr', () => {
  for (const version of ['2.1', '2.2', '2.3', null] as const) {
    for (const status of ['OK', 'WARNING', 'KO', 'FATAL'] as const) {
      for (const withIds of [true, false]) {
        test(`SEDA ${version ?? 'unknown → 2.1'}, ${status}, ${withIds ? 'with' : 'without'} system ids: valid against the official XSD`, async () => {
          const xml = writeAtr(input(status, version, withIds))
          const v = version ?? '2.1'
          assert.ok(xml.includes(`xmlns="fr:gouv:culture:archivesdefrance:seda:v${v}"`))
          const r = await validateSedaMessage(Buffer.from(xml), v)
          assert.deepEqual(r.errors, [], xml)
          assert.equal(r.valid, true)
          assert.equal(r.extensionCount, 0)
          assert.equal(xml.includes('<GrantDate>'), status === 'OK' || status === 'WARNING')
          assert.equal(xml.includes('<DataObjectPackage>'), withIds)
        })
      }
    }
  }

  test('shape: reply code, events, ids, placeholders, element order as the standard (and Vitam) has it', () => {
    const ok = writeAtr(input('OK', '2.2', true))
    assert.match(ok, /<ReplyCode>000<\/ReplyCode>/)
    assert.match(
      ok,
      /<DataObjectGroup id="GOT1">\s*<BinaryDataObject id="BDO1">\s*<DataObjectSystemId>aeaaaaaaaae2txtzaadjwaltyrxsypiaaaaq<\/DataObjectSystemId>\s*<DataObjectGroupSystemId>aebaaaaaaae2txtzaadjwaltyrxsypqaaaaq<\/DataObjectGroupSystemId>\s*<DataObjectVersion>BinaryMaster_1<\/DataObjectVersion>/,
    )
    assert.match(ok, /<PhysicalDataObject id="PDO1">/)
    assert.match(
      ok,
      /<ArchiveUnit id="AU1"><Content><SystemId>aeaqaaaaaae2txtzaadjwaltyrxsyxiaaaaq<\/SystemId><\/Content><\/ArchiveUnit>/,
    )
    const order = [
      '<Comment>',
      '<Date>',
      '<MessageIdentifier>',
      '<ArchivalAgreement>',
      '<CodeListVersions>',
      '<DataObjectPackage>',
      '<ReplyCode>',
      '<Operation>',
      '<MessageRequestIdentifier>',
      '<GrantDate>',
      '<ArchivalAgency>',
      '<TransferringAgency>',
    ]
    const positions = order.map((t) => ok.indexOf(t))
    assert.ok(
      positions.every((p, i) => p > 0 && (i === 0 || p > positions[i - 1]!)),
      positions.join(','),
    )
    assert.match(
      ok,
      /<OutcomeDetailMessage>Empreinte de l'objet BDO1 &lt;différente&gt; &amp; \uFFFD non conforme<\/OutcomeDetailMessage>/,
    )
    assert.match(
      ok,
      /<EventIdentifier>evt-2<\/EventIdentifier>\s*<EventTypeCode>CHECK_DIGEST<\/EventTypeCode>\s*<EventDateTime>2024-03-01T09:16:03.120Z<\/EventDateTime>/,
    )

    const ko = writeAtr(input('KO', null, false))
    assert.match(ko, /<Comment>Transfert refusé<\/Comment>/)
    assert.match(ko, /<ReplyCode>207<\/ReplyCode>/)
    assert.match(ko, /<MessageRequestIdentifier>Unknown<\/MessageRequestIdentifier>/)
    assert.match(ko, /<TransferringAgency><Identifier>Unknown<\/Identifier><\/TransferringAgency>/)
    assert.doesNotMatch(ko, /<ArchivalAgreement>/)
    assert.match(writeAtr({ ...input('KO', '2.1', false), replyCode: '300' }), /<ReplyCode>300<\/ReplyCode>/)
    assert.match(writeAtr(input('FATAL', '2.1', false)), /<ReplyCode>102<\/ReplyCode>/)
  })

  test('the validation is real: a reordered or incomplete ATR is refused', async () => {
    const xml = writeAtr(input('OK', '2.1', true))
    const swapped = xml.replace(
      /(<MessageRequestIdentifier>[^<]*<\/MessageRequestIdentifier>)\n(\s*<GrantDate>[^<]*<\/GrantDate>)/,
      '$2\n$1',
    )
    assert.notEqual(swapped, xml)
    const r = await validateSedaMessage(Buffer.from(swapped), '2.1')
    assert.equal(r.valid, false)
    assert.match(r.errors[0]!.message, /élément inattendu|élément\(s\) obligatoire\(s\) manquant\(s\)/)
    const noAgency = xml.replace(/\s*<ArchivalAgency>.*<\/ArchivalAgency>/, '')
    assert.equal((await validateSedaMessage(Buffer.from(noAgency), '2.1')).valid, false)
  })

  test('the wasm engine accepts the ATRs too', async () => {
    const wasm = createSedaValidator({ engine: 'xmllint-wasm' })
    for (const status of ['OK', 'KO'] as const) {
      const r = await wasm.validate(Buffer.from(writeAtr(input(status, '2.3', status === 'OK'))), '2.3')
      assert.equal(r.valid, true, JSON.stringify(r.errors))
    }
  })

  test('bad input is a programming error, not an invalid ATR', () => {
    assert.throws(
      () => writeAtr({ ...input('OK', '2.1', false), date: '01/03/2024' }),
      (e: unknown) => {
        assert.ok(e instanceof AppError)
        assert.equal(e.code, 'SEDA_ATR_INVALID_INPUT')
        return true
      },
    )
    assert.throws(() => writeAtr({ ...input('OK', '2.1', false), units: [{ id: '1 bad', systemId: 'x' }] }), {
      code: 'SEDA_ATR_INVALID_INPUT',
    })
    assert.throws(() => writeAtr({ ...input('OK', '2.1', false), messageIdentifier: '  ' }), {
      code: 'SEDA_ATR_INVALID_INPUT',
    })
  })
})

describe('replyCodeFor', () => {
  test('OK and WARNING → 000, FATAL → 102', () => {
    assert.equal(replyCodeFor('OK'), '000')
    assert.equal(
      replyCodeFor('WARNING', [
        { type: 'CHECK_OBJECT_SIZE', outcome: 'WARNING', detail: 'CHECK_OBJECT_SIZE.WARNING' },
      ]),
      '000',
    )
    assert.equal(replyCodeFor('FATAL', [{ type: 'OBJ_STORAGE', outcome: 'FATAL' }]), '102')
  })

  test('KO → the code of the first mapped KO event (step events are skipped)', () => {
    assert.equal(
      replyCodeFor('KO', [
        { type: 'CHECK_SEDA', outcome: 'OK', detail: 'CHECK_SEDA.OK' },
        { type: 'STP_OG_CHECK_AND_TRANSFORME', outcome: 'KO', detail: 'STP_OG_CHECK_AND_TRANSFORME.KO' },
        { type: 'CHECK_DIGEST', outcome: 'KO', detail: 'CHECK_DIGEST.KO' },
        { type: 'OG_OBJECTS_FORMAT_CHECK', outcome: 'KO', detail: 'OG_OBJECTS_FORMAT_CHECK.KO' },
      ]),
      '207',
    )
    assert.equal(replyCodeFor('KO', [{ type: 'SOMETHING_NEW', outcome: 'KO' }]), '203')
    assert.equal(
      replyCodeFor('KO', [
        { type: 'CHECK_HEADER', outcome: 'KO', detail: 'CHECK_HEADER.CHECK_AGENT.UNKNOWN.KO' },
      ]),
      '200',
    )
  })

  test('the mapping, by detail code', () => {
    const cases: [string, string][] = [
      ['CHECK_DIGEST.KO', '207'],
      ['CHECK_SEDA.NOT_XSD_VALID.KO', '101'],
      ['CHECK_SEDA.NOT_XML_FILE.KO', '101'],
      ['CHECK_SEDA.UNSUPPORTED_SEDA_VERSION.KO', '101'],
      ['MANIFEST_FILE_NAME_CHECK.KO', '101'],
      ['SANITY_CHECK_SIP.KO', '101'],
      ['CHECK_HEADER.CHECK_AGENT.EMPTY_REQUIRED_FIELD.KO', '200'],
      ['CHECK_HEADER.CHECK_AGENT.ARCHIVAL_AGENCY.KO', '201'],
      ['CHECK_HEADER.CHECK_AGENT.TRANSFERRING_AGENCY.KO', '202'],
      ['CHECK_HEADER.CHECK_CONTRACT_INGEST.CONTRACT_UNKNOWN.KO', '300'],
      ['CHECK_HEADER.CHECK_IC_AP_RELATION.INACTIVE.KO', '300'],
      ['CHECK_HEADER.CHECK_ARCHIVEPROFILE.KO', '203'],
      ['CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_OBJECTNUMBER.MANIFEST_INFERIOR_BDO.KO', '211'],
      ['CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST.NOT_FOUND_ATTACHMENT.KO', '210'],
      ['CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_LOOP.KO', '203'],
      ['OG_OBJECTS_FORMAT_CHECK.KO', '204'],
      ['OG_OBJECTS_FORMAT_CHECK.MISMATCH.KO', '205'],
      ['OG_OBJECTS_FORMAT_CHECK.NOT_AUTHORIZED.KO', '307'],
      ['UNITS_RULES_COMPUTE.UNKNOWN.KO', '203'],
      ['CHECK_UNIT_SCHEMA.INVALID_UNIT.KO', '203'],
    ]
    for (const [detail, code] of cases) assert.equal(replyCodeForDetail(detail), code, detail)
    assert.equal(replyCodeForDetail('CHECK_DIGESTS.KO'), null, 'prefixes match whole segments')
  })

  const corpus = vitamCorpus()
  test(
    'every KO detail code the Vitam corpus expects maps to a legacy reply code',
    { skip: 'skip' in corpus ? corpus.skip : false },
    (t) => {
      if ('skip' in corpus) return
      const details = new Set<string>()
      for (const e of corpusIndex(corpus.dir)) {
        for (const m of (e.expected ?? '').matchAll(/\b([A-Z][A-Z_]+(?:\.[A-Z_]+)*\.KO)\b/g))
          details.add(m[1]!)
      }
      const table = [...details].sort().map((d) => {
        const code = replyCodeFor('KO', [{ type: d.split('.')[0]!, outcome: 'KO', detail: d }])
        assert.ok(LEGACY_REPLY_CODES[code], d)
        return `${d}=${code}`
      })
      t.diagnostic(`${table.length} KO details: ${table.join(' ')}`)
      assert.ok(table.length > 20)
    },
  )
})

const corpus = vitamCorpus()
describe('ATR for real corpus packages', { skip: 'skip' in corpus ? corpus.skip : false }, () => {
  if ('skip' in corpus) return
  for (const file of [
    'sip-ok/OK_SIP_FULL_SEDA2.2.zip',
    'sip-ok/OK_SIP_FULL_SEDA2.3.zip',
    'sip-ok/sedalib_TestSip.zip',
  ]) {
    test(`${file}: ATR listing every unit and object is valid`, async () => {
      const m = extractManifest(join(corpus.dir, file))
      assert.ok(m)
      const manifest = await readManifest(m.bytes)
      const xml = writeAtr({
        sedaVersion: manifest.version,
        messageIdentifier: 'op-1',
        date: new Date(),
        messageRequestIdentifier: manifest.header.messageIdentifier ?? null,
        archivalAgreement: manifest.header.archivalAgreement ?? null,
        archivalAgencyIdentifier: manifest.header.archivalAgencyIdentifier ?? null,
        transferringAgencyIdentifier: manifest.header.transferringAgencyIdentifier ?? null,
        status: 'WARNING',
        events: [{ type: 'CHECK_OBJECT_SIZE', outcome: 'WARNING', detail: 'CHECK_OBJECT_SIZE.WARNING' }],
        units: manifest.units
          .filter((u) => !u.archiveUnitRefId)
          .map((u, i) => ({ id: u.id, systemId: `aeaq${i}` })),
        objects: manifest.dataObjects.map((o, i) => {
          const group = o.groupId ?? o.groupReferenceId
          return {
            id: o.id,
            systemId: `aeaa${i}`,
            kind: o.kind,
            ...(group ? { groupId: group, groupSystemId: `aeba-${group}` } : {}),
            ...(o.dataObjectVersion ? { dataObjectVersion: o.dataObjectVersion } : {}),
          }
        }),
      })
      const r = await validateSedaMessage(Buffer.from(xml), manifest.version)
      assert.deepEqual(r.errors, [])
    })
  }
})
