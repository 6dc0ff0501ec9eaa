/**
 * Helpers shared by the formats tests and bench (not part of the public API): building real small
 * files of known formats, zips (yazl, an independent writer), and reading the Vitam SIP corpus.
 */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { deflateSync } from 'node:zlib'
import { SaxesParser } from 'saxes'
import { ZipFile } from 'yazl'

export async function makeZip(
  entries: readonly { name: string; data: Buffer | string; compress?: boolean }[],
): Promise<Buffer> {
  const zip = new ZipFile()
  for (const e of entries) {
    zip.addBuffer(Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data), e.name, {
      compress: e.compress ?? true,
      mtime: new Date('2024-01-01T00:00:00Z'),
    })
  }
  zip.end()
  const chunks: Buffer[] = []
  for await (const c of zip.outputStream) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

function crc32(buf: Buffer): number {
  let c = ~0
  for (const b of buf) {
    c ^= b
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1
  }
  return ~c >>> 0
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(data.length)
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(td))
  return Buffer.concat([len, td, crc])
}

/** A valid 1×1 RGBA PNG; `srgb` adds an sRGB chunk (what makes it PNG 1.1 for PRONOM). */
export function makePng(opts: { srgb?: boolean } = {}): Buffer {
  const ihdr = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0])
  const idat = deflateSync(Buffer.from([0, 255, 0, 0, 255]))
  return Buffer.concat([
    Buffer.from('89504e470d0a1a0a', 'hex'),
    pngChunk('IHDR', ihdr),
    ...(opts.srgb ? [pngChunk('sRGB', Buffer.from([0]))] : []),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ])
}

/** A JFIF 1.01 JPEG skeleton (SOI, APP0 JFIF, a comment, EOI). */
export function makeJpeg(): Buffer {
  const app0 = Buffer.from('ffe000104a46494600010101004800480000', 'hex')
  const com = Buffer.concat([Buffer.from('fffe0009', 'hex'), Buffer.from('saeh  ')])
  return Buffer.concat([Buffer.from('ffd8', 'hex'), app0, com, randomBytes(64), Buffer.from('ffd9', 'hex')])
}

export function makeGif(): Buffer {
  return Buffer.concat([
    Buffer.from('GIF89a', 'latin1'),
    Buffer.from('0100010080000000000000ffffff21f90401000000002c00000000010001000002024401003b', 'hex'),
  ])
}

/** A little-endian baseline TIFF header with one IFD (enough for PRONOM's TIFF signature). */
export function makeTiff(): Buffer {
  const b = Buffer.alloc(64)
  b.write('II*\0', 0, 'latin1')
  b.writeUInt32LE(8, 4)
  b.writeUInt16LE(1, 8)
  b.writeUInt16LE(256, 10) // ImageWidth
  b.writeUInt16LE(3, 12)
  b.writeUInt32LE(1, 14)
  b.writeUInt32LE(1, 18)
  return b
}

export function makePdf(version = '1.4'): Buffer {
  return Buffer.from(
    `%PDF-${version}\n%\u00e2\u00e3\u00cf\u00d3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n` +
      `2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\nxref\n0 3\n0000000000 65535 f \n` +
      `trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n9\n%%EOF\n`,
    'latin1',
  )
}

export function makeXml(): Buffer {
  return Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<doc><p>bonjour</p></doc>\n')
}

export async function makeOdt(version = '1.2'): Promise<Buffer> {
  const mime = 'application/vnd.oasis.opendocument.text'
  return makeZip([
    { name: 'mimetype', data: mime, compress: false },
    {
      name: 'content.xml',
      data:
        '<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content ' +
        `xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" office:version="${version}">` +
        '<office:body><office:text/></office:body></office:document-content>',
    },
    {
      name: 'META-INF/manifest.xml',
      data:
        '<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest ' +
        `xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="${version}">\n` +
        ` <manifest:file-entry manifest:full-path="/" manifest:media-type="${mime}"/>\n` +
        ' <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>\n' +
        '</manifest:manifest>',
    },
  ])
}

