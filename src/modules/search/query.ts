import { AppError } from '../../platform/errors.js'
import { words } from './text.js'
import {
  DESCRIPTION_LEVELS,
  FINAL_ACTIONS,
  SORTS,
  type DateRange,
  type FinalActionFilter,
  type SearchFilters,
  type SearchInput,
  type SortName,
  type TextTerm,
} from './search.types.js'

export const MAX_PAGE = 200
export const DEFAULT_PAGE = 50
export const MAX_OFFSET = 1000
export const MAX_QUERY_LENGTH = 1000
export const MAX_TERMS = 32
const MAX_LIST = 50

export const SearchErrors = {
  syntax: (reason: string, position: number, message: string) =>
    new AppError('SEARCH_QUERY_SYNTAX', 'invalid', `Requête mal formée (position ${position}) : ${message}`, {
      reason,
      position,
    }),
  tooLong: (length: number) =>
    new AppError(
      'SEARCH_QUERY_TOO_LONG',
      'invalid',
      `Requête trop longue : ${length} caractères (au plus ${MAX_QUERY_LENGTH})`,
      { length, max: MAX_QUERY_LENGTH },
    ),
  unknownField: (field: string) =>
    new AppError('SEARCH_UNKNOWN_FIELD', 'invalid', `Champ de recherche inconnu : ${field.slice(0, 100)}`, {
      field: field.slice(0, 100),
      known: [...FILTER_FIELDS, ...PARAMS],
    }),
  badValue: (field: string, value: unknown, message: string) =>
    new AppError('SEARCH_BAD_VALUE', 'invalid', `Valeur invalide pour ${field} : ${message}`, {
      field,
      value: typeof value === 'string' ? value.slice(0, 200) : value,
    }),
  pageTooLarge: (limit: number) =>
    new AppError(
      'SEARCH_PAGE_TOO_LARGE',
      'invalid',
      `Page trop grande : ${limit} résultats demandés (au plus ${MAX_PAGE})`,
      { limit, max: MAX_PAGE },
    ),
  deepPaging: (offset: number) =>
    new AppError(
      'SEARCH_DEEP_PAGING',
      'invalid',
      `Décalage trop grand : ${offset} (au plus ${MAX_OFFSET}) ; suivre nextCursor pour aller plus loin`,
      { offset, max: MAX_OFFSET },
    ),
  badCursor: (reason: string) =>
    new AppError('SEARCH_BAD_CURSOR', 'invalid', `Curseur invalide ou d'une autre recherche (${reason})`, {
      reason,
    }),
}

export const FILTER_FIELDS = [
  'producer',
  'level',
  'date',
  'appraisalEnd',
  'finalAction',
  'communicable',
  'kind',
  'format',
  'operation',
  'parent',
  'branch',
  'location',
  'box',
] as const
type FilterField = (typeof FILTER_FIELDS)[number]
const PARAMS = ['q', 'sort', 'limit', 'cursor', 'facets', 'offset', 'exactTotal'] as const
/** Earlier parameter names of GET /units, still accepted. */
const ALIASES: Record<string, FilterField> = { parentId: 'parent', operationId: 'operation' }

