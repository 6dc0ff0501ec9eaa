import { normaliseDate } from '../ingest/index.js'
import { FORM_COLUMNS, type FormColumn } from './physical.types.js'

/**
 * The physical transfer form (bordereau de versement): one row per file (dossier) or per box, in CSV
 * (header row, `,` or `;` separator, RFC 4180 quoting) or as JSON rows with the same keys.
 * docs/physical.md lists the columns (FORM_COLUMNS, in physical.types.ts, shared with the web application).
 */
export { FORM_COLUMNS, type FormColumn }
export const REQUIRED_COLUMNS: readonly FormColumn[] = ['box_barcode', 'title']
export const MAX_FORM_ROWS = 10_000
const MAX_FIELD = 4000

export const DESCRIPTION_LEVELS = [
  'Fonds',
  'Subfonds',
  'Class',
  'Collection',
  'Series',
  'Subseries',
  'RecordGrp',
  'SubGrp',
  'File',
  'Item',
  'OtherLevel',
]

/** One error of the form: the data row (1-based), the file line for CSV, the column, what is wrong. */
export interface FormError {
  readonly row: number
  readonly line?: number
  readonly column: string
  readonly message: string
}

export interface RawRow {
  readonly row: number
  readonly line?: number
  readonly values: Partial<Record<FormColumn, string>>
}

export interface FormRow {
  readonly row: number
  readonly boxBarcode: string
  readonly cote: string | null
  readonly title: string
  readonly startDate: string | null
  readonly endDate: string | null
  readonly producer: string | null
  readonly descriptionLevel: string
  readonly appraisalRule: string | null
  readonly appraisalStartDate: string | null
  readonly finalAction: 'Keep' | 'Destroy' | null
  readonly accessRule: string | null
  readonly accessStartDate: string | null
  readonly boxType: string | null
  readonly description: string | null
}

