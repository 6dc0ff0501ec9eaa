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

// ── seal module (logbook seals) ──
export interface LogbookSealTable {
  id: string
  number: number
  created_at: string
  document: string
  digest: string
  token: string
  token_digest: string
  gen_time: string
  events: number
  merkle_root: string
  storage_prefix: string
}

export interface LogbookSealRangeTable {
  seal_id: string
  chain: string
  from_seq: number
  to_seq: number
}

export interface SealSchema {
  logbook_seal: LogbookSealTable
  logbook_seal_range: LogbookSealRangeTable
}

export interface Schema extends CatalogSchema, FixitySchema, SealSchema {
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
  // lifecycle module: transfers out, tombstones, revertible changes
  transfer: TransferTable
  unit_tombstone: UnitTombstoneTable
  lifecycle_change: LifecycleChangeTable
  // elimination module: holds, analyses, requests, documents, tombstones
  legal_hold: LegalHoldTable
  elimination_analysis: EliminationAnalysisTable
  elimination_request: EliminationRequestTable
  elimination_request_unit: EliminationRequestUnitTable
  elimination_document: EliminationDocumentTable
  elimination_tombstone: EliminationTombstoneTable
  // access and requests modules: contract bindings, requests, derogations, DIP exports
  access_contract_binding: AccessContractBindingTable
  access_request: AccessRequestTable
  access_request_unit: AccessRequestUnitTable
  derogation: DerogationTable
  derogation_unit: DerogationUnitTable
  dip: DipTable
  // physical module: locations, box types, boxes, content, movements, inventories
  location_scheme: LocationSchemeTable
  location: LocationTable
  box_type: BoxTypeTable
  box: BoxTable
  box_content: BoxContentTable
  box_movement: BoxMovementTable
  inventory: InventoryTable
  inventory_scan: InventoryScanTable
  // search module: the search index (migration 2026-11-30T15-00_search)
  unit_search: UnitSearchTable
  unit_search_format: UnitSearchFormatTable
  // search module: children pages (migration 2026-12-01T10-00_search2)
  unit_search_child: UnitSearchChildTable
  unit_search_stale: UnitSearchStaleTable
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

// ── fixity module (migration 2026-11-30T11-00_fixity) ────────────────────────────────────────────
export interface FixityAuditTable {
  /** The audit's logbook operation id. */
  id: string
  /** null: the whole platform. */
  tenant_id: string | null
  producer: string | null
  type: 'existence' | 'integrity'
  trigger: 'manual' | 'schedule'
  status: string
  agent: string | null
  /** Checkpoint: the last object fully checked, in (tenant_id, id) order. */
  cursor_tenant: string | null
  cursor_object: string | null
  totals: unknown
  created_at: string
  started_at: string | null
  finished_at: string | null
}

export interface FixityAnomalyTable {
  audit_id: string
  tenant_id: string
  object_id: string
  /** '*' for an object with no good copy left (kind 'lost'). */
  offer_id: string
  kind: 'missing' | 'size' | 'digest' | 'unreadable' | 'lost'
  detail: string | null
  repair: 'repaired' | 'failed' | 'none'
  repaired_from: string | null
  detected_at: string
}

export interface ObjectFixityTable {
  tenant_id: string
  object_id: string
  offer_id: string
  audit_id: string
  audit_type: 'existence' | 'integrity'
  checked_at: string
  outcome: 'ok' | 'missing' | 'size' | 'digest' | 'unreadable' | 'repaired'
  /** SHA-512 computed by an integrity check (null for existence checks or unread copies). */
  digest: string | null
  detail: string | null
}

export interface FixityLostTable {
  object_id: string
  tenant_id: string
  audit_id: string
  detected_at: string
  detail: string | null
}

export interface FixitySchema {
  fixity_audit: FixityAuditTable
  fixity_anomaly: FixityAnomalyTable
  object_fixity: ObjectFixityTable
  fixity_lost: FixityLostTable
}

// ── lifecycle module: transfers, tombstones, revertible changes (migration 2026-11-30T13-00_lifecycle) ──

/** One outgoing transfer or restitution: prepared → sent → acknowledged | KO → purged. */
export interface TransferTable {
  operation_id: string
  tenant_id: string
  /** TRANSFER | RESTITUTION */
  type: string
  /** requested | prepared | sent | acknowledged | KO | purged */
  state: string
  seda_version: string
  message_identifier: string
  /** Receiving tenant of this platform; null for a file delivered to another system. */
  target_tenant: string | null
  /** The receiving side's ingest operation (its ATR's MessageIdentifier). */
  target_operation_id: string | null
  archival_agency: string | null
  originating_agency: string | null
  /** JSON array of the unit ids the package carries. */
  unit_ids: unknown
  units: number
  objects: number
  physical_objects: number
  bytes: number
  package_blob_id: string | null
  package_size: number | null
  package_sha512: string | null
  reply_code: string | null
  /** JSON: the receiver's KO reasons (ATR events), or null. */
  reasons: unknown
  /** JSON: what the package is built from (contract, archival agency, comment) for the worker. */
  request: unknown
  agent: string | null
  created_at: string
  updated_at: string
}

/** What remains of a unit that left the tenant (transfer, restitution; eliminations may add theirs). */
// ── elimination module: holds and eliminations (migration 2026-11-30T12-00_elimination) ────────────

/** A manual legal hold on a unit (and its whole branch when include_descendants = 1). */
export interface LegalHoldTable {
  id: string
  tenant_id: string
  unit_id: string
  include_descendants: number
  reason: string
  start_date: string
  end_date: string | null
  created_by: string
  created_at: string
  lifted_at: string | null
  lifted_by: string | null
  lift_reason: string | null
}

export interface EliminationAnalysisTable {
  id: string
  tenant_id: string
  status: string
  filters: unknown
  as_of: string
  result: unknown
  created_by: string
  created_at: string
  finished_at: string | null
}

export interface EliminationRequestTable {
  id: string
  tenant_id: string
  analysis_id: string
  status: string
  observations: string | null
  validity_days: number
  units: number
  objects: number
  bytes: number
  start_date: string | null
  end_date: string | null
  seal: string | null
  created_by: string
  created_at: string
  submitted_by: string | null
  submitted_at: string | null
  visa_id: string | null
  visa_decision: string | null
  visa_by: string | null
  visa_at: string | null
  visa_comment: string | null
  expires_at: string | null
  executed_by: string | null
  executed_at: string | null
  execution_operation_id: string | null
  result: unknown
  updated_at: string
}

export interface EliminationRequestUnitTable {
  request_id: string
  tenant_id: string
  unit_id: string
  seda_id: string | null
  title: string
  state_digest: string
  snapshot: unknown
  status: string
  reason: string | null
}

export interface EliminationDocumentTable {
  request_id: string
  tenant_id: string
  name: string
  blob_id: string
  storage_key: string
  media_type: string
  size: number
  sha512: string
  created_at: string
}

/** What is kept forever of a destroyed unit (elimination module). */
export interface EliminationTombstoneTable {
  unit_id: string
  tenant_id: string
  seda_id: string | null
  title: string
  start_date: string | null
  end_date: string | null
  originating_agency: string | null
  rules: unknown
  objects: unknown
  request_id: string
  visa_id: string
  operation_id: string
  destroyed_at: string
}

/** What remains of a unit that left the tenant by transfer or restitution (lifecycle module). */
export interface UnitTombstoneTable {
  unit_id: string
  tenant_id: string
  seda_id: string | null
  title: string
  originating_agency: string | null
  ingest_operation_id: string
  /** TRANSFER | RESTITUTION | ELIMINATION */
  reason: string
  operation_id: string
  destination: string | null
  destination_operation_id: string | null
  objects: number
  physical_objects: number
  bytes: number
  created_at: string
}

/** The state before and after a reclassification or a mass rules update, for `revert`. */
export interface LifecycleChangeTable {
  operation_id: string
  tenant_id: string
  /** RECLASSIFICATION | UPDATE_RULES */
  kind: string
  unit_ids: unknown
  before: unknown
  after: unknown
  reverted_by: string | null
  created_at: string
}

// ── access and requests modules (migration 2026-11-30T16-00_access) ──
export interface AccessContractBindingTable {
  tenant_id: string
  principal_id: string
  contract_id: string
  created_at: string
}

export interface AccessRequestTable {
  id: string
  tenant_id: string
  /** communication | consultation | loan */
  kind: string
  /** requested | approved | refused | delivered | returned */
  state: string
  requester_id: string
  requester_name: string
  /** Loans: the producing service (agency identifier) the units are lent to. */
  service: string | null
  motive: string | null
  due_date: string | null
  decided_by: string | null
  decision_reason: string | null
  derogation_id: string | null
  /** [{ state, at, by, reason? }] */
  history: unknown
  created_at: string
  updated_at: string
}

export interface AccessRequestUnitTable {
  request_id: string
  tenant_id: string
  unit_id: string
}

export interface DerogationTable {
  id: string
  tenant_id: string
  request_id: string
  principal_id: string
  reason: string
  decided_by: string
  expires_at: string
  created_at: string
}

export interface DerogationUnitTable {
  derogation_id: string
  tenant_id: string
  principal_id: string
  unit_id: string
  expires_at: string
}

export interface DipTable {
  operation_id: string
  tenant_id: string
  /** pending | running | ready | failed */
  state: string
  seda_version: string
  request: unknown
  units: number
  objects_total: number
  objects_done: number
  bytes: number
  package_size: number | null
  package_sha512: string | null
  error: unknown
  agent: string
  created_at: string
  updated_at: string
}

// ── physical module: physical archives (migration 2026-11-30T17-00_physical) ─────────────────────────
// Lengths are integer millimetres.

export interface LocationSchemeTable {
  tenant_id: string
  /** JSON array of the level names, from the root level down. */
  level_names: unknown
  updated_at: string
}

export interface LocationTable {
  id: string
  tenant_id: string
  parent_id: string | null
  depth: number
  code: string
  name: string | null
  /** Codes from the root, joined by '/': unique per tenant. */
  path: string
  is_shelf: number
  length_mm: number | null
  fire_rated: number
  climate_controlled: number
  reserved: number
  blocked: number
  created_at: string
  updated_at: string
}

export interface BoxTypeTable {
  tenant_id: string
  id: string
  name: string
  width_mm: number
  height_mm: number
  depth_mm: number
  footprint_mm: number
  created_at: string
}

export interface BoxTable {
  id: string
  tenant_id: string
  barcode: string
  cote: string | null
  title: string | null
  producer: string | null
  box_type_id: string | null
  footprint_mm: number | null
  location_id: string | null
  status: 'active' | 'destroyed'
  operation_id: string
  created_at: string
  updated_at: string
}

export interface BoxContentTable {
  tenant_id: string
  object_id: string
  box_id: string
  unit_id: string | null
  created_at: string
}

export interface BoxMovementTable {
  id: string
  tenant_id: string
  box_id: string
  kind: 'created' | 'moved' | 'destroyed' | 'out' | 'returned'
  from_location_id: string | null
  to_location_id: string | null
  from_path: string | null
  to_path: string | null
  operation_id: string
  agent: string
  note: string | null
  at: string
  /** physical module, migration 2026-12-01T09-00_physical2: the request of an `out` / `returned` row. */
  request_id: string | null
}

export interface InventoryTable {
  id: string
  tenant_id: string
  label: string
  status: 'open' | 'closed'
  shelf_ids: unknown
  report: unknown
  created_by: string
  created_at: string
  closed_by: string | null
  closed_at: string | null
}

export interface InventoryScanTable {
  inventory_id: string
  tenant_id: string
  shelf_id: string
  barcode: string
  agent: string
  scanned_at: string
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

/** One (parent, child) link of the search index, in the child's title order (children pages). */
export interface UnitSearchChildTable {
  tenant_id: string
  parent_id: string
  title_key: string
  rid: number
}

/**
 * An indexed unit whose lifecycle row differs from the values indexed with it (filled by triggers on
 * unit_lifecycle, which compare with the columns unit_search.life_fa, life_comm, life_from, life_ae,
 * written by raw SQL in the search module and left out of UnitSearchTable). SQLite since `search2`,
 * PostgreSQL since `search3`.
 */
export interface UnitSearchStaleTable {
  rid: number
  tenant_id: string
}
