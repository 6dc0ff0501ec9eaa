import type { ArchiveUnitData, DataObject, SedaManifest, XmlElement } from '../seda/index.js'
import { containsHtml, normaliseDate } from './metadata-checks.js'
import type { IngestEvent } from './ingest.types.js'

/**
 * Structural checks of a manifest against itself and the container (Vitam's CHECK_DATAOBJECTPACKAGE
 * and CHECK_UNIT_SCHEMA), as pure functions: they return KO/WARNING events and never touch storage.
 */

export const USAGES = ['BinaryMaster', 'Dissemination', 'Thumbnail', 'TextContent', 'PhysicalMaster'] as const
const VERSION_RE =
  /^(BinaryMaster|Dissemination|Thumbnail|TextContent|PhysicalMaster)(?:_([1-9][0-9]{0,8}))?$/

/** `BinaryMaster` → `BinaryMaster_1` (as Vitam does); null for an invalid usage/version. */
export function normaliseVersion(raw: string | undefined, kind: 'binary' | 'physical'): string | null {
  if (raw === undefined || raw.trim() === '')
    return kind === 'physical' ? 'PhysicalMaster_1' : 'BinaryMaster_1'
  const m = VERSION_RE.exec(raw.trim())
  if (!m) return null
  return `${m[1]}_${m[2] ?? '1'}`
}

export const DIGEST_ALGORITHMS: Readonly<Record<string, { node: string; hexLength: number }>> = {
  MD5: { node: 'md5', hexLength: 32 },
  'SHA-1': { node: 'sha1', hexLength: 40 },
  'SHA-256': { node: 'sha256', hexLength: 64 },
  'SHA-384': { node: 'sha384', hexLength: 96 },
  'SHA-512': { node: 'sha512', hexLength: 128 },
}

/** Decodes a manifest Uri into the container entry name it designates. */
export function uriToEntryName(uri: string): string {
  let u = uri.trim()
  if (u.startsWith('file:')) u = u.slice(5)
  try {
    u = decodeURIComponent(u)
  } catch {
    /* not percent-encoded: keep as written */
  }
  while (u.startsWith('./')) u = u.slice(2)
  return u.normalize('NFC')
}

export interface GroupPlan {
  /** SEDA id of the group (a synthetic `#obj:<id>` for an object without group). */
  readonly sedaId: string
  readonly objectIds: string[]
}

export interface PackagePlan {
  readonly objects: Map<string, DataObject & { usage: string }>
  readonly groups: Map<string, GroupPlan>
  /** Object SEDA id → group SEDA id. */
  readonly groupOfObject: Map<string, string>
  /** Unit SEDA id → the group it references (at most one). */
  readonly groupOfUnit: Map<string, string>
  /** Real units (reference nodes excluded), by SEDA id. */
  readonly units: Map<string, ArchiveUnitData>
  /** Unit SEDA id → parent SEDA ids within the package. */
  readonly parents: Map<string, string[]>
  /** Entry name → object SEDA id. */
  readonly entryOfObject: Map<string, string>
}

type Ev = IngestEvent
const ko = (type: string, message: string, detail = `${type}.KO`, data?: Record<string, unknown>): Ev => ({
  type,
  outcome: 'KO',
  detail,
  message,
  ...(data ? { data } : {}),
})

