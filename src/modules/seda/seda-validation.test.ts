import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import {
  createSedaValidator,
  detectSedaVersion,
  hasSystemXmllint,
  validateManifest,
  type SedaVersion,
} from './index.js'
import { corpusIndex, extractManifest, generateManifest, vitamCorpus } from './test-support.js'
import { sedaAssetsDir } from './xsd-model.js'

const ns = (v: SedaVersion) => `fr:gouv:culture:archivesdefrance:seda:v${v}`

/** A minimal valid ArchiveTransfer with insertion points (lines are stable: Content starts on line 17). */
function manifest(
  v: SedaVersion,
  parts: { content?: string; management?: string; pdo?: string; afterContent?: string; head?: string } = {},
): Buffer {
  return Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<ArchiveTransfer xmlns="${ns(v)}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="${ns(v)} /etc/passwd">
  <Date>2024-03-01T10:15:00</Date>
  <MessageIdentifier>MSG-1</MessageIdentifier>${parts.head ?? ''}
  <CodeListVersions/>
  <DataObjectPackage>
    <DataObjectGroup id="GOT1">
      <BinaryDataObject id="BDO1">
        <Uri>content/a.pdf</Uri>
        <MessageDigest algorithm="SHA-512">00</MessageDigest>
      </BinaryDataObject>
      <PhysicalDataObject id="PDO1">
        <PhysicalId>BOITE-12</PhysicalId>${parts.pdo ?? ''}
      </PhysicalDataObject>
    </DataObjectGroup>
    <DescriptiveMetadata>
      <ArchiveUnit id="AU1">${parts.management ? `<Management>${parts.management}</Management>` : ''}
        <Content>
          <DescriptionLevel>File</DescriptionLevel>
          <Title>Dossier</Title>${parts.content ?? ''}
        </Content>${parts.afterContent ?? ''}
        <DataObjectReference><DataObjectGroupReferenceId>GOT1</DataObjectGroupReferenceId></DataObjectReference>
      </ArchiveUnit>
    </DescriptiveMetadata>
    <ManagementMetadata/>
  </DataObjectPackage>
  <ArchivalAgency><Identifier>AD99</Identifier></ArchivalAgency>
  <TransferringAgency><Identifier>COM1</Identifier></TransferringAgency>
</ArchiveTransfer>
`)
}

describe('validateManifest: official XSD + SEDA extension points', () => {
  test('the shipped schemas only import or include local files', () => {
    const root = sedaAssetsDir()
    let refs = 0
    for (const dir of ['seda-2.1', 'seda-2.2', 'seda-2.3', 'w3c']) {
      for (const f of readdirSync(join(root, dir))) {
        if (!f.endsWith('.xsd')) continue
        const xsd = readFileSync(join(root, dir, f), 'utf8').replace(/<!--[\s\S]*?-->/g, '')
        for (const m of xsd.matchAll(/<(?:xsd|xs):(?:import|include)\b[^>]*schemaLocation="([^"]+)"/g)) {
          refs++
          assert.doesNotMatch(m[1]!, /^[a-z]+:/i, `${dir}/${f} → ${m[1]}`)
        }
      }
    }
    assert.ok(refs >= 20)
  })

  test('the minimal manifest is valid in 2.1, 2.2 and 2.3 (xsi:schemaLocation ignored, nothing fetched)', async () => {
    for (const v of ['2.1', '2.2', '2.3'] as const) {
      const r = await validateManifest(manifest(v), v)
      assert.deepEqual(r.errors, [], `SEDA ${v}`)
      assert.equal(r.valid, true)
      assert.equal(r.detail, 'CHECK_SEDA.OK')
    }
  })

  test('free metadata at the end of Content is accepted and reported as extension', async () => {
    const r = await validateManifest(
      manifest('2.1', { content: '\n<MonChamp>x</MonChamp><Dossier><Cote a="1">3E 12</Cote></Dossier>' }),
      '2.1',
    )
    assert.equal(r.valid, true, JSON.stringify(r.errors))
    assert.equal(r.extensionCount, 2)
    assert.deepEqual(
      r.extensions.map((e) => [e.name, e.line, e.path]),
      [
        [
          'MonChamp',
          21,
          'ArchiveTransfer/DataObjectPackage/DescriptiveMetadata/ArchiveUnit/Content/MonChamp',
        ],
        ['Dossier', 21, 'ArchiveTransfer/DataObjectPackage/DescriptiveMetadata/ArchiveUnit/Content/Dossier'],
      ],
    )
  })

  test('an extension followed by a standard element of the same parent is refused (as Vitam: KO_2216_CA2)', async () => {
    const r = await validateManifest(
      manifest('2.1', { content: '\n<MonChamp>x</MonChamp>\n<Description>d</Description>' }),
      '2.1',
    )
    assert.equal(r.valid, false)
    assert.equal(r.detail, 'CHECK_SEDA.NOT_XSD_VALID.KO')
    assert.equal(r.errors[0]?.code, 'EXTENSION_MISPLACED')
    assert.equal(r.errors[0]?.line, 22)
    assert.match(
      r.errors[0]!.message,
      /Élément Description \(ligne 22\) placé après l'élément d'extension MonChamp \(ligne 21\)/,
    )
  })

  test("Vitam's UpdateOperation and a 2.1 HoldRule are extensions of Management; a typo elsewhere is not", async () => {
    const ok = await validateManifest(
      manifest('2.1', {
        management:
          '<AccessRule><Rule>ACC-00001</Rule></AccessRule><HoldRule><Rule>HOL-1</Rule><HoldOwner>X</HoldOwner></HoldRule><UpdateOperation><SystemId>aeaq</SystemId></UpdateOperation>',
      }),
      '2.1',
    )
    assert.equal(ok.valid, true, JSON.stringify(ok.errors))
    assert.deepEqual(
      ok.extensions.map((e) => e.name),
      ['HoldRule', 'UpdateOperation'],
    )
    // Inside a rule there is no extension point: a misspelt element is a schema error, at its line.
    const bad = await validateManifest(
      manifest('2.1', { management: '<AccessRule>\n<Rul>ACC-00001</Rul></AccessRule>' }),
      '2.1',
    )
    assert.equal(bad.valid, false)
    assert.equal(bad.errors[0]?.line, 18)
    assert.equal(bad.errors[0]?.element, 'Rul')
    assert.match(
      bad.errors[0]!.message,
      /Non conforme au schéma SEDA 2\.1 \(ligne 18, élément Rul\) : élément inattendu/,
    )
  })

  test('in 2.2, HoldRule is standard: it is validated, not set aside', async () => {
    const r = await validateManifest(
      manifest('2.2', { management: '<HoldRule><Rule>HOL-1</Rule><HoleOwner>X</HoleOwner></HoldRule>' }),
      '2.2',
    )
    assert.equal(r.valid, false)
    assert.equal(r.errors[0]?.element, 'HoleOwner')
  })

  test('open types (OtherMetadata, OrganizationDescriptiveMetadata…) take any content; PhysicalDataObject ends with an extension point', async () => {
    const r = await validateManifest(
      manifest('2.3', {
        pdo: '\n<PhysicalDimensions><Width unit="centimetre">21</Width></PhysicalDimensions><Extent>1 carte</Extent>',
        content:
          '<OriginatingAgency><Identifier>X</Identifier><OrganizationDescriptiveMetadata><Libre>y</Libre></OrganizationDescriptiveMetadata></OriginatingAgency>',
      }),
      '2.3',
    )
    assert.equal(r.valid, true, JSON.stringify(r.errors))
    assert.deepEqual(
      r.extensions.map((e) => e.name),
      ['Extent', 'Libre'],
    )
  })

  test('xsd:ID must be unique and xsd:IDREF must resolve (libxml2 streaming does not check them)', async () => {
    const dup = await validateManifest(
      manifest('2.1', { afterContent: '\n<ArchiveUnit id="BDO1"><Content/></ArchiveUnit>' }),
      '2.1',
    )
    assert.equal(dup.valid, false)
    assert.equal(dup.errors[0]?.code, 'DUPLICATE_ID')
    assert.match(dup.errors[0]!.message, /« BDO1 » déclaré deux fois \(lignes 8 et 22, ArchiveUnit\/@id\)/)
    const dangling = await validateManifest(
      manifest('2.1', {
        afterContent:
          '\n<DataObjectReference><DataObjectGroupReferenceId>GOT9</DataObjectGroupReferenceId></DataObjectReference>',
      }),
      '2.1',
    )
    assert.equal(dangling.valid, false)
    assert.equal(dangling.errors[0]?.code, 'UNKNOWN_IDREF')
    assert.equal(dangling.errors[0]?.line, 22)
  })

  test('a manifest of another version or root is refused', async () => {
    const r = await validateManifest(manifest('2.2'), '2.1')
    assert.equal(r.valid, false)
    assert.equal(r.errors[0]?.code, 'VERSION_MISMATCH')
  })

  test('libxml2 errors keep the manifest line numbers (the filtered document is line-aligned)', async () => {
    const r = await validateManifest(
      manifest('2.1', {
        content:
          '\n<!-- a\nmulti-line\ncomment -->\n<MonChamp>\n\n</MonChamp>\n<StartDate>pas une date</StartDate>',
      }),
      '2.1',
    )
    assert.equal(r.valid, false)
    assert.equal(r.errors.length, 2)
    assert.deepEqual(
      r.errors.map((e) => [e.code, e.line]),
      [
        ['EXTENSION_MISPLACED', 27],
        ['XSD_INVALID', 27],
      ],
    )
    assert.ok(
      r.errors.some((e) =>
        /ligne 27, élément StartDate\) : « pas une date » n'est pas une valeur valide/.test(e.message),
      ),
    )
  })

  test('a generated 1 MB manifest with extensions validates (both engines)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seda-val-'))
    try {
      const file = join(dir, 'big.xml')
      const g = await generateManifest(file, { version: '2.2', targetBytes: 1024 * 1024, extensions: true })
      const engines = hasSystemXmllint()
        ? (['xmllint', 'xmllint-wasm'] as const)
        : (['xmllint-wasm'] as const)
      for (const engine of engines) {
        const r = await createSedaValidator({ engine }).validate(file, '2.2', {
          expectedRoot: 'ArchiveTransfer',
        })
        assert.equal(r.valid, true, `${engine}: ${JSON.stringify(r.errors.slice(0, 3))}`)
        assert.equal(r.extensionCount, 2 * (g.units - 1))
        assert.equal(r.engine, engine)
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

// ---------------------------------------------------------------------------------------------

const corpus = vitamCorpus()

/**
 * sip-ko packages refused by detectSedaVersion + validateManifest, with the reason; everything else
 * in sip-ko passes the schema level and is refused later (digest, rules, contract…) by Vitam.
 */
const EXPECTED_SCHEMA_REFUSALS: Record<string, string> = {
  'KO_2216_CA2_non_conforme_SEDA.zip': 'EXTENSION_MISPLACED',
  'KO_2_OBJT_declarent_le_GO.zip': 'DUPLICATE_ID',
  'KO_AU_GOT_VIDE.zip': 'XSD_INVALID',
  'KO_BORD_xmlKO_sansobjet.zip': 'XML_MALFORMED',
  'KO_Reference_Unexisting.zip': 'UNKNOWN_IDREF',
  'KO_SEDA_2.3_Signature.zip': 'EXTENSION_MISPLACED',
  'KO_SIP_INSUPPORTED_SEDA_VERSION.zip': 'UNSUPPORTED_SEDA_VERSION',
  'KO_manifest_mauvais_format.zip': 'NOT_XML',
}

describe('validation verdicts on the Vitam corpus', { skip: 'skip' in corpus ? corpus.skip : false }, () => {
  if ('skip' in corpus) return
  const dir = corpus.dir
  const index = corpusIndex(dir)

  async function verdict(file: string): Promise<{ refused: string | null; messages: string[] } | null> {
    const m = extractManifest(join(dir, file))
    if (!m) return null
    const d = await detectSedaVersion(m.bytes)
    if (!d.ok) return { refused: d.code, messages: [d.message] }
    const r = await validateManifest(m.bytes, d.version)
    return r.valid
      ? { refused: null, messages: [] }
      : { refused: r.errors[0]?.code ?? 'XSD_INVALID', messages: r.errors.map((e) => e.message) }
  }

  test('every sip-ok manifest passes', async (t) => {
    const files = readdirSync(join(dir, 'sip-ok')).sort()
    let checked = 0
    const failures: string[] = []
    for (const f of files) {
      const v = await verdict(`sip-ok/${f}`)
      if (v === null) continue
      checked++
      if (v.refused) failures.push(`${f}: ${v.messages[0]}`)
    }
    t.diagnostic(`sip-ok: ${checked - failures.length}/${checked} manifests pass (${files.length} packages)`)
    assert.deepEqual(failures, [])
    assert.equal(checked, files.length)
  })

  test('sip-ko: exactly the expected packages are refused at the schema level, agreeing with Vitam outcomes', async (t) => {
    const files = readdirSync(join(dir, 'sip-ko')).sort()
    const refused: Record<string, string> = {}
    let withManifest = 0
    for (const f of files) {
      const v = await verdict(`sip-ko/${f}`)
      if (v === null) continue
      withManifest++
      if (v.refused) refused[f] = v.refused
    }
    t.diagnostic(
      `sip-ko: ${Object.keys(refused).length}/${withManifest} manifests refused at detection/schema level: ${Object.entries(
        refused,
      )
        .map(([f, c]) => `${f}=${c}`)
        .join(', ')}`,
    )
    assert.deepEqual(refused, EXPECTED_SCHEMA_REFUSALS)
    // Every package Vitam refuses at CHECK_SEDA (NOT_XSD_VALID, NOT_XML_FILE, UNSUPPORTED_SEDA_VERSION) is refused.
    for (const e of index) {
      if (!e.file.startsWith('sip-ko/') || !e.expected) continue
      if (/CHECK_SEDA\.(NOT_XSD_VALID|NOT_XML_FILE|UNSUPPORTED_SEDA_VERSION)/.test(e.expected)) {
        assert.ok(refused[e.file.slice('sip-ko/'.length)], `${e.file} should be refused (${e.expected})`)
      }
    }
  })

  test(
    'the wasm engine gives the same verdicts as Debian xmllint',
    { skip: !hasSystemXmllint() && 'xmllint absent' },
    async () => {
      const sample = [
        'sip-ok/SIP_EXTENDED.zip',
        'sip-ok/OK_SIP_FULL_SEDA2.3.zip',
        'sip-ok/OK_RULES_COMPLEXE_COMPLETE_V2.zip',
        'sip-ko/KO_AU_GOT_VIDE.zip',
        'sip-ko/KO_2216_CA2_non_conforme_SEDA.zip',
      ]
      const wasm = createSedaValidator({ engine: 'xmllint-wasm' })
      const sys = createSedaValidator({ engine: 'xmllint' })
      for (const f of sample) {
        const m = extractManifest(join(dir, f))
        assert.ok(m, f)
        const d = await detectSedaVersion(m.bytes)
        assert.ok(d.ok)
        const a = await sys.validate(m.bytes, d.version, { expectedRoot: 'ArchiveTransfer' })
        const b = await wasm.validate(m.bytes, d.version, { expectedRoot: 'ArchiveTransfer' })
        assert.equal(b.valid, a.valid, f)
        assert.deepEqual(
          b.errors.map((e) => e.line),
          a.errors.map((e) => e.line),
          f,
        )
      }
    },
  )
})
