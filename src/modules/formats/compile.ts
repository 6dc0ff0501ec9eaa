/**
 * Compiles parsed DROID byte sequences into matchable form.
 *
 * A `<ByteSequence>` (its SubSequences, each = left fragments + Sequence + right fragments, with their
 * offsets) is first flattened into one item list, e.g. for a BOF sequence:
 *   {SubSeqMin-SubSeqMax} L2 {l2gap} L1 {l1gap} SEQ {r1gap} R1 … {SubSeq2Min-*} …
 * then cut at every unbounded gap into *segments*. Each segment is bounded (finite span) and gets an
 * *anchor*: its longest run of fixed bytes, searched with indexOf/lastIndexOf; what lies left and right
 * of the anchor is verified by a position-set simulation (see match.ts), never by backtracking.
 */
import type { ByteSequenceDef, FragmentDef, SequenceReference, SubSequenceDef } from './formats.types.js'
import {
  byteUnit,
  hasUnboundedGap,
  itemsSpan,
  MAX_GAP,
  parsePattern,
  PatternError,
  type GapItem,
  type Item,
} from './pattern.js'

export interface Segment {
  readonly items: readonly Item[]
  /** Longest run of fixed bytes (null when the segment has none: it is then simulated from every start). */
  readonly anchor: Buffer | null
  readonly left: readonly Item[]
  readonly right: readonly Item[]
  readonly leftMin: number
  readonly leftMax: number
  readonly rightMin: number
  readonly rightMax: number
  readonly min: number
  readonly max: number
  /** Bytes allowed right after the anchor (null: no cheap pre-check). */
  readonly rightFirst: Uint8Array | null
  /** Bytes allowed right before the anchor (null: no cheap pre-check). */
  readonly leftLast: Uint8Array | null
}

export interface Gap {
  readonly min: number
  readonly max: number
}

export interface CompiledSequence {
  readonly reference: SequenceReference
  readonly segments: readonly Segment[]
  /** `gaps[i]` precedes `segments[i]`; `gaps[segments.length]` follows the last one. */
  readonly gaps: readonly Gap[]
  readonly indirect?: ByteSequenceDef['indirect']
  /** Rough cost used to order the tests of a signature (cheap, selective tests first). */
  readonly cost: number
  /** Furthest byte from the reference (BOF or EOF) that the sequence may need to read; Infinity if unbounded. */
  readonly reach: number
}

/** Thrown with a path to the faulty element (e.g. `SubSequence 2 / RightFragment 1`). */
export class CompileError extends Error {
  constructor(
    message: string,
    readonly where: string,
  ) {
    super(message)
    this.name = 'CompileError'
  }
}

function parseAt(src: string, where: string): Item[] {
  try {
    return parsePattern(src)
  } catch (e) {
    if (e instanceof PatternError) {
      throw new CompileError(`${e.message} at character ${e.index + 1} of ${JSON.stringify(src)}`, where)
    }
    throw e
  }
}

function checkOffset(n: number, what: string, where: string): void {
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_GAP) throw new CompileError(`invalid ${what}: ${n}`, where)
}

/** Groups fragments by position (1..k, contiguous), alternatives at the same position. */
function fragmentPositions(frags: readonly FragmentDef[], side: string, where: string): FragmentDef[][] {
  const byPos = new Map<number, FragmentDef[]>()
  for (const f of frags) {
    const list = byPos.get(f.position) ?? []
    list.push(f)
    byPos.set(f.position, list)
  }
  const out: FragmentDef[][] = []
  for (let p = 1; p <= byPos.size; p++) {
    const list = byPos.get(p)
    if (!list) throw new CompileError(`${side} positions are not contiguous from 1`, where)
    out.push(list)
  }
  return out
}

function fragmentItems(f: FragmentDef, where: string): Item[] {
  checkOffset(f.minOffset, 'fragment MinOffset', where)
  checkOffset(f.maxOffset, 'fragment MaxOffset', where)
  if (f.maxOffset < f.minOffset) throw new CompileError('fragment MaxOffset below MinOffset', where)
  const items = parseAt(f.pattern, where)
  if (items.length === 0) throw new CompileError('empty fragment', where)
  if (hasUnboundedGap(items)) throw new CompileError('unbounded gap inside a fragment', where)
  return items
}

function gap(min: number, max: number): GapItem {
  return { t: 'gap', min, max }
}

/** A gap between fragments; none at all when it is {0}. */
function gapItems(min: number, max: number): GapItem[] {
  return min === 0 && max === 0 ? [] : [gap(min, max)]
}

