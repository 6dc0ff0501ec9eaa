/**
 * Just enough ZIP to evaluate container signatures: locate the central directory (zip64 included),
 * list entry names, and inflate the first bytes of a few entries — all bounded (entry count, central
 * directory size, bytes inflated). Reads go through a `RangeReader`, so the same code works on a file
 * (random access) and on the head/tail windows kept from a stream (ranges outside them are unknown).
 */
import { constants, createInflateRaw } from 'node:zlib'

/** Reads `length` bytes at `offset`; undefined when those bytes are not available. */
export type RangeReader = (offset: number, length: number) => Promise<Buffer | undefined>

export interface ZipEntry {
  readonly name: string
  readonly method: number
  readonly flags: number
  readonly compressedSize: number
  readonly uncompressedSize: number
  readonly localHeaderOffset: number
}

export class ZipFormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ZipFormatError'
  }
}

const EOCD_SIG = 0x06054b50
const ZIP64_LOCATOR_SIG = 0x07064b50
const ZIP64_EOCD_SIG = 0x06064b50
const CDH_SIG = 0x02014b50
const LFH_SIG = 0x04034b50

export interface ZipLimits {
  /** Central directory larger than this is not read (default 8 MiB). */
  readonly maxCentralDirectory: number
  /** Entries beyond this count are ignored (default 50,000). */
  readonly maxEntries: number
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = { maxCentralDirectory: 8 << 20, maxEntries: 50_000 }

/** Reads the central directory. Undefined when it is not available (range outside the windows). */
export async function readCentralDirectory(
  read: RangeReader,
  size: number,
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
): Promise<ZipEntry[] | undefined> {
  // The EOCD record (22 bytes + a comment of up to 64 KiB) ends the file; take the longest end available.
  let tail: Buffer | undefined
  for (const want of [22 + 0xffff, 0xffff, 4096, 22]) {
    const len = Math.min(size, want)
    tail = await read(size - len, len)
    if (tail) break
  }
  if (!tail) return undefined
  let pos = -1
  for (let p = tail.length - 22; p >= 0; p--) {
    if (tail.readUInt32LE(p) === EOCD_SIG && p + 22 + tail.readUInt16LE(p + 20) <= tail.length) {
      pos = p
      break
    }
  }
  if (pos < 0) throw new ZipFormatError('no end of central directory record')
  let count = tail.readUInt16LE(pos + 10)
  let cdSize = tail.readUInt32LE(pos + 12)
  let cdOffset = tail.readUInt32LE(pos + 16)
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locPos = pos - 20
    if (locPos < 0 || tail.readUInt32LE(locPos) !== ZIP64_LOCATOR_SIG) {
      throw new ZipFormatError('zip64 locator missing')
    }
    const z64Offset = Number(tail.readBigUInt64LE(locPos + 8))
    const z64 = await read(z64Offset, 56)
    if (!z64) return undefined
    if (z64.readUInt32LE(0) !== ZIP64_EOCD_SIG) throw new ZipFormatError('bad zip64 end of central directory')
    count = Number(z64.readBigUInt64LE(32))
    cdSize = Number(z64.readBigUInt64LE(40))
    cdOffset = Number(z64.readBigUInt64LE(48))
  }
  if (cdOffset + cdSize > size) throw new ZipFormatError('central directory beyond end of file')
  if (cdSize > limits.maxCentralDirectory) throw new ZipFormatError('central directory too large')
  const cd = await read(cdOffset, cdSize)
  if (!cd) return undefined
  const entries: ZipEntry[] = []
  let p = 0
  while (p + 46 <= cd.length && entries.length < Math.min(count, limits.maxEntries)) {
    if (cd.readUInt32LE(p) !== CDH_SIG) throw new ZipFormatError('bad central directory header')
    const flags = cd.readUInt16LE(p + 8)
    const method = cd.readUInt16LE(p + 10)
    let compressedSize = cd.readUInt32LE(p + 20)
    let uncompressedSize = cd.readUInt32LE(p + 24)
    const nameLen = cd.readUInt16LE(p + 28)
    const extraLen = cd.readUInt16LE(p + 30)
    const commentLen = cd.readUInt16LE(p + 32)
    let localHeaderOffset = cd.readUInt32LE(p + 42)
    const end = p + 46 + nameLen + extraLen + commentLen
    if (end > cd.length) throw new ZipFormatError('truncated central directory')
    const name = cd.toString(flags & 0x800 ? 'utf8' : 'latin1', p + 46, p + 46 + nameLen)
    // zip64 extended information extra field
    let e = p + 46 + nameLen
    const extraEnd = e + extraLen
    while (e + 4 <= extraEnd) {
      const id = cd.readUInt16LE(e)
      const len = cd.readUInt16LE(e + 2)
      if (id === 0x0001) {
        let q = e + 4
        const take = () => {
          const v = q + 8 <= e + 4 + len ? Number(cd.readBigUInt64LE(q)) : undefined
          q += 8
          return v
        }
        if (uncompressedSize === 0xffffffff) uncompressedSize = take() ?? uncompressedSize
        if (compressedSize === 0xffffffff) compressedSize = take() ?? compressedSize
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take() ?? localHeaderOffset
      }
      e += 4 + len
    }
    entries.push({ name, method, flags, compressedSize, uncompressedSize, localHeaderOffset })
    p = end
  }
  return entries
}

