import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs'
import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { dirname, join, sep } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Transform } from 'node:stream'
import { AppError } from '../../platform/errors.js'

/**
 * BagIt (RFC 8493) writing and checking: every payload file is hashed (SHA-512) while it is written,
 * its manifest line appended at once, so a bag of any size is written and checked in bounded memory.
 */

export const BAGIT_TXT = 'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n'
export const MANIFEST = 'manifest-sha512.txt'
export const TAG_MANIFEST = 'tagmanifest-sha512.txt'

export const BagErrors = {
  invalid: (file: string, reason: string) =>
    new AppError('BAG_INVALID', 'invalid', `Sac BagIt refusé : ${file} — ${reason}`, { file, reason }),
  path: (file: string, reason: string) =>
    new AppError(
      'BAG_PATH_INVALID',
      'invalid',
      `Sac BagIt refusé : chemin interdit ${JSON.stringify(file)} (${reason})`,
      {
        file,
        reason,
      },
    ),
}

/** RFC 8493 §2.1.3: CR, LF and % are percent-encoded in manifest file paths. */
const encodePath = (p: string) => p.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
const decodePath = (p: string) => p.replace(/%0D/gi, '\r').replace(/%0A/gi, '\n').replace(/%25/g, '%')

/**
 * A bag path (relative, `/`-separated) is accepted only when made of plain segments inside the bag: no
 * absolute path, no `..` or `.` segment, no backslash, no NUL, no empty segment.
 */
export function checkBagPath(p: string): string {
  if (p.length === 0 || p.length > 4096) throw BagErrors.path(p, 'longueur')
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) throw BagErrors.path(p, 'chemin absolu')
  if (p.includes('\\') || p.includes('\0')) throw BagErrors.path(p, 'caractère interdit')
  for (const s of p.split('/')) {
    if (s === '' || s === '.' || s === '..') throw BagErrors.path(p, `segment ${JSON.stringify(s)}`)
  }
  return p
}

function hasher() {
  const h = createHash('sha512')
  let size = 0
  const t = new Transform({
    transform(chunk: Buffer, _e, cb) {
      h.update(chunk)
      size += chunk.length
      cb(null, chunk)
    },
  })
  return { t, done: () => ({ sha512: h.digest('hex'), size }) }
}

/** Writes a bag under `root`: payload files hashed as they stream, manifest lines appended at once. */
export class BagWriter {
  #manifest: WriteStream
  #octets = 0
  #files = 0

  constructor(readonly root: string) {
    this.#manifest = createWriteStream(join(root, MANIFEST), { flags: 'wx' })
  }

  get oxum(): string {
    return `${this.#octets}.${this.#files}`
  }

  get octets(): number {
    return this.#octets
  }

  get files(): number {
    return this.#files
  }

  async #record(path: string, sha512: string, size: number): Promise<void> {
    this.#octets += size
    this.#files += 1
    if (!this.#manifest.write(`${sha512}  ${encodePath(path)}\n`)) await once(this.#manifest, 'drain')
  }

  /** Streams `source` into the payload file `path` (under data/); returns its digest and size. */
  async writeStream(path: string, source: AsyncIterable<Uint8Array> | NodeJS.ReadableStream) {
    checkBagPath(path)
    const abs = join(this.root, ...path.split('/'))
    await mkdir(dirname(abs), { recursive: true })
    const h = hasher()
    await pipeline(source, h.t, createWriteStream(abs, { flags: 'wx' }))
    const r = h.done()
    await this.#record(path, r.sha512, r.size)
    return r
  }

  /** A payload file written piece by piece (JSON Lines, HTML): `write` honours back-pressure. */
  async open(path: string) {
    checkBagPath(path)
    const abs = join(this.root, ...path.split('/'))
    await mkdir(dirname(abs), { recursive: true })
    const out = createWriteStream(abs, { flags: 'wx' })
    const h = createHash('sha512')
    let size = 0
    return {
      write: async (s: string | Buffer) => {
        const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s
        h.update(b)
        size += b.length
        if (!out.write(b)) await once(out, 'drain')
      },
      close: async () => {
        out.end()
        await once(out, 'finish')
        await this.#record(path, h.digest('hex'), size)
        return size
      },
    }
  }

