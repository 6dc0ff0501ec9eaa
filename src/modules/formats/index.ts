/**
 * PRONOM format identification (DROID binary + container signatures). Load once, identify often:
 *
 *   const id = await defaultFormatIdentifier()
 *   const r = await id.identifyFile('/tmp/x.pdf')            // { method: 'signature', puid: 'fmt/18', … }
 *   const c = new FormatWindowCollector()                    // or tap a stream that is read anyway
 *   await pipeline(src, c.transform(), hasher, store)
 *   const w = c.windows(); await id.identifyBuffer(w.head, w.tail, { size: w.size, filename })
 */
import type { FormatInfo, IdentifyResult } from './formats.types.js'
import { defaultFormatIdentifier } from './default-identifier.js'

export { FormatIdentifier, type IdentifierOptions, type LoadStats } from './identifier.js'
export {
  loadFormatIdentifier,
  defaultFormatIdentifier,
  DEFAULT_SIGNATURE_FILE,
  DEFAULT_CONTAINER_FILE,
  type LoadOptions,
} from './default-identifier.js'
export { FormatWindowCollector } from './collector.js'
export {
  parseSignatureFile,
  parseContainerFile,
  loadSignatureFile,
  loadContainerFile,
  type ParsedSignatureFile,
  type ParsedContainerFile,
} from './signature-file.js'
export { FormatErrors } from './errors.js'
export type {
  FormatInfo,
  FormatMatch,
  IdentificationMethod,
  IdentifyOptions,
  IdentifyResult,
  SignatureFileDef,
  ContainerSignatureFileDef,
  FileFormatDef,
  InternalSignatureDef,
  ByteSequenceDef,
  SubSequenceDef,
  FragmentDef,
  SequenceReference,
} from './formats.types.js'

/** identifyBuffer with the shared default identifier. */
export async function identifyBuffer(
  head: Buffer,
  tail: Buffer,
  opts: { filename?: string; size: number },
): Promise<IdentifyResult> {
  return (await defaultFormatIdentifier()).identifyBuffer(head, tail, opts)
}

/** identifyFile with the shared default identifier. */
export async function identifyFile(path: string, opts: { filename?: string } = {}): Promise<IdentifyResult> {
  return (await defaultFormatIdentifier()).identifyFile(path, opts)
}

/** The format referential of the shared default identifier. */
export async function formats(): Promise<FormatInfo[]> {
  return (await defaultFormatIdentifier()).formats()
}
export { importFormatReferential, type FormatImportResult } from './format-referential.js'
