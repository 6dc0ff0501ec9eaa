export {
  ReferentialService,
  DEFAULTS_OPERATION,
  type ReferentialDeps,
  type ChangeHook,
} from './referential.service.js'
export { parseReferentialFile, type ParsedFile } from './parse.js'
export { DEFAULT_REFERENTIALS_DIR, DEFAULT_FILES } from './defaults.js'
export { MAX_RULE_DURATION } from './rules.parser.js'
export {
  REFERENTIAL_KINDS,
  RULE_TYPES,
  isReferentialKind,
  type ReferentialKind,
  type JsonReferentialKind,
  type RuleType,
  type RuleMeasurement,
  type RuleEntry,
  type AgencyEntry,
  type JsonEntry,
  type EntryStatus,
  type EntryOf,
  type ReferentialError,
  type ImportCounts,
  type ImportResult,
  type LoadDefaultsResult,
  type InUseChecker,
  type ReferenceTarget,
  type ReferenceResolver,
} from './referential.types.js'
