import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FormatIdentifier, type IdentifierOptions } from './identifier.js'
import { parseSignatureFile } from './signature-file.js'

const NS = 'http://www.nationalarchives.gov.uk/pronom/SignatureFile'

/** One format per signature: `sigs` maps a PUID to the inner XML of its InternalSignature. */
function identifier(
  sigs: Record<string, string>,
  opts: IdentifierOptions & {
    priorities?: Record<string, string[]>
    extensions?: Record<string, string>
  } = {},
): FormatIdentifier {
  const puids = Object.keys(sigs)
  const id = (p: string) => puids.indexOf(p) + 1
  const sigXml = puids.map(
    (p) => `<InternalSignature ID="${id(p)}" Specificity="Specific">${sigs[p]}</InternalSignature>`,
  )
  const fmtXml = puids.map(
    (p) =>
      `<FileFormat ID="${id(p)}" Name="Format ${p}" PUID="${p}"><InternalSignatureID>${id(p)}</InternalSignatureID>` +
      `${opts.extensions?.[p] ? `<Extension>${opts.extensions[p]}</Extension>` : ''}` +
      (opts.priorities?.[p] ?? [])
        .map((q) => `<HasPriorityOverFileFormatID>${id(q)}</HasPriorityOverFileFormatID>`)
        .join('') +
      `</FileFormat>`,
  )
  const xml =
    `<?xml version="1.0" encoding="UTF-8"?><FFSignatureFile xmlns="${NS}" Version="1" DateCreated="2024-01-01T00:00:00">` +
    `<InternalSignatureCollection>${sigXml.join('')}</InternalSignatureCollection>` +
    `<FileFormatCollection>${fmtXml.join('')}</FileFormatCollection></FFSignatureFile>`
  return new FormatIdentifier(parseSignatureFile(xml, 'test'), undefined, opts)
}

const bs = (ref: string | undefined, subs: string) =>
  `<ByteSequence${ref ? ` Reference="${ref}"` : ''}>${subs}</ByteSequence>`
const sub = (pos: number, min: number, max: number | undefined, seq: string, frags = '') =>
  `<SubSequence Position="${pos}" SubSeqMinOffset="${min}"${max === undefined ? '' : ` SubSeqMaxOffset="${max}"`}>` +
  `<Sequence>${seq}</Sequence><DefaultShift>1</DefaultShift>${frags}</SubSequence>`
const lf = (pos: number, min: number, max: number, pat: string) =>
  `<LeftFragment Position="${pos}" MinOffset="${min}" MaxOffset="${max}">${pat}</LeftFragment>`
const rf = (pos: number, min: number, max: number, pat: string) =>
  `<RightFragment Position="${pos}" MinOffset="${min}" MaxOffset="${max}">${pat}</RightFragment>`

async function puidsOf(idf: FormatIdentifier, data: Buffer | string, filename?: string): Promise<string[]> {
  const b = Buffer.isBuffer(data) ? data : Buffer.from(data, 'latin1')
  const r = await idf.identifyBuffer(b, b, { size: b.length, ...(filename ? { filename } : {}) })
  return r.matches.map((m) => m.puid).sort()
}

