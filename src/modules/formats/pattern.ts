/**
 * The DROID / PRONOM byte pattern syntax, parsed into a small AST.
 *
 * Accepted (both the compiled signature-file dialect and the PRONOM/container dialect):
 * - hex bytes `4D5A`, optionally separated by white space (`4D 5A`);
 * - quoted ASCII strings `'PK'` (container signature files);
 * - `??` any byte;
 * - gaps `{n}`, `{n-m}`, `{n-*}` and `*` (= `{0-*}`);
 * - alternatives `(aa|bbcc|'x')`, whose branches are patterns themselves (bounded gaps allowed);
 * - byte classes `[...]`, optionally negated with a leading `!`, holding single bytes (`41`, `'A'`),
 *   ranges (`00:7F`, `'a'-'z'`), bit masks (`&01`: all bits set, `~01`: any bit set);
 * - the old multi-byte forms `[0000:1000]` (big-endian value range over 2+ bytes) and `[!4001C8]`
 *   (2+ bytes not equal to this sequence).
 *
 * Nothing here matches bytes: see `compile.ts` for that.
 */

/** One byte tested against a 256-entry membership table; `single` is the byte when only one matches. */
export interface ByteUnit {
  readonly t: 'byte'
  readonly set: Uint8Array
  readonly single: number
}

/** 2+ bytes: equal to `bytes` (or, negated, anything else of that length). */
export interface SeqUnit {
  readonly t: 'seq'
  readonly bytes: Uint8Array
  readonly neg: boolean
}

/** 2+ bytes read as a big-endian number, within [lo, hi] (or, negated, outside). */
export interface RangeUnit {
  readonly t: 'mrange'
  readonly lo: Uint8Array
  readonly hi: Uint8Array
  readonly neg: boolean
}

export interface GapItem {
  readonly t: 'gap'
  readonly min: number
  /** `Infinity` for `*` and `{n-*}`. */
  readonly max: number
}

export interface AltItem {
  readonly t: 'alt'
  readonly branches: readonly Item[][]
}

export type Unit = ByteUnit | SeqUnit | RangeUnit
export type Item = Unit | GapItem | AltItem

export class PatternError extends Error {
  constructor(
    message: string,
    readonly index: number,
  ) {
    super(message)
    this.name = 'PatternError'
  }
}

/** Gaps and offsets are bounded to keep every window finite (1 GiB is far beyond any signature). */
export const MAX_GAP = 1 << 30
const MAX_ALT_DEPTH = 8

const ANY_SET = new Uint8Array(256).fill(1)

const SINGLE_BYTES: readonly ByteUnit[] = Array.from({ length: 256 }, (_, value) => {
  const set = new Uint8Array(256)
  set[value] = 1
  return { t: 'byte', set, single: value }
})
const ANY_UNIT: ByteUnit = { t: 'byte', set: ANY_SET, single: -1 }

/** Shared, immutable unit for one fixed byte. */
export function byteUnit(value: number): ByteUnit {
  return SINGLE_BYTES[value]!
}

function setUnit(set: Uint8Array): ByteUnit {
  let count = 0
  let last = -1
  for (let i = 0; i < 256; i++) {
    if (set[i]) {
      count++
      last = i
    }
  }
  return { t: 'byte', set, single: count === 1 ? last : -1 }
}

export function unitLength(u: Unit): number {
  return u.t === 'byte' ? 1 : u.t === 'seq' ? u.bytes.length : u.lo.length
}

/**
 * Parses a whole pattern. Throws PatternError (with the character index) on any syntax error.
 * Consecutive fixed bytes come out as one `seq` unit (fewer items to compile and to match).
 */
export function parsePattern(src: string): Item[] {
  const p = new Parser(src)
  const items = p.sequence(0)
  if (p.i < src.length) throw new PatternError(`unexpected ${JSON.stringify(src[p.i])}`, p.i)
  return items
}

function coalesce(items: Item[]): Item[] {
  const out: Item[] = []
  let run: number[] = []
  const flush = () => {
    if (run.length === 1) out.push(byteUnit(run[0]!))
    else if (run.length > 1) out.push({ t: 'seq', bytes: Uint8Array.from(run), neg: false })
    run = []
  }
  for (const it of items) {
    if (it.t === 'byte' && it.single >= 0) run.push(it.single)
    else if (it.t === 'seq' && !it.neg) for (const x of it.bytes) run.push(x)
    else {
      flush()
      out.push(it)
    }
  }
  flush()
  return out
}

