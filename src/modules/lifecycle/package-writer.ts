/**
 * Outgoing SEDA package writer (SEDA 2.1, 2.2 or 2.3): a `manifest.xml` in the element order of the
 * official XSDs, and a zip whose binaries are streamed from storage. Reusable: `dataObjectPackageXml`
 * builds the `DataObjectPackage` of any message (the access module's ArchiveDeliveryRequestReply),
 * `archiveTransferXml` wraps it as an `ArchiveTransfer`, `writeZip` streams the package.
 */
import type { Readable } from 'node:stream'
import { writeStoredZip, type ZipEntry } from './zip-writer.js'
import type { SedaVersion, XmlElement } from '../seda/index.js'
import { SEDA_NAMESPACES } from '../seda/index.js'

/** A declared rule (a `unit_rule` row, JSON decoded). */
export interface PackageRule {
  readonly category: string
  readonly ruleId: string | null
  readonly startDate: string | null
  readonly finalAction: string | null
  readonly data: Record<string, unknown>
}

export interface PackageUnit {
  /** System id (used for cross-references only; SEDA ids are generated). */
  readonly key: string
  readonly content: XmlElement | null
  readonly title: string
  readonly rules: readonly PackageRule[]
  /** Parents inside the package (others are ignored: the unit is then a root). */
  readonly parentKeys: readonly string[]
  readonly groupKey: string | null
}

export interface PackageObject {
  readonly key: string
  readonly groupKey: string
  readonly kind: 'binary' | 'physical'
  readonly usage: string | null
  readonly size: number | null
  readonly sha512: string | null
  readonly filename: string | null
  readonly formatPuid: string | null
  readonly formatName: string | null
  readonly mimeType: string | null
  readonly physicalId: string | null
  /** Stored children of the object element (physical objects: dimensions and the rest). */
  readonly elements: readonly XmlElement[]
}

export interface PackageHeader {
  readonly comment: string
  readonly date: string
  readonly messageIdentifier: string
  readonly archivalAgreement?: string | null
  readonly archivalAgency: string
  readonly transferringAgency: string
  readonly originatingAgency?: string | null
  readonly submissionAgency?: string | null
}

/** Where each object's bytes go in the zip (`Content/O12.pdf`). */
export interface PackageLayout {
  readonly unitIds: ReadonlyMap<string, string>
  readonly objectIds: ReadonlyMap<string, string>
  readonly uris: ReadonlyMap<string, string>
}

