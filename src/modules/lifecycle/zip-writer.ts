/**
 * A small STORE-only zip writer for outgoing packages: entries are copied as they stream, their CRC-32
 * computed by `zlib.crc32` (native; yazl's JavaScript CRC was the transfer's bottleneck) and patched
 * into the local header afterwards (the zip is a file, so no data descriptors are needed: every reader
 * can read it). ZIP64 records are written when a size, an offset or the entry count needs them.
 */
import { open } from 'node:fs/promises'
import { crc32 } from 'node:zlib'

export interface ZipEntry {
  readonly name: string
  /** Exact size: the bytes read must match it. */
  readonly size: number
  readonly bytes: () => Promise<AsyncIterable<Uint8Array>> | Iterable<Uint8Array> | AsyncIterable<Uint8Array>
}

const MAX32 = 0xffffffff
const MAX16 = 0xffff

function dosDateTime(d: Date): { time: number; date: number } {
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
    date: ((Math.max(d.getUTCFullYear(), 1980) - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  }
}

/** Writes `entries` to `path` (created, not overwritten); returns the zip's size. */
export async function writeStoredZip(
  path: string,
  entries: readonly ZipEntry[],
  when = new Date(),
): Promise<number> {
  const fh = await open(path, 'wx')
  const { time, date } = dosDateTime(when)
  const central: Buffer[] = []
  // Small writes (headers, small entries) are gathered in one buffer; large chunks go straight through.
  const CAP = 1 << 20
  const buf = Buffer.alloc(CAP)
  let used = 0
  let pos = 0
  const flush = async () => {
    if (used > 0) await fh.write(buf, 0, used, pos - used)
    used = 0
  }
  const put = async (b: Buffer) => {
    if (b.length >= CAP / 2) {
      await flush()
      await fh.write(b, 0, b.length, pos)
    } else {
      if (used + b.length > CAP) await flush()
      b.copy(buf, used)
      used += b.length
    }
    pos += b.length
  }
  const patch = async (at: number, b: Buffer) => {
    const bufStart = pos - used
    if (at >= bufStart) b.copy(buf, at - bufStart)
    else await fh.write(b, 0, b.length, at)
  }
  try {
    for (const e of entries) {
      const name = Buffer.from(e.name, 'utf8')
      const offset = pos
      const big = e.size >= MAX32
      const local = Buffer.alloc(30 + name.length + (big ? 20 : 0))
      local.writeUInt32LE(0x04034b50, 0)
      local.writeUInt16LE(big ? 45 : 20, 4)
      local.writeUInt16LE(0x0800, 6) // UTF-8 names
      local.writeUInt16LE(0, 8) // STORE
      local.writeUInt16LE(time, 10)
      local.writeUInt16LE(date, 12)
      local.writeUInt32LE(0, 14) // CRC-32, patched below
      local.writeUInt32LE(big ? MAX32 : e.size, 18)
      local.writeUInt32LE(big ? MAX32 : e.size, 22)
      local.writeUInt16LE(name.length, 26)
      local.writeUInt16LE(big ? 20 : 0, 28)
      name.copy(local, 30)
      if (big) {
        local.writeUInt16LE(0x0001, 30 + name.length)
        local.writeUInt16LE(16, 32 + name.length)
        local.writeBigUInt64LE(BigInt(e.size), 34 + name.length)
        local.writeBigUInt64LE(BigInt(e.size), 42 + name.length)
      }
      await put(local)
      let crc = 0
      let n = 0
      for await (const chunk of await e.bytes()) {
        const b = Buffer.isBuffer(chunk)
          ? chunk
          : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
        crc = crc32(b, crc)
        n += b.length
        await put(b)
      }
      if (n !== e.size) throw new Error(`zip entry ${e.name}: ${n} bytes read, ${e.size} expected`)
      const c = Buffer.alloc(4)
      c.writeUInt32LE(crc >>> 0, 0)
      await patch(offset + 14, c)
      const extra: bigint[] = []
      if (big) extra.push(BigInt(e.size), BigInt(e.size))
      if (offset >= MAX32) extra.push(BigInt(offset))
      const cd = Buffer.alloc(46 + name.length + (extra.length > 0 ? 4 + 8 * extra.length : 0))
      cd.writeUInt32LE(0x02014b50, 0)
      cd.writeUInt16LE(45, 4)
      cd.writeUInt16LE(extra.length > 0 ? 45 : 20, 6)
      cd.writeUInt16LE(0x0800, 8)
      cd.writeUInt16LE(0, 10)
      cd.writeUInt16LE(time, 12)
      cd.writeUInt16LE(date, 14)
      cd.writeUInt32LE(crc >>> 0, 16)
      cd.writeUInt32LE(big ? MAX32 : e.size, 20)
      cd.writeUInt32LE(big ? MAX32 : e.size, 24)
      cd.writeUInt16LE(name.length, 28)
      cd.writeUInt16LE(extra.length > 0 ? 4 + 8 * extra.length : 0, 30)
      // comment length, disk, internal and external attributes: 0
      cd.writeUInt32LE(offset >= MAX32 ? MAX32 : offset, 42)
      name.copy(cd, 46)
      if (extra.length > 0) {
        const at = 46 + name.length
        cd.writeUInt16LE(0x0001, at)
        cd.writeUInt16LE(8 * extra.length, at + 2)
        extra.forEach((v, i) => cd.writeBigUInt64LE(v, at + 4 + 8 * i))
      }
      central.push(cd)
    }
    const cdOffset = pos
    for (const cd of central) await put(cd)
    const cdSize = pos - cdOffset
    const count = central.length
    if (count >= MAX16 || cdOffset >= MAX32 || cdSize >= MAX32) {
      const z64 = Buffer.alloc(56)
      const z64Offset = pos
      z64.writeUInt32LE(0x06064b50, 0)
      z64.writeBigUInt64LE(44n, 4)
      z64.writeUInt16LE(45, 12)
      z64.writeUInt16LE(45, 14)
      z64.writeBigUInt64LE(BigInt(count), 24)
      z64.writeBigUInt64LE(BigInt(count), 32)
      z64.writeBigUInt64LE(BigInt(cdSize), 40)
      z64.writeBigUInt64LE(BigInt(cdOffset), 48)
      await put(z64)
      const loc = Buffer.alloc(20)
      loc.writeUInt32LE(0x07064b50, 0)
      loc.writeBigUInt64LE(BigInt(z64Offset), 8)
      loc.writeUInt32LE(1, 16)
      await put(loc)
    }
    const end = Buffer.alloc(22)
    end.writeUInt32LE(0x06054b50, 0)
    end.writeUInt16LE(Math.min(count, MAX16), 8)
    end.writeUInt16LE(Math.min(count, MAX16), 10)
    end.writeUInt32LE(Math.min(cdSize, MAX32), 12)
    end.writeUInt32LE(Math.min(cdOffset, MAX32), 16)
    await put(end)
    await flush()
    await fh.sync()
    return pos
  } finally {
    await fh.close()
  }
}