const HEX_CHARS = new Set('0123456789abcdefABCDEF')
const HEX_VALUE: Readonly<Record<string, number>> = Object.fromEntries(
  [...'0123456789abcdef'].flatMap((c, i) => [
    [c, i],
    [c.toUpperCase(), i],
  ]),
)
const isHex = (c: string | undefined): boolean => c !== undefined && HEX_CHARS.has(c)
const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\n' || c === '\r' || c === '\t'

class Parser {
  i = 0
  constructor(readonly s: string) {}

  private skipSpace(): void {
    while (isSpace(this.s[this.i])) this.i++
  }

  private fail(msg: string, at = this.i): never {
    throw new PatternError(msg, at)
  }

  /** Items until end of input, `|` or `)`. */
  sequence(depth: number): Item[] {
    const out: Item[] = []
    for (;;) {
      this.skipSpace()
      const c = this.s[this.i]
      if (c === undefined || c === '|' || c === ')') return coalesce(out)
      if (isHex(c)) {
        out.push(byteUnit(this.hexByte()))
      } else if (c === '?') {
        if (this.s[this.i + 1] !== '?') this.fail('expected "??"')
        this.i += 2
        out.push(ANY_UNIT)
      } else if (c === "'") {
        for (const b of this.quoted()) out.push(byteUnit(b))
      } else if (c === '*') {
        this.i++
        out.push({ t: 'gap', min: 0, max: Infinity })
      } else if (c === '{') {
        out.push(this.gap())
      } else if (c === '(') {
        if (depth >= MAX_ALT_DEPTH) this.fail('alternatives nested too deeply')
        const open = this.i
        this.i++
        const branches: Item[][] = [this.sequence(depth + 1)]
        while (this.s[this.i] === '|') {
          this.i++
          branches.push(this.sequence(depth + 1))
        }
        if (this.s[this.i] !== ')') this.fail('unclosed "("', open)
        this.i++
        if (branches.some((b) => b.length === 0)) this.fail('empty alternative', open)
        out.push({ t: 'alt', branches })
      } else if (c === '[') {
        out.push(this.klass())
      } else {
        this.fail(`unexpected ${JSON.stringify(c)}`)
      }
    }
  }

  private hexByte(): number {
    const a = this.s[this.i]
    const b = this.s[this.i + 1]
    if (!isHex(a) || !isHex(b)) this.fail('incomplete hex byte')
    this.i += 2
    return (HEX_VALUE[a!]! << 4) | HEX_VALUE[b!]!
  }

  /** `'...'` → bytes (code points < 256 as one byte, others UTF-8). */
  private quoted(): number[] {
    const open = this.i
    const end = this.s.indexOf("'", this.i + 1)
    if (end < 0) this.fail('unclosed quote', open)
    const text = this.s.slice(this.i + 1, end)
    if (text.length === 0) this.fail('empty quoted string', open)
    this.i = end + 1
    const out: number[] = []
    for (const ch of text) {
      const cp = ch.codePointAt(0) ?? 0
      if (cp < 256) out.push(cp)
      else out.push(...Buffer.from(ch, 'utf8'))
    }
    return out
  }

  private int(): number {
    const start = this.i
    while (this.i < this.s.length && this.s.charCodeAt(this.i) >= 48 && this.s.charCodeAt(this.i) <= 57)
      this.i++
    if (start === this.i) this.fail('expected a number')
    const n = Number(this.s.slice(start, this.i))
    if (!Number.isSafeInteger(n) || n > MAX_GAP) this.fail('number too large', start)
    return n
  }

  private gap(): GapItem {
    const open = this.i
    this.i++
    this.skipSpace()
    const min = this.int()
    this.skipSpace()
    let max = min
    if (this.s[this.i] === '-') {
      this.i++
      this.skipSpace()
      if (this.s[this.i] === '*') {
        this.i++
        max = Infinity
      } else {
        max = this.int()
      }
      this.skipSpace()
    }
    if (this.s[this.i] !== '}') this.fail('unclosed "{"', open)
    this.i++
    if (max < min) this.fail(`gap {${min}-${max}}: maximum below minimum`, open)
    return { t: 'gap', min, max }
  }

