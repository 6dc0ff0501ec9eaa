import type { Issues } from './issues.js'

/** Longest value accepted in one CSV field (a rule description is a few hundred characters). */
export const MAX_CSV_FIELD_LENGTH = 8192

export interface CsvRecord {
  /** Line of the file where the record starts (1-based). */
  readonly line: number
  readonly fields: readonly string[]
  /** True for an empty line (no character at all, or only spaces). */
  readonly blank: boolean
}

/**
 * RFC 4180 reader with Vitam's CSV dialect: comma separator, `"` quoting with `""` escapes, quoted
 * values spanning several lines, CRLF, LF or CR line ends. It keeps the line where every record starts,
 * and reports (without stopping) text after a closing quote and over-long values; an unclosed quote
 * ends the reading, since nothing after it can be trusted.
 */
export function readCsv(text: string, issues: Issues): CsvRecord[] {
  const records: CsvRecord[] = []
  const n = text.length
  let i = 0
  let line = 1
  while (i < n) {
    const startLine = line
    const fields: string[] = []
    let blank = true
    let endOfRecord = false
    while (!endOfRecord) {
      const fieldLine = line
      const fieldIndex = fields.length + 1
      let value: string
      if (text.charCodeAt(i) === 0x22 /* " */) {
        blank = false
        const openLine = line
        i += 1
        let out = ''
        let closed = false
        let chunkStart = i
        while (i < n) {
          const c = text.charCodeAt(i)
          if (c === 0x22) {
            if (text.charCodeAt(i + 1) === 0x22) {
              out += text.slice(chunkStart, i + 1)
              i += 2
              chunkStart = i
              continue
            }
            out += text.slice(chunkStart, i)
            i += 1
            closed = true
            break
          }
          if (c === 0x0a) line += 1
          else if (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a) line += 1
          i += 1
        }
        if (!closed) {
          issues.add({
            line: openLine,
            column: fieldIndex,
            code: 'CSV_UNCLOSED_QUOTE',
            message: `Guillemet ouvert dans la colonne ${fieldIndex} et jamais refermé : la fin du fichier n’a pas pu être lue`,
          })
          return records
        }
        value = out
        // Only a separator or the end of the line may follow a closing quote.
        const after = i
        while (i < n && !isSeparatorOrEol(text.charCodeAt(i))) i += 1
        if (i > after) {
          issues.add({
            line,
            column: fieldIndex,
            code: 'CSV_INVALID_QUOTE',
            message: `Texte après le guillemet fermant de la colonne ${fieldIndex} (« ${text.slice(after, Math.min(i, after + 30))} ») : un guillemet dans une valeur s’écrit ""`,
          })
          value += text.slice(after, i)
        }
      } else {
        const start = i
        while (i < n && !isSeparatorOrEol(text.charCodeAt(i))) i += 1
        value = text.slice(start, i)
        if (value.trim() !== '') blank = false
      }
      if (value.length > MAX_CSV_FIELD_LENGTH) {
        issues.add({
          line: fieldLine,
          column: fieldIndex,
          code: 'FIELD_TOO_LONG',
          message: `Valeur de ${value.length} caractères dans la colonne ${fieldIndex} : ${MAX_CSV_FIELD_LENGTH} au plus`,
        })
        value = value.slice(0, MAX_CSV_FIELD_LENGTH)
      }
      fields.push(value)
      if (i >= n) {
        endOfRecord = true
      } else {
        const c = text.charCodeAt(i)
        if (c === 0x2c /* , */) {
          blank = false
          i += 1
          if (i >= n) {
            fields.push('')
            endOfRecord = true
          }
        } else {
          // end of line
          i += c === 0x0d && text.charCodeAt(i + 1) === 0x0a ? 2 : 1
          line += 1
          endOfRecord = true
        }
      }
    }
    records.push({ line: startLine, fields, blank })
  }
  return records
}

function isSeparatorOrEol(c: number): boolean {
  return c === 0x2c || c === 0x0a || c === 0x0d
}

/** A single-column header holding another usual separator: the file was saved with the wrong one. */
export function guessWrongSeparator(headerFields: readonly string[]): string | null {
  if (headerFields.length !== 1) return null
  const h = headerFields[0] ?? ''
  for (const [sep, label] of [
    [';', 'point-virgule (;)'],
    ['\t', 'tabulation'],
    ['|', 'barre verticale (|)'],
    ['/', 'barre oblique (/)'],
  ] as const) {
    if (h.includes(sep)) return label
  }
  return null
}
