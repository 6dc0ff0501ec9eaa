import { guessWrongSeparator, readCsv, type CsvRecord } from './csv.js'
import { Issues } from './issues.js'
import { containsHtml, decodeReferentialText, HTML_MESSAGE } from './text.js'

/** Most rows accepted in one referential CSV. */
export const MAX_CSV_ROWS = 100_000

export interface CsvRow {
  readonly line: number
  /** Trimmed values by column name. */
  readonly values: ReadonlyMap<string, string>
}

/**
 * Decodes and reads a Vitam referential CSV with a header line, and checks what is common to all of
 * them: encoding, quoting, the header (required columns, unknown, unnamed or repeated columns, wrong
 * separator), empty lines, the number of values on each line, HTML anywhere. Rows with the wrong number
 * of values are reported and not returned (their values cannot be trusted).
 */
export function readCsvTable(
  bytes: Uint8Array,
  spec: { readonly required: readonly string[]; readonly allowExtra: boolean; readonly noEntries: string },
): { issues: Issues; header: readonly string[]; rows: CsvRow[] } {
  const decoded = decodeReferentialText(bytes, 'CSV')
  if (!decoded.ok) return { issues: decoded.issues, header: [], rows: [] }
  const issues = new Issues()
  const records = readCsv(decoded.text, issues)
  const head: CsvRecord | undefined = records[0]
  if (!head || head.blank) {
    issues.add({
      line: head?.line ?? 1,
      code: 'CSV_HEADER_MISSING',
      message: `La première ligne doit être l’en-tête : ${spec.required.join(',')}`,
    })
    return { issues, header: [], rows: [] }
  }
  const header = head.fields.map((h) => h.trim())
  const wrongSep = guessWrongSeparator(head.fields)
  if (wrongSep) {
    issues.add({
      line: head.line,
      code: 'CSV_WRONG_SEPARATOR',
      message: `Séparateur incorrect : l’en-tête est séparé par ${wrongSep}, la virgule est attendue (${spec.required.join(',')})`,
    })
    return { issues, header: [], rows: [] }
  }
  let headerOk = true
  const seen = new Map<string, number>()
  header.forEach((h, idx) => {
    const column = idx + 1
    if (containsHtml(h)) {
      issues.add({
        line: head.line,
        column,
        code: 'HTML_FORBIDDEN',
        message: `${HTML_MESSAGE} dans l’en-tête`,
      })
      headerOk = false
    } else if (h === '') {
      issues.add({
        line: head.line,
        column,
        code: 'CSV_UNNAMED_COLUMN',
        message: `La colonne ${column} de l’en-tête n’a pas de nom`,
      })
      headerOk = false
    } else if (seen.has(h)) {
      issues.add({
        line: head.line,
        column,
        field: h,
        code: 'CSV_DUPLICATE_COLUMN',
        message: `La colonne « ${h} » figure deux fois dans l’en-tête (colonnes ${seen.get(h)} et ${column})`,
      })
      headerOk = false
    } else if (!spec.allowExtra && !spec.required.includes(h)) {
      issues.add({
        line: head.line,
        column,
        field: h,
        code: 'CSV_UNKNOWN_COLUMN',
        message: `Colonne inconnue « ${h} » : les colonnes attendues sont ${spec.required.join(',')}`,
      })
      headerOk = false
    }
    if (h !== '' && !seen.has(h)) seen.set(h, column)
  })
  for (const r of spec.required) {
    if (!seen.has(r)) {
      const near = header.find((h) => h.toLowerCase() === r.toLowerCase())
      issues.add({
        line: head.line,
        field: r,
        code: 'CSV_MISSING_COLUMN',
        message: `Colonne obligatoire « ${r} » absente de l’en-tête${near ? ` (« ${near} » : la casse compte)` : ''}`,
      })
      headerOk = false
    }
  }
  if (!headerOk) return { issues, header, rows: [] }

  const rows: CsvRow[] = []
  const data = records.slice(1)
  if (data.length === 0 || data.every((r) => r.blank)) {
    issues.add({ line: head.line, code: 'NO_ENTRIES', message: spec.noEntries })
  }
  if (data.length > MAX_CSV_ROWS) {
    issues.add({
      line: data[MAX_CSV_ROWS]!.line,
      code: 'FILE_TOO_LARGE',
      message: `Trop de lignes : ${MAX_CSV_ROWS} au plus`,
    })
    return { issues, header, rows: [] }
  }
  for (const rec of data) {
    if (rec.blank) {
      issues.add({ line: rec.line, code: 'CSV_EMPTY_LINE', message: 'Ligne vide : supprimez-la' })
      continue
    }
    if (rec.fields.length !== header.length) {
      const n = rec.fields.length
      const sep = n < header.length ? guessWrongSeparator([rec.fields.join('')]) : null
      issues.add({
        line: rec.line,
        code: 'CSV_COLUMN_COUNT',
        message:
          `${n} valeur${n > 1 ? 's' : ''} au lieu de ${header.length}` +
          (n > header.length
            ? ' : virgule en trop, ou valeur contenant une virgule sans guillemets'
            : sep
              ? ` : valeur manquante, ou ligne séparée par ${sep} au lieu de la virgule`
              : ' : valeur manquante'),
      })
      continue
    }
    const values = new Map<string, string>()
    rec.fields.forEach((raw, idx) => {
      const col = header[idx]!
      if (containsHtml(raw)) {
        issues.add({
          line: rec.line,
          column: idx + 1,
          field: col,
          code: 'HTML_FORBIDDEN',
          message: `${HTML_MESSAGE} dans « ${col} »`,
        })
      }
      values.set(col, raw.trim())
    })
    rows.push({ line: rec.line, values })
  }
  return { issues, header, rows }
}