export async function makeDocx(): Promise<Buffer> {
  return makeZip([
    {
      name: '[Content_Types].xml',
      data:
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
        '<Default Extension="xml" ContentType="application/xml"/>' +
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>' +
        '</Types>',
    },
    {
      name: '_rels/.rels',
      data:
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>' +
        '</Relationships>',
    },
    {
      name: 'word/document.xml',
      data:
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">' +
        '<w:body><w:p><w:r><w:t>Bonjour</w:t></w:r></w:p></w:body></w:document>',
    },
  ])
}

/**
 * A minimal OLE2 compound file (MS-CFB v3, 512-byte sectors). Streams under 4,096 bytes go to the
 * mini stream, the others to regular sectors; `Storage/Stream` paths create one level of storage.
 */
export function makeOle2(streams: readonly { path: string; data: Buffer }[]): Buffer {
  const SECTOR = 512
  const END = 0xfffffffe
  const FREE = 0xffffffff
  const FATSECT = 0xfffffffd
  type Node = {
    name: string
    type: 1 | 2 | 5
    data?: Buffer
    children: Node[]
    start: number
    size: number
    id: number
  }
  const root: Node = { name: 'Root Entry', type: 5, children: [], start: END, size: 0, id: 0 }
  for (const st of streams) {
    const parts = st.path.split('/')
    let parent = root
    for (const dirName of parts.slice(0, -1)) {
      let d = parent.children.find((c) => c.name === dirName && c.type === 1)
      if (!d) {
        d = { name: dirName, type: 1, children: [], start: 0, size: 0, id: 0 }
        parent.children.push(d)
      }
      parent = d
    }
    parent.children.push({
      name: parts[parts.length - 1]!,
      type: 2,
      data: st.data,
      children: [],
      start: END,
      size: st.data.length,
      id: 0,
    })
  }
  const all: Node[] = []
  const number = (n: Node) => {
    n.id = all.length
    all.push(n)
    n.children.forEach(number)
  }
  number(root)
  const ministreams = all.filter((n) => n.type === 2 && n.size < 4096)
  const regulars = all.filter((n) => n.type === 2 && n.size >= 4096)
  // Mini stream and mini FAT.
  const miniParts: Buffer[] = []
  const miniFat: number[] = []
  for (const n of ministreams) {
    const count = Math.max(1, Math.ceil(n.size / 64))
    n.start = n.size === 0 ? END : miniFat.length
    for (let i = 0; i < count; i++) miniFat.push(i === count - 1 ? END : miniFat.length + 1)
    miniParts.push(Buffer.concat([n.data!, Buffer.alloc(count * 64 - n.size)]))
  }
  const miniStream = Buffer.concat(miniParts)
  const sectorsOf = (len: number) => Math.ceil(len / SECTOR)
  const dirSectors = sectorsOf(all.length * 128)
  const miniFatSectors = sectorsOf(miniFat.length * 4)
  const miniStreamSectors = sectorsOf(miniStream.length)
  const regularSectors = regulars.reduce((k, n) => k + sectorsOf(n.size), 0)
  const others = dirSectors + miniFatSectors + miniStreamSectors + regularSectors
  let fatSectors = 1
  while (fatSectors * (SECTOR / 4) < fatSectors + others) fatSectors++
  if (fatSectors > 109) throw new Error('too large for this test writer')
  const fat: number[] = []
  const chainOf = (count: number): number => {
    const start = fat.length
    for (let i = 0; i < count; i++) fat.push(i === count - 1 ? END : fat.length + 1)
    return count === 0 ? END : start
  }
  for (let i = 0; i < fatSectors; i++) fat.push(FATSECT)
  const dirStart = chainOf(dirSectors)
  const miniFatStart = chainOf(miniFatSectors)
  root.start = chainOf(miniStreamSectors)
  root.size = miniStream.length
  for (const n of regulars) n.start = chainOf(sectorsOf(n.size))
  while (fat.length < fatSectors * (SECTOR / 4)) fat.push(FREE)

  const header = Buffer.alloc(SECTOR)
  Buffer.from('d0cf11e0a1b11ae1', 'hex').copy(header, 0)
  header.writeUInt16LE(0x3e, 0x18)
  header.writeUInt16LE(3, 0x1a)
  header.writeUInt16LE(0xfffe, 0x1c)
  header.writeUInt16LE(9, 0x1e)
  header.writeUInt16LE(6, 0x20)
  header.writeUInt32LE(fatSectors, 0x2c)
  header.writeUInt32LE(dirStart, 0x30)
  header.writeUInt32LE(4096, 0x38)
  header.writeUInt32LE(miniFatSectors ? miniFatStart : END, 0x3c)
  header.writeUInt32LE(miniFatSectors, 0x40)
  header.writeUInt32LE(END, 0x44)
  for (let i = 0; i < 109; i++) header.writeUInt32LE(i < fatSectors ? i : FREE, 0x4c + 4 * i)

  const u32s = (xs: number[], sectors: number) => {
    const b = Buffer.alloc(sectors * SECTOR, 0xff)
    xs.forEach((x, i) => b.writeUInt32LE(x, 4 * i))
    return b
  }
  const dir = Buffer.alloc(dirSectors * SECTOR)
  for (const n of all) {
    const o = n.id * 128
    const name = Buffer.from(`${n.name}\0`, 'utf16le')
    name.copy(dir, o)
    dir.writeUInt16LE(name.length, o + 64)
    dir[o + 66] = n.type
    dir[o + 67] = 1
    dir.writeUInt32LE(FREE, o + 68)
    dir.writeUInt32LE(FREE, o + 72)
    dir.writeUInt32LE(n.children[0]?.id ?? FREE, o + 76)
    dir.writeUInt32LE(n.type === 1 ? 0 : n.start, o + 116)
    dir.writeUInt32LE(n.type === 1 ? 0 : n.size, o + 120)
  }
  // Siblings as a right-leaning chain (a valid, if unbalanced, tree).
  for (const n of all) {
    n.children.forEach((c, i) => {
      const next = n.children[i + 1]
      if (next) dir.writeUInt32LE(next.id, c.id * 128 + 72)
    })
  }
  const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc(sectorsOf(b.length) * SECTOR - b.length)])
  return Buffer.concat([
    header,
    u32s(fat, fatSectors),
    dir,
    u32s(miniFat, miniFatSectors),
    pad(miniStream),
    ...regulars.map((n) => pad(n.data!)),
  ])
}

