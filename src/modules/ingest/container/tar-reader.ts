import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { Transform, type TransformCallback } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import zlib from 'node:zlib'
import * as tarStream from 'tar-stream'
import { isAppError, type AppError } from '../../../platform/errors.js'
import { EntryAccumulator } from './checks.js'
import type { EntrySource } from './entry-stream.js'
import {
  closedReader,
  corruptEntry,
  emptyContainer,
  limitExceeded,
  stagingFailed,
  unreadable,
  unsafeEntry,
  unsupportedFormat,
  type UnsafeRule,
} from './errors.js'
import { FileClosedError, PositionalFile, READ_CHUNK, UnexpectedEofError } from './file-reader.js'
import { FirstError, type ScanContext, type ScannedContainer } from './scanned.js'

const BLOCK = 512
const GUNZIP_CHUNK = 256 * 1024
/** Entries up to this size are read in one call (through the 1 MiB read window). */
const SMALL_ENTRY = 256 * 1024

/**
 * Bytes of the tar stream that are not file content (headers, pax records, padding, end-of-archive
 * blocks): at most 16 MiB plus 4 KiB per entry. Refuses a gzip of gigabytes of zeros after the last
 * entry, which would otherwise be parsed as empty blocks for ever.
 */
export const TAR_OVERHEAD_BASE = 16 * 1024 * 1024
export const TAR_OVERHEAD_PER_ENTRY = 4 * 1024

const TYPE_RULES: Partial<Record<string, UnsafeRule>> = {
  symlink: 'symlink',
  link: 'hardlink',
  'character-device': 'device',
  'block-device': 'device',
  fifo: 'fifo',
}

/** A ustar/GNU header, or the zero block that starts an empty archive. */
function isTarStart(block: Buffer): boolean {
  if (block.length < BLOCK) return false
  return block.toString('latin1', 257, 262) === 'ustar' || block.subarray(0, BLOCK).every((b) => b === 0)
}

function writeAll(fd: number, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (offset: number): void => {
      fs.write(fd, chunk, offset, chunk.length - offset, null, (err, n) => {
        if (err) return reject(err)
        if (offset + n < chunk.length) return step(offset + n)
        resolve()
      })
    }
    step(0)
  })
}

/**
 * Scans a tar (or gzip-compressed tar) sequentially, applying every check while the bytes stream:
 * entry types, names, duplicates, counts and sizes. A plain tar is then read in place by byte range (no
 * copy); a tar.gz is decompressed once into a single staged `package.tar` (bounded by the staging file
 * system's free space) and read by byte range from there.
 * Takes ownership of `source`: closes it on failure, and once staged for tar.gz.
 */
