import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { isAppError } from '../../platform/errors.js'
import {
  DEFAULT_CONTAINER_FILE,
  DEFAULT_SIGNATURE_FILE,
  FormatIdentifier,
  loadFormatIdentifier,
  loadSignatureFile,
  parseContainerFile,
  parseSignatureFile,
} from './index.js'
import { corpusRoot } from './test-support.js'

const NS = 'http://www.nationalarchives.gov.uk/pronom/SignatureFile'
const wrap = (
  sigs: string,
  fmts: string,
  root = `xmlns="${NS}" Version="1" DateCreated="2024-01-01T00:00:00"`,
) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<FFSignatureFile ${root}>\n<InternalSignatureCollection>${sigs}</InternalSignatureCollection>\n` +
  `<FileFormatCollection>${fmts}</FileFormatCollection>\n</FFSignatureFile>\n`
const SIG = (id: number, seq: string) =>
  `<InternalSignature ID="${id}" Specificity="Specific"><ByteSequence Reference="BOFoffset">` +
  `<SubSequence Position="1" SubSeqMinOffset="0" SubSeqMaxOffset="0"><Sequence>${seq}</Sequence></SubSequence>` +
  `</ByteSequence></InternalSignature>`
const FMT = (id: number, puid: string, inner = '') =>
  `<FileFormat ID="${id}" Name="F${id}" PUID="${puid}">${inner}</FileFormat>`

/** Parses and builds (compiles) an identifier: both steps must reject invalid files. */
function load(xml: string): FormatIdentifier {
  return new FormatIdentifier(parseSignatureFile(xml, 'test.xml'))
}

function rejects(xml: string, check: (details: Record<string, unknown>, message: string) => void): void {
  assert.throws(
    () => load(xml),
    (e: unknown) => {
      assert.ok(isAppError(e), String(e))
      assert.equal(e.code, 'FORMAT_SIGNATURE_FILE_INVALID')
      assert.equal(e.kind, 'invalid')
      check(e.details ?? {}, e.message)
      return true
    },
  )
}

describe('signature file validation', () => {
  it('accepts a minimal valid file', () => {
    const idf = load(
      wrap(
        SIG(1, '4D5A'),
        FMT(1, 'x/1', '<InternalSignatureID>1</InternalSignatureID><Extension>EXE</Extension>'),
      ),
    )
    assert.deepEqual(
      idf.formats().map((f) => [f.puid, f.extensions, f.hasSignature]),
      [['x/1', ['exe'], true]],
    )
  })

  it('rejects the 2-byte "KO" file of the Vitam tests with a position', () => {
    rejects('KO', (d, m) => {
      assert.equal(d.line, 1)
      assert.match(String(d.reason), /not well-formed XML/)
      assert.match(m, /^Fichier de signatures de formats invalide \(test\.xml, ligne 1/)
    })
  })

  it('rejects empty and truncated files', () => {
    rejects('', (d) => assert.match(String(d.reason), /XML/))
    const full = wrap(SIG(1, '4D5A'), FMT(1, 'x/1'))
    rejects(full.slice(0, full.length / 2), (d) => assert.match(String(d.reason), /not well-formed XML/))
  })

  it('rejects structural errors, naming the element', () => {
    rejects(wrap('', '').replace('FFSignatureFile', 'Other').replace('/FFSignatureFile', '/Other'), (d) =>
      assert.match(String(d.reason), /root element/),
    )
    rejects(wrap('', '', `xmlns="${NS}" DateCreated="2024-01-01T00:00:00"`), (d) =>
      assert.match(String(d.reason), /missing attribute Version/),
    )
    rejects(wrap('', '', `xmlns="urn:other" Version="1" DateCreated="2024-01-01T00:00:00"`), (d) =>
      assert.match(String(d.reason), /namespace/),
    )
    rejects(wrap(SIG(1, '00') + '<Bogus/>', ''), (d) => {
      assert.match(String(d.reason), /unexpected element <Bogus>/)
      assert.equal(d.line, 3)
    })
    rejects(wrap(SIG(1, '00') + SIG(1, '01'), ''), (d) =>
      assert.match(String(d.reason), /duplicate InternalSignature ID 1/),
    )
    rejects(wrap('', FMT(1, 'x/1') + FMT(2, 'x/1')), (d) =>
      assert.match(String(d.reason), /duplicate PUID x\/1/),
    )
    rejects(wrap('', FMT(1, 'x/1', '<InternalSignatureID>9</InternalSignatureID>')), (d) =>
      assert.match(String(d.reason), /missing InternalSignature 9/),
    )
    rejects(wrap('', FMT(1, 'x/1', '<HasPriorityOverFileFormatID>7</HasPriorityOverFileFormatID>')), (d) =>
      assert.match(String(d.reason), /priority over missing FileFormat 7/),
    )
    rejects(wrap(SIG(1, '00').replace('SubSeqMinOffset="0"', 'SubSeqMinOffset="x"'), ''), (d) =>
      assert.match(String(d.reason), /SubSeqMinOffset="x" is not an integer/),
    )
    rejects(wrap(SIG(1, '00').replace('BOFoffset', 'Middle'), ''), (d) =>
      assert.match(String(d.reason), /unknown Reference="Middle"/),
    )
  })

  it('rejects unparseable byte patterns at load, with the signature and the character', () => {
    rejects(wrap(SIG(42, '4D5'), ''), (d) => {
      assert.equal(d.element, 'InternalSignature ID=42 / ByteSequence 1 / SubSequence 1 / Sequence')
      assert.match(String(d.reason), /incomplete hex byte at character 3/)
      assert.equal(d.line, 3)
    })
    rejects(wrap(SIG(7, '(01|02'), ''), (d) => assert.match(String(d.reason), /unclosed "\("/))
    const withFrag = SIG(8, '4D5A').replace(
      '</Sequence>',
      '</Sequence><RightFragment Position="1" MinOffset="0" MaxOffset="0">01 * 02</RightFragment>',
    )
    rejects(wrap(withFrag, ''), (d) => {
      assert.equal(d.element, 'InternalSignature ID=8 / ByteSequence 1 / SubSequence 1 / RightFragment 1')
      assert.match(String(d.reason), /unbounded gap inside a fragment/)
    })
    const gapFrag = SIG(9, '4D5A').replace(
      '</Sequence>',
      '</Sequence><LeftFragment Position="2" MinOffset="0" MaxOffset="0">01</LeftFragment>',
    )
    rejects(wrap(gapFrag, ''), (d) => assert.match(String(d.reason), /positions are not contiguous/))
  })

  it('loads the shipped V122 file and container file, and reports the load time', async (t) => {
    const idf = await loadFormatIdentifier()
    assert.equal(idf.stats.signatureFileVersion, 122)
    assert.equal(idf.stats.formats, 2544)
    assert.equal(idf.stats.internalSignatures, 2242)
    assert.equal(idf.stats.byteSequences, 2643)
    assert.equal(idf.stats.containerSignatureVersion, 32)
    assert.equal(idf.stats.containerSignatures, 274)
    // The published container file has two misplaced <BinarySignatures> (BDOC 2.x): ignored, as DROID does.
    assert.equal(idf.stats.warnings.length, 2)
    assert.deepEqual(idf.format('fmt/18'), {
      puid: 'fmt/18',
      name: 'Acrobat PDF 1.4 - Portable Document Format',
      version: '1.4',
      mimeTypes: ['application/pdf'],
      extensions: ['pdf'],
      hasSignature: true,
      hasContainerSignature: false,
    })
    assert.equal(idf.format('fmt/412')?.hasContainerSignature, true)
    t.diagnostic(`signature files loaded and compiled in ${idf.loadMillis.toFixed(0)} ms`)
  })

  it('rejects a container file with a bad pattern', () => {
    const xml = readFileSync(DEFAULT_CONTAINER_FILE, 'utf8').replace(
      "<Sequence>'application/epub+zip'</Sequence>",
      "<Sequence>'application/epub+zip</Sequence>",
    )
    const binary = parseSignatureFile(readFileSync(DEFAULT_SIGNATURE_FILE, 'utf8'), 'V122')
    assert.throws(
      () => new FormatIdentifier(binary, parseContainerFile(xml, 'c.xml')),
      (e: unknown) =>
        isAppError(e) &&
        e.code === 'FORMAT_SIGNATURE_FILE_INVALID' &&
        String(e.details?.element).startsWith('ContainerSignature Id=14010') &&
        /unclosed quote/.test(String(e.details?.reason)),
    )
  })

  it('Vitam corpus: KO and example files rejected, V94/V109 accepted', async (t) => {
    const dir = join(corpusRoot(), 'vitam', 'formats')
    if (!existsSync(dir)) {
      t.skip(`corpus not found at ${dir} (set SAEH_CORPUS)`)
      return
    }
    await assert.rejects(loadSignatureFile(join(dir, 'DROID_SignatureFile_KO.xml')), /ligne 1, colonne/)
    // Its x-fmt/1 refers to a signature 485 that the file does not contain (DROID's keyref).
    await assert.rejects(
      loadSignatureFile(join(dir, 'droid-pronom-example.xml')),
      /missing InternalSignature 485/,
    )
    for (const v of ['V94', 'V109']) {
      const idf = await loadFormatIdentifier({ signatureFile: join(dir, `DROID_SignatureFile_${v}.xml`) })
      assert.ok(idf.stats.formats > 1000, v)
    }
  })
})
