/**
 * Public types of the SEDA module: versions, XML safety limits and issues, schema validation results,
 * the manifest model returned by the reader, and the ATR writer's input.
 */
import type { Readable } from 'node:stream'

/** SEDA versions SAEH ingests and replies in. */
export type SedaVersion = '2.1' | '2.2' | '2.3'

export const SUPPORTED_SEDA_VERSIONS: readonly SedaVersion[] = ['2.1', '2.2', '2.3']

/**
 * Where XML comes from: a file path (string), the bytes themselves (Uint8Array/Buffer), or a byte
 * stream (a Node Readable or any async iterable of byte chunks). Strings are always paths.
 */
export type XmlSource = string | Uint8Array | Readable | AsyncIterable<Uint8Array>

/** Limits enforced by the hostile-input pass, before anything else parses a manifest. */
export interface XmlLimits {
  /** Deepest element nesting accepted (the root is depth 1). */
  maxDepth: number
  /** Most elements accepted in one document. */
  maxElements: number
  /** Longest text node, attribute value, comment or CDATA section, in UTF-16 code units. */
  maxTextLength: number
  /** Most attributes on one element (namespace declarations included). */
  maxAttributes: number
  /** Largest document accepted, in bytes. */
  maxBytes: number
}

/** Stable codes of the hostile-input pass (messages are in French, codes are for programs). */
export type XmlIssueCode =
  | 'XML_EMPTY'
  | 'XML_TOO_LARGE'
  | 'XML_INVALID_UTF8'
  | 'XML_ENCODING'
  | 'XML_VERSION'
  | 'XML_DOCTYPE'
  | 'XML_ENTITY'
  | 'XML_PROCESSING_INSTRUCTION'
  | 'XML_MAX_DEPTH'
  | 'XML_MAX_ELEMENTS'
  | 'XML_MAX_ATTRIBUTES'
  | 'XML_TEXT_TOO_LONG'
  | 'XML_MALFORMED'
  | 'XML_READ_ERROR'

export interface XmlIssue {
  code: XmlIssueCode
  /** French, for people: says what was found and where. */
  message: string
  /** 1-based line, when known. */
  line?: number
  /** 1-based column, when known. */
  column?: number
  /** Byte offset in the document (invalid UTF-8 only). */
  byteOffset?: number
}

export interface XmlStats {
  bytes: number
  elements: number
  maxDepthSeen: number
}

export type XmlSafetyResult = { ok: true; stats: XmlStats } | { ok: false; issue: XmlIssue; stats: XmlStats }

/** Namespaces of the message formats we can recognise (only 2.1–2.3 are supported). */
export type KnownSedaVersion = '0.2' | '1.0' | '2.0' | SedaVersion

export type VersionDetection =
  | { ok: true; version: SedaVersion; namespace: string; rootName: string }
  | {
      ok: false
      /** `UNSUPPORTED_SEDA_VERSION` (→ CHECK_SEDA.UNSUPPORTED_SEDA_VERSION.KO) or `NOT_XML` (→ CHECK_SEDA.NOT_XML_FILE.KO). */
      code: 'UNSUPPORTED_SEDA_VERSION' | 'NOT_XML'
      detail: 'CHECK_SEDA.UNSUPPORTED_SEDA_VERSION.KO' | 'CHECK_SEDA.NOT_XML_FILE.KO'
      message: string
      namespace: string | null
      rootName: string | null
      /** The SEDA version the namespace belongs to, when it is a known but unsupported one. */
      knownVersion: KnownSedaVersion | null
      issue?: XmlIssue
    }

/** An element set aside as extension metadata (see docs/seda-validation.md). */
export interface ExtensionRecord {
  /** Qualified name as written. */
  name: string
  namespace: string
  /** Slash-separated path of local names from the root, e.g. `ArchiveTransfer/…/Content/MyText`. */
  path: string
  line: number
}

