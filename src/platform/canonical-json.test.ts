import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { eventBody } from '../modules/audit/index.js'
import { canonicalJson } from './canonical-json.js'

/** The serialiser as it was before the loop rewrite (the reference the logbook hashes were made with). */
function reference(value: unknown): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number')
      return JSON.stringify(value)
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => reference(v ?? null)).join(',')}]`
      const obj = value as Record<string, unknown>
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort()
      return `{${keys.map((k) => `${JSON.stringify(k)}:${reference(obj[k])}`).join(',')}}`
    }
    default:
      throw new TypeError(`canonicalJson: unsupported type ${typeof value}`)
  }
}

/** A small deterministic PRNG, so a failure can be replayed. */
function prng(seed: number) {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

const STRINGS = [
  '',
  'a',
  'événement n° 12',
  'quote " backslash \\ slash /',
  'line\nbreak\ttab\r\u0000\u001f\u007f',
  '\u2028\u2029',
  'emoji 😀 and lone surrogates \ud800 \udfff',
  '中文 العربية',
  '__proto__',
  'constructor',
  '10',
  '2',
  'B',
  'b',
  'é',
  'e',
]
const NUMBERS = [0, -0, 1, -1, 0.1, 1e21, 1e-7, 123456789.123, Number.MAX_SAFE_INTEGER, 5e-324, 2 ** 53 + 2]

function randomValue(r: () => number, depth: number): unknown {
  const k = Math.floor(r() * (depth > 3 ? 5 : 8))
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)]!
  switch (k) {
    case 0:
      return null
    case 1:
      return r() < 0.5
    case 2:
      return pick(NUMBERS)
    case 3:
    case 4:
      return pick(STRINGS)
    case 5:
    case 6: {
      const o: Record<string, unknown> = {}
      const n = Math.floor(r() * 6)
      for (let i = 0; i < n; i++) o[pick(STRINGS)] = r() < 0.15 ? undefined : randomValue(r, depth + 1)
      return o
    }
    default: {
      const a: unknown[] = []
      const n = Math.floor(r() * 5)
      for (let i = 0; i < n; i++) a.push(r() < 0.1 ? undefined : randomValue(r, depth + 1))
      return a
    }
  }
}

describe('canonicalJson (loop rewrite)', () => {
  it('gives byte for byte the reference output on 20,000 varied values', () => {
    const r = prng(7)
    for (let i = 0; i < 20_000; i++) {
      const v = randomValue(r, 0)
      assert.equal(canonicalJson(v), reference(v), `value ${i}: ${reference(v)}`)
    }
  })

  it('keeps the edge cases: sparse arrays, undefined, -0, JSON-parsed data', () => {
    // eslint-disable-next-line no-sparse-arrays
    const sparse = [1, , 3]
    for (const v of [
      sparse,
      [undefined, null],
      { a: undefined, b: 1 },
      { z: 1, a: { y: [2, { c: undefined, b: '' }], x: -0 } },
      JSON.parse('{"b":1,"a":[1,2,{"d":"é","c":null}],"10":true,"2":false}'),
      {},
      [],
    ])
      assert.equal(canonicalJson(v), reference(v))
    assert.equal(canonicalJson({ b: 1, a: undefined, c: [undefined] }), '{"b":1,"c":[null]}')
  })

  it('rejects what the reference rejects', () => {
    for (const bad of [NaN, Infinity, { a: -Infinity }, [() => 1], { f: Symbol('x') }, 10n]) {
      assert.throws(() => reference(bad), TypeError)
      assert.throws(() => canonicalJson(bad), TypeError)
    }
  })
})

describe('eventBody (the hashed serialisation of a logbook event)', () => {
  it('equals canonicalJson of the event object, nulls, undefined fields and odd data included', () => {
    const r = prng(11)
    for (let i = 0; i < 5_000; i++) {
      const s = () => (r() < 0.2 ? null : r() < 0.1 ? undefined : STRINGS[Math.floor(r() * STRINGS.length)]!)
      const e = {
        chain: STRINGS[Math.floor(r() * STRINGS.length)]!,
        seq: Math.floor(r() * 1e9),
        operationId: STRINGS[i % STRINGS.length]!,
        tenantId: s() ?? null,
        type: 'T',
        outcome: 'OK' as const,
        detail: s() ?? null,
        message: s() ?? null,
        agent: s() ?? null,
        objectId: s() as string | null,
        data: randomValue(r, 0) as Record<string, unknown> | null,
        createdAt: '2026-11-28T18:00:00.000Z',
        prevHash: 'ab'.repeat(64),
      }
      const ref = reference({
        chain: e.chain,
        seq: e.seq,
        operationId: e.operationId,
        tenantId: e.tenantId,
        type: e.type,
        outcome: e.outcome,
        detail: e.detail,
        message: e.message,
        agent: e.agent,
        objectId: e.objectId,
        data: e.data,
        createdAt: e.createdAt,
        prevHash: e.prevHash,
      })
      assert.equal(eventBody(e), ref)
    }
  })
})