export async function scanTar(
  ctx: ScanContext,
  source: PositionalFile,
  gzip: boolean,
): Promise<ScannedContainer> {
  const { displayName, limits } = ctx
  const first = new FirstError()
  let stagingRoot: string | undefined
  let stagedFd: number | undefined
  let data: PositionalFile | undefined

  const cleanup = async (): Promise<void> => {
    if (stagedFd !== undefined) {
      const fd = stagedFd
      stagedFd = undefined
      await new Promise<void>((resolve) => fs.close(fd, () => resolve()))
    }
    await source.close()
    await data?.close()
    if (stagingRoot !== undefined) await fsp.rm(stagingRoot, { recursive: true, force: true })
  }

  try {
    let usable = Number.POSITIVE_INFINITY
    if (gzip) {
      try {
        const st = await fsp.statfs(ctx.stagingDir)
        usable = st.bavail * st.bsize - limits.stagingReserveBytes
        stagingRoot = await fsp.mkdtemp(path.join(ctx.stagingDir, 'saeh-package-'))
        const target = path.join(stagingRoot, 'package.tar')
        stagedFd = await new Promise<number>((resolve, reject) =>
          fs.open(target, 'wx', 0o600, (e, fd) => (e ? reject(e) : resolve(fd))),
        )
      } catch (e) {
        throw stagingFailed(displayName, e)
      }
      if (usable <= 0) {
        throw limitExceeded(
          displayName,
          'stagingFreeBytes',
          Math.max(0, usable),
          source.size,
          undefined,
          'unavailable',
        )
      }
    }

    const acc = new EntryAccumulator(ctx)
    const dataStarts: number[] = []
    let entryCount = 0
    let raw = 0
    let content = 0
    let lastEnd = 0
    let head: Buffer | undefined = Buffer.alloc(0)

    const fail = (e: AppError): void => {
      first.set(e)
      input.destroy(e)
    }

    const input = fs.createReadStream(ctx.path, {
      fd: source.fd,
      autoClose: false,
      start: 0,
      highWaterMark: READ_CHUNK,
    })

    const feed = new Transform({
      transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
        if (head !== undefined) {
          head = Buffer.concat([head, chunk.subarray(0, BLOCK - head.length)])
          if (head.length >= BLOCK) {
            if (!isTarStart(head)) {
              return callback(
                first.set(
                  gzip
                    ? unsupportedFormat(displayName, 'fichier gzip qui ne contient pas une archive tar')
                    : unreadable(displayName, 'premier en-tête tar invalide'),
                ),
              )
            }
            head = undefined
          }
        }
        raw += chunk.length
        const overheadCap = TAR_OVERHEAD_BASE + TAR_OVERHEAD_PER_ENTRY * entryCount
        if (raw - content > overheadCap) {
          return callback(
            first.set(limitExceeded(displayName, 'maxTarOverheadBytes', overheadCap, raw - content)),
          )
        }
        if (stagedFd === undefined) return callback(null, chunk)
        if (raw > usable) {
          return callback(
            first.set(limitExceeded(displayName, 'stagingFreeBytes', usable, raw, undefined, 'unavailable')),
          )
        }
        writeAll(stagedFd, chunk).then(
          () => callback(null, chunk),
          (e: unknown) => callback(first.set(stagingFailed(displayName, e))),
        )
      },
    })

    const extract = tarStream.extract()
    extract.on('entry', (header, stream, next) => {
      let index: number | undefined
      let size = 0
      const dataStart = (header as { byteOffset?: number }).byteOffset
      try {
        entryCount++
        if (entryCount > limits.maxEntries) {
          throw limitExceeded(displayName, 'maxEntries', limits.maxEntries, entryCount)
        }
        const named = acc.path(header.name)
        const shown = named?.path ?? header.name
        const type = header.type as string | null
        const rule = type === null ? 'unknown-type' : TYPE_RULES[type]
        if (rule !== undefined) throw unsafeEntry(displayName, shown, rule, { typeflag: type })
        if (type !== 'file' && type !== 'contiguous-file' && type !== 'directory') {
          throw unsafeEntry(displayName, shown, 'unknown-type', { typeflag: type })
        }
        const pax = header.pax as Record<string, string> | null | undefined
        if (pax && Object.keys(pax).some((k) => k.startsWith('GNU.sparse'))) {
          throw unsafeEntry(displayName, shown, 'sparse')
        }
        const isDirectory = type === 'directory' || named === undefined || named.directorySuffix
        if (isDirectory && header.size > 0) throw unsafeEntry(displayName, shown, 'directory-with-data')
        if (named === undefined) {
          // `./`: the root directory itself, nothing to list
        } else {
          if (typeof dataStart !== 'number') throw new Error('tar-stream did not report the data offset')
          size = isDirectory ? 0 : header.size
          index = acc.add(named.path, isDirectory, size, 'measured')
          if (!isDirectory) dataStarts[index] = dataStart
        }
      } catch (e) {
        fail(isAppError(e) ? e : unreadable(displayName, 'en-tête tar inattendu', e))
        return
      }
      let produced = 0
      stream.on('data', (chunk: unknown) => {
        const n = (chunk as Buffer).length
        produced += n
        content += n
      })
      stream.once('end', () => {
        if (produced !== size) {
          const name = index === undefined ? header.name : (acc.entries[index]?.name ?? header.name)
          fail(
            corruptEntry(displayName, name, 'taille lue différente de la taille de son en-tête', {
              reason: 'size-mismatch',
            }),
          )
          return
        }
        if (typeof dataStart === 'number') lastEnd = dataStart + Math.ceil(size / BLOCK) * BLOCK
        next()
      })
      // Errors of the entry stream are those of the extractor, reported by the pipeline.
      stream.on('error', () => undefined)
      stream.resume()
    })

    try {
      const stages = gzip
        ? [input, zlib.createGunzip({ chunkSize: GUNZIP_CHUNK }), feed, extract]
        : [input, feed, extract]
      await (pipeline as (...streams: unknown[]) => Promise<void>)(...stages)
    } catch (e) {
      const known = first.get()
      if (known !== undefined) throw known
      const code = (e as NodeJS.ErrnoException).code
      if (typeof code === 'string' && code.startsWith('Z_')) {
        throw unreadable(displayName, 'flux gzip invalide ou tronqué', e)
      }
      throw unreadable(displayName, 'en-têtes tar invalides ou archive tronquée', e)
    }
    const known = first.get()
    if (known !== undefined) throw known
    if (head !== undefined) {
      throw gzip
        ? unsupportedFormat(displayName, 'fichier gzip qui ne contient pas une archive tar')
        : unreadable(displayName, 'archive tar plus courte qu’un en-tête')
    }
    if (raw - lastEnd < 2 * BLOCK) {
      throw unreadable(displayName, "marqueur de fin d'archive tar absent (archive tronquée)")
    }
    if (acc.entries.every((e) => e.isDirectory)) throw emptyContainer(displayName)

    if (gzip && stagingRoot !== undefined && stagedFd !== undefined) {
      const fd = stagedFd
      stagedFd = undefined
      await new Promise<void>((resolve, reject) => fs.close(fd, (e) => (e ? reject(e) : resolve())))
      data = await PositionalFile.open(path.join(stagingRoot, 'package.tar'))
      await source.close()
    } else {
      data = source
    }
    const file = data
    const root = stagingRoot
    return {
      kind: gzip ? 'tar.gz' : 'tar',
      entries: acc.entries,
      source: (index) => {
        const entry = acc.entries[index]
        const start = dataStarts[index]
        if (entry === undefined || start === undefined) throw new Error(`no file entry at ${index}`)
        return tarEntrySource(file, start, entry.size, displayName, entry.name)
      },
      close: async () => {
        await file.close()
        if (root !== undefined) await fsp.rm(root, { recursive: true, force: true })
      },
    }
  } catch (e) {
    await cleanup()
    throw e
  }
}

function tarEntrySource(
  file: PositionalFile,
  start: number,
  size: number,
  displayName: string,
  name: string,
): EntrySource {
  let produced = 0
  return {
    async start() {
      if (size <= SMALL_ENTRY) return Buffer.from(await file.read(start, size))
      return file.createRangeStream(start, start + size)
    },
    onChunk(chunk) {
      produced += chunk.length
      if (produced > size)
        throw corruptEntry(displayName, name, 'plus d’octets que sa taille', { reason: 'size-mismatch' })
    },
    onEnd() {
      if (produced !== size)
        throw corruptEntry(displayName, name, 'moins d’octets que sa taille', { reason: 'size-mismatch' })
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
      return e instanceof Error ? e : new Error(String(e))
    },
  }
}
