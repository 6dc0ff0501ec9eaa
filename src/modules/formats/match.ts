/**
 * The byte matcher. No backtracking: a segment's anchor (fixed bytes) is located with a bounded
 * indexOf/lastIndexOf, then what surrounds it is checked by simulating the pattern over *sets of
 * positions* (sorted disjoint intervals), so a gap {n-m} costs O(m-n) once instead of branching.
 * Every step is charged to a Budget; exhausting it abandons the test (reported, never a hang).
 */
import type { CompiledSequence, Segment } from './compile.js'
import type { Item } from './pattern.js'

export class BudgetExceeded extends Error {
  constructor() {
    super('matching budget exceeded')
    this.name = 'BudgetExceeded'
  }
}

export class Budget {
  steps = 0
  constructor(public limit: number) {}
  spend(n: number): void {
    this.steps += n
    if (this.steps > this.limit) throw new BudgetExceeded()
  }
}

/** What is known of the object: its first bytes, its last bytes and its size. */
export interface ByteView {
  readonly head: Buffer
  /** Last bytes of the object, ending at `size` (the whole object when head covers it). */
  readonly eof: Buffer
  readonly size: number
}

/** Interval set: flat [s0, e0, s1, e1, …], inclusive, sorted, disjoint. */
type Iv = number[]

function pushIv(out: Iv, s: number, e: number): void {
  const n = out.length
  if (n > 0 && s <= out[n - 1]! + 1) {
    if (e > out[n - 1]!) out[n - 1] = e
  } else {
    out.push(s, e)
  }
}

function union(all: Iv[]): Iv {
  const sets = all.filter((x) => x.length > 0)
  if (sets.length <= 1) return sets[0] ?? []
  const pairs: [number, number][] = []
  for (const set of sets) for (let k = 0; k < set.length; k += 2) pairs.push([set[k]!, set[k + 1]!])
  pairs.sort((a, b) => a[0] - b[0])
  const out: Iv = []
  for (const [s, e] of pairs) pushIv(out, s, e)
  return out
}

function intersects(set: Iv, lo: number, hi: number): boolean {
  for (let k = 0; k < set.length; k += 2) if (set[k]! <= hi && set[k + 1]! >= lo) return true
  return false
}

function unitMatchesAt(it: Item, buf: Buffer, p: number): boolean {
  switch (it.t) {
    case 'byte':
      return it.set[buf[p]!] === 1
    case 'seq': {
      const b = it.bytes
      let eq = true
      for (let i = 0; i < b.length; i++) {
        if (buf[p + i] !== b[i]) {
          eq = false
          break
        }
      }
      return eq !== it.neg
    }
    case 'mrange': {
      const len = it.lo.length
      let geLo = true
      let leHi = true
      // Lexicographic comparison of equal-length big-endian numbers.
      for (let i = 0; i < len; i++) {
        const x = buf[p + i]!
        const lo = it.lo[i]!
        if (x !== lo) {
          geLo = x > lo
          break
        }
      }
      for (let i = 0; i < len; i++) {
        const x = buf[p + i]!
        const hi = it.hi[i]!
        if (x !== hi) {
          leHi = x < hi
          break
        }
      }
      return geLo && leHi !== it.neg
    }
    default:
      return false
  }
}

function unitLen(it: Item): number {
  return it.t === 'byte' ? 1 : it.t === 'seq' ? it.bytes.length : it.t === 'mrange' ? it.lo.length : 0
}

/** Forward: start boundaries → end boundaries (≤ n). */
function fwd(items: readonly Item[], start: Iv, buf: Buffer, n: number, b: Budget): Iv {
  let cur = start
  for (const it of items) {
    if (cur.length === 0) return cur
    b.spend(1 + (cur.length >> 1))
    const out: Iv = []
    if (it.t === 'gap') {
      for (let k = 0; k < cur.length; k += 2) {
        const s = cur[k]! + it.min
        if (s > n) break
        pushIv(out, s, Math.min(cur[k + 1]! + it.max, n))
      }
    } else if (it.t === 'alt') {
      cur = union(it.branches.map((br) => fwd(br, cur, buf, n, b)))
      continue
    } else {
      const len = unitLen(it)
      for (let k = 0; k < cur.length; k += 2) {
        const s = cur[k]!
        const e = Math.min(cur[k + 1]!, n - len)
        if (e < s) continue
        if (it.t === 'seq' && !it.neg && e - s > 16) {
          // Wide window: let indexOf find the occurrences.
          b.spend(2 + ((e - s) >> 6))
          const hay = buf.subarray(0, e + len)
          for (let p = hay.indexOf(it.bytes, s); p >= 0 && p <= e; p = hay.indexOf(it.bytes, p + 1)) {
            b.spend(1)
            pushIv(out, p + len, p + len)
          }
          continue
        }
        b.spend(e - s + 1)
        if (it.t === 'byte') {
          const set = it.set
          for (let p = s; p <= e; p++) if (set[buf[p]!] === 1) pushIv(out, p + 1, p + 1)
        } else {
          for (let p = s; p <= e; p++) if (unitMatchesAt(it, buf, p)) pushIv(out, p + len, p + len)
        }
      }
    }
    cur = out
  }
  return cur
}