/** A Word 97 document skeleton: WordDocument + CompObj naming "Word.Document.8". */
export function makeWord97(): Buffer {
  const compObj = Buffer.concat([
    Buffer.from('0100feff030a0000ffffffff0609020000000000c000000000000046', 'hex'),
    Buffer.from('18000000', 'hex'),
    Buffer.from('Microsoft Word 97-2003 Document\0', 'latin1').subarray(0, 24),
    Buffer.from('0a000000', 'hex'),
    Buffer.from('MSWordDoc\0', 'latin1'),
    Buffer.from('10000000', 'hex'),
    Buffer.from('Word.Document.8\0', 'latin1'),
    Buffer.from('f439b271000000000000000000000000', 'hex'),
  ])
  const word = Buffer.alloc(5000)
  word.writeUInt16LE(0xa5ec, 0) // FIB magic
  return makeOle2([
    { path: 'WordDocument', data: word },
    { path: '\u0001CompObj', data: compObj },
    { path: '\u0005SummaryInformation', data: Buffer.alloc(200) },
  ])
}

/** An Excel 97 workbook skeleton: a Workbook stream starting with a BIFF8 BOF record. */
export function makeExcel97(): Buffer {
  const wb = Buffer.alloc(4096)
  Buffer.from('0908100000060500', 'hex').copy(wb, 0)
  return makeOle2([{ path: 'Workbook', data: wb }])
}