export type SchemaIssueCode =
  | 'XSD_INVALID'
  | 'EXTENSION_MISPLACED'
  | 'DUPLICATE_ID'
  | 'UNKNOWN_IDREF'
  | 'WRONG_ROOT'
  | 'VERSION_MISMATCH'
  | XmlIssueCode

export interface SchemaIssue {
  code: SchemaIssueCode
  message: string
  line?: number
  column?: number
  /** Local name of the element concerned, when known. */
  element?: string
}

export type ValidationEngine = 'xmllint' | 'xmllint-wasm'

export interface SchemaValidationResult {
  valid: boolean
  version: SedaVersion
  engine: ValidationEngine
  /** Vitam-style outcome detail the ingest pipeline can log as is. */
  detail: 'CHECK_SEDA.OK' | 'CHECK_SEDA.NOT_XSD_VALID.KO' | 'CHECK_SEDA.NOT_XML_FILE.KO'
  /** At most `maxReportedIssues` issues, the first ones in document order. */
  errors: SchemaIssue[]
  /** Elements accepted as extension metadata (first `maxReportedIssues`), and their total count. */
  extensions: ExtensionRecord[]
  extensionCount: number
  stats: XmlStats
  durationMs: number
}

export interface ValidateOptions {
  limits?: Partial<XmlLimits>
  /** Force an engine (default: Debian `xmllint` when present, otherwise xmllint-wasm). */
  engine?: ValidationEngine
  /** Cap on reported errors and extension records (default 100). */
  maxReportedIssues?: number
}

// ---------------------------------------------------------------------------------------------
// Manifest model (reader)
// ---------------------------------------------------------------------------------------------

/**
 * Lossless, JSON-friendly XML element: qualified name as written, attributes (namespace
 * declarations apart, in `xmlns`), and either `text` (leaf) or `children` in document order.
 * Mixed content keeps its non-blank text runs as `{ name: '#text', text }` children.
 * `ns` is set only when the element is not in the manifest's SEDA namespace.
 */
export interface XmlElement {
  name: string
  ns?: string
  attrs?: Record<string, string>
  xmlns?: Record<string, string>
  text?: string
  children?: XmlElement[]
}

export interface SedaText {
  value: string
  lang?: string
}

export interface MessageDigest {
  algorithm: string
  value: string
}

export interface FormatIdentification {
  formatLitteral?: string
  mimeType?: string
  formatId?: string
  encoding?: string
}

export interface FileInfo {
  filename?: string
  creatingApplicationName?: string
  creatingApplicationVersion?: string
  dateCreatedByApplication?: string
  creatingOs?: string
  creatingOsVersion?: string
  lastModified?: string
}

interface DataObjectCommon {
  id: string
  line: number
  /** Group given by a `DataObjectGroup` wrapper (method 1) or `DataObjectGroupId` (method 2). */
  groupId?: string
  /** `DataObjectGroupReferenceId` (method 2: joins a group declared by another object). */
  groupReferenceId?: string
  dataObjectVersion?: string
  dataObjectUse?: string
  dataObjectNumber?: string
  dataObjectSystemId?: string
  dataObjectGroupSystemId?: string
  dataObjectProfile?: string
  /** Every child element kept as is (technical metadata, relationships, persistent ids, extensions…). */
  elements: XmlElement[]
}

export interface BinaryDataObject extends DataObjectCommon {
  kind: 'binary'
  uri?: string
  /** True when the content is inline (`Attachment`); the base64 content itself is not kept. */
  hasAttachment: boolean
  messageDigest?: MessageDigest
  size?: string
  formatIdentification?: FormatIdentification
  fileInfo?: FileInfo
}

export interface PhysicalDataObject extends DataObjectCommon {
  kind: 'physical'
  physicalId?: string
  /** `PhysicalDimensions` children: local name → `{ value, unit }`. */
  physicalDimensions?: Record<string, { value: string; unit?: string }>
}

export type DataObject = BinaryDataObject | PhysicalDataObject

