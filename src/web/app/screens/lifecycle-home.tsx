/** The home screen's lifecycle panels: requests awaiting my visa, eliminations due this year. */
import { dueThisYear } from '../api-lifecycle.js'
import { ErrorMessage, useLoad } from '../components.js'
import { formatDate, formatNumber } from '../format.js'
import { useI18n } from '../i18n.js'
import { Link } from '../router.js'
import { useSession } from '../session.js'
import { visaTenants } from './lifecycle-common.js'
import { PendingVisas } from './lifecycle-elimination.js'

function DueThisYear() {
  const s = useSession()
  const { t, lang } = useI18n()
  const year = new Date().getUTCFullYear()
  const { data, error } = useLoad(() => dueThisYear(s.api, year, 5), [s.data.tenantId, year])
  return (
    <section aria-labelledby="home-due">
      <h2 id="home-due">{t('lc.home.due', { year })}</h2>
      <ErrorMessage error={error} />
      {data ? (
        data.total === 0 ? (
          <p className="muted">{t('lc.home.noDue')}</p>
        ) : (
          <>
            <p>{t('lc.home.dueCount', { n: formatNumber(data.total, lang) })}</p>
            <ul>
              {data.results.map((u) => (
                <li key={u.id}>
                  <Link to={`/units/${u.id}`}>{u.title}</Link>{' '}
                  <span className="muted small">
                    {formatDate(u.startDate, lang)}
                    {u.endDate ? ` – ${formatDate(u.endDate, lang)}` : ''}
                  </span>
                </li>
              ))}
            </ul>
            {s.can('archive.manage') || s.can('ingest.submit') ? (
              <p>
                <Link className="button secondary" to="/eliminations">
                  {t('lc.home.analyse')}
                </Link>
              </p>
            ) : null}
          </>
        )
      ) : null}
    </section>
  )
}

export function LifecycleHomePanels() {
  const s = useSession()
  const { t } = useI18n()
  const control = visaTenants(s).length > 0
  return (
    <>
      {control ? (
        <section aria-labelledby="home-visas">
          <h2 id="home-visas">{t('lc.visas.title')}</h2>
          <PendingVisas compact />
        </section>
      ) : null}
      {s.can('archive.read') && s.can('logbook.read') ? <DueThisYear /> : null}
    </>
  )
}
