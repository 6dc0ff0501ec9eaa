/**
 * PRONOM format identification as DROID does it (droid-api `DroidAPI.getApiResults`):
 * 1. binary signatures: every InternalSignature whose ByteSequences all match gives its formats;
 * 2. containers: when a binary hit (before priorities) is a trigger PUID (ZIP: x-fmt/263, fmt/189;
 *    OLE2: fmt/111), the container signatures (part paths + their own byte signatures) are tried;
 *    if any matches, its PUIDs replace the binary ones;
 * 3. priorities: a format drops the formats (among the hits) it has priority over;
 * 4. extension fallback when nothing matched (by default only formats without any signature, as
 *    DROID does when "match all extensions" is off), flagged `method: 'extension'`.
 */
import { close, fstat, open, read as readFd } from 'node:fs'
import { promisify } from 'node:util'
import { extname } from 'node:path'
import { CompileError, compileByteSequence, type CompiledSequence } from './compile.js'
import { isAppError } from '../../platform/errors.js'
import { FormatErrors } from './errors.js'
import type {
  ContainerType,
  FileFormatDef,
  FormatInfo,
  FormatMatch,
  IdentificationMethod,
  IdentifyOptions,
  IdentifyResult,
  InternalSignatureDef,
} from './formats.types.js'
import { Budget, BudgetExceeded, matchSequence, type ByteView } from './match.js'
import type { ParsedContainerFile, ParsedSignatureFile } from './signature-file.js'
import { Ole2File, Ole2FormatError } from './ole2.js'
import {
  readCentralDirectory,
  readEntryPrefix,
  ZipFormatError,
  type EntryBytes,
  type RangeReader,
  type ZipEntry,
} from './zip.js'

// The callback fd API costs less per call than FileHandle (whose close() is notably slow).
const fsOpen = promisify(open)
const fsFstat = promisify(fstat)
const fsClose = promisify(close)
const fsRead = (fd: number, buf: Buffer, off: number, len: number, pos: number): Promise<number> =>
  new Promise((resolve, reject) => readFd(fd, buf, off, len, pos, (e, n) => (e ? reject(e) : resolve(n))))

interface ContainerAccess {
  exists(path: string): boolean
  read(path: string, limit: number): Promise<(EntryBytes & { size: number }) | undefined>
}

export interface IdentifierOptions {
  /** Bytes kept from the start of an object (DROID's "max bytes to scan"). Default 65,536. */
  readonly bofWindow?: number
  /** Bytes kept from the end of an object. Default 65,536. */
  readonly eofWindow?: number
  /**
   * When no signature matches: 'unsigned' (default, DROID's default) proposes only the formats that
   * have no binary signature (DROID's "tentative" formats, e.g. fmt/412 for a .docx that is not a
   * ZIP); 'all' any format with that extension; 'off' none.
   */
  readonly extensionFallback?: 'unsigned' | 'all' | 'off'
  /** Work allowed per byte sequence test and per object (abstract steps ≈ bytes examined). */
  readonly budgetPerSequence?: number
  readonly budgetPerObject?: number
  /** Uncompressed bytes read from one container entry (default 1 MiB). */
  readonly containerEntryLimit?: number
  /** Evaluate container signatures (default true). */
  readonly containers?: boolean
}

interface CompiledSignature {
  readonly id: number
  readonly specific: boolean
  readonly sequences: readonly CompiledSequence[]
  /** When the cheapest test is a fixed-position anchor: [absolute offset, bytes] for a quick reject. */
  readonly quick: { readonly offset: number; readonly bytes: Buffer } | undefined
}

interface FormatRecord {
  readonly def: FileFormatDef
  readonly info: FormatInfo
}

interface CompiledContainer {
  readonly id: number
  readonly type: ContainerType
  readonly description: string
  readonly puid: string
  readonly files: readonly { readonly path: string; readonly signatures: readonly CompiledSignature[] }[]
}

export interface LoadStats {
  readonly signatureFileVersion: number
  readonly signatureFileDate: string
  readonly containerSignatureVersion: number | undefined
  readonly formats: number
  readonly internalSignatures: number
  readonly byteSequences: number
  readonly containerSignatures: number
  /** Furthest byte from BOF / EOF a bounded binary sequence may need (compare with the windows). */
  readonly maxBofReach: number
  readonly maxEofReach: number
  readonly warnings: readonly string[]
}

