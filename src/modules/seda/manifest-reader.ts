/**
 * Streaming manifest reader: one pass (through the hostile-input scan) that returns the header,
 * the data objects and groups, the ArchiveUnit tree (flat, with parent/child ids) and the package
 * management metadata. Only small subtrees are ever held at once (one header element, one object
 * or group, one unit's Management/Content/references); the `onUnit` / `onDataObject` callbacks
 * hand units and objects over without accumulating them.
 *
 * Content is kept losslessly as an XmlElement tree (every element, attribute and extension); the
 * reader does not validate — run validateManifest first — but it refuses, naming the element and
 * line, what it cannot make sense of (a unit without id, an unsupported namespace…).
 */
import type { SaxesTagNS } from 'saxes'
import { AppError } from '../../platform/errors.js'
import { XmlScanError, ownString, scanXml, type ScanPosition } from './xml-scanner.js'
import { SEDA_NAMESPACES, versionOfNamespace } from './version.js'
import {
  RULE_CATEGORIES,
  type ArchiveUnitData,
  type BinaryDataObject,
  type DataObject,
  type DataObjectGroup,
  type ManagementData,
  type ManagementMetadataData,
  type ManifestHeader,
  type PhysicalDataObject,
  type ReadOptions,
  type RuleBlock,
  type RuleCategory,
  type RuleEntry,
  type SedaManifest,
  type SedaText,
  type SedaVersion,
  type UpdateOperation,
  type XmlElement,
  type XmlSource,
} from './seda.types.js'

// ---------------------------------------------------------------------------------------------
// Generic lossless subtree capture
// ---------------------------------------------------------------------------------------------

interface Building {
  node: XmlElement
  local: string
  parts: (string | XmlElement)[]
  line: number
}

type Interner = (s: string) => string

/** Names (element, attribute, namespace) are few: one private copy of each per read (see ownString). */
function interner(): Interner {
  const names = new Map<string, string>()
  return (s) => {
    let v = names.get(s)
    if (v === undefined) {
      v = ownString(s)
      if (names.size < 10_000) names.set(v, v)
    }
    return v
  }
}

function startNode(tag: SaxesTagNS, sedaNs: string, intern: Interner): XmlElement {
  const node: XmlElement = { name: intern(tag.name) }
  if (tag.uri !== sedaNs) node.ns = intern(tag.uri)
  for (const a of Object.values(tag.attributes)) {
    if (a.prefix === 'xmlns' || a.name === 'xmlns') {
      node.xmlns ??= {}
      node.xmlns[intern(a.prefix === 'xmlns' ? a.local : '')] = intern(a.value)
    } else {
      node.attrs ??= {}
      node.attrs[intern(a.name)] = ownString(a.value)
    }
  }
  return node
}

function finishNode(b: Building): XmlElement {
  const hasElements = b.parts.some((p) => typeof p !== 'string')
  if (!hasElements) {
    const text = (b.parts as string[]).join('')
    if (text !== '') b.node.text = ownString(text)
  } else {
    const children: XmlElement[] = []
    let run = ''
    for (const p of b.parts) {
      if (typeof p === 'string') run += p
      else {
        if (run.trim() !== '') children.push({ name: '#text', text: ownString(run) })
        run = ''
        children.push(p)
      }
    }
    if (run.trim() !== '') children.push({ name: '#text', text: ownString(run) })
    b.node.children = children
  }
  return b.node
}

const localOf = (name: string): string => {
  const i = name.indexOf(':')
  return i < 0 ? name : name.slice(i + 1)
}

const kids = (e: XmlElement | undefined): XmlElement[] => e?.children?.filter((c) => c.name !== '#text') ?? []
const child = (e: XmlElement | undefined, local: string): XmlElement | undefined =>
  kids(e).find((c) => localOf(c.name) === local && c.ns === undefined)
const textOf = (e: XmlElement | undefined): string | undefined =>
  e === undefined ? undefined : (e.text ?? '')
