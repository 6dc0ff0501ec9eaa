/**
 * Text normalisation shared by indexing and querying on SQLite: accents and case folded, ligatures
 * expanded, words split on anything that is not a letter or a digit, and French plurals folded
 * (« délibérations » → « deliberation », « journaux » → « journal »). This is not a stemmer: FTS5 has
 * none for French and no maintained package is installed (docs/search.md §3).
 */

const LIGATURES: Record<string, string> = { œ: 'oe', æ: 'ae', ß: 'ss', ø: 'o', đ: 'd', ł: 'l' }

/** Lower case, no diacritics, ligatures expanded. */
export function fold(s: string): string {
  return s
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .replace(/[œæßøđł]/g, (c) => LIGATURES[c] ?? c)
}

/** Folds a French plural to its singular (words of more than three letters only). */
export function singular(w: string): string {
  if (w.length <= 3 || /\d/.test(w)) return w
  if (w.endsWith('aux') && w.length > 4) return `${w.slice(0, -3)}al`
  if (/(?:eu|au|ou)x$/.test(w)) return w.slice(0, -1)
  if (w.endsWith('s') && !w.endsWith('ss')) return w.slice(0, -1)
  return w
}

/** The folded words of a text, in order. */
export function words(s: string): string[] {
  return fold(s).match(/[\p{L}\p{N}]+/gu) ?? []
}

/** The text as stored in the SQLite full-text index: folded words, plurals folded. */
export function indexText(s: string): string {
  return words(s).map(singular).join(' ')
}

/** Every string value of a JSON document (keys are not indexed), depth-first. */
export function stringsOf(v: unknown, out: string[] = [], depth = 0): string[] {
  if (depth > 32) return out
  if (typeof v === 'string') out.push(v)
  else if (typeof v === 'number') out.push(String(v))
  else if (Array.isArray(v)) for (const x of v) stringsOf(x, out, depth + 1)
  else if (v && typeof v === 'object') for (const x of Object.values(v)) stringsOf(x, out, depth + 1)
  return out
}

/** A sort key for titles: folded, trimmed, at most 200 characters. */
export function titleKey(title: string): string {
  return fold(title).replace(/\s+/g, ' ').trim().slice(0, 200)
}

/** Longest body indexed per unit (characters). */
export const MAX_BODY = 200_000

/** The indexed body of a unit: every string of its descriptive metadata but the title, in order. */
export function bodyOf(title: string, content: unknown): string {
  return stringsOf(content)
    .filter((s) => s !== title)
    .join(' \n')
    .slice(0, MAX_BODY)
}
