/**
 * Builders of hostile and ordinary containers for the container tests and the bench. Not used in
 * production code.
 */
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { buffer as streamToBuffer } from 'node:stream/consumers'
import { fileURLToPath } from 'node:url'
import zlib from 'node:zlib'
import * as tarStream from 'tar-stream'
import * as yazl from 'yazl'

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..')

/** The shared corpus: SAEH_CORPUS, else ../shared/corpus relative to the project root. */
export function corpusDir(): { dir: string; skip: string | false } {
  const dir = path.resolve(PROJECT_ROOT, process.env.SAEH_CORPUS ?? '../shared/corpus')
  const present = existsSync(path.join(dir, 'vitam', 'sip-ok'))
  return {
    dir,
    skip: present ? false : `corpus absent at ${dir} (set SAEH_CORPUS to the folder holding vitam/sip-ok)`,
  }
}

export interface RawZipEntry {
  /** Raw bytes of the name, or a string written as UTF-8. */
  name: string | Buffer
  /** Uncompressed content (deflated when method is 8 and `compressed` is not given). */
  data?: Buffer
  method?: number
  /** Compressed bytes as stored (overrides deflating `data`). */
  compressed?: Buffer
  /** Uncompressed size written in the central directory (defaults to data length). */
  size?: number
  /** Uncompressed size written in the local header (defaults to `size`). */
  localSize?: number
  crc?: number
  /** General purpose flags; defaults to 0x800 (UTF-8) for string names, 0 for Buffer names. */
  flags?: number
  /** Full 32-bit external attributes (unix mode << 16 for unix hosts). */
  externalAttributes?: number
  /** Version made by (host in the high byte: 3 = unix, 0 = MS-DOS). */
  versionMadeBy?: number
  /** Offset written in the central record instead of the real one (overlapping entries). */
  centralOffset?: number
  /** Omit from the central directory (still written locally). */
  localOnly?: boolean
  /** Extra field bytes (central and local). */
  extra?: Buffer
}

/** Writes a zip byte by byte (no zip64), so any field can lie. */
export function rawZip(entries: readonly RawZipEntry[]): Buffer {
  const parts: Buffer[] = []
  const central: Buffer[] = []
  let offset = 0
  let count = 0
  for (const e of entries) {
    const name = typeof e.name === 'string' ? Buffer.from(e.name, 'utf8') : e.name
    const data = e.data ?? Buffer.alloc(0)
    const method = e.method ?? 8
    const compressed = e.compressed ?? (method === 8 ? zlib.deflateRawSync(data) : data)
    const size = e.size ?? data.length
    const crc = e.crc ?? zlib.crc32(data)
    const flags = e.flags ?? (typeof e.name === 'string' ? 0x800 : 0)
    const extra = e.extra ?? Buffer.alloc(0)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(flags, 6)
    local.writeUInt16LE(method, 8)
    local.writeUInt32LE(0, 10)
    local.writeUInt32LE(crc >>> 0, 14)
    local.writeUInt32LE(compressed.length, 18)
    local.writeUInt32LE(e.localSize ?? size, 22)
    local.writeUInt16LE(name.length, 26)
    local.writeUInt16LE(extra.length, 28)
    const localOffset = offset
    parts.push(local, name, extra, compressed)
    offset += 30 + name.length + extra.length + compressed.length
    if (e.localOnly) continue
    const c = Buffer.alloc(46)
    c.writeUInt32LE(0x02014b50, 0)
    c.writeUInt16LE(e.versionMadeBy ?? (3 << 8) | 20, 4)
    c.writeUInt16LE(20, 6)
    c.writeUInt16LE(flags, 8)
    c.writeUInt16LE(method, 10)
    c.writeUInt32LE(0, 12)
    c.writeUInt32LE(crc >>> 0, 16)
    c.writeUInt32LE(compressed.length, 20)
    c.writeUInt32LE(size, 24)
    c.writeUInt16LE(name.length, 28)
    c.writeUInt16LE(extra.length, 30)
    c.writeUInt16LE(0, 32)
    c.writeUInt32LE(e.externalAttributes ?? (0o100644 << 16) >>> 0, 38)
    c.writeUInt32LE(e.centralOffset ?? localOffset, 42)
    central.push(c, name, extra)
    count++
  }
  const cd = Buffer.concat(central)
  const tail: Buffer[] = []
  if (count > 0xffff) {
    // zip64 end of central directory record + locator, for more than 65,535 entries
    const z = Buffer.alloc(56)
    z.writeUInt32LE(0x06064b50, 0)
    z.writeBigUInt64LE(44n, 4)
    z.writeUInt16LE(45, 12)
    z.writeUInt16LE(45, 14)
    z.writeBigUInt64LE(BigInt(count), 24)
    z.writeBigUInt64LE(BigInt(count), 32)
    z.writeBigUInt64LE(BigInt(cd.length), 40)
    z.writeBigUInt64LE(BigInt(offset), 48)
    const locator = Buffer.alloc(20)
    locator.writeUInt32LE(0x07064b50, 0)
    locator.writeBigUInt64LE(BigInt(offset + cd.length), 8)
    locator.writeUInt32LE(1, 16)
    tail.push(z, locator)
  }
  const eocd = Buffer.alloc(22)
  eocd.writeUInt32LE(0x06054b50, 0)
  eocd.writeUInt16LE(Math.min(count, 0xffff), 8)
  eocd.writeUInt16LE(Math.min(count, 0xffff), 10)
  eocd.writeUInt32LE(cd.length, 12)
  eocd.writeUInt32LE(offset, 16)
  return Buffer.concat([...parts, cd, ...tail, eocd])
}