function compileSignature(
  sig: InternalSignatureDef,
  where: string,
  onError: (e: CompileError) => never,
): CompiledSignature {
  const sequences = sig.byteSequences.map((bs, i) => {
    try {
      return compileByteSequence(bs, `${where} / ByteSequence ${i + 1}`)
    } catch (e) {
      if (e instanceof CompileError) onError(e)
      throw e
    }
  })
  sequences.sort((a, b) => a.cost - b.cost)
  const first = sequences[0]
  let quick: CompiledSignature['quick']
  if (first && (first.reference === 'BOFoffset' || first.reference === 'EOFoffset')) {
    const eof = first.reference === 'EOFoffset'
    const seg = eof ? first.segments[first.segments.length - 1]! : first.segments[0]!
    const g = eof ? first.gaps[first.gaps.length - 1]! : first.gaps[0]!
    if (!eof && seg.anchor && g.min === g.max && seg.leftMin === seg.leftMax) {
      quick = { offset: g.min + seg.leftMin, bytes: seg.anchor }
    }
  }
  return { id: sig.id, specific: sig.specificity !== 'Generic', sequences, quick }
}

function reaches(sigs: readonly CompiledSignature[]): { maxBofReach: number; maxEofReach: number } {
  let maxBofReach = 0
  let maxEofReach = 0
  for (const s of sigs) {
    for (const q of s.sequences) {
      if (q.reach === Infinity) continue
      if (q.reference === 'EOFoffset') maxEofReach = Math.max(maxEofReach, q.reach)
      else if (q.reference === 'BOFoffset') maxBofReach = Math.max(maxBofReach, q.reach)
    }
  }
  return { maxBofReach, maxEofReach }
}

const DEFAULTS = {
  bofWindow: 65_536,
  eofWindow: 65_536,
  extensionFallback: 'unsigned' as const,
  budgetPerSequence: 2_000_000,
  budgetPerObject: 50_000_000,
  containerEntryLimit: 1 << 20,
  containers: true,
}

function extensionOf(filename: string | undefined): string | undefined {
  if (!filename) return undefined
  const ext = extname(filename)
  return ext.length > 1 ? ext.slice(1).toLowerCase() : undefined
}

export class FormatIdentifier {
  readonly options: Required<IdentifierOptions>
  readonly stats: LoadStats
  private readonly signatures: CompiledSignature[]
  private readonly signatureById: Map<number, CompiledSignature>
  /** Signatures with a fixed-offset first test, bucketed by offset then first byte. */
  private readonly quickBuckets: Map<number, Map<number, CompiledSignature[]>>
  private readonly otherSignatures: CompiledSignature[]
  private readonly formatsBySignature = new Map<number, FormatRecord[]>()
  private readonly formatsByPuid = new Map<string, FormatRecord>()
  private readonly formatsById = new Map<number, FormatRecord>()
  private readonly formatsByExtension = new Map<string, FormatRecord[]>()
  private readonly priorityOver = new Map<string, Set<string>>()
  private readonly containers: CompiledContainer[]
  private readonly triggers = new Map<string, ContainerType>()
  /** `type:path` → bytes of that part the container signatures may need (Infinity: all of it). */
  private readonly containerNeeds = new Map<string, number>()

