import type { Executor } from '../../platform/db/create-db.js'

/** The referentials a tenant imports in the Vitam file formats (INTERFACES.md §3). */
export const REFERENTIAL_KINDS = [
  'rules',
  'agencies',
  'ingest-contracts',
  'access-contracts',
  'management-contracts',
  'profiles',
  'archive-unit-profiles',
] as const

export type ReferentialKind = (typeof REFERENTIAL_KINDS)[number]

/** Kinds stored as JSON documents in `referential_entry`. */
export type JsonReferentialKind = Exclude<ReferentialKind, 'rules' | 'agencies'>

export function isReferentialKind(value: string): value is ReferentialKind {
  return (REFERENTIAL_KINDS as readonly string[]).includes(value)
}

/** Vitam's rule categories (RuleType), case-sensitive as Vitam checks them. */
export const RULE_TYPES = [
  'AppraisalRule',
  'AccessRule',
  'StorageRule',
  'DisseminationRule',
  'ReuseRule',
  'ClassificationRule',
  'HoldRule',
] as const

export type RuleType = (typeof RULE_TYPES)[number]

export type RuleMeasurement = 'YEAR' | 'MONTH' | 'DAY'

/** One management rule. `ruleDuration` is a non-negative integer as text, `unlimited`, or null (HoldRule only). */
export interface RuleEntry {
  readonly ruleId: string
  readonly ruleType: RuleType
  readonly ruleValue: string
  readonly ruleDescription: string | null
  readonly ruleDuration: string | null
  readonly ruleMeasurement: RuleMeasurement | null
  readonly createdAt: string
  readonly updatedAt: string
}

/** One agency (service producteur / versant). `extra` keeps the additional Vitam columns (EAC-CPF fields). */
export interface AgencyEntry {
  readonly identifier: string
  readonly name: string
  readonly description: string | null
  readonly extra: Readonly<Record<string, string>>
  readonly createdAt: string
  readonly updatedAt: string
}

export type EntryStatus = 'ACTIVE' | 'INACTIVE'

/**
 * A contract, archive profile or archive-unit profile: `body` is the Vitam JSON object as imported, with
 * Vitam's defaults filled in (field names kept in Vitam's PascalCase).
 */
export interface JsonEntry {
  readonly kind: JsonReferentialKind
  readonly identifier: string
  readonly name: string
  readonly status: EntryStatus
  readonly body: Readonly<Record<string, unknown>>
  readonly createdAt: string
  readonly updatedAt: string
}

export type EntryOf<K extends ReferentialKind> = K extends 'rules'
  ? RuleEntry
  : K extends 'agencies'
    ? AgencyEntry
    : JsonEntry

/**
 * One problem found in an imported file. `line` is the 1-based line of the file; `column` is the
 * 1-based column number of the field for CSV files and the 1-based character position for JSON files.
 */
export interface ReferentialError {
  readonly line: number
  readonly column?: number
  readonly field?: string
  /** Stable machine code, e.g. RULE_TYPE_UNKNOWN. */
  readonly code: string
  /** French, for the archivist. */
  readonly message: string
}

export interface ImportCounts {
  readonly created: number
  readonly updated: number
  readonly deleted: number
  readonly unchanged: number
  /** Entries in the referential after the import. */
  readonly total: number
}

export interface ImportResult extends ImportCounts {
  readonly tenantId: string
  readonly kind: ReferentialKind
  readonly operationId: string
  readonly identifiers: {
    readonly created: readonly string[]
    readonly updated: readonly string[]
    readonly deleted: readonly string[]
  }
}

export interface LoadDefaultsResult {
  readonly tenantId: string
  readonly operationId: string
  readonly results: readonly Omit<ImportResult, 'operationId'>[]
}

/**
 * Tells which of `identifiers` (entries of one referential of the tenant that an import would delete,
 * or whose meaning it would change) are still used. Runs inside the import transaction.
 */
export type InUseChecker = (
  trx: Executor,
  tenantId: string,
  identifiers: readonly string[],
) => Promise<readonly string[]>

/** Things outside the referentials that contracts and profiles point to. */
export type ReferenceTarget = 'units' | 'ontology'

/**
 * Returns those of `identifiers` that exist (archive units of the tenant, or ontology field names).
 * Without a resolver, no unit is known (contracts naming units are refused) and ontology fields are not
 * checked.
 */
export type ReferenceResolver = (
  trx: Executor,
  tenantId: string,
  identifiers: readonly string[],
) => Promise<readonly string[]>