/** What the checks need to know of the tenant. */
export interface FormContext {
  readonly rules: ReadonlyMap<string, string> // rule id → rule type
  readonly agencies: ReadonlySet<string>
  readonly boxTypes: ReadonlySet<string>
  /** Barcodes already used by a box of the tenant. */
  readonly existingBarcodes: ReadonlySet<string>
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/
export const BARCODE_RE = /^[\x21-\x7e]{1,64}$/

/** RFC 4180 records with the line each starts on; `sep` is the separator. */
export function parseCsv(
  text: string,
  sep: string,
): { line: number; fields: string[] }[] | { error: string; line: number } {
  const out: { line: number; fields: string[] }[] = []
  let i = 0
  let line = 1
  const n = text.length
  while (i < n) {
    const start = line
    const fields: string[] = []
    for (;;) {
      let v = ''
      if (text[i] === '"') {
        i++
        const open = line
        for (;;) {
          if (i >= n) return { error: 'guillemet ouvrant sans guillemet fermant', line: open }
          const ch = text[i]!
          if (ch === '"') {
            if (text[i + 1] === '"') {
              v += '"'
              i += 2
              continue
            }
            i++
            break
          }
          if (ch === '\n') line++
          v += ch
          i++
        }
        while (i < n && text[i] !== sep && text[i] !== '\n' && text[i] !== '\r') {
          if (text[i] !== ' ') return { error: 'texte après un guillemet fermant', line }
          i++
        }
      } else {
        while (i < n && text[i] !== sep && text[i] !== '\n' && text[i] !== '\r') v += text[i++]
      }
      fields.push(v)
      if (i < n && text[i] === sep) {
        i++
        continue
      }
      if (text[i] === '\r') i++
      if (text[i] === '\n') i++
      line++
      break
    }
    if (!(fields.length === 1 && fields[0]!.trim() === '')) out.push({ line: start, fields })
  }
  return out
}

/** CSV text → raw rows, or the errors of its structure (header, field counts). */
export function csvRows(text: string): { rows: RawRow[]; errors: FormError[] } {
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
  const cols: (FormColumn | null)[] = header.map((h) =>
    (FORM_COLUMNS as readonly string[]).includes(h) ? (h as FormColumn) : null,
  )
  header.forEach((h, k) => {
    if (cols[k] === null)
      errors.push({ row: 0, line: 1, column: h || `#${k + 1}`, message: `colonne inconnue « ${h} »` })
    else if (header.indexOf(h) !== k)
      errors.push({ row: 0, line: 1, column: h, message: 'colonne en double' })
  })
  for (const req of REQUIRED_COLUMNS)
    if (!header.includes(req))
      errors.push({ row: 0, line: 1, column: req, message: 'colonne obligatoire absente' })
  if (parsed.length - 1 > MAX_FORM_ROWS)
    errors.push({ row: 0, line: 1, column: '', message: `plus de ${MAX_FORM_ROWS} lignes` })
  if (errors.length > 0) return { rows: [], errors }
  const rows: RawRow[] = []
  parsed.slice(1).forEach((rec, k) => {
    const row = k + 1
    if (rec.fields.length !== header.length) {
      errors.push({
        row,
        line: rec.line,
        column: '',
        message: `${rec.fields.length} champs au lieu de ${header.length}`,
      })
      return
    }
    const values: Partial<Record<FormColumn, string>> = {}
    rec.fields.forEach((f, j) => (values[cols[j]!] = f))
    rows.push({ row, line: rec.line, values })
  })
  if (rows.length === 0 && errors.length === 0)
    errors.push({ row: 0, line: 1, column: '', message: 'aucune ligne de données' })
  return { rows, errors }
}

/** JSON rows (`{ rows: [ { box_barcode, title, … } ] }` or the array itself) → raw rows, or errors. */
export function jsonRows(input: unknown): { rows: RawRow[]; errors: FormError[] } {
  const list = Array.isArray(input) ? input : (input as { rows?: unknown } | null)?.rows
  if (!Array.isArray(list) || list.length === 0)
    return { rows: [], errors: [{ row: 0, column: 'rows', message: 'tableau de lignes non vide attendu' }] }
  if (list.length > MAX_FORM_ROWS)
    return { rows: [], errors: [{ row: 0, column: 'rows', message: `plus de ${MAX_FORM_ROWS} lignes` }] }
  const errors: FormError[] = []
  const rows: RawRow[] = []
  list.forEach((item, k) => {
    const row = k + 1
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      errors.push({ row, column: '', message: 'objet attendu' })
      return
    }
    const values: Partial<Record<FormColumn, string>> = {}
    for (const [key, v] of Object.entries(item as Record<string, unknown>)) {
      if (!(FORM_COLUMNS as readonly string[]).includes(key)) {
        errors.push({ row, column: key, message: `colonne inconnue « ${key} »` })
        continue
      }
      if (v === null || v === undefined) continue
      if (typeof v !== 'string' && typeof v !== 'number') {
        errors.push({ row, column: key, message: 'texte attendu' })
        continue
      }
      values[key as FormColumn] = String(v)
    }
    rows.push({ row, values })
  })
  return { rows, errors }
}