export interface EntryBytes {
  /** The first bytes of the uncompressed entry (all of it when `complete`). */
  readonly data: Buffer
  readonly complete: boolean
}

/**
 * Returns up to `limit` uncompressed bytes of an entry; undefined when its bytes are not available,
 * when it is encrypted, or when its compression method is neither stored nor deflate.
 */
export async function readEntryPrefix(
  read: RangeReader,
  entry: ZipEntry,
  limit: number,
): Promise<EntryBytes | undefined> {
  if (entry.flags & 0x1) return undefined
  if (entry.method !== 0 && entry.method !== 8) return undefined
  const lfh = await read(entry.localHeaderOffset, 30)
  if (!lfh) return undefined
  if (lfh.readUInt32LE(0) !== LFH_SIG) throw new ZipFormatError(`bad local header for ${entry.name}`)
  const dataOffset = entry.localHeaderOffset + 30 + lfh.readUInt16LE(26) + lfh.readUInt16LE(28)
  if (entry.method === 0) {
    const n = Math.min(entry.compressedSize, limit)
    const data = await read(dataOffset, n)
    if (!data) return undefined
    return { data, complete: n === entry.uncompressedSize }
  }
  // Deflate: deflate never shrinks data by more than a few bytes per 64 KiB block, so `limit` output
  // bytes come from at most ~limit compressed bytes; inflate them as a stream, stopped at `limit`.
  const take = Math.min(entry.compressedSize, limit + (limit >> 10) + 1024)
  const comp = await read(dataOffset, take)
  if (!comp) return undefined
  let data: Buffer
  try {
    data = await inflatePrefix(comp, limit)
  } catch {
    return undefined
  }
  return { data, complete: data.length === entry.uncompressedSize && take === entry.compressedSize }
}

/** Inflates raw deflate data, stopping once `limit` bytes came out (memory: limit + one chunk). */
function inflatePrefix(comp: Buffer, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const inflater = createInflateRaw({ finishFlush: constants.Z_SYNC_FLUSH })
    const chunks: Buffer[] = []
    let n = 0
    let settled = false
    const finish = () => {
      if (settled) return
      settled = true
      const all = Buffer.concat(chunks, n)
      resolve(all.length > limit ? all.subarray(0, limit) : all)
    }
    inflater.on('data', (c: Buffer) => {
      chunks.push(c)
      n += c.length
      if (n >= limit) {
        finish()
        inflater.destroy()
      }
    })
    inflater.on('end', finish)
    inflater.on('error', (e) => {
      if (settled) return
      settled = true
      reject(e)
    })
    inflater.end(comp)
  })
}
