/**
 * Reads and validates the DROID binary signature file and the DROID container signature file.
 * Any structural problem (not XML, wrong root, missing or malformed attribute, dangling reference,
 * unparseable byte pattern…) is reported as FORMAT_SIGNATURE_FILE_INVALID with line, column and
 * element, at load time: a file that loads is fully compiled and cannot fail later.
 */
import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { FormatErrors } from './errors.js'
import type {
  ByteSequenceDef,
  ContainerFileDef,
  ContainerSignatureDef,
  ContainerSignatureFileDef,
  ContainerType,
  FileFormatDef,
  FragmentDef,
  InternalSignatureDef,
  SequenceReference,
  SignatureFileDef,
  SubSequenceDef,
} from './formats.types.js'
import { parseXmlTree, XmlSyntaxError, type XmlElement } from './xml-tree.js'

export const PRONOM_NS = 'http://www.nationalarchives.gov.uk/pronom/SignatureFile'

class Reader {
  readonly warnings: string[] = []
  /** Lenient readers skip unexpected elements with a warning (DROID's container loader ignores them). */
  constructor(
    readonly source: string,
    readonly lenient = false,
  ) {}

  fail(el: XmlElement | undefined, reason: string, element?: string): never {
    throw FormatErrors.signatureFileInvalid({
      source: this.source,
      ...(el ? { line: el.line, column: el.column } : {}),
      element: element ?? el?.name,
      reason,
    })
  }

  int(el: XmlElement, attr: string, opts: { required: boolean; min?: number }): number | undefined {
    const raw = el.attrs[attr]
    if (raw === undefined) {
      if (opts.required) this.fail(el, `missing attribute ${attr}`)
      return undefined
    }
    const v = raw.trim()
    if (!/^-?\d{1,15}$/.test(v)) this.fail(el, `attribute ${attr}="${raw}" is not an integer`)
    const n = Number(v)
    if (n < (opts.min ?? 0)) this.fail(el, `attribute ${attr}="${raw}" is below ${opts.min ?? 0}`)
    return n
  }

  reqInt(el: XmlElement, attr: string, min = 0): number {
    return this.int(el, attr, { required: true, min }) as number
  }

  textInt(el: XmlElement): number {
    const v = el.text.trim()
    if (!/^\d{1,15}$/.test(v)) this.fail(el, `content "${el.text}" is not a non-negative integer`)
    return Number(v)
  }

  only(el: XmlElement, names: readonly string[]): void {
    for (const c of el.children) {
      if (names.includes(c.name)) continue
      const reason = `unexpected element <${c.name}> in <${el.name}>`
      if (!this.lenient) this.fail(c, reason)
      this.warnings.push(`${this.source}:${c.line}:${c.column}: ${reason} (ignored)`)
    }
  }

  children(el: XmlElement, name: string): XmlElement[] {
    return el.children.filter((c) => c.name === name)
  }

  one(el: XmlElement, name: string): XmlElement {
    const found = el.children.filter((c) => c.name === name)
    if (found.length !== 1) {
      this.fail(el, found.length === 0 ? `missing <${name}>` : `more than one <${name}>`)
    }
    return found[0]!
  }
}

const REFERENCES: readonly SequenceReference[] = [
  'BOFoffset',
  'EOFoffset',
  'Variable',
  'IndirectBOFoffset',
  'IndirectEOFoffset',
]

function readFragment(r: Reader, el: XmlElement): FragmentDef {
  if (el.children.length > 0) r.fail(el.children[0], `unexpected element in <${el.name}>`)
  const pattern = el.text.trim()
  if (pattern === '') r.fail(el, 'empty fragment')
  return {
    position: r.reqInt(el, 'Position', 1),
    minOffset: r.reqInt(el, 'MinOffset'),
    maxOffset: r.reqInt(el, 'MaxOffset'),
    pattern,
  }
}

