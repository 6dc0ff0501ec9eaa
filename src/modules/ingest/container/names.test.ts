import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import zlib from 'node:zlib'
import { checkEntryName, decodeCp437, decodeZipName, foldKey, isManifestName, NameIndex } from './names.js'

describe('entry name rules', () => {
  const refused: [string, string][] = [
    ['', 'empty'],
    ['../evil.txt', 'dot-segment'],
    ['Content/../../evil.txt', 'dot-segment'],
    ['Content/./a.txt', 'dot-segment'],
    ['Content//a.txt', 'empty-segment'],
    ['/etc/passwd', 'absolute'],
    ['C:/Windows/win.ini', 'drive-letter'],
    ['c:evil.txt', 'drive-letter'],
    ['Content\\ID13.txt', 'backslash'],
    ['a\u0000b.txt', 'control-character'],
    ['a\nb.txt', 'control-character'],
    ['a\u007fb.txt', 'control-character'],
    ['a\u0085b.txt', 'control-character'],
    ['invoice\u202efdp.exe', 'control-character'],
    ['bad\ufffdname.txt', 'invalid-utf8'],
  ]
  for (const [name, rule] of refused) {
    it(`refuses ${JSON.stringify(name)} (${rule})`, () => {
      const r = checkEntryName(name, 1024)
      assert.equal(r.ok, false)
      assert.equal('rule' in r && r.rule, rule)
    })
  }

  it('accepts ordinary names, strips one leading ./ and the directory slash', () => {
    assert.deepEqual(checkEntryName('Content/ID13.txt', 1024), {
      ok: true,
      root: false,
      path: 'Content/ID13.txt',
      directorySuffix: false,
    })
    assert.deepEqual(checkEntryName('./Content/', 1024), {
      ok: true,
      root: false,
      path: 'Content',
      directorySuffix: true,
    })
    assert.deepEqual(checkEntryName('./', 1024), { ok: true, root: true })
    assert.equal(checkEntryName('Content/Procès-verbal + annexe (1).pdf', 1024).ok, true)
    assert.equal(checkEntryName('Content/漢字.txt', 1024).ok, true)
  })

  it('bounds the name and each component', () => {
    const long = checkEntryName(`Content/${'a'.repeat(2000)}`, 1024)
    assert.equal(long.ok === false && 'limit' in long && long.limit, 'maxNameBytes')
    const component = checkEntryName(`Content/${'é'.repeat(128)}`, 1024)
    assert.equal(component.ok === false && 'limit' in component && component.limit, 'maxComponentBytes')
  })
})

describe('zip name decoding', () => {
  it('reads flagged names as strict UTF-8 and refuses invalid sequences', () => {
    assert.deepEqual(decodeZipName(Buffer.from('Café.txt'), 0x800, []), {
      ok: true,
      name: 'Café.txt',
      encoding: 'utf8',
    })
    assert.deepEqual(decodeZipName(Buffer.from([0x43, 0xe9, 0x2e, 0x74]), 0x800, []), { ok: false })
  })

  it('reads unflagged names as UTF-8 when valid, else CP437', () => {
    assert.equal(decodeZipName(Buffer.from('Café.txt'), 0, []).ok && 'utf8', 'utf8')
    const cp437 = decodeZipName(Buffer.from([0x43, 0x61, 0x66, 0x82, 0x2e, 0x74, 0x78, 0x74]), 0, [])
    assert.deepEqual(cp437, { ok: true, name: 'Café.txt', encoding: 'cp437' })
    // Control bytes stay controls (yauzl's CP437 table maps them to glyphs), so the name rules see them.
    assert.equal(decodeCp437(Buffer.from([0x01, 0x80, 0xff])), '\u0001Ç\u00a0')
  })

  it('prefers an Info-ZIP Unicode Path extra field whose CRC matches the raw name', () => {
    const raw = Buffer.from([0x43, 0x61, 0x66, 0x82])
    const utf8 = Buffer.from('Café')
    const data = Buffer.alloc(5 + utf8.length)
    data[0] = 1
    data.writeUInt32LE(zlib.crc32(raw), 1)
    utf8.copy(data, 5)
    assert.deepEqual(decodeZipName(raw, 0, [{ id: 0x7075, data }]), {
      ok: true,
      name: 'Café',
      encoding: 'utf8',
    })
    data.writeUInt32LE(0, 1)
    assert.equal(decodeZipName(raw, 0, [{ id: 0x7075, data }]).ok && 'cp437', 'cp437')
  })
})

describe('duplicate detection', () => {
  it('folds case and Unicode normalisation', () => {
    assert.equal(foldKey('Content/CAFÉ.txt'), foldKey('content/cafe\u0301.txt'))
    assert.equal(foldKey('Straße'), foldKey('STRASSE'))
  })

  it('finds files, directories and implied directories that collide', () => {
    const idx = new NameIndex()
    assert.equal(idx.add('Content/a.txt', false), undefined)
    assert.equal(idx.add('Content', true), undefined, 'explicit directory after an implied one is fine')
    assert.equal(idx.add('CONTENT/A.TXT', false), 'Content/a.txt')
    assert.equal(idx.add('content', false), 'Content')
    assert.equal(idx.add('Content/a.txt/x', false), 'Content/a.txt')
    assert.equal(idx.add('Content', true), 'Content', 'the same directory twice')
    const nfc = new NameIndex()
    assert.equal(nfc.add('Content/Caf\u00e9.pdf', false), undefined)
    assert.equal(nfc.add('Content/Cafe\u0301.pdf', false), 'Content/Caf\u00e9.pdf')
  })
})

describe("Vitam's manifest name rule", () => {
  it('accepts manifest.xml with an optional prefix of at most 56 characters ending with _ or -', () => {
    for (const ok of [
      'manifest.xml',
      'toto_manifest.xml',
      '_manifest.xml',
      'a-b_c-manifest.xml',
      `${'t'.repeat(56)}_manifest.xml`,
    ]) {
      assert.equal(isManifestName(ok), true, ok)
    }
    for (const ko of [
      'Manifest.xml',
      'MANIFEST.XML',
      '$_manifest.xml',
      'totomanifest.xml',
      `${'t'.repeat(57)}_manifest.xml`,
      'manifestAxml',
      'Content/manifest.xml',
      'manifest.xml.bak',
      'seda.xml',
    ]) {
      assert.equal(isManifestName(ko), false, ko)
    }
  })
})
