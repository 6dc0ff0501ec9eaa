import { duplicateEntry, limitExceeded, unsafeEntry } from './errors.js'
import { checkEntryName, isManifestName, NameIndex } from './names.js'
import type { ScanContext } from './scanned.js'
import type { ContainerEntry } from './types.js'

/**
 * The checks common to every format, applied entry by entry while the container is scanned: name rules,
 * duplicates, per-entry, total and manifest byte limits. Throws the AppError describing the first problem.
 */
export class EntryAccumulator {
  readonly entries: ContainerEntry[] = []
  private readonly index = new NameIndex()
  private totalBytes = 0

  constructor(private readonly ctx: ScanContext) {}

  /** Canonical path of a raw name, or undefined for the root (`./`) entry of a tar. */
  path(raw: string): { path: string; directorySuffix: boolean } | undefined {
    const check = checkEntryName(raw, this.ctx.limits.maxNameBytes)
    if (!check.ok) {
      if ('rule' in check) throw unsafeEntry(this.ctx.displayName, raw, check.rule)
      throw limitExceeded(this.ctx.displayName, check.limit, check.max, check.actual, raw)
    }
    if (check.root) return undefined
    return { path: check.path, directorySuffix: check.directorySuffix }
  }

  /** Checks size limits (files) and duplicates, then records the entry; returns its index. */
  add(path: string, isDirectory: boolean, size: number, sizeSource: ContainerEntry['sizeSource']): number {
    const { limits, displayName } = this.ctx
    if (!isDirectory) {
      if (size > limits.maxEntryBytes)
        throw limitExceeded(displayName, 'maxEntryBytes', limits.maxEntryBytes, size, path)
      if (this.totalBytes + size > limits.maxTotalBytes) {
        throw limitExceeded(displayName, 'maxTotalBytes', limits.maxTotalBytes, this.totalBytes + size, path)
      }
      if (size > limits.maxManifestBytes && isManifestName(path, this.ctx.manifestPattern)) {
        throw limitExceeded(displayName, 'maxManifestBytes', limits.maxManifestBytes, size, path)
      }
      this.totalBytes += size
    }
    const conflict = this.index.add(path, isDirectory)
    if (conflict !== undefined) throw duplicateEntry(displayName, path, conflict)
    this.entries.push({ name: path, isDirectory, size, sizeSource })
    return this.entries.length - 1
  }

  get total(): number {
    return this.totalBytes
  }
}