const WORD_CHAR = /[\p{L}\p{M}\p{N}'’\-.,/_]/u
const PHRASE_CHAR = /[\p{L}\p{M}\p{N}'’\-.,/_\s]/u

function isFilterField(f: string): f is FilterField {
  return (FILTER_FIELDS as readonly string[]).includes(f)
}

function charName(c: string): string {
  return `« ${c} » (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`
}

/**
 * Parses the text query language (docs/search.md §2): words, `prefix*`, `"phrases"`, `-exclusion`, and
 * `field:value` filters. Everything else is refused with SEARCH_QUERY_SYNTAX naming the position: no
 * operator of the underlying engines (FTS5 `NEAR(`, `OR`, `^`, column filters; tsquery `&|!<->`) ever
 * reaches them, every term is passed as a quoted string or a bound parameter.
 */
export function parseTextQuery(q: string): {
  terms: TextTerm[]
  filters: Partial<Record<FilterField, string>>
} {
  if (q.length > MAX_QUERY_LENGTH) throw SearchErrors.tooLong(q.length)
  const terms: TextTerm[] = []
  const filters: Partial<Record<FilterField, string>> = {}
  let i = 0
  const n = q.length
  const isSpace = (c: string | undefined) => c !== undefined && /\s/u.test(c)
  while (i < n) {
    if (isSpace(q[i])) {
      i++
      continue
    }
    const start = i
    let negated = false
    if (q[i] === '-') {
      negated = true
      i++
      if (i >= n || isSpace(q[i])) throw SearchErrors.syntax('empty_term', start, 'un « - » seul')
    }
    if (q[i] === '"') {
      const close = q.indexOf('"', i + 1)
      if (close < 0) throw SearchErrors.syntax('unbalanced_quote', i, 'guillemet non refermé')
      const body = q.slice(i + 1, close)
      for (let k = 0; k < body.length; k++) {
        if (!PHRASE_CHAR.test(body[k]!)) {
          throw SearchErrors.syntax(
            'forbidden_character',
            i + 1 + k,
            `caractère interdit ${charName(body[k]!)}`,
          )
        }
      }
      i = close + 1
      let prefix = false
      if (q[i] === '*') {
        prefix = true
        i++
      }
      if (i < n && !isSpace(q[i])) {
        throw SearchErrors.syntax('missing_space', i, 'une expression doit être suivie d’un espace')
      }
      const w = words(body)
      if (w.length === 0) throw SearchErrors.syntax('empty_phrase', start, 'expression vide')
      terms.push({
        kind: prefix ? 'prefix' : w.length > 1 ? 'phrase' : 'word',
        negated,
        words: w,
        raw: body.match(/[\p{L}\p{M}\p{N}]+/gu) ?? w,
      })
      continue
    }
    // a bare token: a word, a prefix or field:value
    let j = i
    while (j < n && !isSpace(q[j]) && q[j] !== '"' && q[j] !== ':') j++
    if (q[j] === ':') {
      const field = q.slice(i, j)
      if (negated) throw SearchErrors.syntax('negated_filter', start, 'un filtre ne s’exclut pas')
      if (!/^[A-Za-z]+$/.test(field)) throw SearchErrors.syntax('bad_field', i, 'nom de champ invalide')
      const f = ALIASES[field] ?? field
      if (!isFilterField(f)) throw SearchErrors.unknownField(field)
      let v: string
      j++
      if (q[j] === '"') {
        const close = q.indexOf('"', j + 1)
        if (close < 0) throw SearchErrors.syntax('unbalanced_quote', j, 'guillemet non refermé')
        v = q.slice(j + 1, close)
        j = close + 1
        if (j < n && !isSpace(q[j])) {
          throw SearchErrors.syntax('missing_space', j, 'une expression doit être suivie d’un espace')
        }
      } else {
        const s = j
        while (j < n && !isSpace(q[j])) j++
        v = q.slice(s, j)
        if (v.includes('"'))
          throw SearchErrors.syntax('unbalanced_quote', s + v.indexOf('"'), 'guillemet isolé')
      }
      if (v === '') throw SearchErrors.syntax('empty_value', start, `valeur vide pour ${field}`)
      if (filters[f] !== undefined) throw SearchErrors.badValue(f, v, 'champ répété')
      filters[f] = v
      i = j
      continue
    }
    let token = q.slice(i, j)
    let prefix = false
    if (token.endsWith('*')) {
      prefix = true
      token = token.slice(0, -1)
    }
    for (let k = 0; k < token.length; k++) {
      if (!WORD_CHAR.test(token[k]!)) {
        throw SearchErrors.syntax('forbidden_character', i + k, `caractère interdit ${charName(token[k]!)}`)
      }
    }
    if (j < n && q[j] === '"') throw SearchErrors.syntax('missing_space', j, 'guillemet collé à un mot')
    const w = words(token)
    if (w.length === 0) throw SearchErrors.syntax('empty_term', start, 'terme sans lettre ni chiffre')
    if (prefix && w[w.length - 1]!.length < 2) {
      throw SearchErrors.syntax('short_prefix', start, 'un préfixe doit avoir au moins 2 caractères')
    }
    terms.push({
      kind: prefix ? 'prefix' : w.length > 1 ? 'phrase' : 'word',
      negated,
      words: w,
      raw: token.match(/[\p{L}\p{M}\p{N}]+/gu) ?? w,
    })
    i = j
  }
  if (terms.length > MAX_TERMS) {
    throw SearchErrors.syntax('too_many_terms', 0, `au plus ${MAX_TERMS} termes`)
  }
  if (terms.length > 0 && terms.every((t) => t.negated)) {
    throw SearchErrors.syntax(
      'only_exclusions',
      0,
      'il faut au moins un terme recherché en plus des exclusions',
    )
  }
  return { terms, filters }
}

const DATE_RE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/

function dateBound(field: string, raw: string, v: string, end: boolean): string {
  const m = DATE_RE.exec(v)
  if (!m) throw SearchErrors.badValue(field, raw, `date attendue AAAA, AAAA-MM ou AAAA-MM-JJ, reçu « ${v} »`)
  const y = Number(m[1])
  const mo = m[2] === undefined ? (end ? 12 : 1) : Number(m[2])
  const lastDay = new Date(Date.UTC(y, mo, 0)).getUTCDate()
  const d = m[3] === undefined ? (end ? lastDay : 1) : Number(m[3])
  if (mo < 1 || mo > 12 || d < 1 || d > lastDay)
    throw SearchErrors.badValue(field, raw, `date impossible « ${v} »`)
  return `${m[1]}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`
}

/** `1987`, `1987-03`, `1987-03-12`, `1980..1990`, `1980..`, `..1990`. */
export function parseDateRange(field: string, raw: string): DateRange {
  const parts = raw.split('..')
  if (parts.length > 2) throw SearchErrors.badValue(field, raw, 'une seule plage « début..fin »')
  if (parts.length === 1)
    return { from: dateBound(field, raw, raw, false), to: dateBound(field, raw, raw, true) }
  const [a, b] = parts as [string, string]
  if (a === '' && b === '') throw SearchErrors.badValue(field, raw, 'plage vide')
  const r: DateRange = {
    ...(a !== '' ? { from: dateBound(field, raw, a, false) } : {}),
    ...(b !== '' ? { to: dateBound(field, raw, b, true) } : {}),
  }
  if (r.from && r.to && r.from > r.to) throw SearchErrors.badValue(field, raw, 'début après la fin')
  return r
}

function list(field: string, raw: string, check?: (v: string) => boolean, hint?: string): string[] {
  const vs = raw.split(',').map((s) => s.trim())
  if (vs.length > MAX_LIST) throw SearchErrors.badValue(field, raw, `au plus ${MAX_LIST} valeurs`)
  for (const v of vs) {
    if (v === '' || v.length > 200) throw SearchErrors.badValue(field, raw, 'valeur vide ou trop longue')
    if (check && !check(v))
      throw SearchErrors.badValue(field, raw, `« ${v.slice(0, 50)} » ${hint ?? ''}`.trim())
  }
  return [...new Set(vs)]
}

const ID_RE = /^[\w.:-]{1,200}$/
/** A location id or path (`codes/joined/by/slashes`), a box id or barcode. */
const PLACE_RE = /^[\p{L}\p{N}_.:/ -]{1,200}$/u

function filterValue(f: FilterField, raw: string): SearchFilters {
  switch (f) {
    case 'producer':
      return { producer: list(f, raw) }
    case 'level':
      return {
        level: list(
          f,
          raw,
          (v) => (DESCRIPTION_LEVELS as readonly string[]).includes(v),
          `: attendu ${DESCRIPTION_LEVELS.join(', ')}`,
        ),
      }
    case 'finalAction':
      return {
        finalAction: list(
          f,
          raw,
          (v) => (FINAL_ACTIONS as readonly string[]).includes(v),
          `: attendu ${FINAL_ACTIONS.join(', ')}`,
        ) as FinalActionFilter[],
      }
    case 'format':
      return {
        format: list(f, raw, (v) => /^(?:x-)?fmt\/\d{1,6}$/.test(v), ': PUID PRONOM attendu (fmt/18)'),
      }
    case 'date':
    case 'appraisalEnd':
      return { [f]: parseDateRange(f, raw) }
    case 'communicable':
      if (raw === 'yes' || raw === 'no') return { communicable: { yes: raw === 'yes' } }
      return { communicable: { yes: true, at: dateBound(f, raw, raw, false) } }
    case 'kind':
      if (raw !== 'digital' && raw !== 'physical')
        throw SearchErrors.badValue(f, raw, 'attendu digital ou physical')
      return { kind: raw }
    case 'operation':
    case 'parent':
    case 'branch':
      if (!ID_RE.test(raw)) throw SearchErrors.badValue(f, raw, 'identifiant invalide')
      return { [f]: raw }
    case 'location':
    case 'box':
      if (!PLACE_RE.test(raw))
        throw SearchErrors.badValue(f, raw, 'identifiant, chemin ou code-barres invalide')
      return { [f]: raw }
  }
}

function intParam(field: string, v: unknown): number {
  const s = typeof v === 'number' ? String(v) : v
  if (typeof s !== 'string' || !/^\d{1,9}$/.test(s))
    throw SearchErrors.badValue(field, v, 'entier positif attendu')
  return Number(s)
}

/**
 * Validates query-string style parameters (HTTP query, CLI options) into a SearchInput. Unknown
 * parameters, repeated parameters, bad values, pages over MAX_PAGE and offsets over MAX_OFFSET are
 * refused with stable codes; nothing is guessed.
 */
export function parseSearchParams(params: Readonly<Record<string, unknown>>): SearchInput {
  const raw: Record<string, string> = {}
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue
    const key = ALIASES[k] ?? k
    if (!isFilterField(key) && !(PARAMS as readonly string[]).includes(key))
      throw SearchErrors.unknownField(k)
    if (Array.isArray(v)) throw SearchErrors.badValue(k, v.join(','), 'paramètre répété')
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw SearchErrors.badValue(k, String(v), 'valeur simple attendue')
    }
    if (raw[key] !== undefined) throw SearchErrors.badValue(key, String(v), 'paramètre répété')
    raw[key] = String(v)
  }
  const text = raw.q !== undefined ? parseTextQuery(raw.q) : { terms: [], filters: {} }
  let filters: SearchFilters = {}
  for (const f of FILTER_FIELDS) {
    const a = raw[f]
    const b = text.filters[f]
    if (a !== undefined && b !== undefined)
      throw SearchErrors.badValue(f, a, 'donné deux fois (paramètre et requête)')
    const v = a ?? b
    if (v !== undefined) filters = { ...filters, ...filterValue(f, v) }
  }
  if (filters.parent && filters.branch) {
    throw SearchErrors.badValue('branch', filters.branch, 'parent et branch ne se combinent pas')
  }
  const positive = text.terms.some((t) => !t.negated)
  let sort: SortName = positive ? 'relevance' : 'created'
  if (raw.sort !== undefined) {
    if (!(SORTS as readonly string[]).includes(raw.sort)) {
      throw SearchErrors.badValue('sort', raw.sort, `attendu ${SORTS.join(', ')}`)
    }
    sort = raw.sort as SortName
    if (sort === 'relevance' && !positive) {
      throw SearchErrors.badValue('sort', raw.sort, 'le tri par pertinence demande un texte recherché')
    }
  }
  let limit = DEFAULT_PAGE
  if (raw.limit !== undefined) {
    limit = intParam('limit', raw.limit)
    if (limit > MAX_PAGE) throw SearchErrors.pageTooLarge(limit)
    if (limit < 1) throw SearchErrors.badValue('limit', raw.limit, 'au moins 1')
  }
  let offset = 0
  if (raw.offset !== undefined) {
    offset = intParam('offset', raw.offset)
    if (offset > MAX_OFFSET) throw SearchErrors.deepPaging(offset)
    if (raw.cursor !== undefined && offset > 0) {
      throw SearchErrors.badValue('offset', raw.offset, 'offset et cursor ne se combinent pas')
    }
  }
  let facets = true
  if (raw.facets !== undefined) {
    if (raw.facets !== 'true' && raw.facets !== 'false') {
      throw SearchErrors.badValue('facets', raw.facets, 'attendu true ou false')
    }
    facets = raw.facets === 'true'
  }
  let exactTotal = false
  if (raw.exactTotal !== undefined) {
    if (raw.exactTotal !== 'true' && raw.exactTotal !== 'false') {
      throw SearchErrors.badValue('exactTotal', raw.exactTotal, 'attendu true ou false')
    }
    exactTotal = raw.exactTotal === 'true'
  }
  if (raw.cursor !== undefined && !/^[A-Za-z0-9_-]{1,2000}$/.test(raw.cursor)) {
    throw SearchErrors.badCursor('format')
  }
  return {
    terms: text.terms,
    filters,
    sort,
    limit,
    offset,
    ...(raw.cursor !== undefined ? { cursor: raw.cursor } : {}),
    facets,
    ...(exactTotal ? { exactTotal } : {}),
  }
}
