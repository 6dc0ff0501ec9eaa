import { checkFields, checkHtmlDeep, plain, USAGES, type FieldContext, type Fields } from './fields.js'
import { failed, Issues, type Parsed } from './issues.js'
import { isObject, readJson, type JsonObject, type JsonValue, type Pos } from './json-reader.js'
import { RULE_TYPES, type EntryStatus, type JsonReferentialKind } from './referential.types.js'
import { decodeReferentialText } from './text.js'

/** Most entries accepted in one JSON referential file. */
export const MAX_JSON_ENTRIES = 10_000

/** Vitam's technical fields, present in files exported from Vitam: accepted and dropped. */
export const TECHNICAL_FIELDS = ['_id', '_tenant', '_v', '#id', '#tenant', '#version'] as const

/** Where a contract or profile points to. */
export type RefTarget =
  | 'agencies'
  | 'profiles'
  | 'management-contracts'
  | 'units'
  | 'formats'
  | 'ontology'
  | 'strategies'

export interface RefUse extends Pos {
  readonly target: RefTarget
  readonly id: string
  readonly field: string
}

export interface ParsedJsonEntry extends Pos {
  /** Null when the file gives none: the service then assigns one (Vitam's « slave » mode). */
  readonly identifier: string | null
  readonly name: string
  readonly status: EntryStatus
  /** The entry as it will be stored: known fields only, Vitam defaults filled in. */
  readonly body: Record<string, unknown>
  readonly refs: readonly RefUse[]
}

const STATUS = ['ACTIVE', 'INACTIVE'] as const
const INTERMEDIARY = ['ALL', 'LAST', 'NONE'] as const
export const PUID = /^(?:x-)?fmt\/\d{1,5}$/

const COMMON: Fields = {
  Identifier: { t: 'string', identifier: true },
  Name: { t: 'string', required: true, max: 500 },
  Description: { t: 'string', emptyIsAbsent: true, max: 10_000 },
  Status: { t: 'string', enum: STATUS },
  CreationDate: { t: 'date' },
  LastUpdate: { t: 'date' },
  ActivationDate: { t: 'date' },
  DeactivationDate: { t: 'date' },
}

const USAGE_POLICY: Fields = {
  UsageName: { t: 'string', required: true, enum: USAGES },
  InitialVersion: { t: 'boolean', required: true },
  IntermediaryVersion: { t: 'string', required: true, enum: INTERMEDIARY },
}

