import { useState } from 'react'
import { audits, lostObjects, seals, verifyLogbook, type LogbookVerification } from '../api-admin.js'
import { ErrorMessage, useLoad } from '../components.js'
import { formatBytes, formatDateTime, formatNumber } from '../format.js'
import { useI18n } from '../i18n.js'
import { Link } from '../router.js'
import { useSession } from '../session.js'
import { AuditStatus } from './admin-audits.js'

/**
 * Home panels for archivists and administrators (archive.manage): audit alerts (objects without a good
 * copy, the latest audit and its failures), storage used per offer as the last audit measured it, and
 * the seals (last seal, verification on demand).
 */
export function AdminHomePanels() {
  const s = useSession()
  const { t, lang } = useI18n()
  const manage = s.can('archive.manage')
  const { data, error } = useLoad(
    async () =>
      manage
        ? Promise.all([audits(s.api, 20), lostObjects(s.api), seals(s.api)]).then(([a, l, se]) => ({
            audits: a,
            lost: l,
            seals: se,
          }))
        : null,
    [s.data.tenantId, manage],
  )
  const [v, setV] = useState<LogbookVerification | null>(null)
  const [vError, setVError] = useState<unknown>(null)
  const [verifying, setVerifying] = useState(false)
  if (!manage) return null
  if (!data) return <ErrorMessage error={error} />
  const done = data.audits.filter((a) => a.status !== 'PENDING' && a.status !== 'RUNNING')
  const last = done[0]
  const failures = done.filter((a) => a.status === 'KO' || a.status === 'WARNING')
  const measured = done.find((a) => a.offers.length > 0)
  const lastSeal = data.seals[0]
  const verify = async () => {
    setVError(null)
    setVerifying(true)
    try {
      setV(await verifyLogbook(s.api))
    } catch (e) {
      setVError(e)
    } finally {
      setVerifying(false)
    }
  }
  return (
    <div className="home-admin">
      <section aria-labelledby="home-audits">
        <h2 id="home-audits">{t('admin.home.audits')}</h2>
        {data.lost.length > 0 ? (
          <div className="alert alert-error" role="alert">
            <p>{t('admin.audits.lost', { count: data.lost.length })}</p>
          </div>
        ) : null}
        {last ? (
          <p>
            {t('admin.home.lastAudit', { date: formatDateTime(last.createdAt, lang) })}{' '}
            <AuditStatus status={last.status} />{' '}
            <Link to={`/admin/audits/${last.auditId}`}>{t('admin.audits.report')}</Link>
          </p>
        ) : (
          <p className="muted">{t('admin.audits.none')}</p>
        )}
        {failures.length > 0 ? (
          <ul>
            {failures.slice(0, 5).map((a) => (
              <li key={a.auditId}>
                <Link to={`/admin/audits/${a.auditId}`}>
                  {formatDateTime(a.createdAt, lang)} —{' '}
                  {t('admin.home.anomalies', { count: a.counts.anomalies })}
                </Link>
              </li>
            ))}
          </ul>
        ) : last ? (
          <p className="muted">{t('admin.home.noFailure')}</p>
        ) : null}
      </section>
      {measured ? (
        <section aria-labelledby="home-storage">
          <h2 id="home-storage">{t('admin.home.storage')}</h2>
          <p className="muted small">
            {t('admin.home.storageAt', { date: formatDateTime(measured.createdAt, lang) })}
          </p>
          <dl className="stats">
            {measured.offers.map((o) => (
              <div key={o.offerId}>
                <dt>{o.offerId}</dt>
                <dd>
                  {formatBytes(o.bytes, lang)} ·{' '}
                  {t('admin.home.copies', { count: formatNumber(o.checked, lang) })}
                </dd>
              </div>
            ))}
          </dl>
        </section>
      ) : null}
      <section aria-labelledby="home-seals">
        <h2 id="home-seals">{t('admin.home.seals')}</h2>
        {lastSeal ? (
          <p>
            {t('admin.home.lastSeal', {
              number: lastSeal.number,
              date: formatDateTime(lastSeal.genTime, lang),
            })}
          </p>
        ) : (
          <p className="muted">{t('admin.seals.none')}</p>
        )}
        <button type="button" className="button secondary" onClick={() => void verify()} disabled={verifying}>
          {verifying ? t('admin.verify.running') : t('admin.verify.button')}
        </button>
        <ErrorMessage error={vError} />
        {v ? (
          <p role="status" className={v.ok ? 'verdict-ok' : 'verdict-ko'}>
            {v.ok ? t('admin.verify.ok') : t('admin.verify.broken')}
          </p>
        ) : null}
        <p>
          <Link to="/admin/audits">{t('admin.home.more')}</Link>
        </p>
      </section>
    </div>
  )
}