/** Checks every row against the tenant's referentials; returns the rows and every error. */
export function checkRows(
  raw: readonly RawRow[],
  ctx: FormContext,
): { rows: FormRow[]; errors: FormError[] } {
  const errors: FormError[] = []
  const rows: FormRow[] = []
  const boxTypeOf = new Map<string, { type: string; row: number }>()
  for (const r of raw) {
    const err = (column: FormColumn, message: string) =>
      errors.push({ row: r.row, ...(r.line !== undefined ? { line: r.line } : {}), column, message })
    const get = (c: FormColumn): string | null => {
      const v = r.values[c]
      if (v === undefined) return null
      if (v.length > MAX_FIELD) {
        err(c, `plus de ${MAX_FIELD} caractères`)
        return null
      }
      if (CONTROL.test(v)) {
        err(c, 'caractère de contrôle interdit')
        return null
      }
      const t = v.trim()
      return t === '' ? null : t
    }
    const date = (c: FormColumn): string | null => {
      const v = get(c)
      if (v === null) return null
      const d = normaliseDate(v)
      if ('error' in d) {
        err(c, d.error)
        return null
      }
      return d.iso.slice(0, 10)
    }
    const barcode = get('box_barcode')
    if (barcode === null) err('box_barcode', 'code-barres de la boîte obligatoire')
    else if (!BARCODE_RE.test(barcode))
      err(
        'box_barcode',
        `code-barres « ${barcode} » invalide (1 à 64 caractères ASCII imprimables, sans espace)`,
      )
    else if (ctx.existingBarcodes.has(barcode))
      err('box_barcode', `code-barres « ${barcode} » déjà utilisé par une boîte`)
    const title = get('title')
    if (title === null) err('title', 'intitulé obligatoire')
    const startDate = date('start_date')
    const endDate = date('end_date')
    if (startDate && endDate && endDate < startDate)
      err('end_date', `date de fin ${endDate} antérieure à la date de début ${startDate}`)
    const producer = get('producer')
    if (producer !== null && !ctx.agencies.has(producer))
      err('producer', `service producteur « ${producer} » inconnu du référentiel`)
    const level = get('description_level') ?? 'File'
    if (!DESCRIPTION_LEVELS.includes(level))
      err('description_level', `niveau « ${level} » inconnu (${DESCRIPTION_LEVELS.join(', ')})`)
    const rule = (c: FormColumn, type: string): string | null => {
      const v = get(c)
      if (v === null) return null
      const t = ctx.rules.get(v)
      if (t === undefined) err(c, `règle « ${v} » inconnue du référentiel`)
      else if (t !== type) err(c, `la règle « ${v} » est une ${t}, pas une ${type}`)
      return v
    }
    const appraisalRule = rule('appraisal_rule', 'AppraisalRule')
    const appraisalStartDate = date('appraisal_start_date')
    const faRaw = get('final_action')
    let finalAction: 'Keep' | 'Destroy' | null = null
    if (faRaw !== null) {
      const f = faRaw.toLowerCase()
      if (f === 'keep' || f === 'conserver' || f === 'c') finalAction = 'Keep'
      else if (f === 'destroy' || f === 'détruire' || f === 'detruire' || f === 'd') finalAction = 'Destroy'
      else err('final_action', `sort final « ${faRaw} » inconnu (Keep ou Destroy)`)
    } else if (appraisalRule !== null) err('final_action', 'sort final obligatoire avec une règle de DUA')
    if (appraisalStartDate !== null && appraisalRule === null)
      err('appraisal_start_date', 'date de départ sans règle de DUA')
    const accessRule = rule('access_rule', 'AccessRule')
    const accessStartDate = date('access_start_date')
    if (accessStartDate !== null && accessRule === null)
      err('access_start_date', 'date de départ sans règle de communicabilité')
    const boxType = get('box_type')
    if (boxType !== null && !ctx.boxTypes.has(boxType))
      err('box_type', `type de boîte « ${boxType} » inconnu`)
    if (barcode !== null && boxType !== null) {
      const prev = boxTypeOf.get(barcode)
      if (prev && prev.type !== boxType)
        err('box_type', `la boîte ${barcode} a le type « ${prev.type} » à la ligne ${prev.row}`)
      else if (!prev) boxTypeOf.set(barcode, { type: boxType, row: r.row })
    }
    const description = get('description')
    rows.push({
      row: r.row,
      boxBarcode: barcode ?? '',
      cote: get('cote'),
      title: title ?? '',
      startDate,
      endDate,
      producer,
      descriptionLevel: level,
      appraisalRule,
      appraisalStartDate,
      finalAction,
      accessRule,
      accessStartDate,
      boxType,
      description,
    })
  }
  return { rows, errors }
}