export const FIELDS: Readonly<Record<JsonReferentialKind, Fields>> = {
  'ingest-contracts': {
    ...COMMON,
    ArchiveProfiles: { t: 'strings', identifier: true },
    CheckParentLink: { t: 'string', enum: ['AUTHORIZED', 'REQUIRED', 'UNAUTHORIZED'] },
    LinkParentId: { t: 'string', emptyIsAbsent: true },
    CheckParentId: { t: 'strings' },
    MasterMandatory: { t: 'boolean' },
    EveryDataObjectVersion: { t: 'boolean' },
    DataObjectVersion: { t: 'strings', enum: USAGES },
    FormatUnidentifiedAuthorized: { t: 'boolean' },
    EveryFormatType: { t: 'boolean' },
    FormatType: {
      t: 'strings',
      itemPattern: {
        re: PUID,
        message: 'identifiant de format PRONOM attendu, par exemple fmt/354 ou x-fmt/111',
      },
    },
    ComputeInheritedRulesAtIngest: { t: 'boolean' },
    ManagementContractId: { t: 'string', identifier: true, emptyIsAbsent: true },
    SignaturePolicy: {
      t: 'object',
      fields: {
        SignedDocument: { t: 'string', enum: ['ALLOWED', 'REQUIRED', 'FORBIDDEN'] },
        DeclaredSignature: { t: 'boolean' },
        DeclaredTimestamp: { t: 'boolean' },
        DeclaredAdditionalProof: { t: 'boolean' },
      },
    },
  },
  'access-contracts': {
    ...COMMON,
    EveryOriginatingAgency: { t: 'boolean' },
    OriginatingAgencies: { t: 'strings', identifier: true },
    EveryDataObjectVersion: { t: 'boolean' },
    DataObjectVersion: { t: 'strings', enum: USAGES },
    WritingPermission: { t: 'boolean' },
    WritingRestrictedDesc: { t: 'boolean' },
    AccessLog: { t: 'string', enum: STATUS },
    RuleCategoryToFilter: { t: 'strings', enum: RULE_TYPES },
    RuleCategoryToFilterForTheOtherOriginatingAgencies: { t: 'strings', enum: RULE_TYPES },
    RootUnits: { t: 'strings' },
    ExcludedRootUnits: { t: 'strings' },
    DoNotFilterFilingSchemes: { t: 'boolean' },
    SkipFilingSchemeRuleCategoryFilter: { t: 'boolean' },
  },
  'management-contracts': {
    ...COMMON,
    Storage: {
      t: 'object',
      fields: {
        UnitStrategy: { t: 'string' },
        ObjectGroupStrategy: { t: 'string' },
        ObjectStrategy: { t: 'string' },
      },
    },
    VersionRetentionPolicy: {
      t: 'object',
      fields: {
        InitialVersion: { t: 'boolean', required: true },
        IntermediaryVersion: { t: 'string', required: true, enum: INTERMEDIARY },
        Usages: { t: 'objects', fields: USAGE_POLICY },
      },
    },
    PersistentIdentifierPolicy: {
      t: 'objects',
      fields: {
        PersistentIdentifierPolicyType: { t: 'string', required: true, enum: ['ARK'] },
        PersistentIdentifierUnit: { t: 'boolean' },
        PersistentIdentifierAuthority: { t: 'number-or-string', required: true },
        PersistentIdentifierUsages: { t: 'objects', fields: USAGE_POLICY },
      },
    },
  },
  profiles: {
    ...COMMON,
    Format: { t: 'string', required: true, enum: ['RNG', 'XSD'] },
    SedaVersion: { t: 'string', enum: ['2.1', '2.2', '2.3'] },
  },
  'archive-unit-profiles': {
    ...COMMON,
    ControlSchema: { t: 'string' },
    SedaVersion: { t: 'string', enum: ['2.1', '2.2', '2.3'] },
  },
}

/** Fields Vitam computes itself, accepted in a re-imported export and dropped. */
const COMPUTED: Readonly<Record<JsonReferentialKind, readonly string[]>> = {
  'ingest-contracts': [],
  'access-contracts': [],
  'management-contracts': [],
  profiles: ['Path'],
  'archive-unit-profiles': ['Fields'],
}

const DEFAULTS: Readonly<Record<JsonReferentialKind, Readonly<Record<string, unknown>>>> = {
  'ingest-contracts': {
    CheckParentLink: 'AUTHORIZED',
    CheckParentId: [],
    MasterMandatory: true,
    EveryDataObjectVersion: false,
    DataObjectVersion: [],
    FormatUnidentifiedAuthorized: false,
    EveryFormatType: true,
    FormatType: [],
    ComputeInheritedRulesAtIngest: false,
    ArchiveProfiles: [],
  },
  'access-contracts': {
    EveryOriginatingAgency: false,
    OriginatingAgencies: [],
    EveryDataObjectVersion: false,
    DataObjectVersion: [],
    WritingPermission: false,
    WritingRestrictedDesc: false,
    AccessLog: 'INACTIVE',
    RuleCategoryToFilter: [],
    RootUnits: [],
    ExcludedRootUnits: [],
  },
  'management-contracts': {},
  profiles: {},
  'archive-unit-profiles': { ControlSchema: '{}' },
}

/** Contract names are unique within a referential (Vitam refuses two contracts of the same name); profile names need not be. */
const UNIQUE_NAME: Readonly<Record<JsonReferentialKind, boolean>> = {
  'ingest-contracts': true,
  'access-contracts': true,
  'management-contracts': true,
  profiles: false,
  'archive-unit-profiles': false,
}

const JSON_SCHEMA_TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']

/**
 * Parses and validates a Vitam JSON referential (an array of objects): JSON syntax with line and
 * column, duplicate keys, unknown fields, required fields, types, enumerations, dates, HTML, duplicate
 * identifiers (and names, for contracts), and the rules between fields. References to other
 * referentials are returned in `refs`, for the service to resolve inside its transaction.
 */
