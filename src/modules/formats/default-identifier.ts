/** Loading the signature files shipped in src/assets/formats, once per process. */
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { FormatIdentifier, type IdentifierOptions } from './identifier.js'
import { loadContainerFile, loadSignatureFile } from './signature-file.js'

const ASSETS = new URL('../../assets/formats/', import.meta.url)

export const DEFAULT_SIGNATURE_FILE = fileURLToPath(new URL('DROID_SignatureFile_V122.xml', ASSETS))
export const DEFAULT_CONTAINER_FILE = fileURLToPath(new URL('container-signature-20221102.xml', ASSETS))

export interface LoadOptions extends IdentifierOptions {
  /** DROID binary signature file (default: the shipped V122). */
  readonly signatureFile?: string
  /** DROID container signature file (default: the shipped 2022-11-02 one); null to disable containers. */
  readonly containerFile?: string | null
}

/** Loads, validates and compiles the signature files. Throws FORMAT_SIGNATURE_FILE_INVALID. */
export async function loadFormatIdentifier(
  opts: LoadOptions = {},
): Promise<FormatIdentifier & { readonly loadMillis: number }> {
  const t0 = performance.now()
  const containerPath = opts.containerFile === undefined ? DEFAULT_CONTAINER_FILE : opts.containerFile
  const [binary, container] = await Promise.all([
    loadSignatureFile(opts.signatureFile ?? DEFAULT_SIGNATURE_FILE),
    containerPath === null ? Promise.resolve(undefined) : loadContainerFile(containerPath),
  ])
  const identifier = new FormatIdentifier(binary, container, opts)
  return Object.assign(identifier, { loadMillis: performance.now() - t0 })
}

let cached: Promise<FormatIdentifier> | undefined

/** The shared identifier built from the shipped files (loaded on first use, then cached). */
export function defaultFormatIdentifier(): Promise<FormatIdentifier> {
  if (!cached) {
    cached = loadFormatIdentifier()
    cached.catch(() => {
      cached = undefined
    })
  }
  return cached
}
