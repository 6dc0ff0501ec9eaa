import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { after, before, describe, it } from 'node:test'
import { isAppError } from '../../platform/errors.js'
import {
  FormatWindowCollector,
  loadFormatIdentifier,
  type FormatIdentifier,
  type IdentifyResult,
} from './index.js'
import { readCentralDirectory, readEntryPrefix } from './zip.js'
import {
  makeDocx,
  makeExcel97,
  makeGif,
  makeJpeg,
  makeOdt,
  makePdf,
  makePng,
  makeTiff,
  makeOle2,
  makeWord97,
  makeXml,
  makeZip,
} from './test-support.js'

let idf: FormatIdentifier
let dir: string

before(async () => {
  idf = await loadFormatIdentifier()
  dir = mkdtempSync(join(tmpdir(), 'saeh-formats-'))
})
after(() => rmSync(dir, { recursive: true, force: true }))

const whole = (b: Buffer, filename?: string): Promise<IdentifyResult> =>
  idf.identifyBuffer(b, b, { size: b.length, ...(filename ? { filename } : {}) })

describe('identification of real small files', () => {
  const cases: [string, () => Buffer | Promise<Buffer>, string, IdentifyResult['method']][] = [
    ['doc.pdf', () => makePdf('1.4'), 'fmt/18', 'signature'],
    ['doc17.pdf', () => makePdf('1.7'), 'fmt/276', 'signature'],
    ['img.png', () => makePng(), 'fmt/11', 'signature'],
    ['srgb.png', () => makePng({ srgb: true }), 'fmt/12', 'signature'],
    ['photo.jpg', () => makeJpeg(), 'fmt/43', 'signature'],
    ['anim.gif', () => makeGif(), 'fmt/4', 'signature'],
    ['scan.tif', () => makeTiff(), 'fmt/353', 'signature'],
    ['data.xml', () => makeXml(), 'fmt/101', 'signature'],
    ['text.odt', () => makeOdt('1.2'), 'fmt/291', 'container'],
    ['text13.odt', () => makeOdt('1.3'), 'fmt/1756', 'container'],
    ['letter.docx', () => makeDocx(), 'fmt/412', 'container'],
    ['archive.zip', () => makeZip([{ name: 'a.txt', data: 'bonjour' }]), 'x-fmt/263', 'signature'],
    ['notes.txt', () => Buffer.from('Bonjour\n'), 'x-fmt/111', 'extension'],
    ['letter.doc', () => makeWord97(), 'fmt/40', 'container'],
    ['sheet.xls', () => makeExcel97(), 'fmt/61', 'container'],
  ]
  for (const [name, make, puid, method] of cases) {
    it(`${name} → ${puid} (${method})`, async () => {
      const b = await make()
      const r = await whole(b, name)
      assert.equal(r.puid, puid, JSON.stringify(r))
      assert.equal(r.method, method)
      assert.equal(r.extensionMismatch, false)
      assert.deepEqual(r.warnings, [])
      // Same answer from the file on disk.
      const p = join(dir, name)
      writeFileSync(p, b)
      const f = await idf.identifyFile(p)
      assert.equal(f.puid, puid)
      assert.equal(f.method, method)
    })
  }

  it('returns names, versions and MIME types', async () => {
    const r = await whole(makePdf('1.4'), 'a.pdf')
    assert.equal(r.name, 'Acrobat PDF 1.4 - Portable Document Format')
    assert.equal(r.mimeType, 'application/pdf')
    assert.deepEqual(r.matches[0], {
      puid: 'fmt/18',
      name: 'Acrobat PDF 1.4 - Portable Document Format',
      version: '1.4',
      mimeTypes: ['application/pdf'],
      basis: 'signature 20',
    })
  })

  it('random bytes, an empty file and a 1-byte file → none', async () => {
    for (const b of [randomBytes(4096), Buffer.alloc(0), Buffer.from([0x25])]) {
      const r = await whole(b)
      assert.equal(r.method, 'none')
      assert.equal(r.puid, null)
      assert.deepEqual(r.matches, [])
    }
    const empty = join(dir, 'empty')
    writeFileSync(empty, '')
    assert.equal((await idf.identifyFile(empty)).method, 'none')
  })

  it('extension fallback only for formats without signature (DROID default), and flagged', async () => {
    assert.equal((await whole(randomBytes(100), 'x.txt')).method, 'extension')
    // fmt/18 has a signature: a .pdf that is not a PDF is not called PDF.
    assert.equal((await whole(randomBytes(100), 'x.pdf')).method, 'none')
    // DOCX formats have only container signatures: DROID proposes them for a .docx that is not a ZIP
    // (fmt/412 itself is then dropped: fmt/1827 has priority over it).
    const docx = await whole(randomBytes(100), 'x.docx')
    assert.equal(docx.method, 'extension')
    assert.deepEqual(docx.matches.map((m) => m.puid).sort(), ['fmt/1827', 'fmt/494'])
    const all = await loadFormatIdentifier({ extensionFallback: 'all' })
    const r = await all.identifyBuffer(Buffer.from('xx'), Buffer.from('xx'), { size: 2, filename: 'x.pdf' })
    assert.equal(r.method, 'extension')
    // Priorities apply to extension hits too (PDF/A formats have priority over plain PDF versions).
    assert.ok(r.matches.length > 1)
    assert.ok(r.matches.every((m) => m.basis === 'extension .pdf'))
  })

  it('flags an extension that does not fit the identified format', async () => {
    const r = await whole(makePdf(), 'image.png')
    assert.equal(r.puid, 'fmt/18')
    assert.equal(r.extensionMismatch, true)
  })

  it('rejects inconsistent arguments', async () => {
    await assert.rejects(
      idf.identifyBuffer(Buffer.alloc(10), Buffer.alloc(0), { size: 5 }),
      (e: unknown) => isAppError(e) && e.code === 'FORMAT_INVALID_ARGUMENT',
    )
    await assert.rejects(
      idf.identifyFile(join(dir, 'does-not-exist')),
      (e: unknown) => isAppError(e) && e.code === 'FORMAT_FILE_UNREADABLE',
    )
  })
})

