import type { Generated } from 'kysely'

/**
 * The database as Kysely sees it. Timestamps are ISO-8601 UTC text on both dialects; JSON columns are
 * jsonb on PostgreSQL and text on SQLite (see `toJson` / `fromJson`).
 */
export interface TenantTable {
  id: string
  name: string
  controlled_by: string | null
  created_at: string
}

export interface PrincipalTable {
  id: string
  kind: 'user' | 'apikey'
  username: string | null
  password_hash: string | null
  /** API keys: the first characters of the key, to find it without a scan; the rest is hashed. */
  key_prefix: string | null
  key_hash: string | null
  label: string | null
  created_at: string
  revoked_at: string | null
}

export interface PrincipalRoleTable {
  principal_id: string
  /** '*' for platform-wide roles (platform-admin). */
  tenant_id: string
  role: string
}

export interface SessionTable {
  token_hash: string
  principal_id: string
  created_at: string
  expires_at: string
}

export interface LogbookEventTable {
  chain: string
  seq: number
  operation_id: string
  tenant_id: string | null
  event_type: string
  outcome: string
  detail: string | null
  message: string | null
  agent: string | null
  object_id: string | null
  data: unknown
  created_at: string
  prev_hash: string
  hash: string
}

export interface LogbookChainTable {
  chain: string
  last_seq: number
  last_hash: string
}

export interface OperationTable {
  id: string
  tenant_id: string | null
  type: string
  status: string
  agent: string | null
  summary: unknown
  created_at: string
  updated_at: string
}

export interface JobTable {
  id: string
  queue: string
  payload: unknown
  state: 'pending' | 'running' | 'done' | 'failed'
  run_at: string
  attempts: number
  max_attempts: number
  backoff_ms: number
  locked_by: string | null
  locked_until: string | null
  last_error: string | null
  schedule_key: string | null
  created_at: string
  finished_at: string | null
}

export interface ScheduleTable {
  name: string
  queue: string
  payload: unknown
  interval_ms: number
  next_run_at: string
}

export interface BlobTable {
  id: string
  tenant_id: string
  size: number
  sha512: string
  created_at: string
}

export interface BlobCopyTable {
  blob_id: string
  offer_id: string
  state: 'ok' | 'repair'
  checked_at: string
  note: string | null
}

export interface RuleTable {
  tenant_id: string
  rule_id: string
  rule_type: string
  value: string
  description: string | null
  duration: string | null
  measurement: string | null
  created_at: string
  updated_at: string
}

export interface AgencyTable {
  tenant_id: string
  identifier: string
  name: string
  description: string | null
  /** Additional columns of Vitam's agencies CSV (migration 2026-11-29T09-00_agency-extra). */
  extra: unknown
  created_at: string
  updated_at: string
}

/** Ingest, access and management contracts, archive profiles, archive-unit profiles: JSON as imported. */
export interface ReferentialEntryTable {
  tenant_id: string
  kind: string
  identifier: string
  name: string
  status: string
  body: unknown
  created_at: string
  updated_at: string
}

export interface FormatTable {
  puid: string
  name: string
  version: string | null
  mime_types: string | null
  extensions: string | null
}

export interface MetaTable {
  key: string
  value: string
}

export interface Schema extends CatalogSchema {
  tenant: TenantTable
  principal: PrincipalTable
  principal_role: PrincipalRoleTable
  session: SessionTable
  logbook_event: LogbookEventTable
  logbook_chain: LogbookChainTable
  operation: OperationTable
  job: JobTable
  schedule: ScheduleTable
  blob: BlobTable
  blob_copy: BlobCopyTable
  rule: RuleTable
  agency: AgencyTable
  referential_entry: ReferentialEntryTable
  format: FormatTable
  meta: MetaTable
}

export type { Generated }

export interface IngestTable {
  operation_id: string
  tenant_id: string
  status: string
  file_name: string | null
  contract_id: string | null
  seda_version: string | null
  message_identifier: string | null
  units: number
  objects: number
  physical_objects: number
  bytes: number
  reply_code: string | null
  atr: string | null
  manifest_blob_id: string | null
  created_at: string
  finished_at: string | null
}

export interface ObjectGroupTable {
  id: string
  tenant_id: string
  operation_id: string
  seda_id: string | null
  created_at: string
}