export function parseJsonReferential(
  kind: JsonReferentialKind,
  bytes: Uint8Array,
): Parsed<ParsedJsonEntry[]> {
  const decoded = decodeReferentialText(bytes, 'JSON')
  if (!decoded.ok) return failed(decoded.issues)
  const issues = new Issues()
  const read = readJson(decoded.text)
  if (!read.ok) {
    const e = read.error
    issues.add({
      line: e.line,
      column: e.column,
      code: e.code,
      message:
        e.code === 'JSON_TOO_DEEP'
          ? e.message
          : `JSON invalide ligne ${e.line}, colonne ${e.column} : ${e.message}`,
    })
    return failed(issues)
  }
  const doc = read.doc
  for (const d of doc.duplicates) {
    issues.add({
      line: d.line,
      column: d.column,
      field: d.key,
      code: 'JSON_DUPLICATE_KEY',
      message: `Champ « ${d.key} » présent deux fois dans le même objet`,
    })
  }
  const root = doc.value
  if (!Array.isArray(root)) {
    issues.add({
      line: 1,
      column: 1,
      code: 'JSON_NOT_ARRAY',
      message: 'Un tableau JSON est attendu ([ { … }, { … } ]), comme dans les fichiers Vitam',
    })
    return failed(issues)
  }
  if (root.length === 0) {
    issues.add({
      line: 1,
      column: 1,
      code: 'NO_ENTRIES',
      message: 'Le tableau est vide : aucune entrée à importer',
    })
    return failed(issues)
  }
  if (root.length > MAX_JSON_ENTRIES) {
    issues.add({
      line: 1,
      column: 1,
      code: 'FILE_TOO_LARGE',
      message: `Trop d’entrées : ${MAX_JSON_ENTRIES} au plus`,
    })
    return failed(issues)
  }
  const ctx: FieldContext = { doc, issues }
  const itemPos = doc.items.get(root) ?? []
  const out: ParsedJsonEntry[] = []
  const ids = new Map<string, number>()
  const names = new Map<string, number>()
  const ignored = [...TECHNICAL_FIELDS, ...COMPUTED[kind]]
  root.forEach((item, idx) => {
    const pos = itemPos[idx] ?? { line: 1, column: 1 }
    if (!isObject(item)) {
      issues.add({
        ...pos,
        code: 'JSON_NOT_OBJECT',
        message: `L’entrée n° ${idx + 1} doit être un objet { … }`,
      })
      return
    }
    const before = issues.count
    const keyPos = doc.keys.get(item) ?? new Map<string, Pos>()
    const at = (k: string): Pos => keyPos.get(k) ?? pos
    checkFields(item, FIELDS[kind], '', ctx, ignored)
    checkHtmlDeep(item, '', pos, ctx)
    const refs: RefUse[] = []
    const addRefs = (target: RefTarget, field: string) => {
      const v = item[field]
      if (typeof v === 'string' && v !== '') refs.push({ target, id: v, field, ...at(field) })
      if (Array.isArray(v)) {
        const ps = doc.items.get(v) ?? []
        v.forEach((x, i) => {
          if (typeof x === 'string' && x !== '')
            refs.push({ target, id: x, field: `${field}[${i}]`, ...(ps[i] ?? at(field)) })
        })
      }
    }
    const contradiction = (list: string, text: string) =>
      issues.add({ ...at(list), field: list, code: 'CONTRADICTORY_FIELDS', message: text })
    const nonEmptyList = (k: string) => Array.isArray(item[k]) && (item[k] as JsonValue[]).length > 0

    if (kind === 'ingest-contracts') {
      const every = item.EveryFormatType === undefined ? true : item.EveryFormatType
      if (every === true && nonEmptyList('FormatType')) {
        contradiction(
          'FormatType',
          'FormatType doit être vide quand tous les formats sont autorisés (EveryFormatType absent ou true)',
        )
      }
      if (every === false && !nonEmptyList('FormatType') && !Array.isArray(item.FormatType)) {
        issues.add({
          ...at('EveryFormatType'),
          field: 'FormatType',
          code: 'FIELD_REQUIRED',
          message: 'FormatType doit lister les formats autorisés quand EveryFormatType vaut false',
        })
      } else if (every === false && Array.isArray(item.FormatType) && item.FormatType.length === 0) {
        issues.add({
          ...at('FormatType'),
          field: 'FormatType',
          code: 'FIELD_REQUIRED',
          message: 'FormatType ne peut pas être vide quand EveryFormatType vaut false',
        })
      }
      if (item.EveryDataObjectVersion === true && nonEmptyList('DataObjectVersion')) {
        contradiction(
          'DataObjectVersion',
          'DataObjectVersion doit être vide quand EveryDataObjectVersion vaut true',
        )
      }
      addRefs('profiles', 'ArchiveProfiles')
      addRefs('management-contracts', 'ManagementContractId')
      addRefs('units', 'LinkParentId')
      addRefs('units', 'CheckParentId')
      addRefs('formats', 'FormatType')
    } else if (kind === 'access-contracts') {
      if (item.EveryDataObjectVersion === true && nonEmptyList('DataObjectVersion')) {
        contradiction(
          'DataObjectVersion',
          'DataObjectVersion doit être vide quand EveryDataObjectVersion vaut true',
        )
      }
      addRefs('agencies', 'OriginatingAgencies')
      addRefs('units', 'RootUnits')
      addRefs('units', 'ExcludedRootUnits')
    } else if (kind === 'management-contracts') {
      checkManagement(item, ctx, refs)
    } else if (kind === 'archive-unit-profiles') {
      checkControlSchema(item, at('ControlSchema'), issues, refs)
    }

    const identifier = typeof item.Identifier === 'string' && item.Identifier !== '' ? item.Identifier : null
    if (identifier !== null) {
      if (ids.has(identifier)) {
        issues.add({
          ...at('Identifier'),
          field: 'Identifier',
          code: 'DUPLICATE_IDENTIFIER',
          message: `Identifier « ${identifier} » en double (déjà utilisé ligne ${ids.get(identifier)})`,
        })
      } else ids.set(identifier, at('Identifier').line)
    }
    const name = typeof item.Name === 'string' ? item.Name.trim() : ''
    if (UNIQUE_NAME[kind] && name !== '') {
      if (names.has(name)) {
        issues.add({
          ...at('Name'),
          field: 'Name',
          code: 'DUPLICATE_NAME',
          message: `Name « ${name} » en double (déjà utilisé ligne ${names.get(name)}) : deux contrats ne peuvent porter le même nom`,
        })
      } else names.set(name, at('Name').line)
    }
    if (issues.count !== before) return
    const body: Record<string, unknown> = { ...DEFAULTS[kind] }
    for (const [k, v] of Object.entries(item)) {
      if (ignored.includes(k)) continue
      if (k === 'Description' && v === '') continue
      if (k === 'LinkParentId' && v === '') continue
      if (k === 'ManagementContractId' && v === '') continue
      body[k] = plain(v)
    }
    body.Name = name
    body.Status = (item.Status as EntryStatus | undefined) ?? 'INACTIVE'
    out.push({ ...pos, identifier, name, status: body.Status as EntryStatus, body, refs })
  })
  return issues.empty ? { ok: true, value: out } : failed(issues)
}