export interface DataObjectGroup {
  id: string
  /** How the group was declared: `DataObjectGroup` element, or `DataObjectGroupId` on an object. */
  declaredBy: 'element' | 'object'
  objectIds: string[]
  /** `DataObjectGroup/LogBook`, kept as is. */
  logBook?: XmlElement
  line: number
}

export type RuleCategory =
  | 'StorageRule'
  | 'AppraisalRule'
  | 'AccessRule'
  | 'DisseminationRule'
  | 'ReuseRule'
  | 'ClassificationRule'
  | 'HoldRule'

export const RULE_CATEGORIES: readonly RuleCategory[] = [
  'StorageRule',
  'AppraisalRule',
  'AccessRule',
  'DisseminationRule',
  'ReuseRule',
  'ClassificationRule',
  'HoldRule',
]

export interface RuleEntry {
  rule: string
  /** `Rule/@id`, when given. */
  ruleIdAttr?: string
  startDate?: string
  /** HoldRule only. */
  holdEndDate?: string
  holdOwner?: string
  holdReassessingDate?: string
  holdReason?: string
  preventRearrangement?: boolean
}

export interface RuleBlock {
  category: RuleCategory
  rules: RuleEntry[]
  preventInheritance?: boolean
  refNonRuleIds: string[]
  finalAction?: string
  /** ClassificationRule only. */
  classificationAudience?: string
  classificationLevel?: string
  classificationOwner?: string
  classificationReassessingDate?: string
  needReassessingAuthorization?: boolean
  /** Children not listed above (typos, vendor additions), kept as is. */
  other: XmlElement[]
}

/** Vitam attachment of a unit to an existing one (`Management/UpdateOperation`). */
export type UpdateOperation =
  | { systemId: string }
  | { archiveUnitIdentifierKey: { metadataName: string; metadataValue: string } }
  | { raw: XmlElement }

export interface ManagementData {
  rules: RuleBlock[]
  needAuthorization?: boolean
  logBook?: XmlElement
  updateOperation?: UpdateOperation
  /** Other Management children (extension metadata), kept as is. */
  extensions: XmlElement[]
}

export interface ArchiveUnitData {
  /** SEDA id (`@id`). */
  id: string
  line: number
  /** Pre-order position among all `ArchiveUnit` elements (0-based). */
  order: number
  /** SEDA id of the enclosing ArchiveUnit, null at the top of DescriptiveMetadata. */
  parentId: string | null
  /** Set when this node only points to another unit of the message (`ArchiveUnitRefId`). */
  archiveUnitRefId?: string
  /** Child ArchiveUnit elements (SEDA ids), reference nodes included, in document order. */
  childIds: string[]
  archiveUnitProfile?: string
  management?: ManagementData
  /** `DataObjectReference`s: each points to a group or to an object. */
  dataObjectReferences: { dataObjectGroupReferenceId?: string; dataObjectReferenceId?: string }[]
  /** Other children after Content (e.g. Vitam's `DataObjectGroup` reference to an existing group). */
  otherChildren: XmlElement[]
  /** Convenience views of Content (all of them are also in `content`). */
  descriptionLevel?: string
  titles: SedaText[]
  descriptions: SedaText[]
  /** Every Content child whose local name ends in `Date` (StartDate, EndDate, CreatedDate…), first value. */
  dates: Record<string, string>
  /** The whole Content element, lossless. */
  content: XmlElement | null
}

export interface CodeListVersions {
  [name: string]: string
}

export interface ManifestHeader {
  rootName: string
  namespace: string
  comments: SedaText[]
  date?: string
  messageIdentifier?: string
  archivalAgreement?: string
  codeListVersions: CodeListVersions
  archivalAgencyIdentifier?: string
  transferringAgencyIdentifier?: string
  /** `OrganizationDescriptiveMetadata` etc. of the two agencies, kept as is. */
  archivalAgency?: XmlElement
  transferringAgency?: XmlElement
  relatedTransferReferences: string[]
  transferRequestReplyIdentifier?: string
  /** Message-level `Signature`, kept as is. */
  signature?: XmlElement
}