describe('windows of a large object', () => {
  it('PDF with a large body: BOF and EOF windows are enough', async () => {
    const pdf = makePdf('1.4')
    const big = Buffer.concat([pdf.subarray(0, 9), randomBytes(3 << 20), pdf.subarray(9)])
    const head = big.subarray(0, 65_536)
    const tail = big.subarray(big.length - 65_536)
    const r = await idf.identifyBuffer(head, tail, { size: big.length, filename: 'big.pdf' })
    assert.equal(r.puid, 'fmt/18')
    const p = join(dir, 'big.pdf')
    writeFileSync(p, big)
    assert.equal((await idf.identifyFile(p)).puid, 'fmt/18')
  })

  it('large DOCX: container read from the file; from windows when its parts lie in them', async () => {
    const docx = await makeZip([
      {
        name: '[Content_Types].xml',
        data: (await unzipEntry(await makeDocx(), '[Content_Types].xml')) ?? '',
      },
      { name: 'word/media/big.bin', data: randomBytes(2 << 20), compress: false },
      { name: 'word/document.xml', data: '<w:document/>' },
    ])
    const p = join(dir, 'big.docx')
    writeFileSync(p, docx)
    assert.equal((await idf.identifyFile(p)).puid, 'fmt/412')
    const head = docx.subarray(0, 65_536)
    const tail = docx.subarray(docx.length - 65_536)
    const r = await idf.identifyBuffer(head, tail, { size: docx.length })
    assert.equal(r.puid, 'fmt/412')
    assert.equal(r.method, 'container')
  })

  it('when a container part is outside the windows: binary result kept, with a warning', async () => {
    const zip = await makeZip([
      { name: 'big1.bin', data: randomBytes(1 << 20), compress: false },
      { name: 'mimetype', data: 'application/epub+zip', compress: false },
      { name: 'big2.bin', data: randomBytes(1 << 20), compress: false },
    ])
    const head = zip.subarray(0, 65_536)
    const tail = zip.subarray(zip.length - 65_536)
    const r = await idf.identifyBuffer(head, tail, { size: zip.length })
    assert.equal(r.puid, 'x-fmt/263')
    assert.ok(
      r.warnings.some((w) => w.includes('mimetype')),
      r.warnings.join('\n'),
    )
    const p = join(dir, 'book.epub')
    writeFileSync(p, zip)
    const f = await idf.identifyFile(p)
    assert.equal(f.puid, 'fmt/483') // ePub, from the container signature
  })

  it('a corrupt ZIP keeps its binary identification, with a warning', async () => {
    const zip = Buffer.from(await makeDocx())
    const cd = zip.indexOf(Buffer.from('504b0102', 'hex'))
    zip.write('XX', cd, 'latin1') // first central directory header broken
    const r = await whole(zip, 'x.docx')
    assert.equal(r.puid, 'x-fmt/263')
    assert.equal(r.extensionMismatch, true)
    assert.ok(
      r.warnings.some((w) => w.startsWith('ZIP container not readable')),
      r.warnings.join('\n'),
    )
    // Cut before its end of central directory, it is no longer even a ZIP for PRONOM.
    assert.notEqual((await whole(zip.subarray(0, zip.length - 30))).puid, 'x-fmt/263')
  })
})