const trimmed = (e: XmlElement | undefined): string | undefined => textOf(e)?.trim()
const childText = (e: XmlElement | undefined, local: string): string | undefined => trimmed(child(e, local))
const bool = (s: string | undefined): boolean | undefined =>
  s === undefined
    ? undefined
    : s === 'true' || s === '1'
      ? true
      : s === 'false' || s === '0'
        ? false
        : undefined
const sedaText = (e: XmlElement): SedaText => {
  const t: SedaText = { value: e.text ?? '' }
  const lang = e.attrs?.['xml:lang']
  if (lang !== undefined) t.lang = lang
  return t
}

function setIf<T extends object, K extends keyof T>(obj: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) obj[key] = value
}

// ---------------------------------------------------------------------------------------------
// Interpreters of captured subtrees
// ---------------------------------------------------------------------------------------------

const RULE_SET: ReadonlySet<string> = new Set(RULE_CATEGORIES)
const HOLD_FIELDS: Record<string, keyof RuleEntry> = {
  HoldEndDate: 'holdEndDate',
  HoldOwner: 'holdOwner',
  HoldReassessingDate: 'holdReassessingDate',
  HoldReason: 'holdReason',
}

function parseRuleBlock(e: XmlElement): RuleBlock {
  const block: RuleBlock = {
    category: localOf(e.name) as RuleCategory,
    rules: [],
    refNonRuleIds: [],
    other: [],
  }
  let current: RuleEntry | undefined
  for (const c of kids(e)) {
    const name = c.ns === undefined ? localOf(c.name) : ''
    const v = trimmed(c) ?? ''
    if (name === 'Rule') {
      current = { rule: v }
      setIf(current, 'ruleIdAttr', c.attrs?.id)
      block.rules.push(current)
    } else if (name === 'StartDate' && current) current.startDate = v
    else if (name in HOLD_FIELDS && current)
      (current as unknown as Record<string, string>)[HOLD_FIELDS[name]!] = v
    else if (name === 'PreventRearrangement' && current) setIf(current, 'preventRearrangement', bool(v))
    else if (name === 'PreventInheritance') setIf(block, 'preventInheritance', bool(v))
    else if (name === 'RefNonRuleId') block.refNonRuleIds.push(v)
    else if (name === 'FinalAction') block.finalAction = v
    else if (name === 'ClassificationAudience') block.classificationAudience = v
    else if (name === 'ClassificationLevel') block.classificationLevel = v
    else if (name === 'ClassificationOwner') block.classificationOwner = v
    else if (name === 'ClassificationReassessingDate') block.classificationReassessingDate = v
    else if (name === 'NeedReassessingAuthorization') setIf(block, 'needReassessingAuthorization', bool(v))
    else block.other.push(c)
  }
  return block
}

function parseUpdateOperation(e: XmlElement): UpdateOperation {
  const systemId = childText(e, 'SystemId')
  if (systemId !== undefined) return { systemId }
  const key = child(e, 'ArchiveUnitIdentifierKey')
  const metadataName = childText(key, 'MetadataName')
  const metadataValue = textOf(child(key, 'MetadataValue'))
  if (metadataName !== undefined && metadataValue !== undefined) {
    return { archiveUnitIdentifierKey: { metadataName, metadataValue } }
  }
  return { raw: e }
}

function parseManagementChildren(children: XmlElement[]): ManagementData {
  const m: ManagementData = { rules: [], extensions: [] }
  for (const c of children) {
    const name = c.ns === undefined ? localOf(c.name) : ''
    if (RULE_SET.has(name)) m.rules.push(parseRuleBlock(c))
    else if (name === 'NeedAuthorization') setIf(m, 'needAuthorization', bool(trimmed(c)))
    else if (name === 'LogBook') m.logBook = c
    else if (name === 'UpdateOperation') {
      m.updateOperation = parseUpdateOperation(c)
      m.extensions.push(c)
    } else m.extensions.push(c)
  }
  return m
}

