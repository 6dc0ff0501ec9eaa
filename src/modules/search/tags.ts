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

// ── lifecycle tags (rules module's unit_lifecycle, read at index time) ─────────────────────────────
// Final action `qf<hex>` (`qfnone`: none or no row); communicability status `qcs<hex>` (`qcsnone`: no
// row) and `communicable_from` as century / decade / year / month / day (`qcc19 qcd198 qcy1987
// qcm198703 qcx19870312`); the appraisal end likewise (`qac… qax…`, `qanone`). A date that is not
// YYYY-MM-DD gets `qcbad` / `qabad` only (no range ever matches it; the rules module writes ISO dates).
// A range is covered exactly by the fewest such tokens, so these tags replace the SQL predicates — but
// only while no unit of the tenant is stale (unit_search_stale: lifecycle rewritten since indexing).

export interface LifeSource {
  readonly finalAction: string | null
  readonly communicability: string | null
  readonly communicableFrom: string | null
  readonly appraisalEnd: string | null
}

export const lifeTag = {
  finalAction: (a: string | null) => (a === null ? 'qfnone' : `qf${hex(a)}`),
  status: (s: string | null) => (s === null ? 'qcsnone' : `qcs${hex(s)}`),
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})$/
const p2 = (n: number) => String(n).padStart(2, '0')
const p4 = (n: number) => String(n).padStart(4, '0')
const lastDay = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate()

function dateTokens(p: string, d: string | null): string[] {
  if (d === null) return [`${p}none`]
  const m = ISO.exec(d)
  if (!m) return [`${p}bad`]
  const [y, mo, dd] = [Number(m[1]), Number(m[2]), Number(m[3])]
  return [
    `${p}c${Math.floor(y / 100)}`,
    `${p}d${Math.floor(y / 10)}`,
    `${p}y${y}`,
    `${p}m${p4(y)}${p2(mo)}`,
    `${p}x${p4(y)}${p2(mo)}${p2(dd)}`,
  ]
}

/** Lifecycle tokens of a unit (`life` undefined: no unit_lifecycle row). */
export function lifeTagsOf(life: LifeSource | undefined): string {
  if (!life) return [lifeTag.finalAction(null), lifeTag.status(null), 'qanone'].join(' ')
  return [
    lifeTag.finalAction(life.finalAction),
    lifeTag.status(life.communicability),
    ...(life.communicability === 'date' ? dateTokens('qc', life.communicableFrom) : []),
    ...dateTokens('qa', life.appraisalEnd),
  ].join(' ')
}

function yearsCover(p: string, lo: number, hi: number, out: string[]): void {
  let y = lo
  while (y <= hi) {
    if (y % 100 === 0 && y + 99 <= hi) {
      out.push(`${p}c${y / 100}`)
      y += 100
    } else if (y % 10 === 0 && y + 9 <= hi) {
      out.push(`${p}d${y / 10}`)
      y += 10
    } else {
      out.push(`${p}y${y}`)
      y++
    }
  }
}

function monthPart(p: string, y: number, m: number, d1: number, d2: number, out: string[]): void {
  if (d1 === 1 && d2 === lastDay(y, m)) out.push(`${p}m${p4(y)}${p2(m)}`)
  else for (let d = d1; d <= d2; d++) out.push(`${p}x${p4(y)}${p2(m)}${p2(d)}`)
}

function yearPart(p: string, y: number, m1: number, d1: number, m2: number, d2: number, out: string[]): void {
  if (m1 === 1 && d1 === 1 && m2 === 12 && d2 === 31) {
    out.push(`${p}y${y}`)
    return
  }
  if (m1 === m2) {
    monthPart(p, y, m1, d1, d2, out)
    return
  }
  monthPart(p, y, m1, d1, lastDay(y, m1), out)
  for (let m = m1 + 1; m < m2; m++) out.push(`${p}m${p4(y)}${p2(m)}`)
  monthPart(p, y, m2, 1, d2, out)
}

/** The fewest tokens covering exactly the days lo..hi (ISO, inclusive). */
export function dayCover(p: string, lo: string, hi: string): string[] {
  const a = ISO.exec(lo)
  const b = ISO.exec(hi)
  const out: string[] = []
  if (!a || !b || lo > hi) return out
  const [ly, lm, ld] = [Number(a[1]), Number(a[2]), Number(a[3])]
  const [hy, hm, hd] = [Number(b[1]), Number(b[2]), Number(b[3])]
  if (ly === hy) {
    yearPart(p, ly, lm, ld, hm, hd, out)
    return out
  }
  let y0 = ly
  let y1 = hy
  if (lm !== 1 || ld !== 1) {
    yearPart(p, ly, lm, ld, 12, 31, out)
    y0 = ly + 1
  }
  if (hm !== 12 || hd !== 31) {
    yearPart(p, hy, 1, 1, hm, hd, out)
    y1 = hy - 1
  }
  yearsCover(p, y0, y1, out)
  return out
}

/** Tags of exactly the units whose appraisal end is in [from, to]. */
export function appraisalTags(from: string | undefined, to: string | undefined): string[] {
  return dayCover('qa', from ?? '0000-01-01', to ?? '9999-12-31')
}

/** Tags of exactly the units communicable on `at`: immediate, or a date up to `at`. */
export function communicableTags(at: string): string[] {
  return [lifeTag.status('immediate'), ...dayCover('qc', '0000-01-01', at)]
}
