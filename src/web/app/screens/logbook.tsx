import { useState, type FormEvent } from 'react'
import type { Operation } from '../api.js'
import { ErrorMessage, Loading, Status, useLoad } from '../components.js'
import { formatDateTime } from '../format.js'
import { useI18n } from '../i18n.js'
import { Link, navigate, useLocation } from '../router.js'
import { useSession } from '../session.js'
import { EventsTable } from './transfers.js'

const PAGE = 50
const TYPES = [
  'INGEST',
  'TENANT_CREATE',
  'PRINCIPAL_CREATE',
  'APIKEY_CREATE',
  'APIKEY_REVOKE',
  'IMPORT_RULES',
  'IMPORT_AGENCIES',
  'IMPORT_INGEST_CONTRACT',
  'IMPORT_ACCESS_CONTRACT',
  'IMPORT_DEFAULT_REFERENTIALS',
  'IMPORT_FORMATS',
]

export function LogbookScreen() {
  const s = useSession()
  const { t, lang } = useI18n()
  const { query } = useLocation()
  const type = query.get('type') ?? ''
  const page = Math.max(1, Number(query.get('page') ?? '1') || 1)
  const [choice, setChoice] = useState(type)
  const { data, error, loading } = useLoad(
    () => s.api.operations({ type: type || undefined, limit: PAGE, offset: (page - 1) * PAGE }),
    [type, page],
  )
  const go = (nextType: string, nextPage: number) => {
    const p = new URLSearchParams()
    if (nextType) p.set('type', nextType)
    if (nextPage > 1) p.set('page', String(nextPage))
    const qs = p.toString()
    navigate(`/logbook${qs ? `?${qs}` : ''}`)
  }
  const submit = (e: FormEvent) => {
    e.preventDefault()
    go(choice, 1)
  }
  const pages = data ? Math.max(1, Math.ceil(data.total / PAGE)) : 1
  return (
    <section aria-labelledby="logbook-title">
      <h1 id="logbook-title">{t('logbook.title')}</h1>
      <form className="inline-form" onSubmit={submit}>
        <label htmlFor="type">{t('logbook.type')}</label>
        {/* Known types are suggested; any other type (added by later modules) can be typed in. */}
        <input
          id="type"
          list="op-types"
          placeholder={t('logbook.allTypes')}
          value={choice}
          onChange={(e) => setChoice(e.target.value.trim().toUpperCase())}
        />
        <datalist id="op-types">
          {TYPES.map((ty) => (
            <option key={ty} value={ty} />
          ))}
        </datalist>
        <button type="submit" className="button">
          {t('logbook.filter')}
        </button>
      </form>
      <ErrorMessage error={error} />
      {loading ? <Loading /> : null}
      {data && data.results.length === 0 ? <p className="muted">{t('logbook.none')}</p> : null}
      {data && data.results.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('logbook.col.date')}</th>
              <th scope="col">{t('logbook.col.type')}</th>
              <th scope="col">{t('logbook.col.status')}</th>
              <th scope="col">{t('logbook.col.id')}</th>
            </tr>
          </thead>
          <tbody>
            {data.results.map((op) => (
              <tr key={op.id}>
                <td>{formatDateTime(op.createdAt, lang)}</td>
                <td>
                  <code>{op.type}</code>
                </td>
                <td>
                  <Status status={op.status} />
                </td>
                <td>
                  <Link to={op.type === 'INGEST' ? `/transfers/${op.id}` : `/logbook/${op.id}`}>{op.id}</Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {pages > 1 ? (
        <nav className="pager" aria-label={t('search.page', { page, pages })}>
          <button
            type="button"
            className="button secondary"
            disabled={page <= 1}
            onClick={() => go(type, page - 1)}
          >
            {t('search.prev')}
          </button>
          <span>{t('search.page', { page, pages })}</span>
          <button
            type="button"
            className="button secondary"
            disabled={page >= pages}
            onClick={() => go(type, page + 1)}
          >
            {t('search.next')}
          </button>
        </nav>
      ) : null}
    </section>
  )
}

export function OperationScreen({ id }: { id: string }) {
  const s = useSession()
  const { t, lang } = useI18n()
  const { data: op, error } = useLoad<Operation>(() => s.api.operation(id), [id])
  if (!op) return error ? <ErrorMessage error={error} /> : <Loading />
  return (
    <section aria-labelledby="op-title">
      <h1 id="op-title">{t('op.titleGeneric', { id })}</h1>
      <dl className="facts">
        <div>
          <dt>{t('op.type')}</dt>
          <dd>
            <code>{op.type}</code>
          </dd>
        </div>
        <div>
          <dt>{t('op.status')}</dt>
          <dd>
            <Status status={op.status} />
          </dd>
        </div>
        <div>
          <dt>{t('op.created')}</dt>
          <dd>{formatDateTime(op.createdAt, lang)}</dd>
        </div>
      </dl>
      <h2>{t('logbook.events')}</h2>
      <EventsTable events={op.events} />
    </section>
  )
}
