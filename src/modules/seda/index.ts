/**
 * SEDA module: what the ingest pipeline needs to read, check and answer a SEDA 2.1/2.2/2.3 transfer.
 * - `checkXmlSafety`: the hostile-input pass alone (DOCTYPE/entities/PI/encoding/limits);
 * - `detectSedaVersion`: version from the root namespace (→ CHECK_SEDA.UNSUPPORTED_SEDA_VERSION.KO);
 * - `validateManifest`: official XSD + SEDA extension points, offline (→ CHECK_SEDA.NOT_XSD_VALID.KO);
 * - `readManifest`: streaming reader (header, objects, groups, unit tree, rules, lossless Content);
 * - `writeAtr` / `replyCodeFor`: the ArchiveTransferReply and its legacy reply code.
 * Every function that reads XML goes through the same hostile-input pass. See docs/seda-validation.md.
 */
export type * from './seda.types.js'
export { RULE_CATEGORIES, SUPPORTED_SEDA_VERSIONS } from './seda.types.js'
export { DEFAULT_XML_LIMITS, checkXmlSafety } from './xml-scanner.js'
export { SEDA_NAMESPACES, detectSedaVersion, versionOfNamespace, type DetectOptions } from './version.js'
export {
  createSedaValidator,
  defaultSedaValidator,
  hasSystemXmllint,
  type SedaValidator,
  type ValidatorOptions,
} from './validator.js'
export { readManifest } from './manifest-reader.js'
export {
  DEFAULT_REPLY_CODE_LIST_VERSION,
  FALLBACK_ATR_VERSION,
  UNKNOWN_IDENTIFIER,
  writeAtr,
} from './atr-writer.js'
export {
  DEFAULT_REFUSAL_CODE,
  LEGACY_REPLY_CODES,
  REPLY_CODE_RULES,
  TECHNICAL_FAILURE_CODE,
  replyCodeFor,
  replyCodeForDetail,
  type ReplyCodeEvent,
} from './reply-codes.js'
export { isManifestFileName, MANIFEST_FILE_NAME } from './manifest-name.js'

import { defaultSedaValidator } from './validator.js'
import type { SchemaValidationResult, SedaVersion, ValidateOptions, XmlSource } from './seda.types.js'

/**
 * Validates an `ArchiveTransfer` manifest of the given version (from `detectSedaVersion`) with the
 * process-wide validator: official XSD, SEDA extension points as Vitam accepts them, ID/IDREF
 * integrity. Never throws for a bad manifest: the verdict and located issues are in the result.
 */
export function validateManifest(
  source: XmlSource,
  version: SedaVersion,
  options: ValidateOptions = {},
): Promise<SchemaValidationResult> {
  return defaultSedaValidator().validate(source, version, { ...options, expectedRoot: 'ArchiveTransfer' })
}

/** Same as `validateManifest` for any SEDA message root (ArchiveTransferReply, Acknowledgement…). */
export function validateSedaMessage(
  source: XmlSource,
  version: SedaVersion,
  options: ValidateOptions = {},
): Promise<SchemaValidationResult> {
  return defaultSedaValidator().validate(source, version, { ...options, expectedRoot: null })
}
