/**
 * Just enough OLE2 / Compound File Binary (MS-CFB) to evaluate container signatures: read the FAT,
 * walk the directory into paths (names trimmed as DROID does: Java `String.trim()`, which drops the
 * leading \x01 / \x05 of `CompObj`, `SummaryInformation`…), and read the first bytes of a stream,
 * from the regular FAT chain or from the mini stream. Bounded: FAT size, directory entries, chain
 * lengths (loops are cut), bytes read. Reads go through a RangeReader (file or head/tail windows).
 */
import type { EntryBytes, RangeReader } from './zip.js'

export class Ole2FormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'Ole2FormatError'
  }
}

export interface Ole2Stream {
  /** `Storage/Stream`, names trimmed. */
  readonly path: string
  readonly start: number
  readonly size: number
}

const MAGIC = Buffer.from('d0cf11e0a1b11ae1', 'hex')
const END_OF_CHAIN = 0xfffffffe
const FREE = 0xffffffff
const MAX_REGULAR = 0xfffffffa
/** FAT read at most (8 MiB: files up to 1 GiB with 512-byte sectors, 8 GiB with 4 KiB ones). */
const MAX_FAT_BYTES = 8 << 20
const MAX_DIR_ENTRIES = 20_000

/** Java's String.trim(): drops every char ≤ U+0020 at both ends (DROID names entries this way). */
function javaTrim(s: string): string {
  let a = 0
  let b = s.length
  while (a < b && s.charCodeAt(a) <= 0x20) a++
  while (b > a && s.charCodeAt(b - 1) <= 0x20) b--
  return s.slice(a, b)
}

export class Ole2File {
  private rootChain: number[] | undefined

  private constructor(
    private readonly read: RangeReader,
    private readonly sectorSize: number,
    private readonly fat: Uint32Array,
    private readonly miniFat: Uint32Array,
    private readonly miniCutoff: number,
    private readonly root: { start: number; size: number },
    readonly streams: readonly Ole2Stream[],
    readonly storages: readonly string[],
  ) {}

  /** Undefined when the needed bytes are not available (outside the windows). */
  static async open(read: RangeReader, size: number): Promise<Ole2File | undefined> {
    const header = await read(0, 512)
    if (!header) return undefined
    if (!header.subarray(0, 8).equals(MAGIC)) throw new Ole2FormatError('not an OLE2 compound file')
    const shift = header.readUInt16LE(0x1e)
    const miniShift = header.readUInt16LE(0x20)
    if ((shift !== 9 && shift !== 12) || miniShift !== 6) throw new Ole2FormatError('unsupported sector size')
    const sectorSize = 1 << shift
    const numFat = header.readUInt32LE(0x2c)
    const firstDir = header.readUInt32LE(0x30)
    const miniCutoff = header.readUInt32LE(0x38)
    const firstMiniFat = header.readUInt32LE(0x3c)
    const numMiniFat = header.readUInt32LE(0x40)
    let difatSector = header.readUInt32LE(0x44)
    if (numFat * sectorSize > MAX_FAT_BYTES) throw new Ole2FormatError('FAT too large')
    const sectorOffset = (s: number) => (s + 1) * sectorSize
    const readSector = async (s: number): Promise<Buffer | undefined> => {
      if (s > MAX_REGULAR || sectorOffset(s) + sectorSize > size) {
        // The last sector of a file may be short.
        if (s <= MAX_REGULAR && sectorOffset(s) < size) return read(sectorOffset(s), size - sectorOffset(s))
        throw new Ole2FormatError(`sector ${s} beyond end of file`)
      }
      return read(sectorOffset(s), sectorSize)
    }
    // DIFAT: 109 entries in the header, then a chain of DIFAT sectors.
    const fatSectors: number[] = []
    for (let i = 0; i < 109 && fatSectors.length < numFat; i++)
      fatSectors.push(header.readUInt32LE(0x4c + 4 * i))
    const perDifat = sectorSize / 4 - 1
    let guard = 0
    while (fatSectors.length < numFat && difatSector <= MAX_REGULAR) {
      if (++guard > MAX_FAT_BYTES / sectorSize) throw new Ole2FormatError('DIFAT loop')
      const d = await readSector(difatSector)
      if (!d) return undefined
      for (let i = 0; i < perDifat && fatSectors.length < numFat; i++) fatSectors.push(d.readUInt32LE(4 * i))
      difatSector = d.readUInt32LE(4 * perDifat)
    }
    const fat = new Uint32Array((fatSectors.length * sectorSize) / 4)
    // FAT sectors are usually contiguous: read runs of them at once.
    for (let k = 0; k < fatSectors.length; ) {
      let n = 1
      while (k + n < fatSectors.length && fatSectors[k + n] === fatSectors[k]! + n) n++
      const first = fatSectors[k]!
      if (first > MAX_REGULAR || sectorOffset(first + n - 1) + sectorSize > size) {
        throw new Ole2FormatError(`FAT sector ${first} beyond end of file`)
      }
      const b = await read(sectorOffset(first), n * sectorSize)
      if (!b) return undefined
      for (let i = 0; i < b.length / 4; i++) fat[(k * sectorSize) / 4 + i] = b.readUInt32LE(4 * i)
      k += n
    }
    const chain = (start: number, maxSectors: number): number[] => {
      const out: number[] = []
      const seen = new Set<number>()
      for (let s = start; s <= MAX_REGULAR && out.length < maxSectors; s = fat[s] ?? END_OF_CHAIN) {
        if (seen.has(s)) throw new Ole2FormatError('FAT chain loop')
        seen.add(s)
        out.push(s)
      }
      return out
    }
    const readChain = async (start: number, maxBytes: number): Promise<Buffer | undefined> => {
      const parts: Buffer[] = []
      for (const s of chain(start, Math.ceil(maxBytes / sectorSize))) {
        const b = await readSector(s)
        if (!b) return undefined
        parts.push(b)
      }
      return Buffer.concat(parts)
    }
    const miniFatBytes =
      numMiniFat > 0 ? await readChain(firstMiniFat, numMiniFat * sectorSize) : Buffer.alloc(0)
    if (!miniFatBytes) return undefined
    const miniFat = new Uint32Array(Math.floor(miniFatBytes.length / 4))
    for (let i = 0; i < miniFat.length; i++) miniFat[i] = miniFatBytes.readUInt32LE(4 * i)

    const dir = await readChain(firstDir, MAX_DIR_ENTRIES * 128)
    if (!dir) return undefined
    const count = Math.floor(dir.length / 128)
    const entry = (i: number) => {
      const o = i * 128
      const nameLen = Math.min(dir.readUInt16LE(o + 64), 64)
      const raw = dir.toString('utf16le', o, o + Math.max(0, nameLen - 2))
      return {
        name: javaTrim(raw),
        type: dir[o + 66]!,
        left: dir.readUInt32LE(o + 68),
        right: dir.readUInt32LE(o + 72),
        child: dir.readUInt32LE(o + 76),
        start: dir.readUInt32LE(o + 116),
        size: dir.readUInt32LE(o + 120),
      }
    }
    if (count === 0 || entry(0).type !== 5) throw new Ole2FormatError('no root entry')
    const rootEntry = entry(0)
    const streams: Ole2Stream[] = []
    const storages: string[] = []
    const visited = new Set<number>()
    // Iterative walk of the sibling trees (left/right) and children.
    const stack: { id: number; prefix: string }[] = [{ id: rootEntry.child, prefix: '' }]
    while (stack.length > 0) {
      const { id, prefix } = stack.pop()!
      if (id >= count || id === FREE || visited.has(id)) continue
      visited.add(id)
      const e = entry(id)
      stack.push({ id: e.left, prefix }, { id: e.right, prefix })
      const path = prefix + e.name
      if (e.type === 2) streams.push({ path, start: e.start, size: e.size })
      else if (e.type === 1) {
        storages.push(path)
        stack.push({ id: e.child, prefix: `${path}/` })
      }
    }
    return new Ole2File(
      read,
      sectorSize,
      fat,
      miniFat,
      miniCutoff,
      { start: rootEntry.start, size: rootEntry.size },
      streams,
      storages,
    )
  }