  constructor(binary: ParsedSignatureFile, container?: ParsedContainerFile, options: IdentifierOptions = {}) {
    this.options = { ...DEFAULTS, ...options }
    const src = 'signature file'
    const fail =
      (source: string, loc: { line: number; column: number } | undefined) =>
      (e: CompileError): never => {
        throw FormatErrors.signatureFileInvalid({
          source,
          ...(loc ?? {}),
          element: e.where,
          reason: e.message,
        })
      }
    this.signatures = binary.def.signatures.map((s) =>
      compileSignature(s, `InternalSignature ID=${s.id}`, fail(src, binary.signatureLocations.get(s.id))),
    )
    this.signatureById = new Map(this.signatures.map((s) => [s.id, s]))

    const containerPuids = new Set(container ? [...container.def.mappings.values()] : [])
    for (const def of binary.def.formats) {
      const rec: FormatRecord = {
        def,
        info: {
          puid: def.puid,
          name: def.name,
          version: def.version,
          mimeTypes: def.mimeTypes,
          extensions: def.extensions,
          hasSignature: def.internalSignatureIds.length > 0,
          hasContainerSignature: containerPuids.has(def.puid),
        },
      }
      this.formatsByPuid.set(def.puid, rec)
      this.formatsById.set(def.id, rec)
      for (const sid of def.internalSignatureIds) {
        const list = this.formatsBySignature.get(sid) ?? []
        list.push(rec)
        this.formatsBySignature.set(sid, list)
      }
      for (const ext of def.extensions) {
        const list = this.formatsByExtension.get(ext) ?? []
        list.push(rec)
        this.formatsByExtension.set(ext, list)
      }
    }
    for (const rec of this.formatsById.values()) {
      const over = new Set<string>()
      for (const id of rec.def.hasPriorityOverIds) {
        const target = this.formatsById.get(id)
        if (target) over.add(target.def.puid)
      }
      if (over.size > 0) this.priorityOver.set(rec.def.puid, over)
    }
    // Only signatures used by a format are worth testing.
    const used = this.signatures.filter((s) => this.formatsBySignature.has(s.id))
    this.quickBuckets = new Map()
    this.otherSignatures = []
    for (const s of used) {
      if (!s.quick) {
        this.otherSignatures.push(s)
        continue
      }
      const byByte = this.quickBuckets.get(s.quick.offset) ?? new Map<number, CompiledSignature[]>()
      const first = s.quick.bytes[0]!
      const list = byByte.get(first) ?? []
      list.push(s)
      byByte.set(first, list)
      this.quickBuckets.set(s.quick.offset, byByte)
    }

    this.containers = []
    if (container) {
      const csrc = 'container signature file'
      for (const cs of container.def.signatures) {
        const puid = container.def.mappings.get(cs.id)
        if (!puid) continue
        const loc = container.locations.get(cs.id)
        this.containers.push({
          id: cs.id,
          type: cs.containerType,
          description: cs.description,
          puid,
          files: cs.files.map((f) => ({
            path: f.path,
            signatures: f.signatures.map((s) =>
              compileSignature(
                s,
                `ContainerSignature Id=${cs.id} / ${f.path} / InternalSignature ID=${s.id}`,
                fail(csrc, loc),
              ),
            ),
          })),
        })
      }
      for (const t of container.def.triggers) this.triggers.set(t.puid, t.containerType)
      for (const c of this.containers) {
        for (const f of c.files) {
          const key = `${c.type}:${f.path}`
          const need = Math.max(
            0,
            ...f.signatures.flatMap((sig) =>
              sig.sequences.map((q) => (q.reference === 'BOFoffset' ? q.reach : Infinity)),
            ),
          )
          this.containerNeeds.set(key, Math.max(this.containerNeeds.get(key) ?? 0, need))
        }
      }
    }
    this.stats = {
      signatureFileVersion: binary.def.version,
      signatureFileDate: binary.def.dateCreated,
      containerSignatureVersion: container?.def.signatureVersion,
      formats: binary.def.formats.length,
      internalSignatures: this.signatures.length,
      byteSequences: this.signatures.reduce((n, s) => n + s.sequences.length, 0),
      containerSignatures: this.containers.length,
      ...reaches(this.signatures),
      warnings: container?.warnings ?? [],
    }
  }

  /** The format referential: every format of the binary signature file (container PUIDs are among them). */
  formats(): FormatInfo[] {
    return [...this.formatsByPuid.values()].map((r) => r.info)
  }

  format(puid: string): FormatInfo | undefined {
    return this.formatsByPuid.get(puid)?.info
  }

