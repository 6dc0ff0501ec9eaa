import { pipeline, type Readable } from 'node:stream'
import zlib from 'node:zlib'
import * as yauzl from 'yauzl'
import { isAppError } from '../../../platform/errors.js'
import { EntryAccumulator } from './checks.js'
import type { EntrySource } from './entry-stream.js'
import {
  closedReader,
  corruptEntry,
  emptyContainer,
  formatBytes,
  limitExceeded,
  unreadable,
  unsafeEntry,
  unsupportedEntry,
} from './errors.js'
import { FileClosedError, UnexpectedEofError, type PositionalFile } from './file-reader.js'
import { decodeCp437, decodeZipName } from './names.js'
import type { ScanContext, ScannedContainer } from './scanned.js'

/** Entries whose compressed data fits here and whose output is at most SMALL_OUTPUT are inflated in one call. */
const SMALL_COMPRESSED = 256 * 1024
const SMALL_OUTPUT = 1024 * 1024
/** zlib output chunk (deps.md §6: own inflateRaw with 256 KiB chunks was the fastest yauzl setup). */
const INFLATE_CHUNK = 256 * 1024

const LOCAL_HEADER_SIGNATURE = 0x04034b50
const LOCAL_HEADER_SIZE = 30
const CENTRAL_HEADER_MIN_SIZE = 46

const S_IFMT = 0o170000
const S_IFREG = 0o100000
const S_IFDIR = 0o040000
const S_IFLNK = 0o120000
const S_IFCHR = 0o020000
const S_IFBLK = 0o060000
const S_IFIFO = 0o010000
const S_IFSOCK = 0o140000

/** Where the data of a file entry lives. */
interface ZipRecord {
  /** Index in `entries`, -1 for the `./` root entry. */
  index: number
  readonly offset: number
  readonly compressedSize: number
  readonly size: number
  readonly method: number
  readonly crc32: number
  readonly nameLength: number
  readonly nameCrc: number
  /** Next local header (or the central directory): the data must end before it. */
  limitEnd: number
}

/**
 * yauzl reader over our PositionalFile: small reads hit the 1 MiB window, ranges are read 1 MiB at a time,
 * and close() is a no-op because the descriptor belongs to PositionalFile (deps.md §6).
 */
class WindowedReader extends yauzl.RandomAccessReader {
  constructor(private readonly file: PositionalFile) {
    super()
  }

  override read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (err: Error | null) => void,
  ): void {
    const done = callback as (err: Error | null, bytesRead?: number) => void
    this.file.read(position, length).then(
      (data) => {
        data.copy(buffer, offset)
        done(null, length)
      },
      (e: Error) => done(e),
    )
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return this.file.createRangeStream(start, end)
  }

  override close(callback: (err: Error | null) => void): void {
    setImmediate(() => callback(null))
  }
}

function unixType(entry: yauzl.Entry): number {
  return (entry.externalFileAttributes >>> 16) & S_IFMT
}