/**
 * A raw deflate stream of `bytes` zeros, made without deflating them all: 64 MiB of zeros compressed
 * with a full flush (byte-aligned, no back-reference across the flush) is repeated, then a final empty
 * block closes the stream. `bytes` must be a multiple of 64 MiB.
 */
export function zeroBomb(bytes: number): { compressed: Buffer; size: number; crc: number } {
  const unit = 64 * 1024 * 1024
  if (bytes % unit !== 0) throw new Error('zeroBomb: size must be a multiple of 64 MiB')
  const zeros = Buffer.alloc(unit)
  const block = zlib.deflateRawSync(zeros, { level: 9, finishFlush: zlib.constants.Z_FULL_FLUSH })
  const n = bytes / unit
  const parts: Buffer[] = []
  let crc = 0
  for (let i = 0; i < n; i++) {
    parts.push(block)
    crc = zlib.crc32(zeros, crc)
  }
  parts.push(Buffer.from([0x03, 0x00]))
  return { compressed: Buffer.concat(parts), size: bytes, crc }
}

export interface TarSpec {
  name: string
  /** Typeflag character: '0' file, '5' directory, '2' symlink, '1' hard link, '3', '4', '6', 'S'… */
  type?: string
  data?: Buffer
  /** Size written in the header (defaults to data length). */
  size?: number
  linkname?: string
  /** pax records written in an `x` header before this entry. */
  pax?: Record<string, string>
  /** Raw name bytes (overrides `name`, ≤ 100 bytes). */
  rawName?: Buffer
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0'
}

function tarHeader(name: Buffer, type: string, size: number, linkname = ''): Buffer {
  const h = Buffer.alloc(512)
  name.copy(h, 0, 0, Math.min(100, name.length))
  h.write(octal(type === '5' ? 0o755 : 0o644, 8), 100, 'latin1')
  h.write(octal(0, 8), 108, 'latin1')
  h.write(octal(0, 8), 116, 'latin1')
  h.write(octal(size, 12), 124, 'latin1')
  h.write(octal(1_700_000_000, 12), 136, 'latin1')
  h.write(type, 156, 'latin1')
  h.write(linkname, 157, 'utf8')
  h.write('ustar\0', 257, 'latin1')
  h.write('00', 263, 'latin1')
  h.fill(0x20, 148, 156)
  let sum = 0
  for (const b of h) sum += b
  h.write(octal(sum, 7) + ' ', 148, 'latin1')
  return h
}

function padded(data: Buffer): Buffer[] {
  const rest = data.length % 512
  return rest === 0 ? [data] : [data, Buffer.alloc(512 - rest)]
}

/** Writes a ustar archive block by block (any typeflag, any size field). */
export function rawTar(entries: readonly TarSpec[], opts: { endBlocks?: number } = {}): Buffer {
  const parts: Buffer[] = []
  for (const e of entries) {
    if (e.pax) {
      let body = ''
      for (const [k, v] of Object.entries(e.pax)) {
        const rec = ` ${k}=${v}\n`
        const rest = Buffer.byteLength(rec)
        let len = rest + 1
        while (String(len).length + rest !== len) len = String(len).length + rest
        body += `${len}${rec}`
      }
      const b = Buffer.from(body, 'utf8')
      parts.push(tarHeader(Buffer.from('PaxHeader', 'latin1'), 'x', b.length), ...padded(b))
    }
    const data = e.data ?? Buffer.alloc(0)
    const name = e.rawName ?? Buffer.from(e.name, 'utf8')
    parts.push(tarHeader(name, e.type ?? '0', e.size ?? data.length, e.linkname), ...padded(data))
  }
  parts.push(Buffer.alloc(512 * (opts.endBlocks ?? 2)))
  return Buffer.concat(parts)
}

export interface PackEntry {
  name: string
  data?: Buffer
  directory?: boolean
}

/** A tar made by tar-stream's packer (the way a real producer writes one), optionally gzipped. */
export async function packTar(entries: readonly PackEntry[], gzip: boolean): Promise<Buffer> {
  const pack = tarStream.pack()
  const out = streamToBuffer(gzip ? pack.pipe(zlib.createGzip({ level: 1 })) : (pack as unknown as Readable))
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve())
      if (e.directory) pack.entry({ name: e.name, type: 'directory' }, cb)
      else pack.entry({ name: e.name, size: e.data?.length ?? 0 }, e.data ?? Buffer.alloc(0), cb)
    })
  }
  pack.finalize()
  return out
}

/** A zip written by yazl (the way a real producer writes one). */
export async function yazlZip(
  entries: readonly PackEntry[],
  opts: { compress?: boolean; zip64?: boolean } = {},
): Promise<Buffer> {
  const z = new yazl.ZipFile()
  const forceZip64Format = opts.zip64 ?? false
  for (const e of entries) {
    if (e.directory) z.addEmptyDirectory(e.name)
    else z.addBuffer(e.data ?? Buffer.alloc(0), e.name, { compress: opts.compress ?? true, forceZip64Format })
  }
  z.end({ forceZip64Format, comment: '' })
  return streamToBuffer(z.outputStream as unknown as Readable)
}

export async function sha256(stream: Readable): Promise<{ hash: string; bytes: number }> {
  const h = createHash('sha256')
  let bytes = 0
  for await (const chunk of stream) {
    h.update(chunk as Buffer)
    bytes += (chunk as Buffer).length
  }
  return { hash: h.digest('hex'), bytes }
}