/** Left fragments + sequence + right fragments of one SubSequence, as items. */
export function subSequenceItems(ss: SubSequenceDef, where: string): Item[] {
  const seq = parseAt(ss.sequence, `${where} / Sequence`)
  if (seq.some((it) => it.t === 'alt' && it.branches.some(hasUnboundedGap))) {
    throw new CompileError('unbounded gap inside alternatives', `${where} / Sequence`)
  }
  const out: Item[] = []
  const lefts = fragmentPositions(ss.leftFragments, 'LeftFragment', where)
  for (let p = lefts.length; p >= 1; p--) {
    const alts = lefts[p - 1]!
    const w = `${where} / LeftFragment ${p}`
    const branches = alts.map((f) => [...fragmentItems(f, w), ...gapItems(f.minOffset, f.maxOffset)])
    if (branches.length === 1) out.push(...branches[0]!)
    else out.push({ t: 'alt', branches })
  }
  out.push(...seq)
  const rights = fragmentPositions(ss.rightFragments, 'RightFragment', where)
  for (let p = 1; p <= rights.length; p++) {
    const alts = rights[p - 1]!
    const w = `${where} / RightFragment ${p}`
    const branches = alts.map((f) => [...gapItems(f.minOffset, f.maxOffset), ...fragmentItems(f, w)])
    if (branches.length === 1) out.push(...branches[0]!)
    else out.push({ t: 'alt', branches })
  }
  return out
}

/**
 * Flattens a ByteSequence. Offsets follow DROID: the first SubSequence (in search order) is bounded by
 * SubSeqMinOffset..SubSeqMaxOffset from its reference (max defaults to min); the following ones only by
 * their SubSeqMinOffset from the previous match (DROID scans on for them). Variable sequences scan from BOF.
 */
export function flattenByteSequence(bs: ByteSequenceDef, where: string): Item[] {
  const subs = [...bs.subSequences].sort((a, b) => a.position - b.position)
  if (subs.length === 0) throw new CompileError('ByteSequence without SubSequence', where)
  const parts = subs.map((ss, i) => {
    const w = `${where} / SubSequence ${i + 1}`
    checkOffset(ss.minOffset, 'SubSeqMinOffset', w)
    if (ss.maxOffset !== undefined) checkOffset(ss.maxOffset, 'SubSeqMaxOffset', w)
    return { ss, items: subSequenceItems(ss, w) }
  })
  const out: Item[] = []
  const eof = bs.reference === 'EOFoffset'
  const anchored = bs.reference !== 'Variable'
  parts.forEach(({ ss, items }, i) => {
    const first = eof ? i === parts.length - 1 : i === 0
    const min = ss.minOffset
    const max = first && anchored ? Math.max(min, ss.maxOffset ?? min) : Infinity
    if (eof) {
      out.push(...items, gap(min, max))
    } else {
      out.push(gap(min, max), ...items)
    }
  })
  return out
}

function isFixed(it: Item): boolean {
  return (it.t === 'byte' && it.single >= 0) || (it.t === 'seq' && !it.neg)
}

function fixedLength(it: Item): number {
  return it.t === 'byte' ? 1 : it.t === 'seq' ? it.bytes.length : 0
}

function fixedBuffer(items: readonly Item[]): Buffer {
  const parts = items.map((it) =>
    it.t === 'byte' ? Buffer.of(it.single) : it.t === 'seq' ? Buffer.from(it.bytes) : Buffer.alloc(0),
  )
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts)
}

/** The set of bytes the first (or last) byte of a match of `items` can take; null when unknown/any. */
function edgeByteSet(items: readonly Item[], last: boolean): Uint8Array | null {
  const it = last ? items[items.length - 1] : items[0]
  if (!it) return null
  switch (it.t) {
    case 'byte':
      return it.set
    case 'seq':
      return it.neg ? null : byteUnit(last ? it.bytes[it.bytes.length - 1]! : it.bytes[0]!).set
    case 'alt': {
      const set = new Uint8Array(256)
      for (const br of it.branches) {
        const sub = edgeByteSet(br, last)
        if (!sub) return null
        for (let i = 0; i < 256; i++) set[i] = set[i]! | sub[i]!
      }
      return set
    }
    default:
      return null
  }
}

/** Merges runs of fixed bytes into `seq` units (searched with indexOf when the window is wide). */
function mergeFixed(items: readonly Item[]): Item[] {
  let needed = false
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!
    if (it.t === 'alt' || (i > 0 && isFixed(it) && isFixed(items[i - 1]!))) {
      needed = true
      break
    }
  }
  if (!needed) return items as Item[]
  const out: Item[] = []
  let run: Item[] = []
  const flush = () => {
    if (run.length === 1) out.push(run[0]!)
    else if (run.length > 1) out.push({ t: 'seq', bytes: new Uint8Array(fixedBuffer(run)), neg: false })
    run = []
  }
  for (const it of items) {
    if (isFixed(it)) {
      run.push(it)
      continue
    }
    flush()
    out.push(it.t === 'alt' ? { t: 'alt', branches: it.branches.map(mergeFixed) } : it)
  }
  flush()
  return out
}

/**
 * How to pick the anchor: 'longest' fixed run (segments searched over a whole window), or the run
 * whose position is the most constrained from the segment's 'start' (BOF-anchored) or 'end'
 * (EOF-anchored) — e.g. `MM002A {4-36864} PBTS…` at BOF is anchored on `MM002A`, checked in O(1).
 */
