/**
 * A small, read-only model of the official SEDA 2.x XSDs, computed once per version from the schemas
 * shipped in src/assets/seda: for each complex type, which child elements it declares (and their
 * types), whether it is an extension point, and which attributes / text contents are xsd:ID or
 * xsd:IDREF. The validator uses it to recognise extension metadata while streaming, and to check
 * ID/IDREF integrity, which libxml2's streaming validator does not fully do (see docs/seda-validation.md).
 *
 * Only the XSD features the SEDA schemas use are understood: named and anonymous complex types,
 * sequence/choice/all, group refs, element refs, complexContent extension/restriction, simpleContent,
 * attribute groups, simple type restriction/union/list. Anything else is ignored, never guessed.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SaxesParser } from 'saxes'
import type { SedaVersion } from './seda.types.js'

const XSD_NS = 'http://www.w3.org/2001/XMLSchema'

/** The abstract elements SEDA declares as extension hooks (Vitam replaces each with xsd:any). */
export const SEDA_EXTENSION_HOOKS: ReadonlySet<string> = new Set([
  'ObjectGroupExtenstionAbstract',
  'OtherManagementAbstract',
  'OtherCodeListAbstract',
  'OtherDimensionsAbstract',
  'OtherCoreTechnicalMetadataAbstract',
  'ArchiveUnitReferenceAbstract',
  'EventAbstract',
])

export type ValueKind = 'id' | 'idref' | 'idrefs' | 'other'

export interface ChildDecl {
  /** Complex type name (or synthetic name of an anonymous one); null for simple content. */
  complexType: string | null
  /** ID/IDREF nature of the element's text (simple types and simpleContent). */
  textKind: ValueKind
  /** The element's declared type is abstract (e.g. `Extended` typed `OpenType` in 2.3). */
  abstractType: boolean
}

export interface TypeInfo {
  name: string
  children: Map<string, ChildDecl>
  /** 'hook': has an abstract extension hook; 'open': derives from OpenType (content is free). */
  extension: 'none' | 'hook' | 'open'
  /** For 'hook' types: declared children that may still follow an extension element. */
  allowedAfterExtension: Set<string>
  attributes: Map<string, ValueKind>
  textKind: ValueKind
}

export interface SedaSchemaModel {
  version: SedaVersion
  namespace: string
  /** Absolute path of the version's main XSD. */
  mainXsd: string
  /** Global (root-capable) elements: local name → declaration. */
  globals: Map<string, ChildDecl>
  types: Map<string, TypeInfo>
}

// ---------------------------------------------------------------------------------------------

interface XNode {
  name: string
  attrs: Record<string, string>
  children: XNode[]
}

function parseXsd(path: string): XNode {
  const parser = new SaxesParser({ xmlns: true, position: false })
  const stack: XNode[] = []
  let root: XNode | null = null
  parser.on('opentag', (tag) => {
    const node: XNode = {
      name: tag.uri === XSD_NS ? tag.local : `{${tag.uri}}${tag.local}`,
      attrs: {},
      children: [],
    }
    for (const a of Object.values(tag.attributes))
      if (a.prefix !== 'xmlns' && a.name !== 'xmlns') node.attrs[a.name] = a.value
    const parent = stack[stack.length - 1]
    if (parent) parent.children.push(node)
    else root = node
    stack.push(node)
  })
  parser.on('closetag', () => {
    stack.pop()
  })
  parser.write(readFileSync(path, 'utf8')).close()
  if (!root) throw new Error(`empty XSD ${path}`)
  return root
}

const local = (qname: string): string => {
  const i = qname.indexOf(':')
  return i < 0 ? qname : qname.slice(i + 1)
}
const prefixOf = (qname: string): string => {
  const i = qname.indexOf(':')
  return i < 0 ? '' : qname.slice(0, i)
}

const BUILTIN_KIND: Record<string, ValueKind> = { ID: 'id', IDREF: 'idref', IDREFS: 'idrefs' }

class ModelBuilder {
  readonly complexTypes = new Map<string, XNode>()
  readonly simpleTypes = new Map<string, XNode>()
  readonly groups = new Map<string, XNode>()
  readonly attributeGroups = new Map<string, XNode>()
  readonly elements = new Map<string, XNode>()
  readonly substitutes = new Map<string, string[]>()
  readonly types = new Map<string, TypeInfo>()
  private anon = 0