  /** Closes the payload manifest, writes bagit.txt, bag-info.txt and the tag manifest. */
  async finish(info: readonly (readonly [string, string])[]): Promise<void> {
    this.#manifest.end()
    await once(this.#manifest, 'finish')
    const bagInfo = info.map(([k, v]) => `${k}: ${v.replace(/\r?\n/g, ' ')}`).join('\n') + '\n'
    await writeFile(join(this.root, 'bagit.txt'), BAGIT_TXT, { flag: 'wx' })
    await writeFile(join(this.root, 'bag-info.txt'), bagInfo, { flag: 'wx' })
    const tags: string[] = []
    for (const f of ['bagit.txt', 'bag-info.txt', MANIFEST]) {
      tags.push(`${await sha512File(join(this.root, f))}  ${f}`)
    }
    await writeFile(join(this.root, TAG_MANIFEST), tags.join('\n') + '\n', { flag: 'wx' })
  }
}

export async function sha512File(abs: string): Promise<string> {
  const h = createHash('sha512')
  for await (const c of createReadStream(abs, { highWaterMark: 1 << 20 })) h.update(c as Buffer)
  return h.digest('hex')
}

export interface CheckedBag {
  readonly root: string
  readonly info: ReadonlyMap<string, string>
  /** Payload paths (`data/…`), as listed in the manifest. */
  readonly payload: ReadonlySet<string>
  readonly octets: number
}

async function* manifestLines(root: string, name: string): AsyncGenerator<{ digest: string; path: string }> {
  const rl = createInterface({ input: createReadStream(join(root, name), 'utf8'), crlfDelay: Infinity })
  let n = 0
  for await (const line of rl) {
    n += 1
    if (line.trim() === '') continue
    const m = /^([0-9a-fA-F]{128})[ \t]+(.+)$/.exec(line)
    if (!m) throw BagErrors.invalid(name, `ligne ${n} illisible`)
    yield { digest: m[1]!.toLowerCase(), path: checkBagPath(decodePath(m[2]!)) }
  }
}

/** A file of the bag, refused when it is missing, a link, or not a regular file. */
async function regularFile(root: string, p: string): Promise<{ abs: string; size: number }> {
  const abs = join(root, ...p.split('/'))
  let st
  try {
    st = await lstat(abs)
  } catch {
    throw BagErrors.invalid(p, 'fichier absent')
  }
  if (st.isSymbolicLink()) throw BagErrors.path(p, 'lien symbolique')
  if (!st.isFile()) throw BagErrors.invalid(p, 'n’est pas un fichier')
  return { abs, size: st.size }
}

/** Every file under `dir` (relative, `/`-separated), refusing links. */
async function* walk(root: string, rel: string): AsyncGenerator<string> {
  const entries = await readdir(join(root, ...rel.split('/')), { withFileTypes: true })
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = `${rel}/${e.name}`
    if (e.isSymbolicLink()) throw BagErrors.path(p, 'lien symbolique')
    if (e.isDirectory()) yield* walk(root, p)
    else if (e.isFile()) yield p
    else throw BagErrors.invalid(p, 'n’est pas un fichier')
  }
}

/**
 * Validates a whole bag before anything is used from it: bagit.txt, the tag manifest (which must cover
 * bag-info.txt and the payload manifest), every payload digest, completeness both ways (a listed file
 * missing, a file not listed), duplicates and Payload-Oxum. Throws BAG_INVALID / BAG_PATH_INVALID
 * naming the file.
 */
