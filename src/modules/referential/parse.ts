import { parseAgenciesCsv, type ParsedAgency } from './agencies.parser.js'
import type { Parsed } from './issues.js'
import { parseJsonReferential, type ParsedJsonEntry } from './json-referentials.parser.js'
import type { JsonReferentialKind, ReferentialKind } from './referential.types.js'
import { parseRulesCsv, type ParsedRule } from './rules.parser.js'

export type ParsedFile =
  | { readonly kind: 'rules'; readonly entries: readonly ParsedRule[] }
  | { readonly kind: 'agencies'; readonly entries: readonly ParsedAgency[] }
  | { readonly kind: JsonReferentialKind; readonly entries: readonly ParsedJsonEntry[] }

/** Parses and validates a referential file of the given kind, with no database access. */
export function parseReferentialFile(kind: ReferentialKind, bytes: Uint8Array): Parsed<ParsedFile> {
  if (kind === 'rules') {
    const r = parseRulesCsv(bytes)
    return r.ok ? { ok: true, value: { kind, entries: r.value } } : r
  }
  if (kind === 'agencies') {
    const r = parseAgenciesCsv(bytes)
    return r.ok ? { ok: true, value: { kind, entries: r.value } } : r
  }
  const r = parseJsonReferential(kind, bytes)
  return r.ok ? { ok: true, value: { kind, entries: r.value } } : r
}
