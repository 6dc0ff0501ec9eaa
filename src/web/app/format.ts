/** Display helpers (numbers, sizes and dates in the interface's language). */
import type { Lang } from './i18n.js'

const locale = (lang: Lang) => (lang === 'fr' ? 'fr-FR' : 'en-GB')

export function formatBytes(n: number | null | undefined, lang: Lang): string {
  if (n === null || n === undefined) return '—'
  const units = lang === 'fr' ? ['o', 'Ko', 'Mo', 'Go', 'To'] : ['B', 'kB', 'MB', 'GB', 'TB']
  let v = n
  let i = 0
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000
    i++
  }
  return `${v.toLocaleString(locale(lang), { maximumFractionDigits: i === 0 ? 0 : 1 })} ${units[i]}`
}

export function formatDateTime(iso: string | null | undefined, lang: Lang): string {
  if (!iso) return '—'
  const d = new Date(iso)
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString(locale(lang), { dateStyle: 'short', timeStyle: 'short' })
}

export function formatDate(iso: string | null | undefined, lang: Lang): string {
  if (!iso) return '—'
  const d = new Date(`${iso.slice(0, 10)}T00:00:00Z`)
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleDateString(locale(lang), { timeZone: 'UTC' })
}

export function formatNumber(n: number, lang: Lang): string {
  return n.toLocaleString(locale(lang))
}