  /** Identifies an object from its first bytes (`head`), its last bytes (`tail`) and its size. */
  async identifyBuffer(head: Buffer, tail: Buffer, opts: IdentifyOptions): Promise<IdentifyResult> {
    const size = opts.size
    if (!Number.isSafeInteger(size) || size < 0) throw FormatErrors.invalidArgument(`size ${String(size)}`)
    if (head.length > size || tail.length > size) {
      throw FormatErrors.invalidArgument(
        `head/tail longer than size (${head.length}/${tail.length} > ${size})`,
      )
    }
    const view = this.view(head, tail, size)
    const read: RangeReader = async (offset, length) => {
      if (offset < 0 || length < 0 || offset + length > size) return undefined
      if (offset + length <= head.length) return head.subarray(offset, offset + length)
      const tailStart = size - tail.length
      if (offset >= tailStart) return tail.subarray(offset - tailStart, offset - tailStart + length)
      return undefined
    }
    return this.identify(view, read, opts.filename)
  }

  /** Identifies a file on disk (reads the two windows, and container entries when needed). */
  async identifyFile(path: string, opts: { filename?: string } = {}): Promise<IdentifyResult> {
    let fd: number
    try {
      fd = await fsOpen(path, 'r')
    } catch (e) {
      throw FormatErrors.fileUnreadable(path, e)
    }
    try {
      const readAt = async (offset: number, length: number): Promise<Buffer> => {
        const buf = Buffer.allocUnsafe(length)
        let done = 0
        while (done < length) {
          const bytesRead = await fsRead(fd, buf, done, length - done, offset + done)
          if (bytesRead === 0) break
          done += bytesRead
        }
        return done === length ? buf : buf.subarray(0, done)
      }
      // Buffers sized to the file: small objects do not cost two 64 KiB allocations each.
      const { size } = await fsFstat(fd)
      const head = await readAt(0, Math.min(size, this.options.bofWindow))
      const tailLen = Math.min(size, this.options.eofWindow)
      const tail =
        size === head.length ? head.subarray(size - tailLen) : await readAt(size - tailLen, tailLen)
      const read: RangeReader = async (offset, length) => {
        if (offset < 0 || length < 0 || offset + length > size) return undefined
        if (offset + length <= head.length) return head.subarray(offset, offset + length)
        const tailStart = size - tail.length
        if (offset >= tailStart) return tail.subarray(offset - tailStart, offset - tailStart + length)
        const b = await readAt(offset, length)
        return b.length === length ? b : undefined
      }
      const filename = opts.filename ?? path
      return await this.identify(this.view(head, tail, size), read, filename)
    } catch (e) {
      if (isAppError(e)) throw e
      throw FormatErrors.fileUnreadable(path, e)
    } finally {
      await fsClose(fd).catch(() => undefined)
    }
  }

  private view(head: Buffer, tail: Buffer, size: number): ByteView {
    const bof = head.length > this.options.bofWindow ? head.subarray(0, this.options.bofWindow) : head
    // When head covers the object, the EOF window is its end (DROID's max bytes from EOF).
    const eofSrc = head.length === size ? head : tail
    const eof =
      eofSrc.length > this.options.eofWindow
        ? eofSrc.subarray(eofSrc.length - this.options.eofWindow)
        : eofSrc
    return { head: bof, eof, size }
  }

  /** Ids of the binary signatures that match. */
  private matchSignatures(view: ByteView, warnings: string[] = []): number[] {
    const matched: number[] = []
    const budget = new Budget(0)
    const objectLimit = this.options.budgetPerObject
    let exhausted = false
    const test = (s: CompiledSignature): void => {
      if (exhausted) return
      for (const seq of s.sequences) {
        budget.limit = Math.min(budget.steps + this.options.budgetPerSequence, objectLimit)
        let ok: boolean
        try {
          ok = matchSequence(seq, view, budget)
        } catch (e) {
          if (!(e instanceof BudgetExceeded)) throw e
          if (budget.steps >= objectLimit) {
            exhausted = true
            warnings.push(`work limit per object reached: remaining signatures not tested`)
          } else {
            warnings.push(`work limit reached on signature ${s.id}: treated as not matching`)
          }
          return
        }
        if (!ok) return
      }
      matched.push(s.id)
    }
    const head = view.head
    for (const [offset, byByte] of this.quickBuckets) {
      const b = head[offset]
      if (b === undefined) continue
      const candidates = byByte.get(b)
      if (!candidates) continue
      for (const s of candidates) {
        const q = s.quick!
        if (offset + q.bytes.length > head.length) continue
        let eq = true
        for (let i = 1; i < q.bytes.length; i++) {
          if (head[offset + i] !== q.bytes[i]) {
            eq = false
            break
          }
        }
        if (eq) test(s)
      }
    }
    for (const s of this.otherSignatures) test(s)
    return matched
  }