/** Backward: end boundaries → start boundaries (≥ 0), items taken from last to first. */
function rev(items: readonly Item[], ends: Iv, buf: Buffer, b: Budget): Iv {
  let cur = ends
  for (let i = items.length - 1; i >= 0; i--) {
    const it = items[i]!
    if (cur.length === 0) return cur
    b.spend(1 + (cur.length >> 1))
    const out: Iv = []
    if (it.t === 'gap') {
      for (let k = 0; k < cur.length; k += 2) {
        const e = cur[k + 1]! - it.min
        if (e < 0) continue
        pushIv(out, Math.max(0, cur[k]! - it.max), e)
      }
    } else if (it.t === 'alt') {
      cur = union(it.branches.map((br) => rev(br, cur, buf, b)))
      continue
    } else {
      const len = unitLen(it)
      for (let k = 0; k < cur.length; k += 2) {
        const s = Math.max(cur[k]!, len)
        const e = cur[k + 1]!
        if (e < s) continue
        if (it.t === 'seq' && !it.neg && e - s > 16) {
          b.spend(2 + ((e - s) >> 6))
          const hay = buf.subarray(0, e)
          for (
            let q = hay.indexOf(it.bytes, s - len);
            q >= 0 && q <= e - len;
            q = hay.indexOf(it.bytes, q + 1)
          ) {
            b.spend(1)
            pushIv(out, q, q)
          }
          continue
        }
        b.spend(e - s + 1)
        for (let p = s; p <= e; p++) if (unitMatchesAt(it, buf, p - len)) pushIv(out, p - len, p - len)
      }
    }
    cur = out
  }
  return cur
}

function equalAt(buf: Buffer, a: Buffer, p: number): boolean {
  for (let i = 0; i < a.length; i++) if (buf[p + i] !== a[i]) return false
  return true
}

/** First occurrence of `a` starting in [from, to], or -1. */
function indexOfIn(buf: Buffer, a: Buffer, from: number, to: number, b: Budget): number {
  if (to - from < 32) {
    const first = a[0]!
    for (let p = from; p <= to; p++) if (buf[p] === first && equalAt(buf, a, p)) return p
    return -1
  }
  b.spend(1 + ((to - from) >> 6))
  const r = buf.subarray(0, to + a.length).indexOf(a, from)
  return r
}

/** Last occurrence of `a` starting in [from, to] (searching down from `to`), or -1. */
function lastIndexOfIn(buf: Buffer, a: Buffer, from: number, to: number, b: Budget): number {
  if (to - from < 32) {
    const first = a[0]!
    for (let p = to; p >= from; p--) if (buf[p] === first && equalAt(buf, a, p)) return p
    return -1
  }
  b.spend(1 + ((to - from) >> 6))
  const r = buf.lastIndexOf(a, to)
  return r >= from ? r : -1
}

/** Smallest end of a match of `seg` starting in [lo, hi] within buf, or -1. */
export function findForward(seg: Segment, buf: Buffer, lo: number, hi: number, b: Budget): number {
  const n = buf.length
  if (lo < 0) lo = 0
  if (hi > n) hi = n
  if (lo > hi) return -1
  const anchor = seg.anchor
  if (anchor === null) {
    const ends = fwd(seg.items, [lo, hi], buf, n, b)
    return ends.length > 0 ? ends[0]! : -1
  }
  const len = anchor.length
  const aLo = lo + seg.leftMin
  const aHi = Math.min(hi + seg.leftMax, n - len - seg.rightMin)
  let best = -1
  let a = aLo
  while (a <= aHi) {
    a = indexOfIn(buf, anchor, a, aHi, b)
    if (a < 0) break
    if (best >= 0 && a + len + seg.rightMin >= best) break
    b.spend(1)
    if (
      (seg.rightFirst !== null && seg.rightFirst[buf[a + len] ?? 0] !== 1) ||
      (seg.leftLast !== null && (a === 0 || seg.leftLast[buf[a - 1]!] !== 1))
    ) {
      a++
      continue
    }
    if (seg.left.length === 0 ? a >= lo && a <= hi : intersects(rev(seg.left, [a, a], buf, b), lo, hi)) {
      const e0 = a + len
      const ends = seg.right.length === 0 ? [e0, e0] : fwd(seg.right, [e0, e0], buf, n, b)
      if (ends.length > 0 && (best < 0 || ends[0]! < best)) best = ends[0]!
    }
    a++
  }
  return best
}