function readSubSequence(r: Reader, el: XmlElement, index: number): SubSequenceDef {
  r.only(el, ['Sequence', 'DefaultShift', 'Shift', 'LeftFragment', 'RightFragment'])
  const seq = r.one(el, 'Sequence')
  const sequence = seq.text.trim()
  if (sequence === '') r.fail(seq, 'empty <Sequence>')
  return {
    position: r.int(el, 'Position', { required: false }) ?? index + 1,
    minOffset: r.int(el, 'SubSeqMinOffset', { required: false }) ?? 0,
    maxOffset: r.int(el, 'SubSeqMaxOffset', { required: false }),
    sequence,
    leftFragments: el.children.filter((c) => c.name === 'LeftFragment').map((c) => readFragment(r, c)),
    rightFragments: el.children.filter((c) => c.name === 'RightFragment').map((c) => readFragment(r, c)),
  }
}

function readByteSequence(r: Reader, el: XmlElement): ByteSequenceDef {
  r.only(el, ['SubSequence'])
  const ref = (el.attrs.Reference ?? 'Variable').trim() as SequenceReference
  if (!REFERENCES.includes(ref)) r.fail(el, `unknown Reference="${el.attrs.Reference}"`)
  const endianness = el.attrs.Endianness
  if (endianness !== undefined && endianness !== 'Big-endian' && endianness !== 'Little-endian') {
    r.fail(el, `unknown Endianness="${endianness}"`)
  }
  const subSequences = r.children(el, 'SubSequence').map((c, i) => readSubSequence(r, c, i))
  if (subSequences.length === 0) r.fail(el, 'ByteSequence without SubSequence')
  const positions = new Set(subSequences.map((s) => s.position))
  if (positions.size !== subSequences.length) r.fail(el, 'duplicate SubSequence Position')
  if (ref === 'IndirectBOFoffset' || ref === 'IndirectEOFoffset') {
    const location = r.reqInt(el, 'IndirectOffsetLocation')
    const length = r.reqInt(el, 'IndirectOffsetLength', 1)
    if (length > 6) r.fail(el, `IndirectOffsetLength="${length}" is too large`)
    return {
      reference: ref,
      subSequences,
      indirect: { location, length, bigEndian: endianness !== 'Little-endian' },
    }
  }
  return { reference: ref, subSequences }
}

function readInternalSignature(r: Reader, el: XmlElement): InternalSignatureDef {
  r.only(el, ['ByteSequence'])
  const spec = el.attrs.Specificity
  if (spec !== undefined && spec !== 'Specific' && spec !== 'Generic')
    r.fail(el, `unknown Specificity="${spec}"`)
  const byteSequences = r.children(el, 'ByteSequence').map((c) => readByteSequence(r, c))
  if (byteSequences.length === 0) r.fail(el, 'InternalSignature without ByteSequence')
  return { id: r.reqInt(el, 'ID'), specificity: spec, byteSequences }
}

