import { useState, type FormEvent } from 'react'
import type { UnitSummary } from '../api.js'
import { ErrorMessage, Loading, useLoad } from '../components.js'
import { formatDate } from '../format.js'
import { useI18n } from '../i18n.js'
import { Link, navigate, useLocation } from '../router.js'
import { useSession } from '../session.js'

const PAGE = 20

export function UnitTable({ units }: { units: UnitSummary[] }) {
  const { t, lang } = useI18n()
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">{t('search.col.title')}</th>
          <th scope="col">{t('search.col.level')}</th>
          <th scope="col">{t('search.col.dates')}</th>
          <th scope="col">{t('search.col.objects')}</th>
        </tr>
      </thead>
      <tbody>
        {units.map((u) => (
          <tr key={u.id}>
            <td>
              <Link to={`/units/${u.id}`}>{u.title}</Link>
            </td>
            <td>{u.descriptionLevel}</td>
            <td>
              {formatDate(u.startDate, lang)}
              {u.endDate ? ` – ${formatDate(u.endDate, lang)}` : ''}
            </td>
            <td>{u.objects.length}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** Search box and paged list over GET /units; the query lives in the URL (back button, links). */
export function SearchScreen() {
  const s = useSession()
  const { t } = useI18n()
  const { query } = useLocation()
  const q = query.get('q') ?? ''
  const operationId = query.get('operationId') ?? undefined
  const page = Math.max(1, Number(query.get('page') ?? '1') || 1)
  const [text, setText] = useState(q)
  const { data, error, loading } = useLoad(
    () => s.api.units({ q, operationId, limit: PAGE, offset: (page - 1) * PAGE }),
    [q, operationId, page],
  )
  const go = (next: { q?: string; page?: number }) => {
    const p = new URLSearchParams()
    const nq = next.q ?? q
    if (nq) p.set('q', nq)
    if (operationId && next.q === undefined) p.set('operationId', operationId)
    if ((next.page ?? 1) > 1) p.set('page', String(next.page))
    const qs = p.toString()
    navigate(`/search${qs ? `?${qs}` : ''}`)
  }
  const submit = (e: FormEvent) => {
    e.preventDefault()
    go({ q: text.trim(), page: 1 })
  }
  const pages = data ? Math.max(1, Math.ceil(data.total / PAGE)) : 1
  return (
    <section aria-labelledby="search-title">
      <h1 id="search-title">{t('search.title')}</h1>
      <form role="search" className="inline-form" onSubmit={submit}>
        <label htmlFor="q">{t('search.query')}</label>
        <input id="q" type="search" value={text} onChange={(e) => setText(e.target.value)} />
        <button type="submit" className="button">
          {t('search.submit')}
        </button>
      </form>
      <ErrorMessage error={error} />
      {loading ? <Loading /> : null}
      {data ? (
        <>
          <p role="status">{t('search.results', { total: data.total })}</p>
          {data.results.length === 0 ? (
            <p className="muted">{t('search.none')}</p>
          ) : (
            <UnitTable units={data.results} />
          )}
          {pages > 1 ? (
            <nav className="pager" aria-label={t('search.page', { page, pages })}>
              <button
                type="button"
                className="button secondary"
                disabled={page <= 1}
                onClick={() => go({ page: page - 1 })}
              >
                {t('search.prev')}
              </button>
              <span>{t('search.page', { page, pages })}</span>
              <button
                type="button"
                className="button secondary"
                disabled={page >= pages}
                onClick={() => go({ page: page + 1 })}
              >
                {t('search.next')}
              </button>
            </nav>
          ) : null}
        </>
      ) : null}
    </section>
  )
}