export type AnchorMode = 'longest' | 'start' | 'end'

function makeSegment(items: Item[], mode: AnchorMode = 'longest'): Segment {
  let best = { start: -1, end: -1, len: 0, width: Infinity }
  let i = 0
  while (i < items.length) {
    if (!isFixed(items[i]!)) {
      i++
      continue
    }
    let j = i
    let len = 0
    while (j < items.length && isFixed(items[j]!)) {
      len += fixedLength(items[j]!)
      j++
    }
    let width = 0
    if (mode !== 'longest') {
      const s = itemsSpan(mode === 'start' ? items.slice(0, i) : items.slice(j))
      width = s.max - s.min
    }
    if (width < best.width || (width === best.width && len > best.len))
      best = { start: i, end: j, len, width }
    i = j
  }
  const span = itemsSpan(items)
  if (best.len === 0) {
    const merged = mergeFixed(items)
    return {
      items: merged,
      anchor: null,
      left: [],
      right: merged,
      leftMin: 0,
      leftMax: 0,
      rightMin: span.min,
      rightMax: span.max,
      min: span.min,
      max: span.max,
      rightFirst: null,
      leftLast: null,
    }
  }
  const left = mergeFixed(items.slice(0, best.start))
  const right = mergeFixed(items.slice(best.end))
  const anchor = fixedBuffer(items.slice(best.start, best.end))
  const ls = itemsSpan(left)
  const rs = itemsSpan(right)
  return {
    items,
    anchor,
    left,
    right,
    leftMin: ls.min,
    leftMax: ls.max,
    rightMin: rs.min,
    rightMax: rs.max,
    min: span.min,
    max: span.max,
    rightFirst: edgeByteSet(right, false),
    leftLast: edgeByteSet(left, true),
  }
}

/** Cuts a flat item list at its top-level unbounded gaps. */
export function segment(items: readonly Item[]): { segments: Item[][]; gaps: Gap[] } {
  const segments: Item[][] = []
  const gaps: Gap[] = []
  let pendingGap = { min: 0, max: 0 }
  let current: Item[] = []
  const flush = () => {
    // Bounded gaps at the edges of a segment belong to the surrounding gaps.
    let trailing = { min: 0, max: 0 }
    while (current.length > 0 && current[current.length - 1]!.t === 'gap') {
      const g = current.pop() as GapItem
      trailing = { min: trailing.min + g.min, max: trailing.max + g.max }
    }
    if (current.length > 0) {
      gaps.push(pendingGap)
      segments.push(current)
      pendingGap = trailing
    } else {
      pendingGap = { min: pendingGap.min + trailing.min, max: pendingGap.max + trailing.max }
    }
    current = []
  }
  for (const it of items) {
    if (it.t === 'gap' && (it.max === Infinity || current.length === 0)) {
      if (current.length > 0) flush()
      pendingGap = { min: pendingGap.min + it.min, max: pendingGap.max + it.max }
      continue
    }
    current.push(it)
  }
  flush()
  gaps.push(pendingGap)
  return { segments, gaps }
}

export function compileByteSequence(bs: ByteSequenceDef, where: string): CompiledSequence {
  const cut = segment(flattenByteSequence(bs, where))
  const gaps = cut.gaps
  if (cut.segments.length === 0) throw new CompileError('sequence tests no byte', where)
  const eofRef = bs.reference === 'EOFoffset'
  const segments = cut.segments.map((items, i) => {
    const first = eofRef ? i === cut.segments.length - 1 : i === 0
    const bounded = first && bs.reference !== 'Variable'
    return makeSegment(items, bounded ? (eofRef ? 'end' : 'start') : 'longest')
  })
  for (const s of segments) {
    if (s.max > MAX_GAP) throw new CompileError('sequence span too large', where)
  }
  const eof = bs.reference === 'EOFoffset'
  const anchoredStart = bs.reference === 'BOFoffset' || bs.reference === 'IndirectBOFoffset'
  const firstGap = eof ? gaps[gaps.length - 1]! : gaps[0]!
  const firstSeg = eof ? segments[segments.length - 1]! : segments[0]!
  const multi = segments.length > 1
  const reach = multi || bs.reference === 'Variable' ? Infinity : firstGap.max + firstSeg.max
  // Fixed-position, anchored, single-segment tests are the cheapest; scans are the most expensive.
  // The first segment is tested first; later ones only when it matched.
  const window = firstGap.max - firstGap.min
  let cost = Math.min(window, 1e8) + (multi ? 1000 : 0) + (firstSeg.anchor ? 0 : 1e6)
  if (!anchoredStart && !eof) cost += 1e9
  if (eof) cost += 10
  return {
    reference: bs.reference,
    segments,
    gaps,
    ...(bs.indirect ? { indirect: bs.indirect } : {}),
    cost,
    reach,
  }
}