  private resolvePriorities(puids: string[]): string[] {
    const set = new Set(puids)
    const dropped = new Set<string>()
    for (const p of set)
      for (const q of this.priorityOver.get(p) ?? []) if (set.has(q) && q !== p) dropped.add(q)
    return [...set].filter((p) => !dropped.has(p))
  }

  private async identify(
    view: ByteView,
    read: RangeReader,
    filename: string | undefined,
  ): Promise<IdentifyResult> {
    const warnings: string[] = []
    const ext = extensionOf(filename)
    const sigIds = this.matchSignatures(view, warnings)
    const basis = new Map<string, number[]>()
    const specific = new Map<string, boolean>()
    for (const id of sigIds) {
      const sig = this.signatureById.get(id)
      for (const rec of this.formatsBySignature.get(id) ?? []) {
        const list = basis.get(rec.def.puid) ?? []
        list.push(id)
        basis.set(rec.def.puid, list)
        specific.set(rec.def.puid, (specific.get(rec.def.puid) ?? false) || (sig?.specific ?? false))
      }
    }
    const rawHits = [...basis.keys()]
    let puids = this.resolvePriorities(rawHits)
    let method: IdentificationMethod = puids.length > 0 ? 'signature' : 'none'
    let matchBasis = (p: string) => `signature ${(basis.get(p) ?? []).join(',')}`

    // As DROID: container triggers are looked for among the binary hits *before* priorities
    // (an ODT's own binary signature has priority over x-fmt/263, yet its container must be opened).
    if (this.options.containers && rawHits.length > 0) {
      const types = new Set(rawHits.map((p) => this.triggers.get(p)).filter((t) => t !== undefined))
      for (const type of types) {
        const hits = await this.matchContainers(type, read, view.size, warnings)
        if (hits.size > 0) {
          puids = this.resolvePriorities([...hits.keys()])
          method = 'container'
          matchBasis = (p) => `container ${(hits.get(p) ?? []).join(',')}`
          for (const p of puids) specific.set(p, true)
          break
        }
      }
    }

    if (method === 'none' && ext && this.options.extensionFallback !== 'off') {
      const candidates = (this.formatsByExtension.get(ext) ?? []).filter(
        // DROID's "tentative" formats: those without a binary signature (container ones included).
        (r) => this.options.extensionFallback === 'all' || !r.info.hasSignature,
      )
      if (candidates.length > 0) {
        puids = this.resolvePriorities(candidates.map((r) => r.def.puid))
        method = 'extension'
        matchBasis = () => `extension .${ext}`
      }
    }

    const hasExt = (p: string) =>
      ext !== undefined && (this.formatsByPuid.get(p)?.def.extensions.includes(ext) ?? false)
    const ordered = [...puids].sort((a, b) => {
      const ea = hasExt(a) ? 0 : 1
      const eb = hasExt(b) ? 0 : 1
      if (ea !== eb) return ea - eb
      const sa = specific.get(a) ? 0 : 1
      const sb = specific.get(b) ? 0 : 1
      if (sa !== sb) return sa - sb
      const ia = this.formatsByPuid.get(a)?.def.id ?? Number.MAX_SAFE_INTEGER
      const ib = this.formatsByPuid.get(b)?.def.id ?? Number.MAX_SAFE_INTEGER
      return ia - ib
    })
    const matches: FormatMatch[] = ordered.map((p) => {
      const rec = this.formatsByPuid.get(p)
      const container = this.containers.find((c) => c.puid === p)
      return {
        puid: p,
        name: rec?.def.name ?? container?.description ?? p,
        version: rec?.def.version,
        mimeTypes: rec?.def.mimeTypes ?? [],
        basis: matchBasis(p),
      }
    })
    const first = matches[0]
    return {
      method,
      puid: first?.puid ?? null,
      name: first?.name ?? null,
      mimeType: first?.mimeTypes[0] ?? null,
      matches,
      extensionMismatch:
        ext !== undefined && first !== undefined && method !== 'extension' && !hasExt(first.puid),
      warnings: [...new Set(warnings)],
    }
  }