/* eslint-disable no-control-regex */
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g
/* eslint-enable no-control-regex */
export const esc = (s: string): string =>
  s.replace(NOT_XML_CHAR, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const escAttr = (s: string): string => esc(s).replace(/"/g, '&quot;')
const localOf = (n: string): string => n.slice(n.indexOf(':') + 1)
const el = (name: string, text: string | null | undefined): string =>
  text === null || text === undefined || text === '' ? '' : `<${name}>${esc(text)}</${name}>`

/** Serialises a stored element (the reader's lossless model) back to XML. */
export function elementXml(e: XmlElement): string {
  if (e.name === '#text') return esc(e.text ?? '')
  const name = e.ns === undefined ? localOf(e.name) : e.name
  let attrs = ''
  if (e.ns !== undefined) {
    const i = e.name.indexOf(':')
    const prefix = i < 0 ? null : e.name.slice(0, i)
    attrs += prefix ? ` xmlns:${prefix}="${escAttr(e.ns)}"` : ` xmlns="${escAttr(e.ns)}"`
  }
  for (const [k, v] of Object.entries(e.attrs ?? {})) attrs += ` ${k}="${escAttr(v)}"`
  const kids = e.children ?? []
  if (kids.length === 0) return `<${name}${attrs}>${esc(e.text ?? '')}</${name}>`
  return `<${name}${attrs}>${kids.map(elementXml).join('')}</${name}>`
}

const HOLD_FIELDS: readonly [string, string][] = [
  ['holdOwner', 'HoldOwner'],
  ['holdReassessingDate', 'HoldReassessingDate'],
  ['holdReason', 'HoldReason'],
  ['preventRearrangement', 'PreventRearrangement'],
]

const MANAGEMENT_ORDER = [
  'StorageRule',
  'AppraisalRule',
  'AccessRule',
  'DisseminationRule',
  'ReuseRule',
  'ClassificationRule',
  'HoldRule',
]

/**
 * The unit's `Management` from its declared rules, in the XSD order. HoldRule does not exist in SEDA
 * 2.1: such blocks are left out and reported in `dropped`.
 */
export function managementXml(
  rules: readonly PackageRule[],
  version: SedaVersion,
): { xml: string; dropped: string[] } {
  const dropped: string[] = []
  let out = ''
  for (const cat of MANAGEMENT_ORDER) {
    const rows = rules.filter((r) => r.category === cat)
    if (rows.length === 0) continue
    if (cat === 'HoldRule' && version === '2.1') {
      dropped.push(...rows.map((r) => r.ruleId ?? cat))
      continue
    }
    let body = ''
    for (const r of rows) {
      if (r.ruleId === null) continue
      body += el('Rule', r.ruleId) + el('StartDate', r.startDate)
      if (cat === 'HoldRule') {
        if (typeof r.data.holdEndDate === 'string') body += el('HoldEndDate', r.data.holdEndDate)
        for (const [k, name] of HOLD_FIELDS) {
          const v = r.data[k]
          if (v !== undefined && v !== null) body += el(name, String(v))
        }
      }
    }
    if (rows.some((r) => r.data.preventInheritance === true))
      body += '<PreventInheritance>true</PreventInheritance>'
    else {
      const refs = new Set(
        rows.flatMap((r) => (Array.isArray(r.data.refNonRuleIds) ? r.data.refNonRuleIds : [])),
      )
      for (const ref of refs) body += el('RefNonRuleId', String(ref))
    }
    const fa = rows.find((r) => r.finalAction)?.finalAction
    if ((cat === 'AppraisalRule' || cat === 'StorageRule') && fa) body += el('FinalAction', fa)
    if (cat === 'ClassificationRule') {
      const d = rows.find((r) => typeof r.data.classificationLevel === 'string')?.data ?? {}
      if (typeof d.classificationAudience === 'string')
        body += el('ClassificationAudience', d.classificationAudience)
      body += el('ClassificationLevel', String(d.classificationLevel ?? ''))
      body += el('ClassificationOwner', String(d.classificationOwner ?? ''))
      if (typeof d.classificationReassessingDate === 'string')
        body += el('ClassificationReassessingDate', d.classificationReassessingDate)
      if (typeof d.needReassessingAuthorization === 'boolean')
        body += el('NeedReassessingAuthorization', String(d.needReassessingAuthorization))
    }
    out += `<${cat}>${body}</${cat}>`
  }
  return { xml: out === '' ? '' : `<Management>${out}</Management>`, dropped }
}

const OBJECT_SKIP = new Set([
  'DataObjectProfile',
  'DataObjectSystemId',
  'DataObjectGroupSystemId',
  'Relationship',
  'DataObjectGroupReferenceId',
  'DataObjectGroupId',
  'DataObjectVersion',
  'DataObjectUse',
  'DataObjectNumber',
  'PhysicalId',
])

function extensionOf(o: PackageObject): string {
  const m = /\.([A-Za-z0-9]{1,8})$/.exec(o.filename ?? '')
  return m ? `.${m[1]!.toLowerCase()}` : '.bin'
}

/** Stable SEDA ids (U1…, G1…, O1…) and zip paths for the units and objects of a package. */
export function layoutOf(units: readonly PackageUnit[], objects: readonly PackageObject[]): PackageLayout {
  const unitIds = new Map(units.map((u, i) => [u.key, `U${i + 1}`]))
  const objectIds = new Map(objects.map((o, i) => [o.key, `O${i + 1}`]))
  const uris = new Map(
    objects
      .filter((o) => o.kind === 'binary')
      .map((o) => [o.key, `Content/${objectIds.get(o.key)!}${extensionOf(o)}`]),
  )
  return { unitIds, objectIds, uris }
}

/** The `DataObjectPackage` element: groups and objects, the unit tree, ManagementMetadata. */
export function dataObjectPackageXml(
  version: SedaVersion,
  header: Pick<PackageHeader, 'originatingAgency' | 'submissionAgency'>,
  units: readonly PackageUnit[],
  objects: readonly PackageObject[],
  layout: PackageLayout = layoutOf(units, objects),
): { xml: string; dropped: string[] } {
  const groups = new Map<string, PackageObject[]>()
  for (const o of objects) groups.set(o.groupKey, [...(groups.get(o.groupKey) ?? []), o])
  const groupIds = new Map([...groups.keys()].map((g, i) => [g, `G${i + 1}`]))
  let xml = '<DataObjectPackage>'
  for (const [g, objs] of groups) {
    xml += `<DataObjectGroup id="${groupIds.get(g)!}">`
    for (const o of objs) {
      const id = layout.objectIds.get(o.key)!
      if (o.kind === 'binary') {
        xml += `<BinaryDataObject id="${id}">${el('DataObjectVersion', o.usage)}${el('Uri', layout.uris.get(o.key)!)}`
        xml += `<MessageDigest algorithm="SHA-512">${esc(o.sha512 ?? '')}</MessageDigest>${el('Size', o.size === null ? null : String(o.size))}`
        if (o.formatPuid || o.mimeType || o.formatName)
          xml += `<FormatIdentification>${el('FormatLitteral', o.formatName)}${el('MimeType', o.mimeType)}${el('FormatId', o.formatPuid)}</FormatIdentification>`
        if (o.filename) xml += `<FileInfo>${el('Filename', o.filename)}</FileInfo>`
        xml += '</BinaryDataObject>'
      } else {
        xml += `<PhysicalDataObject id="${id}">${el('DataObjectVersion', o.usage)}${el('PhysicalId', o.physicalId)}`
        for (const c of o.elements)
          if (c.ns !== undefined || !OBJECT_SKIP.has(localOf(c.name))) xml += elementXml(c)
        xml += '</PhysicalDataObject>'
      }
    }
    xml += '</DataObjectGroup>'
  }
  const byKey = new Map(units.map((u) => [u.key, u]))
  const children = new Map<string, string[]>()
  const roots: string[] = []
  for (const u of units) {
    const ps = u.parentKeys.filter((p) => byKey.has(p))
    if (ps.length === 0) roots.push(u.key)
    for (const p of ps) children.set(p, [...(children.get(p) ?? []), u.key])
  }
  const written = new Set<string>()
  const dropped: string[] = []
  let refs = 0
  const unitXml = (key: string): string => {
    const id = layout.unitIds.get(key)!
    if (written.has(key))
      return `<ArchiveUnit id="${id}_ref${++refs}"><ArchiveUnitRefId>${id}</ArchiveUnitRefId></ArchiveUnit>`
    written.add(key)
    const u = byKey.get(key)!
    const m = managementXml(u.rules, version)
    dropped.push(...m.dropped)
    const content = u.content
      ? elementXml({ ...u.content, name: 'Content' })
      : `<Content><DescriptionLevel>Item</DescriptionLevel>${el('Title', u.title)}</Content>`
    let s = `<ArchiveUnit id="${id}">${m.xml}${content}`
    if (u.groupKey && groupIds.has(u.groupKey))
      s += `<DataObjectReference><DataObjectGroupReferenceId>${groupIds.get(u.groupKey)!}</DataObjectGroupReferenceId></DataObjectReference>`
    for (const c of children.get(key) ?? []) s += unitXml(c)
    return `${s}</ArchiveUnit>`
  }
  xml += '<DescriptiveMetadata>'
  for (const r of roots) xml += unitXml(r)
  xml += '</DescriptiveMetadata><ManagementMetadata>'
  xml += el('OriginatingAgencyIdentifier', header.originatingAgency)
  xml += el('SubmissionAgencyIdentifier', header.submissionAgency)
  xml += '</ManagementMetadata></DataObjectPackage>'
  return { xml, dropped }
}

const CODE_LISTS = [
  'ReplyCodeListVersion',
  'MessageDigestAlgorithmCodeListVersion',
  'MimeTypeCodeListVersion',
  'EncodingCodeListVersion',
  'FileFormatCodeListVersion',
  'CompressionAlgorithmCodeListVersion',
  'DataObjectVersionCodeListVersion',
  'StorageRuleCodeListVersion',
  'AppraisalRuleCodeListVersion',
  'AccessRuleCodeListVersion',
  'DisseminationRuleCodeListVersion',
  'ReuseRuleCodeListVersion',
  'ClassificationRuleCodeListVersion',
  'AuthorizationReasonCodeListVersion',
  'RelationshipCodeListVersion',
]

/** A whole `ArchiveTransfer` manifest. */
export function archiveTransferXml(
  version: SedaVersion,
  header: PackageHeader,
  units: readonly PackageUnit[],
  objects: readonly PackageObject[],
  layout: PackageLayout = layoutOf(units, objects),
): { xml: string; dropped: string[] } {
  const pkg = dataObjectPackageXml(version, header, units, objects, layout)
  const xml =
    `<?xml version="1.0" encoding="UTF-8"?>\n<ArchiveTransfer xmlns="${SEDA_NAMESPACES[version]}" ` +
    `xmlns:xlink="http://www.w3.org/1999/xlink">` +
    el('Comment', header.comment) +
    el('Date', header.date) +
    el('MessageIdentifier', header.messageIdentifier) +
    el('ArchivalAgreement', header.archivalAgreement) +
    `<CodeListVersions>${CODE_LISTS.map((c) => `<${c}>${c}0</${c}>`).join('')}</CodeListVersions>` +
    pkg.xml +
    `<ArchivalAgency>${el('Identifier', header.archivalAgency)}</ArchivalAgency>` +
    `<TransferringAgency>${el('Identifier', header.transferringAgency)}</TransferringAgency>` +
    '</ArchiveTransfer>\n'
  return { xml, dropped: pkg.dropped }
}

/**
 * Writes the zip (STORE, see zip-writer.ts): the manifest, then each binary streamed from `open` (the
 * storage re-checks its SHA-512 and size as it streams: a mismatch aborts the package). Returns the size.
 */
export async function writeZip(
  path: string,
  manifest: string,
  objects: readonly PackageObject[],
  layout: PackageLayout,
  open: (o: PackageObject) => Promise<Readable>,
  when?: Date,
): Promise<{ size: number }> {
  const m = Buffer.from(manifest, 'utf8')
  const entries: ZipEntry[] = [{ name: 'manifest.xml', size: m.length, bytes: () => [m] }]
  for (const o of objects) {
    const uri = layout.uris.get(o.key)
    if (uri) entries.push({ name: uri, size: o.size ?? 0, bytes: () => open(o) })
  }
  return { size: await writeStoredZip(path, entries, when) }
}