  constructor(roots: XNode[]) {
    for (const root of roots) {
      for (const n of root.children) {
        const name = n.attrs.name
        if (!name) continue
        if (n.name === 'complexType') this.complexTypes.set(name, n)
        else if (n.name === 'simpleType') this.simpleTypes.set(name, n)
        else if (n.name === 'group') this.groups.set(name, n)
        else if (n.name === 'attributeGroup') this.attributeGroups.set(name, n)
        else if (n.name === 'element') {
          this.elements.set(name, n)
          const sub = n.attrs.substitutionGroup
          if (sub) this.substitutes.set(local(sub), [...(this.substitutes.get(local(sub)) ?? []), name])
        }
      }
    }
  }

  /** ID/IDREF nature of a type reference (`xsd:ID`, `GroupIdType`, …). */
  kindOfTypeRef(ref: string | undefined, seen = new Set<string>()): ValueKind {
    if (!ref) return 'other'
    const name = local(ref)
    if (prefixOf(ref) === 'xsd' || prefixOf(ref) === 'xs') return BUILTIN_KIND[name] ?? 'other'
    if (seen.has(name)) return 'other'
    seen.add(name)
    const st = this.simpleTypes.get(name)
    if (st) return this.kindOfSimpleType(st, seen)
    const ct = this.complexTypes.get(name)
    if (ct) return this.textKindOfComplex(ct, seen)
    return 'other'
  }

  kindOfSimpleType(st: XNode, seen: Set<string>): ValueKind {
    for (const c of st.children) {
      if (c.name === 'restriction') {
        if (c.attrs.base) return this.kindOfTypeRef(c.attrs.base, seen)
        const inner = c.children.find((x) => x.name === 'simpleType')
        return inner ? this.kindOfSimpleType(inner, seen) : 'other'
      }
      if (c.name === 'list') {
        const k = c.attrs.itemType
          ? this.kindOfTypeRef(c.attrs.itemType, seen)
          : this.kindOfInline(
              c.children.find((x) => x.name === 'simpleType'),
              seen,
            )
        return k === 'idref' ? 'idrefs' : 'other'
      }
      if (c.name === 'union') {
        const kinds = (c.attrs.memberTypes ?? '')
          .split(/\s+/)
          .filter(Boolean)
          .map((m) => this.kindOfTypeRef(m, seen))
        for (const inner of c.children)
          if (inner.name === 'simpleType') kinds.push(this.kindOfSimpleType(inner, seen))
        // Xerces (Vitam) treats a union whose member is xsd:ID as an ID (SEDA's GroupIdType).
        return kinds.find((k) => k !== 'other') ?? 'other'
      }
    }
    return 'other'
  }

  private kindOfInline(st: XNode | undefined, seen: Set<string>): ValueKind {
    return st ? this.kindOfSimpleType(st, seen) : 'other'
  }

  textKindOfComplex(ct: XNode, seen: Set<string>): ValueKind {
    const sc = ct.children.find((c) => c.name === 'simpleContent')
    if (!sc) return 'other'
    const d = sc.children.find((c) => c.name === 'extension' || c.name === 'restriction')
    return d ? this.kindOfTypeRef(d.attrs.base, seen) : 'other'
  }

  /** Declaration of an element particle (local or ref). */
  declOf(el: XNode, contextName: string): { name: string; decl: ChildDecl } | null {
    if (el.attrs.ref) {
      const name = local(el.attrs.ref)
      const g = this.elements.get(name)
      if (!g) return null
      return { name, decl: this.declOfElementNode(g, name) }
    }
    const name = el.attrs.name
    if (!name) return null
    return { name, decl: this.declOfElementNode(el, `${contextName}/${name}`) }
  }

