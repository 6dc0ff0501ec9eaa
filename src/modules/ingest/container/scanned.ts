import type { AppError } from '../../../platform/errors.js'
import type { EntrySource } from './entry-stream.js'
import type { ContainerEntry, ContainerKind, ContainerLimits } from './types.js'

/** What a format reader hands back after a successful scan of the container. */
export interface ScannedContainer {
  readonly kind: ContainerKind
  /** Every entry, directories included, in container order. */
  readonly entries: readonly ContainerEntry[]
  /** Reading plan for the file entry at `index` in `entries`. */
  source(index: number): EntrySource
  /** Releases the file descriptor(s) and removes what was staged. */
  close(): Promise<void>
}

export interface ScanContext {
  readonly path: string
  readonly displayName: string
  readonly limits: ContainerLimits
  readonly stagingDir: string
  readonly manifestPattern: RegExp
}

/** The first error wins: later ones are consequences (destroyed streams, closed files). */
export class FirstError {
  private error: AppError | undefined

  set(e: AppError): AppError {
    this.error ??= e
    return this.error
  }

  get(): AppError | undefined {
    return this.error
  }
}
