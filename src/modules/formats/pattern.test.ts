import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  hasUnboundedGap,
  itemsSpan,
  parsePattern,
  PatternError,
  type ByteUnit,
  type Item,
} from './pattern.js'

const bytesOf = (u: Item): number[] => {
  assert.equal(u.t, 'byte')
  const set = (u as ByteUnit).set
  return [...set.keys()].filter((b) => set[b] === 1)
}

describe('DROID pattern syntax', () => {
  it('reads hex bytes, with or without spaces, any case (one run of fixed bytes)', () => {
    assert.deepEqual(parsePattern('4D5a 00 ff'), [
      { t: 'seq', bytes: Uint8Array.from([0x4d, 0x5a, 0x00, 0xff]), neg: false },
    ])
    const [one] = parsePattern('7f')
    assert.equal(one?.t === 'byte' && one.single, 0x7f)
  })

  it('reads quoted strings as bytes', () => {
    assert.deepEqual(parsePattern("'PK' 03 04 ?? 'x'").slice(0, 1), [
      { t: 'seq', bytes: Uint8Array.from([0x50, 0x4b, 3, 4]), neg: false },
    ])
  })

  it('reads ?? as any byte', () => {
    const [u] = parsePattern('??')
    assert.equal(bytesOf(u!).length, 256)
  })

  it('reads {n}, {n-m}, {n-*} and * gaps', () => {
    assert.deepEqual(parsePattern('{4}'), [{ t: 'gap', min: 4, max: 4 }])
    assert.deepEqual(parsePattern('{2-10}'), [{ t: 'gap', min: 2, max: 10 }])
    assert.deepEqual(parsePattern('{3-*}'), [{ t: 'gap', min: 3, max: Infinity }])
    assert.deepEqual(parsePattern('*'), [{ t: 'gap', min: 0, max: Infinity }])
  })

  it('reads alternatives, of different lengths and nested', () => {
    const [alt] = parsePattern("(22|27|'abc'|(01|02) 03)")
    assert.equal(alt?.t, 'alt')
    if (alt?.t !== 'alt') return
    assert.equal(alt.branches.length, 4)
    assert.deepEqual(itemsSpan([alt]), { min: 1, max: 3 })
  })

  it('reads byte classes: ranges (: and -), negation, masks, quoted bounds', () => {
    assert.deepEqual(
      bytesOf(parsePattern('[30:39]')[0]!),
      [...'0123456789'].map((c) => c.charCodeAt(0)),
    )
    assert.deepEqual(bytesOf(parsePattern("['6'-'7']")[0]!), [0x36, 0x37])
    assert.equal(bytesOf(parsePattern('[!00]')[0]!).length, 255)
    assert.equal(bytesOf(parsePattern('[!00:7F]')[0]!)[0], 0x80)
    assert.deepEqual(bytesOf(parsePattern('[&81]')[0]!).slice(0, 2), [0x81, 0x83])
    assert.equal(
      bytesOf(parsePattern('[!&01]')[0]!).every((b) => (b & 1) === 0),
      true,
    )
    assert.equal(bytesOf(parsePattern('[~C0]')[0]!)[0], 0x40)
    assert.deepEqual(bytesOf(parsePattern("[41 'b' 7F:7F]")[0]!), [0x41, 0x62, 0x7f])
  })

  it('reads the old multi-byte forms [!hhhh…] and [hhhh:hhhh]', () => {
    const [neg] = parsePattern('[!4001C80000000000]')
    assert.equal(neg?.t, 'seq')
    assert.equal(neg?.t === 'seq' && neg.neg && neg.bytes.length === 8, true)
    const [range] = parsePattern('[0000:1000]')
    assert.equal(range?.t, 'mrange')
  })

  it('flags unbounded gaps', () => {
    assert.equal(hasUnboundedGap(parsePattern('01 {2-*} 02')), true)
    assert.equal(hasUnboundedGap(parsePattern('01 {2-9} 02')), false)
  })

  it('rejects malformed patterns with the position', () => {
    for (const [src, at] of [
      ['4D5', 2],
      ['(01|02', 0],
      ['[30:39', 0],
      ['{5-2}', 0],
      ['{x}', 1],
      ["'abc", 0],
      ['01 ?', 3],
      ['ZZ', 0],
      ['(|01)', 0],
      ['[]', 0],
    ] as const) {
      assert.throws(
        () => parsePattern(src),
        (e: unknown) => e instanceof PatternError && e.index === at,
        src,
      )
    }
  })
})