export interface ArchiveUnitTable {
  id: string
  tenant_id: string
  operation_id: string
  seda_id: string | null
  title: string
  description_level: string | null
  start_date: string | null
  end_date: string | null
  originating_agency: string | null
  submission_agency: string | null
  object_group_id: string | null
  content: unknown
  management: unknown
  created_at: string
  updated_at: string
}

export interface UnitParentTable {
  tenant_id: string
  unit_id: string
  parent_id: string
}

export interface DataObjectTable {
  id: string
  tenant_id: string
  group_id: string
  operation_id: string
  seda_id: string | null
  kind: 'binary' | 'physical'
  usage: string | null
  blob_id: string | null
  size: number | null
  sha512: string | null
  declared_algorithm: string | null
  declared_digest: string | null
  format_puid: string | null
  format_name: string | null
  mime_type: string | null
  filename: string | null
  physical_id: string | null
  metadata: unknown
  created_at: string
}

export interface UnitRuleTable {
  tenant_id: string
  unit_id: string
  category: string
  rule_id: string | null
  start_date: string | null
  end_date: string | null
  final_action: string | null
  data: unknown
}

export interface ProfileSchemaTable {
  tenant_id: string
  profile_id: string
  format: 'RNG' | 'XSD'
  file_name: string | null
  content: string
  sha512: string
  attached_at: string
}

export interface CatalogSchema {
  profile_schema: ProfileSchemaTable
  ingest: IngestTable
  object_group: ObjectGroupTable
  archive_unit: ArchiveUnitTable
  unit_parent: UnitParentTable
  data_object: DataObjectTable
  unit_rule: UnitRuleTable
  // rules module: materialised effective rules and per-unit lifecycle summary
  unit_effective_rule: UnitEffectiveRuleTable
  unit_effective_property: UnitEffectivePropertyTable
  unit_lifecycle: UnitLifecycleTable
  rule_extra: RuleExtraTable
  // search module: the search index (migration 2026-11-30T15-00_search)
  unit_search: UnitSearchTable
  unit_search_format: UnitSearchFormatTable
}

// ── rules module: materialised inheritance (migration 2026-11-30T09-00_rules) ──────────────────────

/** One rule in force on a unit: declared by it (inherited = 0) or by the ancestor `origin_unit_id`. */
export interface UnitEffectiveRuleTable {
  tenant_id: string
  unit_id: string
  category: string
  rule_id: string
  origin_unit_id: string
  inherited: number
  start_date: string | null
  end_date: string | null
  final_action: string | null
  /** JSON array of unit ids, from the origin down to the unit (one path). */
  path: unknown
  /** JSON: the origin's rule data (hold fields…). */
  data: unknown
}

/** One category property (FinalAction, ClassificationLevel…) in force on a unit, with its origin. */
export interface UnitEffectivePropertyTable {
  tenant_id: string
  unit_id: string
  category: string
  name: string
  value: string
  origin_unit_id: string
  inherited: number
}

/** Per-unit summary of the effective rules, for elimination, holds, search and access. */
export interface UnitLifecycleTable {
  unit_id: string
  tenant_id: string
  appraisal_end_date: string | null
  appraisal_rules: number
  appraisal_incomplete: number
  final_action: string | null
  held: number
  hold_end_date: string | null
  hold_rule_ids: unknown
  communicability: string
  communicable_from: string | null
  access_rule_ids: unknown
  legal_basis: string | null
  computed_at: string
}

/** Preset metadata of one rule of a tenant's referential (legal basis, start basis, never…). */
export interface RuleExtraTable {
  tenant_id: string
  rule_id: string
  preset: string
  data: unknown
  updated_at: string
}

// ── search module: the search index (migration 2026-11-30T15-00_search) ──────────────────────────────

/** One row per indexed unit: filter, sort and facet columns (the text is in unit_fts / tsv). */
export interface UnitSearchTable {
  /** Integer key: the FTS5 rowid on SQLite, an identity on PostgreSQL; the keyset tie-breaker. */
  rid: Generated<number>
  unit_id: string
  tenant_id: string
  /** Folded (lower case, no accents) title, for sorting. */
  title_key: string
  level: string | null
  producer: string | null
  start_date: string | null
  end_date: string | null
  /** start_date, else end_date, else '~' (sorts after every date). */
  sort_date: string
  operation_id: string
  has_digital: number
  has_physical: number
  is_root: number
  /** The objects' PUIDs, sorted, comma-separated ('' when none): counted by the format facet. */
  formats: string
  created_at: string
}

export interface UnitSearchFormatTable {
  tenant_id: string
  rid: number
  puid: string
}