describe('ZIP reader', () => {
  it('inflates exactly the requested prefix of a large, highly compressible entry', async () => {
    const text = Buffer.from('<x>' + 'a'.repeat(300_000) + '</x>')
    const zip = await makeZip([{ name: 'big.xml', data: text }])
    const read = async (o: number, l: number) => zip.subarray(o, o + l)
    const [entry] = (await readCentralDirectory(read, zip.length)) ?? []
    assert.ok(entry && entry.method === 8)
    const part = await readEntryPrefix(read, entry, 1_000)
    assert.deepEqual(part?.data, text.subarray(0, 1_000))
    assert.equal(part?.complete, false)
    const all = await readEntryPrefix(read, entry, 1 << 20)
    assert.deepEqual(all?.data, text)
    assert.equal(all?.complete, true)
  })

  it('ODF manifest whose media-type sits late in the window still matches (deflated)', async () => {
    const mime = 'application/vnd.oasis.opendocument.text'
    const odt = await makeZip([
      { name: 'mimetype', data: mime, compress: false },
      {
        name: 'META-INF/manifest.xml',
        // media-type near the end of the 1,024-byte window, in a part much longer than the window
        data:
          `<?xml version="1.0"?><!--${' '.repeat(850)}--><manifest:file-entry manifest:media-type="${mime}"/>` +
          '<manifest:file-entry/>'.repeat(2_000),
      },
      { name: 'content.xml', data: '<office:document-content office:version="1.2"/>' },
    ])
    assert.equal((await whole(odt)).puid, 'fmt/291')
  })
})

describe('OLE2 containers', () => {
  it('an OLE2 file matching no container signature stays fmt/111; nested storages are walked', async () => {
    const ole = makeOle2([{ path: 'Storage/Stream', data: Buffer.from('hello') }])
    const r = await whole(ole, 'x.ole')
    assert.equal(r.puid, 'fmt/111')
    assert.equal(r.method, 'signature')
    assert.deepEqual(r.warnings, [])
    // Container signatures on nested paths (Omnipage: PageManager/page1 + Version/Data).
    const omnipage = (version: string) =>
      makeOle2([
        { path: 'PageManager/page1', data: Buffer.alloc(100) },
        { path: 'Version/Data', data: Buffer.from(version, 'hex') },
      ])
    const v10 = await whole(omnipage('04010000650000004361657265204f6d6e6970616765204f50442031302e30'))
    assert.equal(v10.method, 'container')
    assert.deepEqual(
      v10.matches.map((m) => m.basis),
      ['container 48000'],
    )
    const v12 = await whole(omnipage('0401000000'))
    assert.deepEqual(
      v12.matches.map((m) => m.basis),
      ['container 48010'],
    )
  })

  it('a corrupt OLE2 file (FAT chain loop) keeps fmt/111 with a warning', async () => {
    const doc = Buffer.from(makeWord97())
    // First FAT entry after the FAT sector itself (the directory chain) made to point to itself.
    doc.writeUInt32LE(1, 512 + 4)
    const r = await whole(doc, 'x.doc')
    assert.equal(r.puid, 'fmt/111')
    assert.ok(
      r.warnings.some((w) => w.startsWith('OLE2 container not readable')),
      r.warnings.join('\n'),
    )
  })

  it('a large OLE2 file identified from the file; from windows only when its parts are in them', async () => {
    const big = makeOle2([
      { path: 'Filler', data: randomBytes(1 << 20) },
      { path: 'Workbook', data: Buffer.concat([Buffer.from('0908100000060500', 'hex'), Buffer.alloc(8192)]) },
      { path: 'Filler2', data: randomBytes(1 << 20) },
    ])
    const p = join(dir, 'big.xls')
    writeFileSync(p, big)
    assert.equal((await idf.identifyFile(p)).puid, 'fmt/61')
    const r = await idf.identifyBuffer(big.subarray(0, 65_536), big.subarray(big.length - 65_536), {
      size: big.length,
    })
    assert.equal(r.puid, 'fmt/111')
    assert.ok(
      r.warnings.some((w) => w.includes('OLE2')),
      r.warnings.join('\n'),
    )
  })
})