  declOfElementNode(el: XNode, anonName: string): ChildDecl {
    const typeRef = el.attrs.type
    if (typeRef) {
      const tname = local(typeRef)
      const isXsd = prefixOf(typeRef) === 'xsd' || prefixOf(typeRef) === 'xs'
      const ct = isXsd ? undefined : this.complexTypes.get(tname)
      if (ct) {
        const info = this.typeInfo(tname)
        return {
          complexType: tname,
          textKind: info.textKind,
          abstractType: ct.attrs.abstract === 'true',
        }
      }
      return { complexType: null, textKind: this.kindOfTypeRef(typeRef), abstractType: false }
    }
    const inlineCt = el.children.find((c) => c.name === 'complexType')
    if (inlineCt) {
      const synthetic = `#${anonName}#${++this.anon}`
      this.complexTypes.set(synthetic, inlineCt)
      const info = this.typeInfo(synthetic)
      return { complexType: synthetic, textKind: info.textKind, abstractType: false }
    }
    const inlineSt = el.children.find((c) => c.name === 'simpleType')
    if (inlineSt)
      return { complexType: null, textKind: this.kindOfSimpleType(inlineSt, new Set()), abstractType: false }
    // No type: xsd:anyType — free content, treat as open.
    return { complexType: '#anyType', textKind: 'other', abstractType: false }
  }

  typeInfo(name: string): TypeInfo {
    const cached = this.types.get(name)
    if (cached) return cached
    const info: TypeInfo = {
      name,
      children: new Map(),
      extension: 'none',
      allowedAfterExtension: new Set(),
      attributes: new Map(),
      textKind: 'other',
    }
    this.types.set(name, info)
    if (name === '#anyType') {
      info.extension = 'open'
      return info
    }
    const ct = this.complexTypes.get(name)
    if (!ct) return info
    info.textKind = this.textKindOfComplex(ct, new Set())
    this.fillComplex(ct, info)
    return info
  }

  private fillComplex(ct: XNode, info: TypeInfo): void {
    for (const c of ct.children) {
      if (c.name === 'complexContent') {
        for (const d of c.children) {
          if (d.name !== 'extension' && d.name !== 'restriction') continue
          const base = d.attrs.base ? local(d.attrs.base) : ''
          if (base === 'OpenType' || base === 'anyType') info.extension = 'open'
          if (d.name === 'extension' && base && this.complexTypes.has(base)) {
            const b = this.typeInfo(base)
            for (const [k, v] of b.children) info.children.set(k, v)
            for (const [k, v] of b.attributes) info.attributes.set(k, v)
            if (b.extension !== 'none') info.extension = b.extension
            for (const k of b.allowedAfterExtension) info.allowedAfterExtension.add(k)
            // Elements an extension adds come after the base content, hence after its hook.
            const added = this.collectParticles(d, info.name)
            this.applyParticles(added, info, b.extension === 'hook')
          } else {
            this.applyParticles(this.collectParticles(d, info.name), info, false)
          }
          this.collectAttributes(d, info)
        }
      } else if (c.name === 'simpleContent') {
        for (const d of c.children) this.collectAttributes(d, info)
      } else if (c.name === 'sequence' || c.name === 'choice' || c.name === 'all' || c.name === 'group') {
        this.applyParticles(
          this.collectParticles({ name: 'sequence', attrs: {}, children: [c] }, info.name),
          info,
          false,
        )
      } else if (c.name === 'attribute' || c.name === 'attributeGroup') {
        this.collectAttributes({ name: 'x', attrs: {}, children: [c] }, info)
      } else if (c.name === 'any') {
        info.extension = 'open'
      }
    }
  }

  private applyParticles(particles: Particle[], info: TypeInfo, afterHook: boolean): void {
    let seenHook = false
    for (const p of particles) {
      if (p.kind === 'hook') {
        info.extension = info.extension === 'open' ? 'open' : 'hook'
        seenHook = true
        for (const n of p.repeatingSiblings) info.allowedAfterExtension.add(n)
        continue
      }
      if (p.kind === 'any') {
        info.extension = 'open'
        continue
      }
      if (!info.children.has(p.name)) info.children.set(p.name, p.decl)
      if (seenHook || afterHook) info.allowedAfterExtension.add(p.name)
    }
  }

