import path from 'node:path'
import type { Readable } from 'node:stream'
import { AppError } from '../../../platform/errors.js'
import { detectContainer } from './detect.js'
import { EntryStream } from './entry-stream.js'
import {
  closedReader,
  entryNotFound,
  manyManifests,
  noManifest,
  unreadable,
  unsupportedFormat,
} from './errors.js'
import { PositionalFile } from './file-reader.js'
import { isManifestName, MANIFEST_NAME_PATTERN } from './names.js'
import type { ScanContext, ScannedContainer } from './scanned.js'
import { scanTar } from './tar-reader.js'
import {
  DEFAULT_CONTAINER_LIMITS,
  type ContainerEntry,
  type ContainerKind,
  type ContainerLimits,
  type OpenPackageOptions,
  type PackageReader,
} from './types.js'
import { scanZip } from './zip-reader.js'

function resolveLimits(limits: Partial<ContainerLimits> | undefined): ContainerLimits {
  const merged = { ...DEFAULT_CONTAINER_LIMITS, ...limits }
  for (const [k, v] of Object.entries(merged)) {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new AppError(
        'CONTAINER_INVALID_LIMITS',
        'internal',
        `Limite de conteneur invalide : ${k} = ${String(v)}.`,
        {
          limit: k,
          value: v,
        },
      )
    }
  }
  return merged
}

/**
 * Opens a SIP container (zip, tar or tar.gz, recognised by its magic bytes) and checks it entirely before
 * returning: structure, entry names and types, duplicates, limits, and exactly one manifest at the root.
 * Throws an AppError (codes in ContainerErrorCode) naming the file, the entry and the limit.
 */
export async function openPackage(
  filePath: string,
  limits: Partial<ContainerLimits> | undefined,
  opts: OpenPackageOptions,
): Promise<PackageReader> {
  const resolved = resolveLimits(limits)
  const displayName = opts.displayName ?? path.basename(filePath)
  const ctx: ScanContext = {
    path: filePath,
    displayName,
    limits: resolved,
    stagingDir: opts.stagingDir,
    manifestPattern: opts.manifestNamePattern ?? MANIFEST_NAME_PATTERN,
  }
  let file: PositionalFile
  try {
    file = await PositionalFile.open(filePath)
  } catch (e) {
    throw unreadable(displayName, 'fichier impossible à ouvrir', e, 'internal')
  }
  let kind: ContainerKind
  try {
    if (file.size === 0) throw unreadable(displayName, 'fichier vide')
    const head = await file.read(0, Math.min(file.size, 512))
    const detected = detectContainer(head)
    if (detected.kind === 'unsupported') throw unsupportedFormat(displayName, detected.what)
    kind = detected.kind
  } catch (e) {
    await file.close()
    throw e
  }
  // From here the scanner owns `file`.
  const scanned =
    kind === 'zip' ? await scanZipOwning(ctx, file) : await scanTar(ctx, file, kind === 'tar.gz')
  try {
    const manifestName = findManifest(scanned.entries, ctx)
    return new ContainerReader(scanned, displayName, manifestName)
  } catch (e) {
    await scanned.close()
    throw e
  }
}

async function scanZipOwning(ctx: ScanContext, file: PositionalFile): Promise<ScannedContainer> {
  try {
    return await scanZip(ctx, file)
  } catch (e) {
    await file.close()
    throw e
  }
}

function findManifest(entries: readonly ContainerEntry[], ctx: ScanContext): string {
  const manifests: string[] = []
  const rootFiles: string[] = []
  for (const e of entries) {
    if (e.isDirectory || e.name.includes('/')) continue
    rootFiles.push(e.name)
    if (isManifestName(e.name, ctx.manifestPattern)) manifests.push(e.name)
  }
  if (manifests.length === 0) throw noManifest(ctx.displayName, rootFiles)
  if (manifests.length > 1) throw manyManifests(ctx.displayName, manifests)
  return manifests[0] as string
}

class ContainerReader implements PackageReader {
  readonly kind: ContainerKind
  readonly entries: readonly ContainerEntry[]
  private readonly byName = new Map<string, number>()
  private byNfc: Map<string, number> | undefined
  private closed = false

  constructor(
    private readonly scanned: ScannedContainer,
    readonly displayName: string,
    readonly manifestName: string,
  ) {
    this.kind = scanned.kind
    this.entries = scanned.entries
    scanned.entries.forEach((e, i) => this.byName.set(e.name, i))
  }

  private indexOf(name: string): number | undefined {
    const exact = this.byName.get(name)
    if (exact !== undefined) return exact
    if (this.byNfc === undefined) {
      this.byNfc = new Map()
      this.entries.forEach((e, i) => this.byNfc?.set(e.name.normalize('NFC'), i))
    }
    return this.byNfc.get(name.normalize('NFC'))
  }

  findEntry(name: string): ContainerEntry | undefined {
    const i = this.indexOf(name)
    return i === undefined ? undefined : this.entries[i]
  }

  openEntry(name: string): Readable {
    if (this.closed) throw closedReader(this.displayName)
    const i = this.indexOf(name)
    if (i === undefined || this.entries[i]?.isDirectory !== false) throw entryNotFound(this.displayName, name)
    return new EntryStream(this.scanned.source(i))
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.scanned.close()
  }
}