const MM_FIELDS: Record<string, keyof ManagementMetadataData> = {
  ArchivalProfile: 'archivalProfile',
  ServiceLevel: 'serviceLevel',
  AcquisitionInformation: 'acquisitionInformation',
  LegalStatus: 'legalStatus',
  OriginatingAgencyIdentifier: 'originatingAgencyIdentifier',
  SubmissionAgencyIdentifier: 'submissionAgencyIdentifier',
}

function parseManagementMetadata(e: XmlElement): ManagementMetadataData {
  const out = { management: { rules: [], extensions: [] } } as unknown as ManagementMetadataData
  const rest: XmlElement[] = []
  for (const c of kids(e)) {
    const field = c.ns === undefined ? MM_FIELDS[localOf(c.name)] : undefined
    if (field) (out as unknown as Record<string, string>)[field] = trimmed(c) ?? ''
    else rest.push(c)
  }
  out.management = parseManagementChildren(rest)
  return out
}

const DATA_OBJECT_FIELDS: Record<string, keyof BinaryDataObject & keyof PhysicalDataObject> = {
  DataObjectProfile: 'dataObjectProfile',
  DataObjectSystemId: 'dataObjectSystemId',
  DataObjectGroupSystemId: 'dataObjectGroupSystemId',
  DataObjectGroupReferenceId: 'groupReferenceId',
  DataObjectGroupId: 'groupId',
  DataObjectVersion: 'dataObjectVersion',
  DataObjectUse: 'dataObjectUse',
  DataObjectNumber: 'dataObjectNumber',
}

function parseDataObject(e: XmlElement, line: number, wrapperGroupId: string | undefined): DataObject {
  const id = e.attrs?.id
  const kind = localOf(e.name) === 'BinaryDataObject' ? 'binary' : 'physical'
  if (id === undefined) {
    throw new AppError(
      'SEDA_MANIFEST_INVALID',
      'invalid',
      `${localOf(e.name)} sans attribut id (ligne ${line})`,
      { element: localOf(e.name), line },
    )
  }
  const base = { id, line, elements: kids(e) }
  const obj = (kind === 'binary' ? { kind, hasAttachment: false, ...base } : { kind, ...base }) as DataObject
  if (wrapperGroupId !== undefined) obj.groupId = wrapperGroupId
  for (const c of kids(e)) {
    if (c.ns !== undefined) continue
    const name = localOf(c.name)
    const field = DATA_OBJECT_FIELDS[name]
    if (field) {
      ;(obj as unknown as Record<string, string>)[field] = trimmed(c) ?? ''
      continue
    }
    if (obj.kind === 'binary') {
      if (name === 'Uri') obj.uri = trimmed(c) ?? ''
      else if (name === 'Attachment') obj.hasAttachment = true
      else if (name === 'MessageDigest')
        obj.messageDigest = { algorithm: c.attrs?.algorithm ?? '', value: trimmed(c) ?? '' }
      else if (name === 'Size') obj.size = trimmed(c) ?? ''
      else if (name === 'FormatIdentification') {
        const f: NonNullable<BinaryDataObject['formatIdentification']> = {}
        setIf(f, 'formatLitteral', childText(c, 'FormatLitteral'))
        setIf(f, 'mimeType', childText(c, 'MimeType'))
        setIf(f, 'formatId', childText(c, 'FormatId'))
        setIf(f, 'encoding', childText(c, 'Encoding'))
        obj.formatIdentification = f
      } else if (name === 'FileInfo') {
        const f: NonNullable<BinaryDataObject['fileInfo']> = {}
        setIf(f, 'filename', textOf(child(c, 'Filename')))
        setIf(f, 'creatingApplicationName', childText(c, 'CreatingApplicationName'))
        setIf(f, 'creatingApplicationVersion', childText(c, 'CreatingApplicationVersion'))
        setIf(f, 'dateCreatedByApplication', childText(c, 'DateCreatedByApplication'))
        setIf(f, 'creatingOs', childText(c, 'CreatingOs'))
        setIf(f, 'creatingOsVersion', childText(c, 'CreatingOsVersion'))
        setIf(f, 'lastModified', childText(c, 'LastModified'))
        obj.fileInfo = f
      }
    } else {
      if (name === 'PhysicalId') obj.physicalId = trimmed(c) ?? ''
      else if (name === 'PhysicalDimensions') {
        const dims: NonNullable<PhysicalDataObject['physicalDimensions']> = {}
        for (const d of kids(c)) {
          const entry: { value: string; unit?: string } = { value: trimmed(d) ?? '' }
          setIf(entry, 'unit', d.attrs?.unit)
          dims[localOf(d.name)] = entry
        }
        obj.physicalDimensions = dims
      }
    }
  }
  return obj
}