/** Largest start of a match of `seg` ending in [lo, hi] within buf, or -1. */
export function findBackward(seg: Segment, buf: Buffer, lo: number, hi: number, b: Budget): number {
  const n = buf.length
  if (lo < 0) lo = 0
  if (hi > n) hi = n
  if (lo > hi) return -1
  const anchor = seg.anchor
  if (anchor === null) {
    const starts = rev(seg.items, [lo, hi], buf, b)
    return starts.length > 0 ? starts[starts.length - 1]! : -1
  }
  const len = anchor.length
  const aHi = hi - seg.rightMin - len
  const aLo = Math.max(lo - seg.rightMax - len, seg.leftMin)
  let best = -1
  let a = aHi
  while (a >= aLo) {
    a = lastIndexOfIn(buf, anchor, aLo, a, b)
    if (a < 0) break
    if (best >= 0 && a - seg.leftMin <= best) break
    b.spend(1)
    if (
      (seg.rightFirst !== null && (a + len >= n || seg.rightFirst[buf[a + len]!] !== 1)) ||
      (seg.leftLast !== null && (a === 0 || seg.leftLast[buf[a - 1]!] !== 1))
    ) {
      a--
      continue
    }
    const e0 = a + len
    if (
      seg.right.length === 0 ? e0 >= lo && e0 <= hi : intersects(fwd(seg.right, [e0, e0], buf, n, b), lo, hi)
    ) {
      const starts = seg.left.length === 0 ? [a, a] : rev(seg.left, [a, a], buf, b)
      if (starts.length > 0) {
        const s = starts[starts.length - 1]!
        if (s > best) best = s
      }
    }
    a--
  }
  return best
}

function readUint(view: ByteView, pos: number, length: number, bigEndian: boolean): number | undefined {
  let v = 0
  for (let i = 0; i < length; i++) {
    const p = pos + i
    let x: number | undefined
    if (p >= 0 && p < view.head.length) x = view.head[p]
    else if (p >= view.size - view.eof.length && p < view.size)
      x = view.eof[p - (view.size - view.eof.length)]
    if (x === undefined) return undefined
    v = bigEndian ? v * 256 + x : v + x * 256 ** i
  }
  return v
}

/** Does this byte sequence match the object? (BOF and Variable: in head; EOF: in the eof window.) */
export function matchSequence(cs: CompiledSequence, view: ByteView, b: Budget): boolean {
  const { segments, gaps } = cs
  const last = segments.length - 1
  if (cs.reference === 'EOFoffset') {
    const buf = view.eof
    const n = buf.length
    const tailGap = gaps[last + 1]!
    let hi = n - tailGap.min
    let lo = tailGap.max === Infinity ? 0 : n - tailGap.max
    let start = -1
    for (let i = last; i >= 0; i--) {
      start = findBackward(segments[i]!, buf, lo, hi, b)
      if (start < 0) return false
      const g = gaps[i]!
      hi = start - g.min
      lo = g.max === Infinity ? 0 : start - g.max
    }
    return view.size - n + start >= gaps[0]!.min
  }
  let base = 0
  if (cs.indirect) {
    const { location, length, bigEndian } = cs.indirect
    const loc = cs.reference === 'IndirectEOFoffset' ? view.size - location - 1 : location
    const v = readUint(view, loc, length, bigEndian)
    if (v === undefined) return false
    base = v
  }
  const buf = view.head
  const n = buf.length
  const g0 = gaps[0]!
  let lo = base + g0.min
  let hi = g0.max === Infinity ? n : base + g0.max
  let end = -1
  for (let i = 0; i <= last; i++) {
    end = findForward(segments[i]!, buf, lo, hi, b)
    if (end < 0) return false
    const g = gaps[i + 1]!
    lo = end + g.min
    hi = g.max === Infinity ? n : end + g.max
  }
  return view.size - end >= gaps[last + 1]!.min
}
