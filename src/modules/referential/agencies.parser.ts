import { readCsvTable } from './csv-table.js'
import { IDENTIFIER, IDENTIFIER_MESSAGE } from './fields.js'
import { failed, type Parsed } from './issues.js'

export const AGENCY_COLUMNS = ['Identifier', 'Name', 'Description'] as const

export interface ParsedAgency {
  readonly line: number
  readonly identifier: string
  readonly name: string
  readonly description: string | null
  /** Values of the additional columns (Vitam's EAC-CPF fields such as EntityType, FromDate…), when not empty. */
  readonly extra: Readonly<Record<string, string>>
}

/**
 * Parses and validates a Vitam agencies CSV (`Identifier,Name,Description`). As in Vitam, additional
 * columns are accepted and kept; Identifier and Name are required on every line, Identifier is unique.
 */
export function parseAgenciesCsv(bytes: Uint8Array): Parsed<ParsedAgency[]> {
  const { issues, header, rows } = readCsvTable(bytes, {
    required: AGENCY_COLUMNS,
    allowExtra: true,
    noEntries: 'Le fichier ne contient aucun service agent',
  })
  const col = (name: string) => header.indexOf(name) + 1
  const out: ParsedAgency[] = []
  const firstLine = new Map<string, number>()
  for (const row of rows) {
    const v = (name: string) => row.values.get(name) ?? ''
    const err = (field: string, code: string, message: string) =>
      issues.add({ line: row.line, column: col(field), field, code, message })
    let ok = true
    const identifier = v('Identifier')
    if (identifier === '') {
      err('Identifier', 'FIELD_REQUIRED', 'Identifier obligatoire : le service agent n’a pas d’identifiant')
      ok = false
    } else if (!IDENTIFIER.test(identifier)) {
      err('Identifier', 'IDENTIFIER_INVALID', `Identifier « ${identifier} » : ${IDENTIFIER_MESSAGE}`)
      ok = false
    } else if (firstLine.has(identifier)) {
      err(
        'Identifier',
        'DUPLICATE_IDENTIFIER',
        `Identifier « ${identifier} » en double (déjà défini ligne ${firstLine.get(identifier)})`,
      )
      ok = false
    } else {
      firstLine.set(identifier, row.line)
    }
    const name = v('Name')
    if (name === '') {
      err(
        'Name',
        'FIELD_REQUIRED',
        `Name obligatoire : le service agent ${identifier || ''} n’a pas de nom`.replace('  ', ' '),
      )
      ok = false
    }
    if (ok) {
      const extra: Record<string, string> = {}
      for (const h of header) {
        if ((AGENCY_COLUMNS as readonly string[]).includes(h)) continue
        const x = v(h)
        if (x !== '') extra[h] = x
      }
      const description = v('Description')
      out.push({
        line: row.line,
        identifier,
        name,
        description: description === '' ? null : description,
        extra,
      })
    }
  }
  return issues.empty ? { ok: true, value: out } : failed(issues)
}
