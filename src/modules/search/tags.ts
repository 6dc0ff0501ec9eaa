/**
 * Filter tags of the SQLite text index (docs/search.md §1): the indexed filter values of a unit written
 * as tokens of the FTS5 column `tags`, so that FTS5 intersects them with the words before any join.
 * Tokens are lower-case letters and digits only (the `unicode61` tokenizer splits on anything else):
 * a two-letter kind prefix, then the value (hex-encoded when it is free text, so that no two values
 * share a token and the tag is exact).
 *
 *   tt<hex tenant>  tp<hex producer>  tl<hex level>  tkd / tkp (digital / physical object)
 *   tf<hex PUID>    td<decade> (1987 → td198) for each decade the dates cover, or tdw past MAX_DECADES
 *   tc<century> (1987 → tc19) for each century covered; tdw + tcw when a date cannot be read
 *
 * Producer, level, kind and format tags are exact (the SQL predicate is dropped when the tag is used);
 * date tags are a superset (the exact overlap test stays in SQL on the reduced set).
 */

/** Units whose dates cover more decades than this get `tdw` instead of decade tags. */
export const MAX_DECADES = 30

const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex')

export const tag = {
  tenant: (t: string) => `tt${hex(t)}`,
  producer: (p: string) => `tp${hex(p)}`,
  level: (l: string) => `tl${hex(l)}`,
  digital: 'tkd',
  physical: 'tkp',
  format: (p: string) => `tf${hex(p)}`,
  decade: (d: number) => `td${d}`,
  century: (c: number) => `tc${c}`,
  wideDecades: 'tdw',
  wideCenturies: 'tcw',
}

export interface TagSource {
  readonly tenantId: string
  readonly producer: string | null
  readonly level: string | null
  readonly startDate: string | null
  readonly endDate: string | null
  readonly hasDigital: boolean
  readonly hasPhysical: boolean
  readonly formats: readonly string[]
}

function year(d: string | null): number | null {
  if (d === null) return null
  const m = /^(\d{4})/.exec(d)
  return m ? Number(m[1]) : null
}

/** The `tags` column of a unit: space-separated tokens. */
export function tagsOf(u: TagSource): string {
  const out = [tag.tenant(u.tenantId)]
  if (u.producer !== null) out.push(tag.producer(u.producer))
  if (u.level !== null) out.push(tag.level(u.level))
  if (u.hasDigital) out.push(tag.digital)
  if (u.hasPhysical) out.push(tag.physical)
  for (const p of new Set(u.formats)) out.push(tag.format(p))
  const s = u.startDate ?? u.endDate
  const e = u.endDate ?? u.startDate
  if (s !== null && e !== null) {
    const a = year(s)
    const b = year(e)
    if (a === null || b === null) {
      out.push(tag.wideDecades, tag.wideCenturies)
    } else {
      const lo = Math.min(a, b)
      const hi = Math.max(a, b)
      const d0 = Math.floor(lo / 10)
      const d1 = Math.floor(hi / 10)
      if (d1 - d0 + 1 > MAX_DECADES) out.push(tag.wideDecades)
      else for (let d = d0; d <= d1; d++) out.push(tag.decade(d))
      for (let c = Math.floor(lo / 100); c <= Math.floor(hi / 100); c++) out.push(tag.century(c))
    }
  }
  return out.join(' ')
}

/**
 * Tags a unit must have one of to overlap the closed year range [from, to] (a superset: the exact test
 * stays in SQL). Undefined when the range is open (no useful tag).
 */
export function dateTags(from: string | undefined, to: string | undefined): string[] | undefined {
  const a = year(from ?? null)
  const b = year(to ?? null)
  if (a === null || b === null) return undefined
  const d0 = Math.floor(a / 10)
  const d1 = Math.floor(b / 10)
  if (d1 - d0 + 1 <= MAX_DECADES) {
    const out = [tag.wideDecades]
    for (let d = d0; d <= d1; d++) out.push(tag.decade(d))
    return out
  }
  const out = [tag.wideCenturies]
  for (let c = Math.floor(a / 100); c <= Math.floor(b / 100); c++) out.push(tag.century(c))
  return out
}
