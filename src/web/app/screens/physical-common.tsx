/** Pieces shared by the physical archives screens: metres, fill bars, the bay drawing, refusals. */
import { useCallback, useEffect, useState } from 'react'
import { ApiError } from '../api.js'
import type { FormError, LocationNode } from '../api-physical.js'
import { ErrorMessage, useLoad } from '../components.js'
import { useI18n, type Lang, type MessageKey, type Translate } from '../i18n.js'
import { useSession } from '../session.js'

/** Linear metres in the interface's language: "1,25 m". */
export function formatMetres(n: number | null | undefined, lang: Lang): string {
  if (n === null || n === undefined) return '—'
  return `${n.toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-GB', { maximumFractionDigits: 2 })} m`
}

export function percent(ratio: number): number {
  return Math.round(ratio * 100)
}

/** Colour band of a fill ratio; the text always says the percentage too (never colour alone). */
export function fillClass(ratio: number): string {
  return ratio >= 0.95 ? 'fill-full' : ratio >= 0.75 ? 'fill-high' : 'fill-ok'
}

/** The property badges of a location ("bloquée", "réservée"…), effective values, inherited marked. */
export function PropertyBadges({ node }: { node: LocationNode }) {
  const { t } = useI18n()
  const keys = ['blocked', 'reserved', 'fireRated', 'climateControlled'] as const
  return (
    <>
      {keys
        .filter((k) => node.effective[k])
        .map((k) => (
          <span key={k} className={`badge ${k === 'blocked' ? 'badge-ko' : 'badge-pending'}`}>
            {t(`phys.prop.${k}`)}
            {node.properties[k] ? '' : ` ${t('phys.prop.inherited')}`}
          </span>
        ))}
    </>
  )
}

/** A horizontal bar filled to the ratio, with its text (used / capacity, %). */
export function FillBar({ node }: { node: LocationNode }) {
  const { t, lang } = useI18n()
  const o = node.occupancy
  const pct = percent(o.ratio)
  const label = t('phys.fill.text', {
    used: formatMetres(o.usedMetres, lang),
    capacity: formatMetres(o.capacityMetres, lang),
    pct,
  })
  return (
    <span className="fill" title={label}>
      <span
        className={`fill-bar ${node.effective.blocked ? 'fill-blocked' : fillClass(o.ratio)}`}
        role="img"
        aria-label={label}
      >
        <span style={{ width: `${Math.min(pct, 100)}%` }} />
      </span>
      <span className="small">{label}</span>
    </span>
  )
}

/**
 * A drawing of a bay (or any node whose children are shelves): one bar per shelf, as long as the shelf
 * relative to the longest, filled to its use; blocked shelves hatched, reserved ones dashed, and each
 * with its text (code, used / length, %, state) so that nothing relies on colour alone.
 */
export function ShelvesPicture({ shelves, title }: { shelves: readonly LocationNode[]; title: string }) {
  const { t, lang } = useI18n()
  if (shelves.length === 0) return null
  const longest = Math.max(...shelves.map((s) => s.lengthMetres ?? 0), 0.01)
  const rowH = 26
  const barX = 70
  const barW = 260
  const height = shelves.length * rowH + 8
  const summary = shelves.map((s) => `${s.code} : ${shelfText(s, t, lang)}`).join(' ; ')
  return (
    <figure className="shelves-picture">
      <svg
        width={barX + barW + 250}
        height={height}
        viewBox={`0 0 ${barX + barW + 250} ${height}`}
        role="img"
        aria-label={`${title} — ${summary}`}
      >
        <defs>
          <pattern
            id="hatch"
            width="6"
            height="6"
            patternUnits="userSpaceOnUse"
            patternTransform="rotate(45)"
          >
            <rect width="6" height="6" fill="#f3f3f3" />
            <line x1="0" y1="0" x2="0" y2="6" stroke="#666" strokeWidth="2" />
          </pattern>
        </defs>
        {/* The bay's uprights, as long as its longest shelf. */}
        <rect x={barX - 4} y={0} width={3} height={height} fill="#3a3a3a" />
        <rect x={barX + barW + 1} y={0} width={3} height={height} fill="#3a3a3a" />
        {shelves.map((s, i) => {
          const y = 4 + i * rowH
          const w = Math.max(((s.lengthMetres ?? 0) / longest) * barW, 4)
          const filled = Math.min(s.occupancy.ratio, 1) * w
          const blocked = s.effective.blocked
          const reserved = s.effective.reserved
          return (
            <g key={s.id}>
              <text x={barX - 8} y={y + 15} textAnchor="end" fontSize="13" fill="#161616">
                {s.code}
              </text>
              <rect
                x={barX}
                y={y}
                width={w}
                height={rowH - 8}
                fill={blocked ? 'url(#hatch)' : '#ffffff'}
                stroke="#3a3a3a"
                strokeDasharray={reserved ? '4 3' : undefined}
              />
              {!blocked && filled > 0 ? (
                <rect
                  x={barX}
                  y={y}
                  width={filled}
                  height={rowH - 8}
                  className={`svg-${fillClass(s.occupancy.ratio)}`}
                />
              ) : null}
              <text x={barX + barW + 12} y={y + 15} fontSize="13" fill="#161616">
                {shelfText(s, t, lang)}
              </text>
            </g>
          )
        })}
      </svg>
      <figcaption className="small muted">{t('phys.picture.legend')}</figcaption>
    </figure>
  )
}

