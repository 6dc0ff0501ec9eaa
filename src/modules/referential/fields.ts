import type { Issues } from './issues.js'
import { isObject, type JsonDocument, type JsonObject, type JsonValue, type Pos } from './json-reader.js'
import { containsHtml, HTML_MESSAGE } from './text.js'

/**
 * Identifiers of agencies, contracts and profiles: as free as Vitam's (spaces and accents are allowed,
 * « Contrat d'accès n°35 »), but no leading or trailing space, no control character, no `< > " \\`, and
 * 200 characters at most.
 */
export const IDENTIFIER = /^(?=.{1,200}$)[^\s<>"\\\p{Cc}](?:[^<>"\\\p{Cc}]*[^\s<>"\\\p{Cc}])?$/u
export const IDENTIFIER_MESSAGE =
  'identifiant invalide : 200 caractères au plus, sans espace au début ni à la fin, sans < > " \\ ni caractère de contrôle'

export const USAGES = ['BinaryMaster', 'Dissemination', 'Thumbnail', 'TextContent', 'PhysicalMaster'] as const

/** dd/MM/yyyy (Vitam's files), yyyy-MM-dd, or an ISO 8601 date-time. */
export function isValidDate(s: string): boolean {
  let y: number, m: number, d: number
  let mm = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(s)
  if (mm) {
    d = Number(mm[1])
    m = Number(mm[2])
    y = Number(mm[3])
  } else {
    mm =
      /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(
        s,
      )
    if (!mm) return false
    y = Number(mm[1])
    m = Number(mm[2])
    d = Number(mm[3])
    if (mm[4] !== undefined && (Number(mm[4]) > 23 || Number(mm[5]) > 59 || Number(mm[6] ?? 0) > 59))
      return false
  }
  if (m < 1 || m > 12 || d < 1) return false
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate()
  return d <= days
}

export type Spec =
  | {
      readonly t: 'string'
      readonly required?: boolean
      readonly enum?: readonly string[]
      readonly identifier?: boolean
      readonly max?: number
      /** An empty string counts as absent (Vitam files write `"LinkParentId": ""`). */
      readonly emptyIsAbsent?: boolean
    }
  | { readonly t: 'boolean'; readonly required?: boolean }
  | { readonly t: 'date' }
  | { readonly t: 'number-or-string'; readonly required?: boolean }
  | {
      readonly t: 'strings'
      readonly enum?: readonly string[]
      readonly identifier?: boolean
      readonly itemPattern?: { readonly re: RegExp; readonly message: string }
    }
  | { readonly t: 'object'; readonly required?: boolean; readonly fields: Fields }
  | { readonly t: 'objects'; readonly fields: Fields }

export type Fields = Readonly<Record<string, Spec>>

export interface FieldContext {
  readonly doc: JsonDocument
  readonly issues: Issues
}

function show(v: JsonValue): string {
  const s = typeof v === 'string' ? `"${v}"` : JSON.stringify(v)
  return s.length > 60 ? `${s.slice(0, 57)}…` : s
}

function suggestion(key: string, fields: Fields): string {
  const k = key.toLowerCase().replace(/[^a-z0-9]/g, '')
  const hit = Object.keys(fields).find((f) => f.toLowerCase() === k)
  return hit ? ` ; vouliez-vous dire « ${hit} » ?` : ''
}

/** Reports HTML in any string of a value, however deep. */
export function checkHtmlDeep(v: JsonValue, path: string, pos: Pos, ctx: FieldContext): void {
  if (typeof v === 'string') {
    if (containsHtml(v)) {
      ctx.issues.add({
        ...pos,
        field: path,
        code: 'HTML_FORBIDDEN',
        message: `${HTML_MESSAGE} dans « ${path} »`,
      })
    }
    return
  }
  if (Array.isArray(v)) {
    const ps = ctx.doc.items.get(v) ?? []
    v.forEach((item, idx) => checkHtmlDeep(item, `${path}[${idx}]`, ps[idx] ?? pos, ctx))
    return
  }
  if (isObject(v)) {
    const ks = ctx.doc.keys.get(v)
    for (const [k, item] of Object.entries(v)) {
      const kp = ks?.get(k) ?? pos
      if (containsHtml(k)) {
        ctx.issues.add({
          ...kp,
          field: path,
          code: 'HTML_FORBIDDEN',
          message: `${HTML_MESSAGE} dans un nom de champ`,
        })
      }
      checkHtmlDeep(item, path ? `${path}.${k}` : k, kp, ctx)
    }
  }
}

/**
 * Checks an object against its field specifications: unknown fields (except `ignored`), required
 * fields, types, enumerations, identifier syntax and dates. HTML is checked separately (checkHtmlDeep).
 */
export function checkFields(
  obj: JsonObject,
  fields: Fields,
  path: string,
  ctx: FieldContext,
  ignored: readonly string[] = [],
): void {
  const objPos = ctx.doc.at.get(obj) ?? { line: 1, column: 1 }
  const keyPos = ctx.doc.keys.get(obj) ?? new Map<string, Pos>()
  const name = (k: string) => (path ? `${path}.${k}` : k)
  for (const key of Object.keys(obj)) {
    if (fields[key] === undefined && !ignored.includes(key)) {
      ctx.issues.add({
        ...(keyPos.get(key) ?? objPos),
        field: name(key),
        code: 'FIELD_UNKNOWN',
        message: `Champ inconnu « ${name(key)} »${suggestion(key, fields)}`,
      })
    }
  }
  for (const [key, spec] of Object.entries(fields)) {
    const present = Object.prototype.hasOwnProperty.call(obj, key)
    const v = obj[key]
    const at = keyPos.get(key) ?? objPos
    const field = name(key)
    const add = (code: string, message: string, p: Pos = at) => ctx.issues.add({ ...p, field, code, message })
    const absent =
      !present || v === undefined || (spec.t === 'string' && spec.emptyIsAbsent === true && v === '')
    if (absent) {
      if ('required' in spec && spec.required) {
        add('FIELD_REQUIRED', `Champ obligatoire « ${field} » absent`, objPos)
      }
      continue
    }
    const value = v as JsonValue
    switch (spec.t) {
      case 'string': {
        if (typeof value !== 'string') {
          add('FIELD_TYPE', `« ${field} » doit être une chaîne de caractères (trouvé ${show(value)})`)
          break
        }
        if (value.trim() === '') {
          add('FIELD_REQUIRED', `« ${field} » ne peut pas être vide`)
          break
        }
        if (spec.enum && !spec.enum.includes(value)) {
          add('FIELD_ENUM', `« ${field} » doit valoir ${spec.enum.join(', ')} (trouvé ${show(value)})`)
        }
        if (spec.identifier && !IDENTIFIER.test(value)) {
          add('IDENTIFIER_INVALID', `« ${field} » : ${IDENTIFIER_MESSAGE} (trouvé ${show(value)})`)
        }
        if (spec.max !== undefined && value.length > spec.max) {
          add('FIELD_TOO_LONG', `« ${field} » dépasse ${spec.max} caractères`)
        }
        break
      }
      case 'boolean':
        if (typeof value !== 'boolean')
          add('FIELD_TYPE', `« ${field} » doit valoir true ou false (trouvé ${show(value)})`)
        break
      case 'date':
        if (typeof value !== 'string' || !isValidDate(value)) {
          add(
            'DATE_INVALID',
            `« ${field} » n’est pas une date valide (trouvé ${show(value)}) : JJ/MM/AAAA ou AAAA-MM-JJ attendu`,
          )
        }
        break
      case 'number-or-string':
        if (!(typeof value === 'number' || (typeof value === 'string' && value.trim() !== ''))) {
          add('FIELD_TYPE', `« ${field} » doit être un nombre ou une chaîne non vide (trouvé ${show(value)})`)
        }
        break
      case 'strings': {
        if (!Array.isArray(value)) {
          add('FIELD_TYPE', `« ${field} » doit être un tableau de chaînes (trouvé ${show(value)})`)
          break
        }
        const ps = ctx.doc.items.get(value) ?? []
        value.forEach((item, idx) => {
          const p = ps[idx] ?? at
          const f = `${field}[${idx}]`
          if (typeof item !== 'string') {
            ctx.issues.add({
              ...p,
              field: f,
              code: 'FIELD_TYPE',
              message: `« ${f} » doit être une chaîne (trouvé ${show(item)})`,
            })
          } else if (item.trim() === '') {
            ctx.issues.add({
              ...p,
              field: f,
              code: 'FIELD_REQUIRED',
              message: `« ${f} » ne peut pas être une chaîne vide`,
            })
          } else if (spec.enum && !spec.enum.includes(item)) {
            ctx.issues.add({
              ...p,
              field: f,
              code: 'FIELD_ENUM',
              message: `« ${f} » doit valoir ${spec.enum.join(', ')} (trouvé ${show(item)})`,
            })
          } else if (spec.identifier && !IDENTIFIER.test(item)) {
            ctx.issues.add({
              ...p,
              field: f,
              code: 'IDENTIFIER_INVALID',
              message: `« ${f} » : ${IDENTIFIER_MESSAGE} (trouvé ${show(item)})`,
            })
          } else if (spec.itemPattern && !spec.itemPattern.re.test(item)) {
            ctx.issues.add({
              ...p,
              field: f,
              code: 'FIELD_FORMAT',
              message: `« ${f} » : ${spec.itemPattern.message} (trouvé ${show(item)})`,
            })
          }
        })
        const seen = new Set<string>()
        value.forEach((item, idx) => {
          if (typeof item !== 'string') return
          if (seen.has(item)) {
            ctx.issues.add({
              ...(ps[idx] ?? at),
              field: `${field}[${idx}]`,
              code: 'DUPLICATE_VALUE',
              message: `« ${item} » figure deux fois dans « ${field} »`,
            })
          }
          seen.add(item)
        })
        break
      }
      case 'object':
        if (!isObject(value)) {
          add('FIELD_TYPE', `« ${field} » doit être un objet (trouvé ${show(value)})`)
          break
        }
        checkFields(value, spec.fields, field, ctx)
        break
      case 'objects': {
        if (!Array.isArray(value)) {
          add('FIELD_TYPE', `« ${field} » doit être un tableau d’objets (trouvé ${show(value)})`)
          break
        }
        const ps = ctx.doc.items.get(value) ?? []
        value.forEach((item, idx) => {
          if (!isObject(item)) {
            ctx.issues.add({
              ...(ps[idx] ?? at),
              field: `${field}[${idx}]`,
              code: 'FIELD_TYPE',
              message: `« ${field}[${idx}] » doit être un objet (trouvé ${show(item)})`,
            })
            return
          }
          checkFields(item, spec.fields, `${field}[${idx}]`, ctx)
        })
        break
      }
    }
  }
}

/** A plain, prototype-safe deep copy of a parsed value. */
export function plain<T extends JsonValue>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T
}