// ---------------------------------------------------------------------------------------------------
// Vitam SIP corpus

/** The corpus root: $SAEH_CORPUS, else ../shared/corpus from the project root. */
export function corpusRoot(): string {
  return process.env.SAEH_CORPUS ?? resolve(process.cwd(), '../shared/corpus')
}

export interface DeclaredObject {
  readonly sip: string
  readonly uri: string
  readonly path: string
  readonly declaredPuid: string | undefined
}

/** Every BinaryDataObject Uri of a SEDA manifest with its declared FormatIdentification/FormatId. */
export function declaredFormats(manifestXml: string): { uri: string; formatId: string | undefined }[] {
  const out: { uri: string; formatId: string | undefined }[] = []
  const parser = new SaxesParser<{ xmlns: false }>({ xmlns: false })
  const stack: string[] = []
  let current: { uri?: string; formatId?: string } | undefined
  let text = ''
  const local = (n: string) => n.slice(n.indexOf(':') + 1)
  parser.on('opentag', (t) => {
    const name = local(t.name)
    stack.push(name)
    if (name === 'BinaryDataObject') current = {}
    text = ''
  })
  parser.on('text', (t) => {
    text += t
  })
  parser.on('closetag', (t) => {
    const name = local(t.name)
    stack.pop()
    if (current && name === 'Uri') current.uri = text.trim()
    if (current && name === 'FormatId' && stack.includes('FormatIdentification'))
      current.formatId = text.trim()
    if (name === 'BinaryDataObject' && current) {
      if (current.uri) out.push({ uri: current.uri, formatId: current.formatId })
      current = undefined
    }
    text = ''
  })
  parser.write(manifestXml).close()
  return out
}

/**
 * Unzips the SIPs of `corpus/vitam/sip-ok` into a temp folder (`unzip` CLI) and lists their binary
 * objects with the PUID their manifest declares. Undefined (with the reason) when not possible.
 */
export function extractSipCorpus(): { dir: string; objects: DeclaredObject[] } | { skip: string } {
  const root = join(corpusRoot(), 'vitam', 'sip-ok')
  if (!existsSync(root)) return { skip: `corpus not found at ${root} (set SAEH_CORPUS)` }
  if (spawnSync('unzip', ['-v']).status !== 0) return { skip: '`unzip` is not installed' }
  const dir = mkdtempSync(join(tmpdir(), 'saeh-formats-corpus-'))
  const objects: DeclaredObject[] = []
  for (const zip of readdirSync(root)
    .filter((f) => f.endsWith('.zip'))
    .sort()) {
    const sip = zip.replace(/\.zip$/, '')
    const out = join(dir, sip)
    const r = spawnSync('unzip', ['-qq', '-o', join(root, zip), '-d', out])
    if (r.status !== 0 && r.status !== 1) continue
    const manifest = readdirSync(out).find(
      (f) => f.toLowerCase().endsWith('.xml') && statSync(join(out, f)).isFile(),
    )
    if (!manifest) continue
    let declared: { uri: string; formatId: string | undefined }[]
    try {
      declared = declaredFormats(readFileSync(join(out, manifest), 'utf8'))
    } catch {
      continue
    }
    for (const d of declared) {
      let rel: string
      try {
        rel = decodeURIComponent(d.uri)
      } catch {
        rel = d.uri
      }
      const path = join(out, rel)
      if (!existsSync(path) || !statSync(path).isFile()) continue
      objects.push({ sip, uri: d.uri, path, declaredPuid: d.formatId })
    }
  }
  return { dir, objects }
}