function checkManagement(item: JsonObject, ctx: FieldContext, refs: RefUse[]): void {
  const keyPos = ctx.doc.keys.get(item)
  const storage = item.Storage
  if (isObject(storage)) {
    const sp = ctx.doc.keys.get(storage)
    for (const k of ['UnitStrategy', 'ObjectGroupStrategy', 'ObjectStrategy']) {
      const v = storage[k]
      if (typeof v === 'string' && v.trim() !== '') {
        refs.push({
          target: 'strategies',
          id: v,
          field: `Storage.${k}`,
          ...(sp?.get(k) ?? keyPos?.get('Storage') ?? { line: 1, column: 1 }),
        })
      }
    }
  }
  const usagesUnique = (list: JsonValue | undefined, path: string) => {
    if (!Array.isArray(list)) return
    const ps = ctx.doc.items.get(list) ?? []
    const seen = new Set<string>()
    list.forEach((u, i) => {
      if (!isObject(u) || typeof u.UsageName !== 'string') return
      if (seen.has(u.UsageName)) {
        ctx.issues.add({
          ...(ps[i] ?? { line: 1, column: 1 }),
          field: `${path}[${i}].UsageName`,
          code: 'DUPLICATE_VALUE',
          message: `L’usage ${u.UsageName} est décrit deux fois dans ${path}`,
        })
      }
      seen.add(u.UsageName)
    })
  }
  const vrp = item.VersionRetentionPolicy
  if (isObject(vrp)) {
    usagesUnique(vrp.Usages, 'VersionRetentionPolicy.Usages')
    const usages = Array.isArray(vrp.Usages) ? vrp.Usages : []
    const master = usages.find((u) => isObject(u) && u.UsageName === 'BinaryMaster')
    const vp = ctx.doc.keys.get(vrp)
    if (isObject(master)) {
      if (master.InitialVersion === false) {
        const mp = ctx.doc.keys.get(master)
        ctx.issues.add({
          ...(mp?.get('InitialVersion') ?? { line: 1, column: 1 }),
          field: 'VersionRetentionPolicy.Usages.InitialVersion',
          code: 'RETENTION_POLICY_INVALID',
          message:
            'La version initiale de l’original numérique (BinaryMaster) doit toujours être conservée : InitialVersion doit valoir true',
        })
      }
    } else if (vrp.InitialVersion === false) {
      ctx.issues.add({
        ...(vp?.get('InitialVersion') ?? { line: 1, column: 1 }),
        field: 'VersionRetentionPolicy.InitialVersion',
        code: 'RETENTION_POLICY_INVALID',
        message:
          'InitialVersion à false s’appliquerait à l’original numérique (BinaryMaster), dont la version initiale doit toujours être conservée : donnez une règle BinaryMaster dans Usages ou mettez true',
      })
    }
  }
  const pip = item.PersistentIdentifierPolicy
  if (Array.isArray(pip)) {
    pip.forEach((p, i) => {
      if (isObject(p))
        usagesUnique(
          p.PersistentIdentifierUsages,
          `PersistentIdentifierPolicy[${i}].PersistentIdentifierUsages`,
        )
    })
  }
}