function applyContent(unit: ArchiveUnitData, content: XmlElement): void {
  unit.content = content
  for (const c of kids(content)) {
    if (c.ns !== undefined) continue
    const name = localOf(c.name)
    if (name === 'DescriptionLevel') unit.descriptionLevel = trimmed(c) ?? ''
    else if (name === 'Title') unit.titles.push(sedaText(c))
    else if (name === 'Description') unit.descriptions.push(sedaText(c))
    else if (name.endsWith('Date') && unit.dates[name] === undefined && c.text !== undefined)
      unit.dates[name] = c.text.trim()
  }
}

// ---------------------------------------------------------------------------------------------
// The streaming reader
// ---------------------------------------------------------------------------------------------

type Zone = 'root' | 'package' | 'descriptive' | 'unit' | 'capture' | 'skip'

interface UnitFrame {
  unit: ArchiveUnitData
}

const HEADER_TEXT: Record<string, keyof ManifestHeader> = {
  Date: 'date',
  MessageIdentifier: 'messageIdentifier',
  ArchivalAgreement: 'archivalAgreement',
  TransferRequestReplyIdentifier: 'transferRequestReplyIdentifier',
}

/**
 * Reads a SEDA 2.1/2.2/2.3 ArchiveTransfer manifest. Throws AppError `SEDA_NOT_XML` (unsafe or
 * malformed XML, `details.issue`), `SEDA_UNSUPPORTED_VERSION`, or `SEDA_MANIFEST_INVALID`
 * (`details.element`, `details.line`).
 */