export async function scanZip(ctx: ScanContext, file: PositionalFile): Promise<ScannedContainer> {
  const { displayName, limits } = ctx
  let zipfile: yauzl.ZipFile
  try {
    zipfile = await yauzl.fromRandomAccessReaderPromise(new WindowedReader(file), file.size, {
      autoClose: false,
      lazyEntries: true,
      // We decode names ourselves (strict UTF-8, CP437 fallback) and check them with our own rules, so
      // yauzl's own name checks (decodeStrings/strictFileNames) do not apply; we also do the checks of
      // validateEntrySizes ourselves, naming the entry, and count the bytes actually produced.
      decodeStrings: false,
      validateEntrySizes: false,
      strictFileNames: true,
    })
  } catch (e) {
    throw unreadable(displayName, 'fin de répertoire central zip introuvable ou invalide', e)
  }
  const centralDirectoryOffset = zipfile.readEntryCursor as unknown as number
  if (zipfile.entryCount > limits.maxEntries) {
    throw limitExceeded(displayName, 'maxEntries', limits.maxEntries, zipfile.entryCount)
  }
  if (zipfile.entryCount === 0) throw emptyContainer(displayName)
  if (centralDirectoryOffset + zipfile.entryCount * CENTRAL_HEADER_MIN_SIZE > file.size) {
    throw unreadable(displayName, 'répertoire central zip plus long que le fichier')
  }

  const acc = new EntryAccumulator(ctx)
  const records: ZipRecord[] = []
  const recordOf: (ZipRecord | undefined)[] = []

  const onEntry = (entry: yauzl.Entry): void => {
    const raw = entry.fileNameRaw
    const decoded = decodeZipName(raw, entry.generalPurposeBitFlag, entry.extraFields)
    if (!decoded.ok) throw unsafeEntry(displayName, decodeCp437(raw), 'invalid-utf8')
    const named = acc.path(decoded.name)
    const type = unixType(entry)
    const shown = named?.path ?? decoded.name
    if (type === S_IFLNK) throw unsafeEntry(displayName, shown, 'symlink')
    if (type === S_IFCHR || type === S_IFBLK) throw unsafeEntry(displayName, shown, 'device')
    if (type === S_IFIFO) throw unsafeEntry(displayName, shown, 'fifo')
    if (type === S_IFSOCK) throw unsafeEntry(displayName, shown, 'socket')
    if (type !== 0 && type !== S_IFREG && type !== S_IFDIR)
      throw unsafeEntry(displayName, shown, 'unknown-type')
    const isDirectory = named === undefined || named.directorySuffix || type === S_IFDIR
    if (isDirectory && entry.uncompressedSize > 0)
      throw unsafeEntry(displayName, shown, 'directory-with-data')
    if (!isDirectory) {
      if ((entry.generalPurposeBitFlag & 0x1) !== 0) {
        throw unsupportedEntry(displayName, shown, 'elle est chiffrée', { reason: 'encrypted' })
      }
      if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
        throw unsupportedEntry(
          displayName,
          shown,
          `méthode de compression ${entry.compressionMethod} non prise en charge (seules « stockée » et « deflate » le sont)`,
          { reason: 'compression-method', compressionMethod: entry.compressionMethod },
        )
      }
      if (entry.compressionMethod === 0 && entry.compressedSize !== entry.uncompressedSize) {
        throw corruptEntry(
          displayName,
          shown,
          `entrée stockée sans compression dont la taille compressée (${formatBytes(entry.compressedSize)}) diffère de la taille déclarée (${formatBytes(entry.uncompressedSize)})`,
          { reason: 'size-mismatch', declared: entry.uncompressedSize, compressed: entry.compressedSize },
        )
      }
    }
    const record: ZipRecord = {
      index: -1,
      offset: entry.relativeOffsetOfLocalHeader,
      compressedSize: entry.compressedSize,
      size: entry.uncompressedSize,
      method: entry.compressionMethod,
      crc32: entry.crc32,
      nameLength: raw.length,
      nameCrc: zlib.crc32(raw),
      limitEnd: centralDirectoryOffset,
    }
    records.push(record)
    if (named === undefined) return // the `./` root entry: occupies bytes, lists nothing
    const index = acc.add(named.path, isDirectory, isDirectory ? 0 : entry.uncompressedSize, 'declared')
    record.index = index
    recordOf[index] = isDirectory ? undefined : record
  }

  try {
    await new Promise<void>((resolve, reject) => {
      zipfile.on('entry', (entry: yauzl.Entry) => {
        try {
          onEntry(entry)
        } catch (e) {
          reject(e)
          return
        }
        zipfile.readEntry()
      })
      zipfile.once('end', () => resolve())
      zipfile.once('error', (e: Error) =>
        reject(unreadable(displayName, 'répertoire central zip invalide ou tronqué', e)),
      )
      zipfile.readEntry()
    })
  } finally {
    zipfile.removeAllListeners('entry')
  }

  // Every local header + data must end before the next one (or the central directory). This refuses
  // "overlapping entries" bombs (many central records pointing at the same compressed data) and
  // bounds the data a record may claim.
  const byOffset = [...records].sort((a, b) => a.offset - b.offset)
  for (let i = 0; i < byOffset.length; i++) {
    const r = byOffset[i] as ZipRecord
    const next = byOffset[i + 1]
    const end = next === undefined ? centralDirectoryOffset : next.offset
    r.limitEnd = end
    if (r.offset + LOCAL_HEADER_SIZE + r.compressedSize > end) {
      const name = r.index >= 0 ? (acc.entries[r.index]?.name ?? '?') : './'
      const other = next !== undefined && next.index >= 0 ? acc.entries[next.index]?.name : undefined
      throw unsafeEntry(
        displayName,
        name,
        'overlapping-entries',
        other === undefined ? {} : { overlapsWith: other },
      )
    }
  }
  if (acc.entries.every((e) => e.isDirectory)) throw emptyContainer(displayName)

  return {
    kind: 'zip',
    entries: acc.entries,
    source: (index) => {
      const record = recordOf[index]
      const entry = acc.entries[index]
      if (record === undefined || entry === undefined) throw new Error(`no file entry at ${index}`)
      return zipEntrySource(file, record, displayName, entry.name)
    },
    close: () => file.close(),
  }
}

