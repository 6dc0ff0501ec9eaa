/**
 * Pure checks on descriptive and management metadata, used by the ingest's unit steps
 * (CHECK_UNIT_SCHEMA, UNITS_RULES_COMPUTE) and reusable by later metadata updates.
 */

/** A date as SEDA producers write it: YYYY, YYYY-MM, YYYY-MM-DD, or a date-time (with or without zone). */
const DATE_RE =
  /^(-?\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?$/

/** Vitam refuses dates at or after the year 9000 (its indexes cannot hold them); so do we. */
export const MAX_YEAR = 8999

export interface NormalisedDate {
  /** ISO-8601: YYYY-MM-DD for dates, full date-time in UTC for date-times. */
  readonly iso: string
  /** The earliest instant the value denotes, for comparisons. */
  readonly start: string
  readonly precision: 'year' | 'month' | 'day' | 'datetime'
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate()
}

/** Parses and normalises a SEDA date; returns a French reason when it is not a valid date. */
export function normaliseDate(raw: string): NormalisedDate | { error: string } {
  const v = raw.trim()
  const m = DATE_RE.exec(v)
  if (!m)
    return {
      error: `date invalide « ${raw} » (formats admis : AAAA, AAAA-MM, AAAA-MM-JJ, AAAA-MM-JJThh:mm:ss)`,
    }
  const year = Number(m[1])
  if (year > MAX_YEAR) return { error: `année ${year} hors limites (au plus ${MAX_YEAR})` }
  if (year < 1) return { error: `année ${m[1]} hors limites` }
  const y = m[1]!
  if (m[2] === undefined) return { iso: y, start: `${y}-01-01`, precision: 'year' }
  const month = Number(m[2])
  if (month < 1 || month > 12) return { error: `mois invalide dans « ${raw} »` }
  if (m[3] === undefined) return { iso: `${y}-${m[2]}`, start: `${y}-${m[2]}-01`, precision: 'month' }
  const day = Number(m[3])
  if (day < 1 || day > daysIn(year, month)) return { error: `jour invalide dans « ${raw} »` }
  const date = `${y}-${m[2]}-${m[3]}`
  if (m[4] === undefined) return { iso: date, start: date, precision: 'day' }
  const hh = Number(m[4])
  const mm = Number(m[5])
  const ss = Number(m[6] ?? '0')
  if (hh > 23 || mm > 59 || ss > 60) return { error: `heure invalide dans « ${raw} »` }
  const zone = m[7] ? (m[7] === 'Z' ? 'Z' : m[7].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')) : 'Z'
  const t = Date.parse(`${date}T${m[4]}:${m[5]}:${String(ss).padStart(2, '0')}${zone}`)
  if (Number.isNaN(t)) return { error: `date-heure invalide « ${raw} »` }
  const iso = new Date(t).toISOString()
  return { iso, start: iso.slice(0, 10), precision: 'datetime' }
}

export type Measurement = 'YEAR' | 'MONTH' | 'DAY'

/**
 * A rule's end date: start date + duration, computed on the calendar (a year after 29 February is
 * 28 February, as Vitam's LocalDate arithmetic does). `null` when the duration is unlimited or unknown.
 */
export function computeEndDate(
  startIso: string,
  duration: string | null,
  measurement: string | null,
): string | null {
  if (duration === null || duration === '' || measurement === null || measurement === '') return null
  if (duration.toLowerCase() === 'unlimited') return null
  const n = Number(duration)
  if (!Number.isInteger(n) || n < 0) return null
  const [ys, ms, ds] = startIso.slice(0, 10).split('-')
  const y = Number(ys)
  const mo = Number(ms ?? '1')
  const d = Number(ds ?? '1')
  const unit = measurement.toUpperCase()
  let ty = y
  let tm = mo
  let td = d
  if (unit === 'YEAR') ty += n
  else if (unit === 'MONTH') {
    const total = y * 12 + (mo - 1) + n
    ty = Math.floor(total / 12)
    tm = (total % 12) + 1
  } else if (unit === 'DAY') {
    const t = new Date(Date.UTC(y, mo - 1, d) + n * 86_400_000)
    return t.toISOString().slice(0, 10)
  } else return null
  td = Math.min(td, daysIn(ty, tm))
  return `${String(ty).padStart(4, '0')}-${String(tm).padStart(2, '0')}-${String(td).padStart(2, '0')}`
}

// A tag-like sequence: <tag …>, </tag>, <tag/>; or an event handler / javascript: URL.
const HTML_RE = /<\/?[a-zA-Z][a-zA-Z0-9:-]*(\s[^<>]*)?\/?>|\bjavascript\s*:|\son[a-z]+\s*=\s*["']/i

/** True when a metadata value carries HTML or script (Vitam refuses such metadata at ingest). */
export function containsHtml(value: string): boolean {
  return HTML_RE.test(value)
}