export async function readManifest(source: XmlSource, options: ReadOptions = {}): Promise<SedaManifest> {
  let version: SedaVersion | null = null
  let sedaNs = ''
  const intern = interner()
  const header: ManifestHeader = {
    rootName: '',
    namespace: '',
    comments: [],
    codeListVersions: {},
    relatedTransferReferences: [],
  }
  const dataObjects: DataObject[] = []
  const groups = new Map<string, DataObjectGroup>()
  const groupRefs: { objectId: string; groupId: string }[] = []
  const units: ArchiveUnitData[] = []
  let managementMetadata: ManagementMetadataData | null = null
  const counts = { units: 0, binaryDataObjects: 0, physicalDataObjects: 0, dataObjectGroups: 0 }

  // Zone stack: one entry per open element outside captures.
  const zones: Zone[] = []
  const unitStack: UnitFrame[] = []
  let capture: Building[] = []
  let captureDone: ((e: XmlElement, line: number) => void) | null = null
  let captureLine = 0

  const invalid = (message: string, element: string, line: number): never => {
    throw new AppError('SEDA_MANIFEST_INVALID', 'invalid', message, { element, line })
  }

  const beginCapture = (
    tag: SaxesTagNS,
    at: ScanPosition,
    done: (e: XmlElement, line: number) => void,
  ): void => {
    capture = [{ node: startNode(tag, sedaNs, intern), local: tag.local, parts: [], line: at.line }]
    captureDone = done
    captureLine = at.line
    zones.push('capture')
  }

  const handleObject = (e: XmlElement, line: number, wrapperGroupId?: string): void => {
    const obj = parseDataObject(e, line, wrapperGroupId)
    if (obj.kind === 'binary') counts.binaryDataObjects++
    else counts.physicalDataObjects++
    if (wrapperGroupId !== undefined) groups.get(wrapperGroupId)?.objectIds.push(obj.id)
    else if (obj.groupId !== undefined) {
      const g = groups.get(obj.groupId)
      if (g) g.objectIds.push(obj.id)
      else groups.set(obj.groupId, { id: obj.groupId, declaredBy: 'object', objectIds: [obj.id], line })
    } else if (obj.groupReferenceId !== undefined)
      groupRefs.push({ objectId: obj.id, groupId: obj.groupReferenceId })
    if (options.onDataObject) options.onDataObject(obj)
    else dataObjects.push(obj)
  }

  const handleGroup = (e: XmlElement, line: number): void => {
    const id = e.attrs?.id
    if (id === undefined)
      return invalid(`DataObjectGroup sans attribut id (ligne ${line})`, 'DataObjectGroup', line)
    const group: DataObjectGroup = { id, declaredBy: 'element', objectIds: [], line }
    groups.set(id, group)
    for (const c of kids(e)) {
      const name = c.ns === undefined ? localOf(c.name) : ''
      if (name === 'BinaryDataObject' || name === 'PhysicalDataObject') handleObject(c, line, id)
      else if (name === 'LogBook') group.logBook = c
    }
  }

  const handleHeader = (e: XmlElement): void => {
    const name = e.ns === undefined ? localOf(e.name) : ''
    const field = HEADER_TEXT[name]
    if (field) (header as unknown as Record<string, string>)[field] = trimmed(e) ?? ''
    else if (name === 'Comment') header.comments.push(sedaText(e))
    else if (name === 'CodeListVersions') {
      for (const c of kids(e)) header.codeListVersions[localOf(c.name)] = trimmed(c) ?? ''
    } else if (name === 'ArchivalAgency') {
      header.archivalAgency = e
      setIf(header, 'archivalAgencyIdentifier', childText(e, 'Identifier'))
    } else if (name === 'TransferringAgency') {
      header.transferringAgency = e
      setIf(header, 'transferringAgencyIdentifier', childText(e, 'Identifier'))
    } else if (name === 'RelatedTransferReference') header.relatedTransferReferences.push(trimmed(e) ?? '')
    else if (name === 'Signature') header.signature = e
  }

  const openUnit = (tag: SaxesTagNS, at: ScanPosition): void => {
    const rawId = tag.attributes.id?.value
    const id = rawId === undefined ? undefined : ownString(rawId)
    if (id === undefined) invalid(`ArchiveUnit sans attribut id (ligne ${at.line})`, 'ArchiveUnit', at.line)
    const parent = unitStack[unitStack.length - 1]
    const unit: ArchiveUnitData = {
      id: id as string,
      line: at.line,
      order: counts.units++,
      parentId: parent ? parent.unit.id : null,
      childIds: [],
      dataObjectReferences: [],
      otherChildren: [],
      titles: [],
      descriptions: [],
      dates: {},
      content: null,
    }
    parent?.unit.childIds.push(unit.id)
    unitStack.push({ unit })
    if (!options.onUnit) units.push(unit)
    zones.push('unit')
  }

  const unitChild = (unit: ArchiveUnitData, e: XmlElement): void => {
    const name = e.ns === undefined ? localOf(e.name) : ''
    if (name === 'ArchiveUnitRefId') unit.archiveUnitRefId = trimmed(e) ?? ''
    else if (name === 'ArchiveUnitProfile') unit.archiveUnitProfile = trimmed(e) ?? ''
    else if (name === 'Management') unit.management = parseManagementChildren(kids(e))
    else if (name === 'Content') applyContent(unit, e)
    else if (name === 'DataObjectReference') {
      const ref: ArchiveUnitData['dataObjectReferences'][number] = {}
      setIf(ref, 'dataObjectGroupReferenceId', childText(e, 'DataObjectGroupReferenceId'))
      setIf(ref, 'dataObjectReferenceId', childText(e, 'DataObjectReferenceId'))
      unit.dataObjectReferences.push(ref)
    } else unit.otherChildren.push(e)
  }

  try {
    await scanXml(
      source,
      {
        openTag(tag, _depth, at) {
          const zone = zones[zones.length - 1]
          if (zone === 'capture') {
            const node = startNode(tag, sedaNs, intern)
            capture[capture.length - 1]!.parts.push(node)
            capture.push({ node, local: tag.local, parts: [], line: at.line })
            return
          }
          if (zone === undefined) {
            const v = versionOfNamespace(tag.uri)
            if (v !== '2.1' && v !== '2.2' && v !== '2.3') {
              throw new AppError(
                'SEDA_UNSUPPORTED_VERSION',
                'invalid',
                `Version SEDA non prise en charge : espace de noms « ${tag.uri} » (versions acceptées : 2.1, 2.2, 2.3)`,
                { namespace: tag.uri, element: tag.local, line: at.line },
              )
            }
            if (tag.local !== 'ArchiveTransfer') {
              invalid(
                `Élément racine ${tag.local} (ligne ${at.line}) : un bordereau de transfert commence par ArchiveTransfer`,
                tag.local,
                at.line,
              )
            }
            version = v
            sedaNs = SEDA_NAMESPACES[v]
            header.rootName = intern(tag.local)
            header.namespace = intern(tag.uri)
            zones.push('root')
            return
          }
          const inSeda = tag.uri === sedaNs
          if (zone === 'root') {
            if (inSeda && tag.local === 'DataObjectPackage') zones.push('package')
            else beginCapture(tag, at, (e) => handleHeader(e))
          } else if (zone === 'package') {
            if (inSeda && tag.local === 'DescriptiveMetadata') zones.push('descriptive')
            else if (inSeda && tag.local === 'DataObjectGroup') {
              counts.dataObjectGroups++
              beginCapture(tag, at, (e, line) => handleGroup(e, line))
            } else if (inSeda && (tag.local === 'BinaryDataObject' || tag.local === 'PhysicalDataObject')) {
              beginCapture(tag, at, (e, line) => handleObject(e, line))
            } else if (inSeda && tag.local === 'ManagementMetadata') {
              beginCapture(tag, at, (e) => {
                managementMetadata = parseManagementMetadata(e)
              })
            } else beginCapture(tag, at, () => undefined)
          } else if (zone === 'descriptive') {
            if (inSeda && tag.local === 'ArchiveUnit') openUnit(tag, at)
            else beginCapture(tag, at, () => undefined)
          } else if (zone === 'unit') {
            if (inSeda && tag.local === 'ArchiveUnit') openUnit(tag, at)
            else {
              const unit = unitStack[unitStack.length - 1]!.unit
              beginCapture(tag, at, (e) => unitChild(unit, e))
            }
          } else {
            zones.push('skip')
          }
        },
        closeTag() {
          const zone = zones[zones.length - 1]
          if (zone === 'capture') {
            const b = capture.pop()!
            const node = finishNode(b)
            if (capture.length === 0) {
              zones.pop()
              const done = captureDone
              captureDone = null
              done?.(node, captureLine)
            }
            return
          }
          zones.pop()
          if (zone === 'unit') {
            const frame = unitStack.pop()!
            options.onUnit?.(frame.unit)
          }
        },
        text(text) {
          if (zones[zones.length - 1] === 'capture') capture[capture.length - 1]!.parts.push(text)
        },
      },
      options.limits,
    )
  } catch (e) {
    if (e instanceof XmlScanError) {
      throw new AppError('SEDA_NOT_XML', 'invalid', `Manifeste illisible : ${e.issue.message}`, {
        issue: e.issue,
      })
    }
    throw e
  }
  if (version === null) throw new AppError('SEDA_NOT_XML', 'invalid', 'Manifeste sans élément racine')

  for (const r of groupRefs) {
    const g = groups.get(r.groupId)
    if (g) g.objectIds.push(r.objectId)
  }
  counts.dataObjectGroups = groups.size
  return {
    version,
    header,
    dataObjects,
    dataObjectGroups: [...groups.values()],
    units,
    managementMetadata,
    counts,
  }
}