  /** `[...]`: a byte class, or one of the old multi-byte forms. */
  private klass(): Unit {
    const open = this.i
    const close = this.s.indexOf(']', this.i)
    if (close < 0) this.fail('unclosed "["', open)
    this.i++
    let neg = false
    if (this.s[this.i] === '!') {
      neg = true
      this.i++
    }
    const body = this.s.slice(this.i, close).replace(/\s+/g, '')
    // Old compiled-file forms: [hhhh...] or [hhhh...:hhhh...] with 2+ bytes on a side.
    const multi = /^((?:[0-9A-Fa-f]{2})+)(?::((?:[0-9A-Fa-f]{2})+))?$/.exec(body)
    if (multi && (multi[1]!.length > 2 || (multi[2] !== undefined && multi[2].length > 2))) {
      const lo = Buffer.from(multi[1]!, 'hex')
      if (multi[2] === undefined) {
        this.i = close + 1
        return { t: 'seq', bytes: new Uint8Array(lo), neg }
      }
      const hi = Buffer.from(multi[2], 'hex')
      if (hi.length !== lo.length) this.fail('range bounds of different lengths', open)
      this.i = close + 1
      const [a, b] = Buffer.compare(lo, hi) <= 0 ? [lo, hi] : [hi, lo]
      return { t: 'mrange', lo: new Uint8Array(a), hi: new Uint8Array(b), neg }
    }
    const set = new Uint8Array(256)
    let members = 0
    while (this.i < close) {
      this.skipSpace()
      if (this.i >= close) break
      const c = this.s[this.i]
      if (c === '&' || c === '~') {
        this.i++
        const mask = this.hexByte()
        for (let b = 0; b < 256; b++) if (c === '&' ? (b & mask) === mask : (b & mask) !== 0) set[b] = 1
        members++
        continue
      }
      let lo: number
      if (c === "'") {
        const bytes = this.quoted()
        if (bytes.length !== 1) {
          // A quoted string inside a class: each of its bytes is a member.
          for (const b of bytes) set[b] = 1
          members++
          continue
        }
        lo = bytes[0]!
      } else if (isHex(c)) {
        lo = this.hexByte()
      } else {
        this.fail(`unexpected ${JSON.stringify(c)} in byte class`)
      }
      this.skipSpace()
      const sep = this.s[this.i]
      if ((sep === ':' || sep === '-') && this.i < close) {
        this.i++
        this.skipSpace()
        let hi: number
        if (this.s[this.i] === "'") {
          const bytes = this.quoted()
          if (bytes.length !== 1) this.fail('range bound must be one byte')
          hi = bytes[0]!
        } else {
          hi = this.hexByte()
        }
        const [a, b] = lo <= hi ? [lo, hi] : [hi, lo]
        for (let x = a; x <= b; x++) set[x] = 1
      } else {
        set[lo] = 1
      }
      members++
    }
    if (members === 0) this.fail('empty byte class', open)
    this.i = close + 1
    if (neg) for (let b = 0; b < 256; b++) set[b] = set[b] ? 0 : 1
    return setUnit(set)
  }
}

/** Minimum and maximum number of bytes a list of items spans (max may be Infinity). */
export function itemsSpan(items: readonly Item[]): { min: number; max: number } {
  let min = 0
  let max = 0
  for (const it of items) {
    const s = itemSpan(it)
    min += s.min
    max += s.max
  }
  return { min, max }
}

export function itemSpan(it: Item): { min: number; max: number } {
  switch (it.t) {
    case 'byte':
      return { min: 1, max: 1 }
    case 'seq':
      return { min: it.bytes.length, max: it.bytes.length }
    case 'mrange':
      return { min: it.lo.length, max: it.lo.length }
    case 'gap':
      return { min: it.min, max: it.max }
    case 'alt': {
      let min = Infinity
      let max = 0
      for (const b of it.branches) {
        const s = itemsSpan(b)
        min = Math.min(min, s.min)
        max = Math.max(max, s.max)
      }
      return { min, max }
    }
  }
}

/** True when an unbounded gap occurs anywhere inside (used to reject them within alternatives). */
export function hasUnboundedGap(items: readonly Item[]): boolean {
  return items.some(
    (it) => (it.t === 'gap' && it.max === Infinity) || (it.t === 'alt' && it.branches.some(hasUnboundedGap)),
  )
}