describe('byte sequence matching (DROID semantics)', () => {
  it('BOF: left fragments sit at their gap before the sequence (JPEG/JFIF style)', async () => {
    const idf = identifier({
      'x/jfif': bs(
        'BOFoffset',
        sub(1, 0, 0, '4A46494600', lf(1, 2, 2, 'FFD8FFE0') + rf(1, 0, 0, '01') + rf(1, 0, 0, '02')),
      ),
    })
    assert.deepEqual(await puidsOf(idf, Buffer.from('ffd8ffe000104a4649460001', 'hex')), ['x/jfif'])
    assert.deepEqual(await puidsOf(idf, Buffer.from('ffd8ffe000104a4649460003', 'hex')), [])
    assert.deepEqual(await puidsOf(idf, Buffer.from('00ffd8ffe000104a4649460001', 'hex')), [])
  })

  it('BOF: SubSeqMinOffset..SubSeqMaxOffset bound where the subsequence may start', async () => {
    const idf = identifier({ 'x/w': bs('BOFoffset', sub(1, 2, 8, "'MAGIC'")) })
    assert.deepEqual(await puidsOf(idf, 'xxxxxxxxMAGIC'), ['x/w'])
    assert.deepEqual(await puidsOf(idf, 'xxMAGIC'), ['x/w'])
    assert.deepEqual(await puidsOf(idf, 'xMAGIC'), [])
    assert.deepEqual(await puidsOf(idf, 'xxxxxxxxxMAGIC'), [])
  })

  it('EOF: the sequence must end within SubSeqMaxOffset of the end', async () => {
    const idf = identifier({ 'x/eof': bs('EOFoffset', sub(1, 0, 10, '2525454F46')) })
    assert.deepEqual(await puidsOf(idf, '%PDF...%%EOF'), ['x/eof'])
    assert.deepEqual(await puidsOf(idf, '%PDF...%%EOF\r\n'), ['x/eof'])
    assert.deepEqual(await puidsOf(idf, '%PDF...%%EOF' + ' '.repeat(11)), [])
  })

  it('Variable: found anywhere within the BOF window, not beyond', async () => {
    const idf = identifier({ 'x/var': bs(undefined, sub(1, 0, undefined, "'needle'")) }, { bofWindow: 64 })
    assert.deepEqual(await puidsOf(idf, 'a'.repeat(40) + 'needle'), ['x/var'])
    assert.deepEqual(await puidsOf(idf, 'a'.repeat(70) + 'needle'), [])
  })

  it('several subsequences: in order, each after the previous one', async () => {
    const idf = identifier({
      'x/multi': bs(
        'BOFoffset',
        sub(1, 0, 0, "'HEAD'") + sub(2, 3, undefined, "'BODY'") + sub(3, 0, undefined, "'TAIL'"),
      ),
    })
    assert.deepEqual(await puidsOf(idf, 'HEAD...BODY..TAIL'), ['x/multi'])
    assert.deepEqual(await puidsOf(idf, 'HEAD..BODY..TAIL'), []) // BODY needs 3 bytes of gap
    assert.deepEqual(await puidsOf(idf, 'HEAD...TAIL..BODY'), [])
  })

  it('EOF subsequences are searched backwards from the end', async () => {
    const idf = identifier({
      'x/eof2': bs('EOFoffset', sub(1, 0, undefined, "'START'") + sub(2, 0, 4, "'END'")),
    })
    assert.deepEqual(await puidsOf(idf, '..START....END..'), ['x/eof2'])
    assert.deepEqual(await puidsOf(idf, '..END....START..'), [])
  })

  it('fragments with ranges of gaps and alternatives at the same position', async () => {
    const idf = identifier({
      'x/frag': bs(
        'BOFoffset',
        sub(1, 0, 0, "'AB'", rf(1, 1, 3, "'C'") + rf(1, 0, 0, "'D'") + rf(2, 0, 2, "'E'")),
      ),
    })
    for (const ok of ['ABxCE', 'ABxxxCxxE', 'ABDE', 'ABDxE'])
      assert.deepEqual(await puidsOf(idf, ok), ['x/frag'], ok)
    for (const ko of ['ABCE', 'ABxxxxCE', 'ABDxxxE', 'ABxD']) assert.deepEqual(await puidsOf(idf, ko), [], ko)
  })

  it('the full PRONOM syntax inside <Sequence> (container dialect)', async () => {
    const idf = identifier({
      'x/syn': bs('BOFoffset', sub(1, 0, 0, "'AB' {2-4} (43|4444) [30:39] ?? [!00] * 'END'")),
    })
    assert.deepEqual(await puidsOf(idf, 'AB..C5zz____END'), ['x/syn'])
    assert.deepEqual(await puidsOf(idf, 'AB....DD9zzEND'), ['x/syn'])
    assert.deepEqual(await puidsOf(idf, 'AB.....C5zzEND'), [])
    assert.deepEqual(await puidsOf(idf, 'AB..Cxzz____END'), [])
    assert.deepEqual(await puidsOf(idf, Buffer.from('AB..C5z\0END', 'latin1')), [])
    assert.deepEqual(await puidsOf(idf, 'AB..C5zz____EN'), [])
  })

  it('anchorless segments, masks and multi-byte classes', async () => {
    const idf = identifier({
      'x/digits': bs(undefined, sub(1, 0, undefined, '[30:39] [30:39] {2} [41:5A]')),
      'x/mask': bs('BOFoffset', sub(1, 0, 0, "'M' [&amp;81]")), // & escaped in XML
      'x/notseq': bs('BOFoffset', sub(1, 0, 0, "'N' [!4142]")),
      'x/range': bs('BOFoffset', sub(1, 0, 0, "'R' [0100:0200]")),
    })
    assert.deepEqual(await puidsOf(idf, 'xx42..Zyy'), ['x/digits'])
    assert.deepEqual(await puidsOf(idf, Buffer.from([0x4d, 0x83])), ['x/mask'])
    assert.deepEqual(await puidsOf(idf, Buffer.from([0x4d, 0x82])), [])
    assert.deepEqual(await puidsOf(idf, 'NAC'), ['x/notseq'])
    assert.deepEqual(await puidsOf(idf, 'NAB'), [])
    assert.deepEqual(await puidsOf(idf, Buffer.from([0x52, 0x01, 0xff])), ['x/range'])
    assert.deepEqual(await puidsOf(idf, Buffer.from([0x52, 0x02, 0x01])), [])
  })

  it('every ByteSequence of a signature must match', async () => {
    const idf = identifier({
      'x/both': bs('BOFoffset', sub(1, 0, 0, "'%PDF'")) + bs('EOFoffset', sub(1, 0, 8, "'%%EOF'")),
    })
    assert.deepEqual(await puidsOf(idf, '%PDF-1.4 ... %%EOF\n'), ['x/both'])
    assert.deepEqual(await puidsOf(idf, '%PDF-1.4 ... truncated'), [])
  })

  it('priorities: a format drops the formats it has priority over', async () => {
    const idf = identifier(
      {
        'x/generic': bs('BOFoffset', sub(1, 0, 0, "'GIF'")),
        'x/specific': bs('BOFoffset', sub(1, 0, 0, "'GIF89a'")),
      },
      { priorities: { 'x/specific': ['x/generic'] } },
    )
    assert.deepEqual(await puidsOf(idf, 'GIF89a...'), ['x/specific'])
    assert.deepEqual(await puidsOf(idf, 'GIF87a...'), ['x/generic'])
  })

  it('indirect BOF offsets read the offset from the file', async () => {
    const xml = bs('IndirectBOFoffset', sub(1, 0, 0, "'HERE'")).replace(
      '<ByteSequence',
      '<ByteSequence IndirectOffsetLocation="2" IndirectOffsetLength="2" Endianness="Little-endian"',
    )
    const idf = identifier({ 'x/ind': xml })
    const b = Buffer.alloc(64, 0x2e)
    b.writeUInt16LE(40, 2)
    b.write('HERE', 40, 'latin1')
    assert.deepEqual(await puidsOf(idf, b), ['x/ind'])
    b.writeUInt16LE(41, 2)
    assert.deepEqual(await puidsOf(idf, b), [])
  })

  it('empty and 1-byte objects identify as nothing, without error', async () => {
    const idf = identifier({
      'x/a': bs('BOFoffset', sub(1, 0, 0, "'A'")) + bs('EOFoffset', sub(1, 0, 0, "'Z'")),
    })
    assert.deepEqual(await puidsOf(idf, ''), [])
    assert.deepEqual(await puidsOf(idf, 'A'), [])
  })
})