function zipEntrySource(file: PositionalFile, r: ZipRecord, displayName: string, name: string): EntrySource {
  let produced = 0
  let crc = 0
  const tooMany = (atLeast: number) =>
    corruptEntry(
      displayName,
      name,
      `la décompression produit plus d'octets que la taille déclarée (${formatBytes(r.size)} déclarés, au moins ${formatBytes(atLeast)} produits)`,
      { reason: 'size-mismatch', declared: r.size, producedAtLeast: atLeast },
    )
  return {
    async start() {
      // Header and name in one read (the name length is the central one; checked below).
      const headerAndName = await file.read(r.offset, LOCAL_HEADER_SIZE + r.nameLength)
      const header = headerAndName.subarray(0, LOCAL_HEADER_SIZE)
      if (header.readUInt32LE(0) !== LOCAL_HEADER_SIGNATURE) {
        throw corruptEntry(displayName, name, 'en-tête local zip absent', { reason: 'local-header' })
      }
      // Without a data descriptor (flag bit 3) the local header repeats method, CRC and sizes: a
      // different value means another reader (e.g. a streaming unzip) would see another file.
      if ((header.readUInt16LE(6) & 0x8) === 0) {
        const localCompressed = header.readUInt32LE(18)
        const localSize = header.readUInt32LE(22)
        if (
          header.readUInt16LE(8) !== r.method ||
          header.readUInt32LE(14) !== r.crc32 >>> 0 ||
          (localCompressed !== 0xffffffff && localCompressed !== r.compressedSize) ||
          (localSize !== 0xffffffff && localSize !== r.size)
        ) {
          throw corruptEntry(
            displayName,
            name,
            "l'en-tête local déclare une méthode, une taille ou une somme de contrôle différente du répertoire central",
            { reason: 'local-header', declared: r.size, localDeclared: localSize },
          )
        }
      }
      const nameLength = header.readUInt16LE(26)
      const extraLength = header.readUInt16LE(28)
      if (
        nameLength !== r.nameLength ||
        zlib.crc32(headerAndName.subarray(LOCAL_HEADER_SIZE)) !== r.nameCrc
      ) {
        throw corruptEntry(
          displayName,
          name,
          "le nom de l'en-tête local diffère de celui du répertoire central",
          {
            reason: 'local-header',
          },
        )
      }
      const dataStart = r.offset + LOCAL_HEADER_SIZE + nameLength + extraLength
      if (dataStart + r.compressedSize > r.limitEnd) {
        throw corruptEntry(displayName, name, "les données débordent sur l'entrée suivante", {
          reason: 'local-header',
        })
      }
      if (r.compressedSize <= SMALL_COMPRESSED && r.size <= SMALL_OUTPUT) {
        const data = await file.read(dataStart, r.compressedSize)
        if (r.method === 0) return Buffer.from(data) // copy: do not pin the 1 MiB read window
        try {
          // One output buffer of the expected size (+1 to see a lie); the 16 KiB default costs more.
          return zlib.inflateRawSync(data, {
            maxOutputLength: r.size + 1,
            chunkSize: Math.max(64, r.size + 1),
          })
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooMany(r.size + 1)
          throw e
        }
      }
      const raw = file.createRangeStream(dataStart, dataStart + r.compressedSize)
      if (r.method === 0) return raw
      const inflate = zlib.createInflateRaw({ chunkSize: INFLATE_CHUNK })
      pipeline(raw, inflate, () => undefined)
      return inflate
    },
    onChunk(chunk) {
      produced += chunk.length
      if (produced > r.size) throw tooMany(produced)
      crc = zlib.crc32(chunk, crc)
    },
    onEnd() {
      if (produced !== r.size) {
        throw corruptEntry(
          displayName,
          name,
          `la décompression produit moins d'octets que la taille déclarée (${formatBytes(r.size)} déclarés, ${formatBytes(produced)} produits)`,
          { reason: 'size-mismatch', declared: r.size, produced },
        )
      }
      if (crc >>> 0 !== r.crc32 >>> 0) {
        throw corruptEntry(displayName, name, 'la somme de contrôle CRC-32 ne correspond pas', {
          reason: 'crc32',
          expected: r.crc32 >>> 0,
          actual: crc >>> 0,
        })
      }
    },
    mapError(e) {
      if (isAppError(e)) return e
      if (e instanceof FileClosedError) return closedReader(displayName)
      if (e instanceof UnexpectedEofError) {
        return corruptEntry(
          displayName,
          name,
          'les données dépassent la fin du fichier',
          { reason: 'eof' },
          e,
        )
      }
      const code = (e as NodeJS.ErrnoException).code
      if (typeof code === 'string' && code.startsWith('Z_')) {
        return corruptEntry(
          displayName,
          name,
          'flux deflate invalide ou tronqué',
          { reason: 'deflate', cause: String(e) },
          e,
        )
      }
      return e instanceof Error ? e : new Error(String(e))
    },
  }
}