function splitList(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

export interface ParsedSignatureFile {
  readonly def: SignatureFileDef
  readonly signatureLocations: ReadonlyMap<number, { line: number; column: number }>
}

function parseTree(xml: string, source: string): XmlElement {
  try {
    return parseXmlTree(xml, new Set(['Shift', 'DefaultShift']))
  } catch (e) {
    if (e instanceof XmlSyntaxError) {
      throw FormatErrors.signatureFileInvalid({
        source,
        line: e.line,
        column: e.column,
        reason: `not well-formed XML: ${e.message}`,
      })
    }
    throw e
  }
}

/** Parses and validates a DROID binary signature file given as text. */
export function parseSignatureFile(xml: string, source = 'signature file'): ParsedSignatureFile {
  const root = parseTree(xml, source)
  const r: Reader = new Reader(source)
  if (root.name !== 'FFSignatureFile')
    r.fail(root, `root element is <${root.name}>, expected <FFSignatureFile>`)
  if (root.attrs.xmlns !== PRONOM_NS) r.fail(root, `namespace must be ${PRONOM_NS}`)
  const version = r.reqInt(root, 'Version', 1)
  const dateCreated = root.attrs.DateCreated
  if (dateCreated === undefined || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(dateCreated)) {
    r.fail(root, 'missing or invalid DateCreated')
  }
  r.only(root, ['InternalSignatureCollection', 'FileFormatCollection'])
  const sigColl = r.one(root, 'InternalSignatureCollection')
  const fmtColl = r.one(root, 'FileFormatCollection')
  r.only(sigColl, ['InternalSignature'])
  r.only(fmtColl, ['FileFormat'])

  const signatures: InternalSignatureDef[] = []
  const signatureLocations = new Map<number, { line: number; column: number }>()
  for (const el of sigColl.children) {
    const sig = readInternalSignature(r, el)
    if (signatureLocations.has(sig.id)) r.fail(el, `duplicate InternalSignature ID ${sig.id}`)
    signatureLocations.set(sig.id, { line: el.line, column: el.column })
    signatures.push(sig)
  }

  const formats: FileFormatDef[] = []
  const formatIds = new Set<number>()
  const puids = new Set<string>()
  const pending: { el: XmlElement; f: FileFormatDef }[] = []
  for (const el of fmtColl.children) {
    r.only(el, ['InternalSignatureID', 'Extension', 'HasPriorityOverFileFormatID'])
    const id = r.reqInt(el, 'ID')
    const puid = (el.attrs.PUID ?? '').trim()
    const name = (el.attrs.Name ?? '').trim()
    if (puid === '') r.fail(el, 'missing PUID')
    if (name === '') r.fail(el, 'missing Name')
    if (formatIds.has(id)) r.fail(el, `duplicate FileFormat ID ${id}`)
    if (puids.has(puid)) r.fail(el, `duplicate PUID ${puid}`)
    formatIds.add(id)
    puids.add(puid)
    const extensions: string[] = []
    const internalSignatureIds: number[] = []
    const hasPriorityOverIds: number[] = []
    for (const c of el.children) {
      if (c.name === 'Extension') {
        const ext = c.text.trim().toLowerCase()
        if (ext === '') r.fail(c, 'empty <Extension>')
        extensions.push(ext)
      } else if (c.name === 'InternalSignatureID') {
        internalSignatureIds.push(r.textInt(c))
      } else {
        hasPriorityOverIds.push(r.textInt(c))
      }
    }
    const version = el.attrs.Version?.trim()
    const f: FileFormatDef = {
      id,
      puid,
      name,
      version: version === '' ? undefined : version,
      mimeTypes: splitList(el.attrs.MIMEType),
      extensions,
      internalSignatureIds,
      hasPriorityOverIds,
    }
    formats.push(f)
    pending.push({ el, f })
  }
  // Referential integrity (the keyrefs of DROID's schema).
  for (const { el, f } of pending) {
    for (const sid of f.internalSignatureIds) {
      if (!signatureLocations.has(sid)) r.fail(el, `${f.puid} refers to missing InternalSignature ${sid}`)
    }
    for (const fid of f.hasPriorityOverIds) {
      if (!formatIds.has(fid)) r.fail(el, `${f.puid} has priority over missing FileFormat ${fid}`)
    }
  }
  return { def: { version, dateCreated, signatures, formats }, signatureLocations }
}

export async function loadSignatureFile(path: string): Promise<ParsedSignatureFile> {
  let xml: string
  try {
    xml = await readFile(path, 'utf8')
  } catch (e) {
    throw FormatErrors.signatureFileInvalid({
      source: basename(path),
      reason: `cannot read file: ${e instanceof Error ? e.message : String(e)}`,
    })
  }
  return parseSignatureFile(xml, basename(path))
}

export interface ParsedContainerFile {
  readonly def: ContainerSignatureFileDef
  readonly locations: ReadonlyMap<number, { line: number; column: number }>
  /** Misplaced elements that were ignored. */
  readonly warnings: readonly string[]
}

/** Parses and validates a DROID container signature file given as text. */
export function parseContainerFile(xml: string, source = 'container signature file'): ParsedContainerFile {
  const root = parseTree(xml, source)
  const r: Reader = new Reader(source, true)
  if (root.name !== 'ContainerSignatureMapping') {
    r.fail(root, `root element is <${root.name}>, expected <ContainerSignatureMapping>`)
  }
  const signatureVersion = r.int(root, 'signatureVersion', { required: false }) ?? 0
  r.only(root, ['ContainerSignatures', 'FileFormatMappings', 'TriggerPuids'])
  const sigs = r.one(root, 'ContainerSignatures')
  r.only(sigs, ['ContainerSignature'])
  const signatures: ContainerSignatureDef[] = []
  const locations = new Map<number, { line: number; column: number }>()
  for (const el of r.children(sigs, 'ContainerSignature')) {
    const id = r.reqInt(el, 'Id')
    if (locations.has(id)) r.fail(el, `duplicate ContainerSignature Id ${id}`)
    locations.set(id, { line: el.line, column: el.column })
    const containerType = el.attrs.ContainerType as ContainerType
    if (containerType !== 'ZIP' && containerType !== 'OLE2') {
      r.fail(el, `unknown ContainerType="${el.attrs.ContainerType}"`)
    }
    r.only(el, ['Description', 'Files'])
    const description = el.children.find((c) => c.name === 'Description')?.text.trim() ?? ''
    const filesEl = r.one(el, 'Files')
    r.only(filesEl, ['File'])
    const files: ContainerFileDef[] = r.children(filesEl, 'File').map((fe) => {
      r.only(fe, ['Path', 'BinarySignatures'])
      const path = r.one(fe, 'Path').text.trim()
      if (path === '') r.fail(fe, 'empty <Path>')
      const bin = fe.children.find((c) => c.name === 'BinarySignatures')
      let fileSigs: InternalSignatureDef[] = []
      if (bin) {
        r.only(bin, ['InternalSignatureCollection'])
        const coll = r.one(bin, 'InternalSignatureCollection')
        r.only(coll, ['InternalSignature'])
        fileSigs = r.children(coll, 'InternalSignature').map((s) => readInternalSignature(r, s))
      }
      return { path, signatures: fileSigs }
    })
    if (files.length === 0) r.fail(el, 'ContainerSignature without File')
    signatures.push({ id, containerType, description, files })
  }
  const mappings = new Map<number, string>()
  const mapEl = r.one(root, 'FileFormatMappings')
  r.only(mapEl, ['FileFormatMapping'])
  for (const m of r.children(mapEl, 'FileFormatMapping')) {
    const sid = r.reqInt(m, 'signatureId')
    const puid = (m.attrs.Puid ?? '').trim()
    if (puid === '') r.fail(m, 'missing Puid')
    if (!locations.has(sid)) r.fail(m, `mapping refers to missing ContainerSignature ${sid}`)
    if (mappings.has(sid) && mappings.get(sid) !== puid) r.fail(m, `ContainerSignature ${sid} mapped twice`)
    mappings.set(sid, puid)
  }
  const triggers: { containerType: ContainerType; puid: string }[] = []
  const trigEl = root.children.find((c) => c.name === 'TriggerPuids')
  if (trigEl) {
    r.only(trigEl, ['TriggerPuid'])
    for (const t of r.children(trigEl, 'TriggerPuid')) {
      const ct = t.attrs.ContainerType as ContainerType
      if (ct !== 'ZIP' && ct !== 'OLE2') r.fail(t, `unknown ContainerType="${t.attrs.ContainerType}"`)
      const puid = (t.attrs.Puid ?? '').trim()
      if (puid === '') r.fail(t, 'missing Puid')
      triggers.push({ containerType: ct, puid })
    }
  }
  return { def: { signatureVersion, signatures, mappings, triggers }, locations, warnings: r.warnings }
}

export async function loadContainerFile(path: string): Promise<ParsedContainerFile> {
  let xml: string
  try {
    xml = await readFile(path, 'utf8')
  } catch (e) {
    throw FormatErrors.signatureFileInvalid({
      source: basename(path),
      reason: `cannot read file: ${e instanceof Error ? e.message : String(e)}`,
    })
  }
  return parseContainerFile(xml, basename(path))
}