  private async readFatChain(start: number, maxBytes: number, size: number): Promise<Buffer | undefined> {
    const parts: Buffer[] = []
    let got = 0
    const seen = new Set<number>()
    // Contiguous sectors are read in one go.
    let runStart = -1
    let runLen = 0
    const flush = async (): Promise<boolean> => {
      if (runLen === 0) return true
      const off = (runStart + 1) * this.sectorSize
      const b = await this.read(off, runLen * this.sectorSize)
      if (!b) return false
      parts.push(b)
      runLen = 0
      return true
    }
    for (let s = start; s <= MAX_REGULAR && got < Math.min(maxBytes, size); s = this.fat[s] ?? END_OF_CHAIN) {
      if (seen.has(s)) throw new Ole2FormatError('FAT chain loop')
      seen.add(s)
      if (runLen > 0 && s === runStart + runLen) runLen++
      else {
        if (!(await flush())) return undefined
        runStart = s
        runLen = 1
      }
      got += this.sectorSize
    }
    if (!(await flush())) return undefined
    const all = Buffer.concat(parts)
    return all.subarray(0, Math.min(all.length, size, maxBytes))
  }

  /** The first `limit` bytes of a stream (all of it when `complete`); undefined when not available. */
  async readStream(stream: Ole2Stream, limit: number): Promise<EntryBytes | undefined> {
    if (stream.size >= this.miniCutoff) {
      const data = await this.readFatChain(stream.start, limit, stream.size)
      if (!data) return undefined
      return { data, complete: data.length === stream.size }
    }
    // Mini sectors (64 bytes) live in the root entry's stream: map each to its place in the file.
    if (!this.rootChain) {
      const chain: number[] = []
      const seen = new Set<number>()
      const max = Math.ceil(this.root.size / this.sectorSize)
      for (let s = this.root.start; s <= MAX_REGULAR && chain.length < max; s = this.fat[s] ?? END_OF_CHAIN) {
        if (seen.has(s)) throw new Ole2FormatError('FAT chain loop')
        seen.add(s)
        chain.push(s)
      }
      this.rootChain = chain
    }
    const rootChain = this.rootChain
    const parts: Buffer[] = []
    let got = 0
    const seen = new Set<number>()
    const want = Math.min(limit, stream.size)
    for (let s = stream.start; s <= MAX_REGULAR && got < want; s = this.miniFat[s] ?? END_OF_CHAIN) {
      if (seen.has(s)) throw new Ole2FormatError('mini FAT chain loop')
      seen.add(s)
      const off = s * 64
      const sector = rootChain[Math.floor(off / this.sectorSize)]
      if (sector === undefined || off + 64 > this.root.size)
        throw new Ole2FormatError('mini sector beyond mini stream')
      const b = await this.read((sector + 1) * this.sectorSize + (off % this.sectorSize), 64)
      if (!b) return undefined
      parts.push(b)
      got += 64
    }
    const all = Buffer.concat(parts)
    const data = all.subarray(0, Math.min(all.length, stream.size, limit))
    return { data, complete: data.length === stream.size }
  }
}
