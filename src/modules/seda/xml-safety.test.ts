import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { describe, test } from 'node:test'
import {
  checkXmlSafety,
  detectSedaVersion,
  readManifest,
  validateManifest,
  type XmlSafetyResult,
} from './index.js'

const NS21 = 'fr:gouv:culture:archivesdefrance:seda:v2.1'

function failed(r: XmlSafetyResult) {
  assert.equal(r.ok, false, 'the document should have been refused')
  if (r.ok) throw new Error('unreachable')
  return r.issue
}

/** A byte stream that yields `count` copies of `piece` (never holds the whole document). */
function repeated(prefix: string, piece: string, count: number, suffix: string): Readable {
  const chunkCount = 4096
  let left = count
  let started = false
  return Readable.from(
    (function* () {
      if (!started) {
        started = true
        yield Buffer.from(prefix)
      }
      while (left > 0) {
        const n = Math.min(chunkCount, left)
        left -= n
        yield Buffer.from(piece.repeat(n))
      }
      yield Buffer.from(suffix)
    })(),
  )
}

describe('hostile XML is refused before anything else parses it', () => {
  test('XXE (external entity in a DOCTYPE) → DOCTYPE refused, with line and column', async () => {
    const xxe = `<?xml version="1.0"?>\n<!DOCTYPE ArchiveTransfer [\n  <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n<ArchiveTransfer xmlns="${NS21}"><Comment>&xxe;</Comment></ArchiveTransfer>`
    const issue = failed(await checkXmlSafety(Buffer.from(xxe)))
    assert.equal(issue.code, 'XML_DOCTYPE')
    assert.match(issue.message, /DOCTYPE refusée \(ligne 4, colonne \d+\)/)
    assert.equal(issue.line, 4)
  })

  test('billion laughs → refused at the DOCTYPE, fast and without expansion', async () => {
    const lol = ['<!ENTITY lol0 "lol">']
    for (let i = 1; i < 10; i++) lol.push(`<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`)
    const doc = `<?xml version="1.0"?>\n<!DOCTYPE lolz [\n${lol.join('\n')}\n]>\n<lolz>&lol9;</lolz>`
    const before = process.memoryUsage().heapUsed
    const t0 = performance.now()
    const issue = failed(await checkXmlSafety(Buffer.from(doc)))
    assert.equal(issue.code, 'XML_DOCTYPE')
    assert.ok(performance.now() - t0 < 1000, 'must fail fast')
    assert.ok(process.memoryUsage().heapUsed - before < 50 * 1024 * 1024, 'no expansion')
  })

  test('an entity that is not one of the five predefined ones is refused even without DOCTYPE', async () => {
    const issue = failed(await checkXmlSafety(Buffer.from(`<a>\n<b>&nbsp;</b></a>`)))
    assert.equal(issue.code, 'XML_ENTITY')
    assert.equal(issue.line, 2)
    assert.match(issue.message, /Référence d'entité interdite \(ligne 2/)
  })

  test('predefined entities and character references are accepted', async () => {
    const r = await checkXmlSafety(
      Buffer.from(`<a t="&quot;&apos;">&amp;&lt;&gt;&#233;&#x20AC;<![CDATA[<x>]]><!-- note --></a>`),
    )
    assert.equal(r.ok, true)
  })

  test('processing instructions are refused (the XML declaration is not one)', async () => {
    const issue = failed(
      await checkXmlSafety(
        Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<?xml-stylesheet href="x.xsl"?>\n<a/>`),
      ),
    )
    assert.equal(issue.code, 'XML_PROCESSING_INSTRUCTION')
    assert.equal(issue.line, 2)
    assert.match(issue.message, /xml-stylesheet/)
  })

  test('invalid UTF-8 → refused with the byte offset and line of the bad sequence', async () => {
    const bytes = Buffer.concat([
      Buffer.from('<a>\n<b>caf'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('</b></a>'),
    ])
    const issue = failed(await checkXmlSafety(bytes))
    assert.equal(issue.code, 'XML_INVALID_UTF8')
    assert.equal(issue.byteOffset, 10)
    assert.equal(issue.line, 2)
    assert.match(issue.message, /octet 10 \(ligne 2\)/)
  })

  test('Latin-1 bytes, overlong forms and surrogates are invalid UTF-8', async () => {
    for (const bad of [[0xe9], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]]) {
      const issue = failed(
        await checkXmlSafety(Buffer.concat([Buffer.from('<a>'), Buffer.from(bad), Buffer.from('</a>')])),
      )
      assert.equal(issue.code, 'XML_INVALID_UTF8', `bytes ${bad.join(',')}`)
      assert.equal(issue.byteOffset, 3)
    }
  })

  test('a multi-byte character split across stream chunks is fine', async () => {
    const e = Buffer.from('é€😀')
    const chunks = [
      Buffer.from('<a>'),
      e.subarray(0, 1),
      e.subarray(1, 3),
      e.subarray(3, 6),
      e.subarray(6),
      Buffer.from('</a>'),
    ]
    assert.equal((await checkXmlSafety(Readable.from(chunks))).ok, true)
  })

  test('UTF-16 and non-UTF-8 declared encodings are refused', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<a/>', 'utf16le')])
    assert.equal(failed(await checkXmlSafety(utf16)).code, 'XML_ENCODING')
    const latin = failed(await checkXmlSafety(Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><a/>')))
    assert.equal(latin.code, 'XML_ENCODING')
    assert.match(latin.message, /ISO-8859-1/)
    assert.equal(failed(await checkXmlSafety(Buffer.from('<?xml version="1.1"?><a/>'))).code, 'XML_VERSION')
    assert.equal(
      (await checkXmlSafety(Buffer.from('\ufeff<?xml version="1.0" encoding="utf-8"?><a/>'))).ok,
      true,
    )
  })

  test('10^6-deep nesting → refused at the depth limit after reading one chunk', async () => {
    const before = process.memoryUsage().heapUsed
    const t0 = performance.now()
    const r = await checkXmlSafety(repeated('', '<a>', 1_000_000, '</a>'.repeat(1)))
    const issue = failed(r)
    assert.equal(issue.code, 'XML_MAX_DEPTH')
    assert.match(issue.message, /plus de 256 niveaux/)
    assert.equal(issue.line, 1)
    assert.ok(performance.now() - t0 < 2000, 'must fail fast')
    assert.ok(process.memoryUsage().heapUsed - before < 64 * 1024 * 1024, 'bounded memory')
  })

  test('a huge text node → refused once the limit is passed, without reading the rest', async () => {
    const t0 = performance.now()
    const stream = repeated('<a>\n<b>', 'x'.repeat(1024), 200_000, '</b></a>') // ~200 MB
    let read = 0
    stream.on('data', (c: Buffer) => (read += c.length))
    const issue = failed(await checkXmlSafety(stream, { maxTextLength: 1024 * 1024 }))
    assert.equal(issue.code, 'XML_TEXT_TOO_LONG')
    assert.equal(issue.line, 2)
    assert.ok(read < 16 * 1024 * 1024, `read ${read} bytes`)
    assert.ok(performance.now() - t0 < 3000)
  })

  test('too long attribute value, too many attributes, too many elements, too large document', async () => {
    const long = failed(
      await checkXmlSafety(Buffer.from(`<a v="${'x'.repeat(2000)}"/>`), { maxTextLength: 1000 }),
    )
    assert.equal(long.code, 'XML_TEXT_TOO_LONG')
    assert.match(long.message, /attribut v/)
    const attrs = Array.from({ length: 70 }, (_, i) => `a${i}="1"`).join(' ')
    assert.equal(failed(await checkXmlSafety(Buffer.from(`<a ${attrs}/>`))).code, 'XML_MAX_ATTRIBUTES')
    const many = failed(
      await checkXmlSafety(Buffer.from(`<a>${'<b/>'.repeat(100)}</a>`), { maxElements: 50 }),
    )
    assert.equal(many.code, 'XML_MAX_ELEMENTS')
    const big = failed(await checkXmlSafety(Buffer.from(`<a>${'x'.repeat(5000)}</a>`), { maxBytes: 1000 }))
    assert.equal(big.code, 'XML_TOO_LARGE')
  })

  test('malformed XML and non-XML are refused with a located message', async () => {
    const m = failed(await checkXmlSafety(Buffer.from('<a>\n  <b>\n</a>')))
    assert.equal(m.code, 'XML_MALFORMED')
    assert.equal(m.line, 3)
    assert.match(m.message, /XML mal formé \(ligne 3/)
    assert.equal(failed(await checkXmlSafety(Buffer.from(''))).code, 'XML_EMPTY')
    const pdf = failed(await checkXmlSafety(Buffer.from('%PDF-1.4\n%\u00e2\u00e3\n1 0 obj')))
    assert.equal(pdf.code, 'XML_MALFORMED')
  })

  test('every reader of a manifest runs the same pass: detect, validate and read refuse a DOCTYPE', async () => {
    const doc = Buffer.from(`<!DOCTYPE x [<!ENTITY e "v">]><ArchiveTransfer xmlns="${NS21}"/>`)
    const d = await detectSedaVersion(doc)
    assert.equal(d.ok, false)
    if (!d.ok) {
      assert.equal(d.code, 'NOT_XML')
      assert.equal(d.detail, 'CHECK_SEDA.NOT_XML_FILE.KO')
      assert.equal(d.issue?.code, 'XML_DOCTYPE')
    }
    const v = await validateManifest(doc, '2.1')
    assert.equal(v.valid, false)
    assert.equal(v.detail, 'CHECK_SEDA.NOT_XML_FILE.KO')
    assert.equal(v.errors[0]?.code, 'XML_DOCTYPE')
    await assert.rejects(readManifest(doc), (e: unknown) => {
      assert.equal((e as { code?: string }).code, 'SEDA_NOT_XML')
      return true
    })
  })
})
