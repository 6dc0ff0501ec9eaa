import { parseCsv, type FormError } from './transfer-form.js'

/**
 * Bulk import of a location tree as CSV (docs/physical.md): a header row, `,` or `;` separator, RFC 4180
 * quoting; one row per location named by its path (codes from the root joined by `/`). Ancestors that
 * neither exist nor have a row are created without name nor properties.
 */
export const LOCATION_COLUMNS = [
  'path',
  'name',
  'length_m',
  'fire_rated',
  'climate_controlled',
  'reserved',
  'blocked',
] as const
export type LocationColumn = (typeof LOCATION_COLUMNS)[number]
export const MAX_LOCATION_ROWS = 20_000

export interface LocationRow {
  readonly row: number
  readonly path: string
  readonly codes: readonly string[]
  readonly name: string | null
  readonly lengthMm: number | null
  readonly fireRated: boolean
  readonly climateControlled: boolean
  readonly reserved: boolean
  readonly blocked: boolean
}

const CODE_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/
const TRUE = new Set(['true', '1', 'oui', 'yes', 'o', 'y', 'x'])
const FALSE = new Set(['false', '0', 'non', 'no', 'n', ''])

/**
 * Parses and checks every row: structure (header, unknown or duplicate column, field count), path
 * (codes, depth against the level names, duplicates in the file, already existing), length (required
 * for the last level, forbidden above), booleans, names. Returns the rows, or every error by row, line
 * and column.
 */
export function checkLocationCsv(
  text: string,
  ctx: { readonly levels: readonly string[]; readonly existing: ReadonlySet<string> },
): { rows: LocationRow[]; errors: FormError[] } {
  const errors: FormError[] = []
  const body = text.replace(/^\ufeff/, '')
  const firstLine = body.split(/\r?\n/, 1)[0] ?? ''
  const sep = firstLine.split(';').length > firstLine.split(',').length ? ';' : ','
  const parsed = parseCsv(body, sep)
  if ('error' in parsed)
    return { rows: [], errors: [{ row: 0, line: parsed.line, column: '', message: parsed.error }] }
  if (parsed.length === 0)
    return {
      rows: [],
      errors: [{ row: 0, line: 1, column: '', message: 'fichier vide : ligne d’en-tête attendue' }],
    }
  const header = parsed[0]!.fields.map((h) => h.trim().toLowerCase())
  header.forEach((h, k) => {
    if (!(LOCATION_COLUMNS as readonly string[]).includes(h))
      errors.push({ row: 0, line: 1, column: h || `#${k + 1}`, message: `colonne inconnue « ${h} »` })
    else if (header.indexOf(h) !== k)
      errors.push({ row: 0, line: 1, column: h, message: 'colonne en double' })
  })
  if (!header.includes('path'))
    errors.push({ row: 0, line: 1, column: 'path', message: 'colonne obligatoire absente' })
  if (parsed.length - 1 > MAX_LOCATION_ROWS)
    errors.push({ row: 0, line: 1, column: '', message: `plus de ${MAX_LOCATION_ROWS} lignes` })
  if (parsed.length === 1) errors.push({ row: 0, line: 1, column: '', message: 'aucune ligne de données' })
  if (errors.length > 0) return { rows: [], errors }

  const last = ctx.levels.length - 1
  const seen = new Map<string, number>()
  const rows: LocationRow[] = []
  parsed.slice(1).forEach((rec, k) => {
    const row = k + 1
    const err = (column: string, message: string) => errors.push({ row, line: rec.line, column, message })
    if (rec.fields.length !== header.length) {
      err('', `${rec.fields.length} champs au lieu de ${header.length}`)
      return
    }
    const v = (c: LocationColumn): string => {
      const j = header.indexOf(c)
      return j < 0 ? '' : rec.fields[j]!.trim()
    }
    const before = errors.length
    for (const c of header)
      if (CONTROL.test(rec.fields[header.indexOf(c)]!)) err(c, 'caractère de contrôle interdit')
    const path = v('path')
    const codes = path.split('/')
    if (path === '') err('path', 'chemin obligatoire (codes depuis la racine séparés par « / »)')
    else if (path.length > 1000) err('path', 'chemin de plus de 1000 caractères')
    else if (codes.some((c) => !CODE_RE.test(c)))
      err(
        'path',
        `code invalide dans « ${path} » : lettres, chiffres, « . », « _ » ou « - » (40 au plus) entre les « / »`,
      )
    else if (codes.length > ctx.levels.length)
      err('path', `${codes.length} niveaux : ${ctx.levels.length} configurés (${ctx.levels.join(' → ')})`)
    else if (seen.has(path)) err('path', `emplacement ${path} déjà décrit ligne ${seen.get(path)}`)
    else if (ctx.existing.has(path)) err('path', `l’emplacement ${path} existe déjà`)
    const pathOk = errors.length === before
    if (path !== '' && !seen.has(path)) seen.set(path, row)
    const shelf = codes.length - 1 === last
    const lengthText = v('length_m').replace(',', '.')
    let lengthMm: number | null = null
    if (lengthText !== '') {
      const n = /^\d+(\.\d+)?$/.test(lengthText) ? Number(lengthText) : NaN
      if (!Number.isFinite(n) || n <= 0 || n > 1000)
        err(
          'length_m',
          `longueur en mètres strictement positive et au plus 1000 attendue : « ${v('length_m')} »`,
        )
      else if (!shelf && pathOk) err('length_m', `seules les ${ctx.levels[last]}s ont une longueur`)
      else lengthMm = Math.round(n * 1000)
    } else if (shelf && pathOk)
      err('length_m', `longueur obligatoire pour une ${ctx.levels[last]} (mètres linéaires)`)
    const bool = (c: LocationColumn): boolean => {
      const x = v(c).toLowerCase()
      if (TRUE.has(x)) return true
      if (!FALSE.has(x)) err(c, `booléen attendu (oui/non, true/false, 1/0) : « ${v(c)} »`)
      return false
    }
    const name = v('name')
    if (name.length > 200) err('name', 'plus de 200 caractères')
    const flags = {
      fireRated: bool('fire_rated'),
      climateControlled: bool('climate_controlled'),
      reserved: bool('reserved'),
      blocked: bool('blocked'),
    }
    if (errors.length === before)
      rows.push({ row, path, codes, name: name === '' ? null : name, lengthMm, ...flags })
  })
  return { rows, errors: errors.sort((a, b) => a.row - b.row) }
}
