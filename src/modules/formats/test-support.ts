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