export interface ManagementMetadataData {
  archivalProfile?: string
  serviceLevel?: string
  acquisitionInformation?: string
  legalStatus?: string
  originatingAgencyIdentifier?: string
  submissionAgencyIdentifier?: string
  /** Default rules for the whole package (same shape as a unit's Management). */
  management: ManagementData
}

export interface SedaManifest {
  version: SedaVersion
  header: ManifestHeader
  /** Every BinaryDataObject and PhysicalDataObject, in document order (empty when `onDataObject` was given). */
  dataObjects: DataObject[]
  /** Groups from `DataObjectGroup` elements and from `DataObjectGroupId` declarations. */
  dataObjectGroups: DataObjectGroup[]
  /** ArchiveUnits in document (pre-)order (empty when `onUnit` was given). */
  units: ArchiveUnitData[]
  managementMetadata: ManagementMetadataData | null
  counts: { units: number; binaryDataObjects: number; physicalDataObjects: number; dataObjectGroups: number }
}

export interface ReadOptions {
  limits?: Partial<XmlLimits>
  /** Streaming mode: each unit is handed over when its element closes (post-order) and not kept. */
  onUnit?: (unit: ArchiveUnitData) => void
  /** Streaming mode: each data object is handed over when its element closes and not kept. */
  onDataObject?: (object: DataObject) => void
}

// ---------------------------------------------------------------------------------------------
// ATR writer
// ---------------------------------------------------------------------------------------------

export type Outcome = 'OK' | 'WARNING' | 'KO' | 'FATAL'

export interface AtrEvent {
  /** Event type, e.g. `CHECK_DIGEST` (→ EventTypeCode). */
  type: string
  outcome: Outcome
  /** Outcome detail, e.g. `CHECK_DIGEST.KO` (→ OutcomeDetail). */
  detail?: string
  /** Human-readable message (→ OutcomeDetailMessage). */
  message?: string
  /** Date-time (→ EventDateTime); the reply date when absent. */
  dateTime?: string | Date
  /** Identifier of the event (→ EventIdentifier). */
  id?: string
}

export interface AtrUnit {
  /** SEDA id (`ArchiveUnit/@id` in the manifest). */
  id: string
  systemId: string
}

export interface AtrObject {
  /** SEDA id of the BinaryDataObject / PhysicalDataObject. */
  id: string
  systemId: string
  kind: 'binary' | 'physical'
  /** SEDA id of its group, and the group's system id. */
  groupId?: string
  groupSystemId?: string
  /** e.g. `BinaryMaster_1`. */
  dataObjectVersion?: string
}

export interface AtrInput {
  /** Package SEDA version; null when unknown (KO before the version was read): the ATR is then 2.1. */
  sedaVersion: SedaVersion | null
  /** Identifier of this reply (→ MessageIdentifier); typically the operation id. */
  messageIdentifier: string
  /** Date-time of the reply (→ Date). */
  date: string | Date
  /** Date-time the transfer was accepted (→ GrantDate); written only for OK/WARNING (default: `date`). */
  grantDate?: string | Date
  /** The request's MessageIdentifier (→ MessageRequestIdentifier); a placeholder is used when unknown. */
  messageRequestIdentifier: string | null
  archivalAgreement?: string | null
  archivalAgencyIdentifier: string | null
  transferringAgencyIdentifier: string | null
  /** The operation's final status. */
  status: Outcome
  /** Reply code; computed from `status` and the events with `replyCodeFor` when absent. */
  replyCode?: string
  comment?: string
  events: AtrEvent[]
  /** Units stored, with the system id given to each (SEDA id → system id); omitted for a KO. */
  units?: readonly AtrUnit[]
  /** Objects stored, with their system ids and group; omitted for a KO. */
  objects?: readonly AtrObject[]
  /** Written as `ReplyCodeListVersion` (default `SEDA-0.2-ReplyCode`, the legacy list). */
  replyCodeListVersion?: string
}