describe('FormatWindowCollector (tap on a stream read anyway)', () => {
  it('keeps head and tail windows in bounded memory, as a Transform', async () => {
    const pdf = makePdf('1.4')
    const body = randomBytes(1 << 20)
    const data = Buffer.concat([pdf.subarray(0, 9), body, pdf.subarray(9)])
    const c = new FormatWindowCollector()
    const chunks: Buffer[] = []
    for (let i = 0; i < data.length; i += 7_777) chunks.push(data.subarray(i, i + 7_777))
    let seen = 0
    await pipeline(Readable.from(chunks), c.transform(), async (src: AsyncIterable<Buffer>) => {
      for await (const chunk of src) seen += chunk.length
    })
    assert.equal(seen, data.length)
    const w = c.windows()
    assert.equal(w.size, data.length)
    assert.deepEqual(w.head, data.subarray(0, 65_536))
    assert.deepEqual(w.tail, data.subarray(data.length - 65_536))
    const r = await idf.identifyBuffer(w.head, w.tail, { size: w.size, filename: 'x.pdf' })
    assert.equal(r.puid, 'fmt/18')
  })

  it('taps an async iterable (storage ByteSource) and handles objects smaller than the windows', async () => {
    const odt = await makeOdt()
    const c = new FormatWindowCollector()
    const out: Uint8Array[] = []
    for await (const chunk of c.tap(Readable.from([odt.subarray(0, 10), odt.subarray(10)]))) out.push(chunk)
    assert.deepEqual(Buffer.concat(out), odt)
    const w = c.windows()
    assert.deepEqual(w.head, odt)
    assert.deepEqual(w.tail, odt)
    assert.equal((await idf.identifyBuffer(w.head, w.tail, { size: w.size })).puid, 'fmt/291')
  })

  it('an empty stream', async () => {
    const c = new FormatWindowCollector()
    for await (const _ of c.tap(Readable.from([]))) assert.fail()
    const w = c.windows()
    assert.equal(w.size, 0)
    assert.equal((await idf.identifyBuffer(w.head, w.tail, { size: 0 })).method, 'none')
  })
})

describe('format referential', () => {
  it('lists every PUID with name, version, MIME types and extensions', () => {
    const all = idf.formats()
    assert.equal(all.length, 2544)
    const png = all.find((f) => f.puid === 'fmt/13')
    assert.deepEqual(png, {
      puid: 'fmt/13',
      name: 'Portable Network Graphics',
      version: '1.2',
      mimeTypes: ['image/png'],
      extensions: ['png'],
      hasSignature: true,
      hasContainerSignature: false,
    })
    assert.equal(new Set(all.map((f) => f.puid)).size, all.length)
  })
})

async function unzipEntry(zip: Buffer, name: string): Promise<string | undefined> {
  const read = async (o: number, l: number) => zip.subarray(o, o + l)
  const entries = await readCentralDirectory(read, zip.length)
  const e = entries?.find((x) => x.name === name)
  if (!e) return undefined
  return (await readEntryPrefix(read, e, 1 << 20))?.data.toString('utf8')
}