export async function checkBag(root: string): Promise<CheckedBag> {
  const st = await lstat(root).catch(() => undefined)
  if (!st || !st.isDirectory()) throw BagErrors.invalid(root, 'dossier absent')
  const bagit = await readFile(join(root, 'bagit.txt'), 'utf8').catch(() => {
    throw BagErrors.invalid('bagit.txt', 'fichier absent')
  })
  const decl = new Map(
    bagit
      .split(/\r?\n/)
      .filter((l) => l.trim() !== '')
      .map((l) => {
        const i = l.indexOf(':')
        return [l.slice(0, i).trim(), l.slice(i + 1).trim()] as const
      }),
  )
  if (
    !/^1\.\d+$/.test(decl.get('BagIt-Version') ?? '') ||
    decl.get('Tag-File-Character-Encoding') !== 'UTF-8'
  )
    throw BagErrors.invalid('bagit.txt', 'déclaration BagIt 1.x en UTF-8 attendue')
  for (const f of [MANIFEST, TAG_MANIFEST, 'bag-info.txt']) await regularFile(root, f)

  // Tag manifest first: it protects the payload manifest itself (a removed line is caught here).
  const tagged = new Set<string>()
  for await (const { digest, path } of manifestLines(root, TAG_MANIFEST)) {
    if (path.startsWith('data/'))
      throw BagErrors.invalid(TAG_MANIFEST, `${path} n’est pas un fichier d’étiquette`)
    if (tagged.has(path)) throw BagErrors.invalid(TAG_MANIFEST, `${path} listé deux fois`)
    tagged.add(path)
    const { abs } = await regularFile(root, path)
    if ((await sha512File(abs)) !== digest)
      throw BagErrors.invalid(path, 'empreinte SHA-512 différente du manifeste')
  }
  for (const f of ['bagit.txt', 'bag-info.txt', MANIFEST]) {
    if (!tagged.has(f)) throw BagErrors.invalid(TAG_MANIFEST, `${f} n’y est pas listé`)
  }

  const info = new Map<string, string>()
  for (const line of (await readFile(join(root, 'bag-info.txt'), 'utf8')).split(/\r?\n/)) {
    if (line.trim() === '') continue
    const i = line.indexOf(':')
    if (i <= 0) throw BagErrors.invalid('bag-info.txt', `ligne illisible : ${line.slice(0, 60)}`)
    info.set(line.slice(0, i).trim(), line.slice(i + 1).trim())
  }

  const payload = new Set<string>()
  let octets = 0
  for await (const { digest, path } of manifestLines(root, MANIFEST)) {
    if (!path.startsWith('data/')) throw BagErrors.path(path, 'hors du dossier data/')
    if (payload.has(path)) throw BagErrors.invalid(MANIFEST, `${path} listé deux fois`)
    payload.add(path)
    const { abs, size } = await regularFile(root, path)
    if ((await sha512File(abs)) !== digest)
      throw BagErrors.invalid(path, 'empreinte SHA-512 différente du manifeste')
    octets += size
  }
  const dataDir = await lstat(join(root, 'data')).catch(() => undefined)
  if (!dataDir || !dataDir.isDirectory() || dataDir.isSymbolicLink())
    throw BagErrors.invalid('data/', 'dossier absent')
  let found = 0
  for await (const p of walk(root, 'data')) {
    if (!payload.has(p)) throw BagErrors.invalid(p, 'fichier absent du manifeste')
    found += 1
  }
  if (found !== payload.size) throw BagErrors.invalid(MANIFEST, 'des fichiers listés manquent')
  const oxum = info.get('Payload-Oxum')
  if (oxum !== undefined && oxum !== `${octets}.${payload.size}`)
    throw BagErrors.invalid('bag-info.txt', `Payload-Oxum ${oxum} ≠ ${octets}.${payload.size}`)
  if (oxum === undefined) throw BagErrors.invalid('bag-info.txt', 'Payload-Oxum manquant')
  return { root, info, payload, octets }
}

/** The absolute path of a payload file of a checked bag (the path is checked again). */
export function payloadPath(bag: CheckedBag, p: string): string {
  checkBagPath(p)
  if (!bag.payload.has(p)) throw BagErrors.invalid(p, 'fichier absent du manifeste')
  const abs = join(bag.root, ...p.split('/'))
  if (!abs.startsWith(bag.root.endsWith(sep) ? bag.root : bag.root + sep))
    throw BagErrors.path(p, 'hors du sac')
  return abs
}