describe('bounded work on hostile patterns', () => {
  it('a chain of unbounded gaps over a long run does not backtrack', async () => {
    // As a regex, (a.*){40}b over 'aaaa…' backtracks for ever; here each segment is searched once.
    const seq = Array.from({ length: 40 }, () => "'a'").join(' * ') + " * 'b'"
    const idf = identifier({ 'x/chain': bs(undefined, sub(1, 0, undefined, seq)) })
    const t0 = performance.now()
    assert.deepEqual(await puidsOf(idf, 'a'.repeat(65_536)), [])
    assert.deepEqual(await puidsOf(idf, 'a'.repeat(65_536) + 'b'), []) // 'b' is past the 64 KiB BOF window
    assert.ok(performance.now() - t0 < 2_000, 'took too long')
    const small = Buffer.from('a'.repeat(200) + 'b', 'latin1')
    assert.deepEqual(await puidsOf(idf, small), ['x/chain'])
  })

  it('wide bounded gaps on frequent bytes stop at the work limit, reported, not hung', async () => {
    const seq = Array.from({ length: 12 }, () => '00 {0-60000}').join(' ') + ' 01'
    const idf = identifier({
      'x/hostile': bs(undefined, sub(1, 0, undefined, seq)),
      'x/ok': bs('BOFoffset', sub(1, 0, 0, '00')),
    })
    const zeros = Buffer.alloc(65_536)
    const t0 = performance.now()
    const r = await idf.identifyBuffer(zeros, zeros, { size: zeros.length })
    const ms = performance.now() - t0
    assert.ok(ms < 2_000, `took ${ms} ms`)
    assert.deepEqual(
      r.matches.map((m) => m.puid),
      ['x/ok'],
    )
    assert.ok(
      r.warnings.some((w) => w.includes('work limit')),
      r.warnings.join('\n'),
    )
  })

  it('the per-object limit stops everything', async () => {
    const seq = '00 {0-60000} 00 {0-60000} 01'
    const sigs: Record<string, string> = {}
    for (let i = 0; i < 20; i++) sigs[`x/h${i}`] = bs(undefined, sub(1, 0, undefined, seq))
    const idf = identifier(sigs, { budgetPerSequence: 5_000_000, budgetPerObject: 6_000_000 })
    const zeros = Buffer.alloc(65_536)
    const r = await idf.identifyBuffer(zeros, zeros, { size: zeros.length })
    assert.equal(r.method, 'none')
    assert.ok(
      r.warnings.some((w) => w.includes('per object')),
      r.warnings.join('\n'),
    )
  })
})
