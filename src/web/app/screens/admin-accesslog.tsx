import { accessLog } from '../api-admin.js'
import { ErrorMessage, Loading, useLoad } from '../components.js'
import { formatDateTime } from '../format.js'
import { hasMessage, useI18n, type MessageKey } from '../i18n.js'
import { Link } from '../router.js'
import { useSession } from '../session.js'

/** The access log (GET /access-log): who consulted, downloaded or searched what, under which contract. */
export function AccessLogScreen() {
  const s = useSession()
  const { t, lang } = useI18n()
  const { data, error, loading, reload } = useLoad(() => accessLog(s.api), [])
  const action = (type: string) => {
    const k = `admin.access.${type}`
    return hasMessage(k) ? t(k as MessageKey) : type
  }
  const what = (e: NonNullable<typeof data>[number]) => {
    if (e.type === 'ACCESS_UNIT_CONSULT' && e.objectId)
      return <Link to={`/units/${e.objectId}`}>{e.objectId}</Link>
    if (e.type === 'ACCESS_UNIT_SEARCH')
      return t('admin.access.searchDetail', {
        query: typeof e.query?.q === 'string' ? e.query.q : JSON.stringify(e.query ?? {}),
        total: e.total ?? 0,
      })
    return e.objectId ? <code>{e.objectId}</code> : '—'
  }
  return (
    <section aria-labelledby="access-log-title">
      <h1 id="access-log-title">{t('admin.access.title')}</h1>
      <p className="muted">{t('admin.access.intro')}</p>
      <p>
        <button type="button" className="button secondary" onClick={reload}>
          {t('admin.access.refresh')}
        </button>
      </p>
      <ErrorMessage error={error} />
      {loading && !data ? <Loading /> : null}
      {data && data.length === 0 ? <p className="muted">{t('admin.access.none')}</p> : null}
      {data && data.length > 0 ? (
        <div className="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('admin.access.when')}</th>
                <th scope="col">{t('admin.access.who')}</th>
                <th scope="col">{t('admin.access.action')}</th>
                <th scope="col">{t('admin.access.what')}</th>
                <th scope="col">{t('admin.access.contract')}</th>
              </tr>
            </thead>
            <tbody>
              {data.map((e, i) => (
                <tr key={i}>
                  <td>{formatDateTime(e.at, lang)}</td>
                  <td>
                    {e.principal ?? e.agent ?? '—'}
                    {e.principalKind === 'apikey' ? ` (${t('admin.kind.apikey')})` : ''}
                  </td>
                  <td>{action(e.type)}</td>
                  <td>{what(e)}</td>
                  <td>
                    <code>{e.contract ?? '—'}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  )
}