/** CHECK_MANIFEST_DATAOBJECT_VERSION and CHECK_MANIFEST: objects, groups, references, graph. */
export function planPackage(
  m: SedaManifest,
  containerFiles: readonly string[],
  manifestName: string,
): { plan: PackagePlan; events: Ev[] } {
  const events: Ev[] = []
  const VERSION = 'CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_DATAOBJECT_VERSION'
  const MANIFEST = 'CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST'
  const objects = new Map<string, DataObject & { usage: string }>()
  for (const o of m.dataObjects) {
    const usage = normaliseVersion(o.dataObjectVersion, o.kind)
    if (usage === null) {
      events.push(
        ko(
          VERSION,
          `Objet ${o.id} (ligne ${o.line}) : usage et version « ${o.dataObjectVersion} » invalides (attendu p. ex. BinaryMaster_1)`,
        ),
      )
      continue
    }
    if (o.kind === 'binary' && usage.startsWith('PhysicalMaster')) {
      events.push(
        ko(
          VERSION,
          `Objet numérique ${o.id} (ligne ${o.line}) déclaré avec l'usage ${usage}, réservé aux objets physiques`,
        ),
      )
    }
    if (o.kind === 'physical' && !usage.startsWith('PhysicalMaster')) {
      events.push(
        ko(
          VERSION,
          `Objet physique ${o.id} (ligne ${o.line}) déclaré avec l'usage ${usage} : seul PhysicalMaster convient`,
        ),
      )
    }
    if (o.kind === 'physical' && (o.physicalId ?? '').trim() === '') {
      events.push(
        ko(VERSION, `Objet physique ${o.id} (ligne ${o.line}) sans identifiant physique (PhysicalId vide)`),
      )
    }
    if (o.kind === 'binary') {
      if (!o.hasAttachment && (o.uri ?? '').trim() === '') {
        events.push(ko(VERSION, `Objet ${o.id} (ligne ${o.line}) : Uri vide ou absente`))
      }
      if (o.hasAttachment) {
        events.push(
          ko(
            MANIFEST,
            `Objet ${o.id} (ligne ${o.line}) : contenu joint dans le bordereau (Attachment) non pris en charge ; placez le fichier dans le paquet`,
          ),
        )
      }
      const alg = o.messageDigest?.algorithm
      if (alg !== undefined && !DIGEST_ALGORITHMS[alg]) {
        events.push(
          ko(
            MANIFEST,
            `Objet ${o.id} (ligne ${o.line}) : algorithme d'empreinte « ${alg} » inconnu (admis : ${Object.keys(DIGEST_ALGORITHMS).join(', ')})`,
          ),
        )
      }
    }
    if (objects.has(o.id)) events.push(ko(MANIFEST, `Identifiant d'objet ${o.id} déclaré deux fois`))
    objects.set(o.id, { ...o, usage })
  }

  // Groups: declared ones, and one implicit group per object that has none.
  const groups = new Map<string, GroupPlan>()
  const groupOfObject = new Map<string, string>()
  for (const g of m.dataObjectGroups) {
    groups.set(g.id, { sedaId: g.id, objectIds: [...g.objectIds] })
    for (const oid of g.objectIds) groupOfObject.set(oid, g.id)
  }
  for (const o of m.dataObjects) {
    if (groupOfObject.has(o.id)) continue
    const gid = o.groupId ?? o.groupReferenceId
    if (gid) {
      const g = groups.get(gid) ?? { sedaId: gid, objectIds: [] }
      g.objectIds.push(o.id)
      groups.set(gid, g)
      groupOfObject.set(o.id, gid)
    } else {
      const sid = `#obj:${o.id}`
      groups.set(sid, { sedaId: sid, objectIds: [o.id] })
      groupOfObject.set(o.id, sid)
    }
  }
  for (const [gid, g] of groups) {
    if (g.objectIds.length === 0) events.push(ko(MANIFEST, `Groupe d'objets ${gid} vide`))
    const seen = new Map<string, string>()
    for (const oid of g.objectIds) {
      const o = objects.get(oid)
      if (!o) continue
      const prev = seen.get(o.usage)
      if (prev) {
        events.push(
          ko(
            MANIFEST,
            `Groupe d'objets ${gid} : les objets ${prev} et ${oid} ont le même usage et la même version ${o.usage}`,
          ),
        )
      }
      seen.set(o.usage, oid)
    }
  }

  // Units: reference nodes (ArchiveUnitRefId) become edges, not units.
  const units = new Map<string, ArchiveUnitData>()
  const refNodes: ArchiveUnitData[] = []
  for (const u of m.units) {
    if (u.archiveUnitRefId !== undefined) refNodes.push(u)
    else {
      if (units.has(u.id)) events.push(ko(MANIFEST, `Identifiant d'unité ${u.id} déclaré deux fois`))
      units.set(u.id, u)
    }
  }
  const parents = new Map<string, string[]>()
  const addEdge = (child: string, parent: string) => {
    const list = parents.get(child) ?? []
    if (!list.includes(parent)) list.push(parent)
    parents.set(child, list)
  }
  for (const u of units.values()) if (u.parentId !== null) addEdge(u.id, u.parentId)
  // A reference node stands for the unit it points to (possibly through other reference nodes).
  const refTarget = new Map(refNodes.map((r) => [r.id, r.archiveUnitRefId!]))
  const resolveRef = (id: string): string | undefined => {
    let cur = id
    for (let hops = 0; hops < 64; hops++) {
      if (units.has(cur)) return cur
      const next = refTarget.get(cur)
      if (next === undefined) return undefined
      cur = next
    }
    return undefined
  }
  for (const r of refNodes) {
    const target = resolveRef(r.archiveUnitRefId!)
    if (target === undefined) {
      events.push(
        ko(
          MANIFEST,
          `ArchiveUnitRefId ${r.archiveUnitRefId} (ligne ${r.line}) ne désigne aucune unité du bordereau`,
        ),
      )
      continue
    }
    if (r.parentId !== null) addEdge(target, r.parentId)
  }
  for (const [child, ps] of parents)
    parents.set(
      child,
      ps.map((p) => resolveRef(p) ?? p),
    )

  // Unit → group references.
  const groupOfUnit = new Map<string, string>()
  for (const u of units.values()) {
    for (const ref of u.dataObjectReferences) {
      let gid: string | undefined
      if (ref.dataObjectGroupReferenceId !== undefined) {
        gid = ref.dataObjectGroupReferenceId
        if (!groups.has(gid)) {
          events.push(
            ko(
              MANIFEST,
              `Unité ${u.id} (ligne ${u.line}) : le groupe d'objets ${gid} n'existe pas dans le bordereau`,
            ),
          )
          continue
        }
      } else if (ref.dataObjectReferenceId !== undefined) {
        const oid = ref.dataObjectReferenceId
        const o = objects.get(oid)
        const g = groupOfObject.get(oid)
        if (!o || !g) {
          events.push(
            ko(MANIFEST, `Unité ${u.id} (ligne ${u.line}) : l'objet ${oid} n'existe pas dans le bordereau`),
          )
          continue
        }
        if (!g.startsWith('#obj:')) {
          events.push(
            ko(
              MANIFEST,
              `Unité ${u.id} (ligne ${u.line}) : référence l'objet ${oid} au lieu de son groupe ${g} (DataObjectGroupReferenceId attendu)`,
            ),
          )
          continue
        }
        gid = g
      }
      if (gid === undefined) continue
      const prev = groupOfUnit.get(u.id)
      if (prev && prev !== gid) {
        events.push(
          ko(
            MANIFEST,
            `Unité ${u.id} (ligne ${u.line}) : référence plusieurs groupes d'objets (${prev}, ${gid})`,
          ),
        )
      }
      groupOfUnit.set(u.id, gid)
    }
  }

  // CHECK_MANIFEST_LOOP: no cycle in the unit graph.
  const state = new Map<string, 1 | 2>()
  let cycle: string[] | null = null
  const visit = (id: string, path: string[]): void => {
    if (cycle) return
    const s = state.get(id)
    if (s === 2) return
    if (s === 1) {
      cycle = [...path.slice(path.indexOf(id)), id]
      return
    }
    state.set(id, 1)
    for (const p of parents.get(id) ?? []) visit(p, [...path, id])
    state.set(id, 2)
  }
  for (const id of units.keys()) visit(id, [])
  if (cycle) {
    events.push(
      ko(
        'CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_LOOP',
        `Cycle dans l'arborescence des unités : ${(cycle as string[]).join(' → ')}`,
      ),
    )
  }

  // CHECK_CONSISTENCY: every object group is used by a unit.
  const used = new Set(groupOfUnit.values())
  for (const gid of groups.keys()) {
    if (!used.has(gid)) {
      events.push(
        ko(
          'CHECK_DATAOBJECTPACKAGE.CHECK_CONSISTENCY',
          `Groupe d'objets ${gid.replace('#obj:', 'de l’objet ')} rattaché à aucune unité d'archives (orphelin)`,
        ),
      )
    }
  }

  // CHECK_MANIFEST_OBJECTNUMBER: the declared files are exactly the container's files.
  const files = new Map(containerFiles.filter((f) => f !== manifestName).map((f) => [f.normalize('NFC'), f]))
  const entryOfObject = new Map<string, string>()
  const NUMBER = 'CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_OBJECTNUMBER'
  for (const o of m.dataObjects) {
    if (o.kind !== 'binary' || !o.uri) continue
    const name = uriToEntryName(o.uri)
    const actual = files.get(name)
    if (!actual) {
      events.push(
        ko(NUMBER, `Objet ${o.id} : le fichier « ${o.uri} » déclaré dans le bordereau est absent du paquet`),
      )
      continue
    }
    entryOfObject.set(actual, o.id)
  }
  const declared = new Set(entryOfObject.keys())
  const extra = [...files.values()].filter((f) => !declared.has(f))
  if (extra.length > 0) {
    events.push(
      ko(
        NUMBER,
        `${extra.length} fichier(s) du paquet non déclaré(s) dans le bordereau : ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? '…' : ''}`,
        `${NUMBER}.KO`,
        { files: extra.slice(0, 100) },
      ),
    )
  }
  return { plan: { objects, groups, groupOfObject, groupOfUnit, units, parents, entryOfObject }, events }
}