/** ControlSchema: a JSON Schema given as a string; it must parse, be an object, and use valid types. */
function checkControlSchema(item: JsonObject, at: Pos, issues: Issues, refs: RefUse[]): void {
  const cs = item.ControlSchema
  if (typeof cs !== 'string' || cs.trim() === '') return
  const read = readJson(cs)
  const add = (code: string, message: string) => issues.add({ ...at, field: 'ControlSchema', code, message })
  if (!read.ok) {
    add(
      'SCHEMA_INVALID',
      `ControlSchema n’est pas un JSON valide (caractère ${read.error.column} de la ligne ${read.error.line} du schéma) : ${read.error.message}`,
    )
    return
  }
  const schema = read.doc.value
  if (!isObject(schema)) {
    add('SCHEMA_INVALID', 'ControlSchema doit être un objet JSON Schema ({ … })')
    return
  }
  const walk = (s: JsonValue, path: string): void => {
    if (!isObject(s)) return
    const type = s.type
    if (type !== undefined) {
      const list = Array.isArray(type) ? type : [type]
      for (const t of list) {
        if (typeof t !== 'string' || !JSON_SCHEMA_TYPES.includes(t)) {
          add(
            'SCHEMA_INVALID',
            `ControlSchema : type « ${typeof t === 'string' ? t : JSON.stringify(t)} » inconnu en ${path || 'racine'} (${JSON_SCHEMA_TYPES.join(', ')})`,
          )
        }
      }
    }
    for (const key of ['properties', 'patternProperties', 'definitions', '$defs']) {
      const m = s[key]
      if (isObject(m)) for (const [k, sub] of Object.entries(m)) walk(sub, `${path}${path ? '.' : ''}${k}`)
    }
    for (const key of ['items', 'additionalProperties', 'not', 'additionalItems', 'contains']) {
      const sub = s[key]
      if (Array.isArray(sub)) sub.forEach((x) => walk(x, path))
      else walk(sub as JsonValue, path)
    }
    for (const key of ['anyOf', 'allOf', 'oneOf']) {
      const sub = s[key]
      if (Array.isArray(sub)) sub.forEach((x) => walk(x, path))
    }
  }
  walk(schema, '')
  const props = schema.properties
  if (isObject(props)) {
    for (const [name, sub] of Object.entries(props)) {
      if (name.startsWith('_') || name.startsWith('#')) continue
      // Composite SEDA elements (Keyword, Writer, Event…) hold fields of their own; the ontology lists leaves.
      const composite =
        isObject(sub) && (isObject(sub.properties) || (isObject(sub.items) && isObject(sub.items.properties)))
      if (composite) continue
      refs.push({ target: 'ontology', id: name, field: `ControlSchema.properties.${name}`, ...at })
    }
  }
}