  /** Flattens a content model into element/hook particles in document order. */
  private collectParticles(node: XNode, ctx: string, groupStack: string[] = []): Particle[] {
    const out: Particle[] = []
    for (const c of node.children) {
      if (c.name === 'element') {
        if (c.attrs.ref && SEDA_EXTENSION_HOOKS.has(local(c.attrs.ref))) {
          const hook = local(c.attrs.ref)
          // Concrete substitutes of the hook, if a schema declares some, are ordinary children.
          for (const s of this.substitutes.get(hook) ?? []) {
            const g = this.elements.get(s)
            if (g) out.push({ kind: 'element', name: s, decl: this.declOfElementNode(g, s) })
          }
          out.push({ kind: 'hook', name: hook, repeatingSiblings: [] })
          continue
        }
        const d = this.declOf(c, ctx)
        if (d) out.push({ kind: 'element', name: d.name, decl: d.decl })
        if (c.attrs.ref) {
          for (const s of this.substitutes.get(local(c.attrs.ref)) ?? []) {
            const g = this.elements.get(s)
            if (g) out.push({ kind: 'element', name: s, decl: this.declOfElementNode(g, s) })
          }
        }
      } else if (c.name === 'sequence' || c.name === 'choice' || c.name === 'all') {
        const inner = this.collectParticles(c, ctx, groupStack)
        // A hook inside a repeating group lets the group's other elements follow an extension.
        if (c.attrs.maxOccurs && c.attrs.maxOccurs !== '1' && c.attrs.maxOccurs !== '0') {
          const names = inner.filter((p): p is ElementParticle => p.kind === 'element').map((p) => p.name)
          for (const p of inner) if (p.kind === 'hook') p.repeatingSiblings.push(...names)
        }
        out.push(...inner)
      } else if (c.name === 'group' && c.attrs.ref) {
        const gname = local(c.attrs.ref)
        const g = this.groups.get(gname)
        if (g && !groupStack.includes(gname)) {
          const inner = this.collectParticles(g, ctx, [...groupStack, gname])
          if (c.attrs.maxOccurs && c.attrs.maxOccurs !== '1') {
            const names = inner.filter((p): p is ElementParticle => p.kind === 'element').map((p) => p.name)
            for (const p of inner) if (p.kind === 'hook') p.repeatingSiblings.push(...names)
          }
          out.push(...inner)
        }
      } else if (c.name === 'any') {
        out.push({ kind: 'any' })
      }
    }
    return out
  }

  private collectAttributes(node: XNode, info: TypeInfo): void {
    for (const c of node.children) {
      if (c.name === 'attribute') {
        if (c.attrs.ref) {
          const ref = c.attrs.ref
          // xml:id is xsd:ID by definition (xml.xsd).
          info.attributes.set(ref, ref === 'xml:id' ? 'id' : 'other')
        } else if (c.attrs.name) {
          const inline = c.children.find((x) => x.name === 'simpleType')
          info.attributes.set(
            c.attrs.name,
            inline ? this.kindOfSimpleType(inline, new Set()) : this.kindOfTypeRef(c.attrs.type),
          )
        }
      } else if (c.name === 'attributeGroup' && c.attrs.ref) {
        const g = this.attributeGroups.get(local(c.attrs.ref))
        if (g) this.collectAttributes(g, info)
      }
    }
  }
}

interface ElementParticle {
  kind: 'element'
  name: string
  decl: ChildDecl
}
type Particle =
  | ElementParticle
  | { kind: 'hook'; name: string; repeatingSiblings: string[] }
  | { kind: 'any' }

// ---------------------------------------------------------------------------------------------

/** Folder of the shipped schemas (src/assets/seda). */
export function sedaAssetsDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'assets', 'seda')
}

export function sedaNamespace(version: SedaVersion): string {
  return `fr:gouv:culture:archivesdefrance:seda:v${version}`
}

const PARTS = ['main', 'types', 'technical', 'management', 'descriptive', 'ontology'] as const

const cache = new Map<SedaVersion, SedaSchemaModel>()

/** The model of one SEDA version's official XSDs (computed once, then cached). */
export function sedaSchemaModel(version: SedaVersion): SedaSchemaModel {
  const hit = cache.get(version)
  if (hit) return hit
  const dir = join(sedaAssetsDir(), `seda-${version}`)
  const roots = PARTS.map((p) => parseXsd(join(dir, `seda-${version}-${p}.xsd`)))
  const b = new ModelBuilder(roots)
  const globals = new Map<string, ChildDecl>()
  for (const [name, node] of b.elements) {
    if (node.attrs.abstract === 'true') continue
    globals.set(name, b.declOfElementNode(node, name))
  }
  for (const name of b.complexTypes.keys()) b.typeInfo(name)
  const model: SedaSchemaModel = {
    version,
    namespace: sedaNamespace(version),
    mainXsd: join(dir, `seda-${version}-main.xsd`),
    globals,
    types: b.types,
  }
  cache.set(version, model)
  return model
}
