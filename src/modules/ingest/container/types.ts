import type { Readable } from 'node:stream'

/** Container formats recognised by their magic bytes (never by file name). */
export type ContainerKind = 'zip' | 'tar' | 'tar.gz'

/**
 * Limits applied while a package is opened and read. Every byte limit is enforced on the bytes actually
 * produced (inflated or read), declared sizes are only used to refuse early.
 */
export interface ContainerLimits {
  /** Entries in the container, directories included. */
  readonly maxEntries: number
  /** Uncompressed bytes of one entry. */
  readonly maxEntryBytes: number
  /** Uncompressed bytes of all file entries together. */
  readonly maxTotalBytes: number
  /** Uncompressed bytes of the manifest (bordereau). */
  readonly maxManifestBytes: number
  /** UTF-8 bytes of one entry name (path). */
  readonly maxNameBytes: number
  /** Free bytes that staging (tar.gz) must leave on the staging file system. */
  readonly stagingReserveBytes: number
}

const GIB = 1024 * 1024 * 1024
const MIB = 1024 * 1024

export const DEFAULT_CONTAINER_LIMITS: ContainerLimits = Object.freeze({
  maxEntries: 200_000,
  maxEntryBytes: 64 * GIB,
  maxTotalBytes: 100 * GIB,
  maxManifestBytes: 200 * MIB,
  maxNameBytes: 1024,
  stagingReserveBytes: 1 * GIB,
})

/** One entry of the container, as listed at open time. */
export interface ContainerEntry {
  /** Path inside the container, `/`-separated, without trailing `/` for directories, as decoded. */
  readonly name: string
  readonly isDirectory: boolean
  /** Uncompressed size in bytes (0 for directories). */
  readonly size: number
  /**
   * `declared`: read from the zip central directory, checked against the bytes actually produced on
   * every read (a mismatch fails the stream). `measured`: counted while the tar stream was read at open.
   */
  readonly sizeSource: 'declared' | 'measured'
}

export interface OpenPackageOptions {
  /** Directory where tar.gz packages are decompressed; a private sub-directory is created and removed. */
  readonly stagingDir: string
  /** Name shown in messages (defaults to the base name of the path), e.g. the uploaded file name. */
  readonly displayName?: string
  /** Overrides the manifest name rule (defaults to Vitam's, see MANIFEST_NAME_PATTERN). */
  readonly manifestNamePattern?: RegExp
}

export interface PackageReader {
  readonly kind: ContainerKind
  /** Display name of the package used in messages. */
  readonly displayName: string
  /** Every entry, in container order, directories included. */
  readonly entries: readonly ContainerEntry[]
  /** Name of the only manifest at the root of the container. */
  readonly manifestName: string
  /** Entry by exact name, or else by Unicode NFC-equal name. */
  findEntry(name: string): ContainerEntry | undefined
  /**
   * Streams the bytes of a file entry. Errors (AppError) are emitted on the stream: corrupt data, size
   * or CRC mismatch. Several streams may be open at once.
   */
  openEntry(name: string): Readable
  /** Closes the file and removes anything staged. Idempotent. */
  close(): Promise<void>
}