function shelfText(s: LocationNode, t: Translate, lang: Lang): string {
  const base = t('phys.fill.text', {
    used: formatMetres(s.occupancy.usedMetres, lang),
    capacity: formatMetres(s.lengthMetres ?? s.occupancy.capacityMetres, lang),
    pct: percent(s.occupancy.ratio),
  })
  const flags = [
    s.effective.blocked ? t('phys.prop.blocked') : null,
    s.effective.reserved ? t('phys.prop.reserved') : null,
  ].filter((x) => x !== null)
  return flags.length > 0 ? `${base} — ${flags.join(', ')}` : base
}

/** A failure of a physical action; SHELF_FULL and LOCATION_BLOCKED become sentences naming the shelf. */
export function PhysicalError({ error }: { error: unknown }) {
  const { t, lang } = useI18n()
  if (error instanceof ApiError && error.code === 'SHELF_FULL' && error.details) {
    const d = error.details as { shelf?: string; freeMetres?: number; neededMetres?: number }
    return (
      <div className="alert alert-error" role="alert">
        <p>
          {t('phys.shelfFull', {
            shelf: d.shelf ?? '?',
            free: formatMetres(d.freeMetres ?? 0, lang),
            needed: formatMetres(d.neededMetres ?? 0, lang),
          })}
        </p>
        <p className="muted small">{t('error.code', { code: error.code })}</p>
      </div>
    )
  }
  return <ErrorMessage error={error} />
}

/** Children lists of a location tree, in the server's (tree) order. */
export function childrenOf(nodes: readonly LocationNode[]): Map<string | null, LocationNode[]> {
  const m = new Map<string | null, LocationNode[]>()
  for (const n of nodes) {
    const list = m.get(n.parentId) ?? []
    list.push(n)
    m.set(n.parentId, list)
  }
  return m
}

/** A location's label: "path — name (level)". */
export function locationLabel(n: LocationNode): string {
  return `${n.path}${n.name ? ` — ${n.name}` : ''} (${n.level})`
}

/**
 * Names for the principal ids of histories (agents), when the viewer may list the tenant's users and
 * keys (`principal.manage`); otherwise the id itself. The signed-in principal is always named.
 */
export function useAgentNames(): (id: string) => string {
  const s = useSession()
  const manage = s.can('principal.manage')
  const list = useLoad(
    () =>
      manage
        ? Promise.all([s.api.users(), s.api.apiKeys()]).then(([u, k]) => [...u.results, ...k.results])
        : Promise.resolve([]),
    [manage],
  )
  const names = new Map((list.data ?? []).map((p) => [p.id, p.name]))
  names.set(s.data.principal.id, s.data.principal.name)
  return (id) => names.get(id) ?? id
}

/**
 * A success message shown once `data` has been reloaded after the action (not before), so that the
 * message and the figures on the page agree. `announce(msg)` then reload the data.
 */
export function useNoticeAfterReload(data: unknown): [string | null, (msg: string) => void] {
  const [pending, setPending] = useState<string | null>(null)
  const [shown, setShown] = useState<string | null>(null)
  useEffect(() => {
    if (pending !== null) {
      setShown(pending)
      setPending(null)
    }
    // Only a new `data` (the reload's answer) releases the message.
  }, [data])
  const announce = useCallback((msg: string) => {
    setShown(null)
    setPending(msg)
  }, [])
  return [shown, announce]
}

/**
 * A refused CSV (transfer form, location plan): every error by row, file line and column, in a table; any
 * other failure as the usual sentence.
 */
export function RowErrors(props: { error: unknown; code: string; hint: MessageKey; testId: string }) {
  const { t } = useI18n()
  const { error } = props
  if (!(error instanceof ApiError) || error.code !== props.code) return <ErrorMessage error={error} />
  const d = (error.details ?? {}) as { errors?: FormError[]; total?: number }
  const errors = d.errors ?? []
  return (
    <div className="alert alert-error" role="alert">
      <p>{error.message}</p>
      <p>{t(props.hint)}</p>
      <table data-testid={props.testId}>
        <thead>
          <tr>
            <th scope="col">{t('phys.form.col.row')}</th>
            <th scope="col">{t('phys.form.col.line')}</th>
            <th scope="col">{t('phys.form.col.column')}</th>
            <th scope="col">{t('phys.form.col.message')}</th>
          </tr>
        </thead>
        <tbody>
          {errors.map((e, i) => (
            <tr key={i}>
              <td>{e.row > 0 ? e.row : t('phys.form.whole')}</td>
              <td>{e.line ?? t('app.none')}</td>
              <td>{e.column ? <code>{e.column}</code> : t('app.none')}</td>
              <td>{e.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {d.total !== undefined && d.total > errors.length ? (
        <p className="small">{t('phys.form.truncated', { shown: errors.length, total: d.total })}</p>
      ) : null}
    </div>
  )
}