function* texts(e: XmlElement, path: string): Generator<{ path: string; value: string }> {
  if (e.text !== undefined) yield { path, value: e.text }
  for (const [k, v] of Object.entries(e.attrs ?? {})) yield { path: `${path}/@${k}`, value: v }
  for (const c of e.children ?? []) yield* texts(c, `${path}/${c.name}`)
}

export const DATE_FIELDS_ORDER = ['StartDate', 'EndDate'] as const

/** CHECK_UNIT_SCHEMA for one unit: a title, valid dates in order, no HTML. */
export function checkUnitSchema(u: ArchiveUnitData): { events: Ev[]; dates: Record<string, string> } {
  const events: Ev[] = []
  const T = 'CHECK_UNIT_SCHEMA'
  const where = `Unité ${u.id} (ligne ${u.line})`
  if (!u.titles.some((t) => t.value.trim() !== '')) {
    events.push(ko(T, `${where} : titre (Title) absent ou vide`, 'CHECK_UNIT_SCHEMA.INVALID_UNIT.KO'))
  }
  const dates: Record<string, string> = {}
  for (const [name, value] of Object.entries(u.dates)) {
    const d = normaliseDate(value)
    if ('error' in d)
      events.push(ko(T, `${where} : ${name} — ${d.error}`, 'CHECK_UNIT_SCHEMA.INVALID_UNIT.KO'))
    else dates[name] = d.iso
  }
  const s = u.dates.StartDate ? normaliseDate(u.dates.StartDate) : null
  const e = u.dates.EndDate ? normaliseDate(u.dates.EndDate) : null
  if (s && e && !('error' in s) && !('error' in e) && e.start < s.start) {
    events.push(
      ko(
        T,
        `${where} : la date de fin (${u.dates.EndDate}) précède la date de début (${u.dates.StartDate})`,
        'CHECK_UNIT_SCHEMA.CONSISTENCY.KO',
      ),
    )
  }
  const logBook = u.management?.logBook
  if (logBook) {
    for (const t of texts(logBook, 'Management/LogBook')) {
      if (!/DateTime$/.test(t.path)) continue
      const d = normaliseDate(t.value)
      if ('error' in d) {
        events.push(
          ko(
            T,
            `${where} : ${t.path} du journal de cycle de vie — ${d.error}`,
            'CHECK_UNIT_SCHEMA.INVALID_UNIT.KO',
          ),
        )
        break
      }
    }
  }
  if (u.content) {
    for (const t of texts(u.content, 'Content')) {
      if (containsHtml(t.value)) {
        events.push(
          ko(
            T,
            `${where} : ${t.path} contient du HTML ou du script, refusé dans les métadonnées`,
            'CHECK_UNIT_SCHEMA.INVALID_UNIT.KO',
          ),
        )
        break
      }
    }
  }
  return { events, dates }
}