  /** Opens a container: which paths exist, and a reader of their first bytes. */
  private async openContainer(
    type: ContainerType,
    read: RangeReader,
    size: number,
    warnings: string[],
  ): Promise<ContainerAccess | undefined> {
    try {
      if (type === 'ZIP') {
        const entries = await readCentralDirectory(read, size)
        if (!entries) {
          warnings.push(
            'ZIP central directory outside the available windows: container signatures not evaluated',
          )
          return undefined
        }
        const byName = new Map<string, ZipEntry>()
        for (const e of entries) if (!byName.has(e.name)) byName.set(e.name, e)
        return {
          exists: (path) =>
            path.endsWith('/') ? entries.some((e) => e.name.startsWith(path)) : byName.has(path),
          read: async (path, limit) => {
            const e = byName.get(path)
            const got = e ? await readEntryPrefix(read, e, limit) : undefined
            return got && e ? { ...got, size: e.uncompressedSize } : undefined
          },
        }
      }
      const ole = await Ole2File.open(read, size)
      if (!ole) {
        warnings.push('OLE2 structures outside the available windows: container signatures not evaluated')
        return undefined
      }
      const byPath = new Map(ole.streams.map((st) => [st.path, st]))
      const storages = new Set(ole.storages)
      return {
        exists: (path) => byPath.has(path) || storages.has(path.replace(/\/$/, '')),
        read: async (path, limit) => {
          const st = byPath.get(path)
          const got = st ? await ole.readStream(st, limit) : undefined
          return got && st ? { ...got, size: st.size } : undefined
        },
      }
    } catch (e) {
      if (e instanceof ZipFormatError || e instanceof Ole2FormatError) {
        warnings.push(`${type} container not readable: ${e.message}`)
        return undefined
      }
      throw e
    }
  }

  /** Container signatures of one type that match: PUID → container signature ids. */
  private async matchContainers(
    type: ContainerType,
    read: RangeReader,
    size: number,
    warnings: string[],
  ): Promise<Map<string, number[]>> {
    const hits = new Map<string, number[]>()
    const access = await this.openContainer(type, read, size, warnings)
    if (!access) return hits
    const contents = new Map<string, ByteView | null>()
    const content = async (path: string): Promise<ByteView | null> => {
      const cached = contents.get(path)
      if (cached !== undefined) return cached
      let v: ByteView | null = null
      const need = this.containerNeeds.get(`${type}:${path}`) ?? Infinity
      const limit = Math.min(this.options.containerEntryLimit, need)
      try {
        const got = await access.read(path, limit)
        if (got) {
          // Without the end of the part, EOF-anchored sequences cannot match (empty EOF window).
          v = { head: got.data, eof: got.complete ? got.data : Buffer.alloc(0), size: got.size }
        } else {
          warnings.push(
            `${type} part ${path} not readable (outside the windows, encrypted or unsupported method)`,
          )
        }
      } catch (e) {
        if (!(e instanceof ZipFormatError || e instanceof Ole2FormatError)) throw e
        warnings.push(`${type} part ${path} not readable: ${e.message}`)
      }
      contents.set(path, v)
      return v
    }
    for (const c of this.containers) {
      if (c.type !== type) continue
      if (!c.files.every((f) => access.exists(f.path))) continue
      let ok = true
      for (const f of c.files) {
        if (f.signatures.length === 0) continue
        const v = await content(f.path)
        if (!v || !f.signatures.some((s) => this.matchOne(s, v, warnings))) {
          ok = false
          break
        }
      }
      if (ok) {
        const list = hits.get(c.puid) ?? []
        list.push(c.id)
        hits.set(c.puid, list)
      }
    }
    return hits
  }

  private matchOne(s: CompiledSignature, view: ByteView, warnings: string[]): boolean {
    const budget = new Budget(this.options.budgetPerSequence)
    try {
      for (const seq of s.sequences) {
        budget.limit = budget.steps + this.options.budgetPerSequence
        if (!matchSequence(seq, view, budget)) return false
      }
      return true
    } catch (e) {
      if (!(e instanceof BudgetExceeded)) throw e
      warnings.push(`work limit reached on container signature ${s.id}: treated as not matching`)
      return false
    }
  }
}
