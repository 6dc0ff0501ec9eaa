import { useEffect, useState } from 'react'
import {
  audit,
  audits,
  lostObjects,
  runAudit,
  seals,
  verifyLogbook,
  type AuditSummary,
  type LogbookVerification,
} from '../api-admin.js'
import { ErrorMessage, Loading, Notice, useLoad } from '../components.js'
import { formatBytes, formatDateTime, formatNumber } from '../format.js'
import { hasMessage, useI18n } from '../i18n.js'
import { Link } from '../router.js'
import { useSession } from '../session.js'
import '../admin.css'

/** An audit's status in words: OK → "Intègre", WARNING → "Anomalies réparées", KO → "Échec". */
export function AuditStatus({ status }: { status: string }) {
  const { t } = useI18n()
  const key = `admin.audit.status.${status}`
  return <span className={`badge badge-${status.toLowerCase()}`}>{hasMessage(key) ? t(key) : status}</span>
}

const busy = (a: AuditSummary) => a.status === 'PENDING' || a.status === 'RUNNING'

/** The verification of the chains and seals, in plain words. */
function VerificationResult({ v }: { v: LogbookVerification }) {
  const { t, lang } = useI18n()
  const brokenChains = v.chains.filter((c) => !c.ok)
  return (
    <div className={`alert ${v.ok ? 'alert-ok' : 'alert-error'}`} role={v.ok ? 'status' : 'alert'}>
      <p>
        <strong>{v.ok ? t('admin.verify.ok') : t('admin.verify.broken')}</strong>
      </p>
      <p>
        {t('admin.verify.chains', {
          chains: formatNumber(v.chains.length, lang),
          events: formatNumber(
            v.chains.reduce((n, c) => n + c.events, 0),
            lang,
          ),
        })}{' '}
        {t('admin.verify.seals', {
          seals: formatNumber(v.seals.seals, lang),
          sealed: formatNumber(v.seals.sealedEvents, lang),
          unsealed: formatNumber(v.seals.unsealedEvents, lang),
        })}
      </p>
      {brokenChains.map((c) => (
        <p key={c.chain}>
          {t('admin.verify.chainBreak', {
            chain: c.chain,
            seq: c.firstBreak?.seq ?? '?',
            reason: c.firstBreak?.reason ?? '',
          })}
        </p>
      ))}
      {v.seals.breaks.map((b) => (
        <p key={`${b.sealId}-${b.reason}`}>
          {t('admin.verify.sealBreak', { number: b.number, reason: b.reason, message: b.message })}
        </p>
      ))}
    </div>
  )
}

function SealsSection() {
  const s = useSession()
  const { t, lang } = useI18n()
  const list = useLoad(() => seals(s.api), [])
  const [verification, setVerification] = useState<LogbookVerification | null>(null)
  const [verifying, setVerifying] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [sealed, setSealed] = useState<string | null>(null)
  const verify = async () => {
    setError(null)
    setVerifying(true)
    try {
      setVerification(await verifyLogbook(s.api))
    } catch (e) {
      setError(e)
    } finally {
      setVerifying(false)
    }
  }
  const sealNow = async () => {
    setError(null)
    setSealed(null)
    try {
      const r = await s.api.json<{ sealed: boolean; events: number; seal: { number: number } | null }>(
        'POST',
        '/logbook/seals',
      )
      setSealed(
        r.sealed && r.seal
          ? t('admin.seals.sealed', { number: r.seal.number, events: formatNumber(r.events, lang) })
          : t('admin.seals.nothing'),
      )
      setVerification(null)
      list.reload()
    } catch (e) {
      setError(e)
    }
  }
  const statusOf = (id: string) => {
    if (!verification) return t('admin.seals.notVerified')
    const b = verification.seals.breaks.filter((x) => x.sealId === id)
    return b.length === 0
      ? t('admin.seals.verified')
      : `${t('admin.seals.broken')} : ${b.map((x) => x.reason).join(', ')}`
  }
  return (
    <section aria-labelledby="seals-title">
      <h2 id="seals-title">{t('admin.seals.title')}</h2>
      <p className="muted">{t('admin.seals.intro')}</p>
      <div className="actions">
        <button type="button" className="button" onClick={() => void verify()} disabled={verifying}>
          {verifying ? t('admin.verify.running') : t('admin.verify.button')}
        </button>
        {s.platformAdmin ? (
          <button type="button" className="button secondary" onClick={() => void sealNow()}>
            {t('admin.seals.sealNow')}
          </button>
        ) : null}
      </div>
      <ErrorMessage error={error} />
      {sealed ? <Notice>{sealed}</Notice> : null}
      {verification ? <VerificationResult v={verification} /> : null}
      <ErrorMessage error={list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && list.data.length === 0 ? <p className="muted">{t('admin.seals.none')}</p> : null}
      {list.data && list.data.length > 0 ? (
        <div className="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('admin.seals.number')}</th>
                <th scope="col">{t('admin.seals.time')}</th>
                <th scope="col">{t('admin.seals.events')}</th>
                <th scope="col">{t('admin.seals.root')}</th>
                <th scope="col">{t('admin.seals.status')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('admin.seals.verifyOne')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((seal) => (
                <tr key={seal.id}>
                  <td>{seal.number}</td>
                  <td>{formatDateTime(seal.genTime, lang)}</td>
                  <td>{seal.ranges.map((r) => `${r.chain} ${r.fromSeq}–${r.toSeq}`).join(' · ')}</td>
                  <td>
                    <code title={seal.merkleRoot}>{seal.merkleRoot.slice(0, 16)}…</code>
                  </td>
                  <td data-testid={`seal-status-${seal.number}`}>{statusOf(seal.id)}</td>
                  <td>
                    <button
                      type="button"
                      className="button secondary"
                      aria-label={t('admin.seals.verifyOf', { number: seal.number })}
                      onClick={() => void verify()}
                      disabled={verifying}
                    >
                      {t('admin.seals.verifyOne')}
                    </button>
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

/** Fixity audits (list, run now, reports) and the logbook's seals with their verification. */
export function AuditsScreen() {
  const s = useSession()
  const { t, lang } = useI18n()
  const list = useLoad(() => audits(s.api), [])
  const lost = useLoad(() => lostObjects(s.api), [])
  const [error, setError] = useState<unknown>(null)
  const [started, setStarted] = useState(false)
  const pending = (list.data ?? []).some(busy)
  useEffect(() => {
    if (!pending) return
    const timer = setTimeout(list.reload, 1000)
    return () => clearTimeout(timer)
  }, [pending, list.data, list.reload])
  const run = async (type: 'existence' | 'integrity') => {
    setError(null)
    setStarted(false)
    try {
      await runAudit(s.api, type)
      setStarted(true)
      list.reload()
    } catch (e) {
      setError(e)
    }
  }
  return (
    <section aria-labelledby="audits-title">
      <h1 id="audits-title">{t('admin.audits.title')}</h1>
      <h2>{t('admin.audits.fixity')}</h2>
      <p className="muted">{t('admin.audits.intro')}</p>
      <div className="actions">
        <button type="button" className="button" onClick={() => void run('integrity')}>
          {t('admin.audits.runIntegrity')}
        </button>
        <button type="button" className="button secondary" onClick={() => void run('existence')}>
          {t('admin.audits.runExistence')}
        </button>
      </div>
      <ErrorMessage error={error} />
      {started ? <Notice>{t('admin.audits.started')}</Notice> : null}
      {lost.data && lost.data.length > 0 ? (
        <div className="alert alert-error" role="alert">
          <p>{t('admin.audits.lost', { count: lost.data.length })}</p>
          <ul>
            {lost.data.slice(0, 20).map((o) => (
              <li key={o.objectId}>
                <code>{o.objectId}</code> —{' '}
                <Link to={`/admin/audits/${o.auditId}`}>{t('admin.audits.report')}</Link>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <ErrorMessage error={list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && list.data.length === 0 ? <p className="muted">{t('admin.audits.none')}</p> : null}
      {list.data && list.data.length > 0 ? (
        <div className="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('admin.audits.date')}</th>
                <th scope="col">{t('admin.audits.type')}</th>
                <th scope="col">{t('admin.audits.trigger')}</th>
                <th scope="col">{t('admin.audits.status')}</th>
                <th scope="col">{t('admin.audits.objects')}</th>
                <th scope="col">{t('admin.audits.anomalies')}</th>
                <th scope="col">{t('admin.audits.repaired')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('admin.audits.report')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((a) => (
                <tr key={a.auditId} className={a.status === 'KO' ? 'row-ko' : undefined}>
                  <td>{formatDateTime(a.createdAt, lang)}</td>
                  <td>{t(a.type === 'existence' ? 'admin.audits.existence' : 'admin.audits.integrity')}</td>
                  <td>{a.trigger === 'manual' ? t('admin.audits.manual') : t('admin.audits.scheduled')}</td>
                  <td>
                    <AuditStatus status={a.status} />
                  </td>
                  <td>
                    {busy(a)
                      ? `${formatNumber(a.progress.objects, lang)} / ${formatNumber(a.progress.total, lang)}`
                      : formatNumber(a.counts.objects, lang)}
                  </td>
                  <td>{formatNumber(a.counts.anomalies, lang)}</td>
                  <td>{formatNumber(a.counts.repaired, lang)}</td>
                  <td>
                    <Link to={`/admin/audits/${a.auditId}`}>{t('admin.audits.report')}</Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <SealsSection />
    </section>
  )
}

/** One audit's report: counters, per-offer results, anomalies and their repair. */
export function AuditScreen({ id }: { id: string }) {
  const s = useSession()
  const { t, lang } = useI18n()
  const { data, error, reload } = useLoad(() => audit(s.api, id), [id])
  const running = data !== null && busy(data)
  useEffect(() => {
    if (!running) return
    const timer = setTimeout(reload, 1000)
    return () => clearTimeout(timer)
  }, [running, data, reload])
  if (!data) return error ? <ErrorMessage error={error} /> : <Loading />
  return (
    <section aria-labelledby="audit-title">
      <p>
        <Link to="/admin/audits">{t('admin.audits.back')}</Link>
      </p>
      <h1 id="audit-title">
        {t('admin.audits.reportOf', {
          type: t(data.type === 'existence' ? 'admin.audits.existence' : 'admin.audits.integrity'),
          date: formatDateTime(data.createdAt, lang),
        })}
      </h1>
      <p role="status">
        <AuditStatus status={data.status} />{' '}
        <span>{t(`admin.audit.explain.${data.status}` as 'admin.audit.explain.OK')}</span>
      </p>
      <dl className="stats">
        <div>
          <dt>{t('admin.audits.objects')}</dt>
          <dd>{formatNumber(data.counts.objects, lang)}</dd>
        </div>
        <div>
          <dt>{t('admin.audits.copies')}</dt>
          <dd>{formatNumber(data.counts.copies, lang)}</dd>
        </div>
        <div>
          <dt>{t('admin.audits.bytes')}</dt>
          <dd>{formatBytes(data.counts.bytes, lang)}</dd>
        </div>
        <div>
          <dt>{t('admin.audits.anomalies')}</dt>
          <dd>{formatNumber(data.counts.anomalies, lang)}</dd>
        </div>
        <div>
          <dt>{t('admin.audits.repaired')}</dt>
          <dd>{formatNumber(data.counts.repaired, lang)}</dd>
        </div>
        <div>
          <dt>{t('admin.audits.lostCount')}</dt>
          <dd>{formatNumber(data.counts.lost, lang)}</dd>
        </div>
      </dl>
      {data.alerts.length > 0 ? (
        <div className="alert alert-error" role="alert">
          {data.alerts.map((a) => (
            <p key={a.objectId}>{a.message}</p>
          ))}
        </div>
      ) : null}
      {data.offersDown.length > 0 ? (
        <div className="alert alert-error" role="alert">
          <p>{t('admin.audits.offersDown', { offers: data.offersDown.join(', ') })}</p>
        </div>
      ) : null}
      <h2>{t('admin.audits.offers')}</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">{t('admin.audits.offer')}</th>
            <th scope="col">{t('admin.audits.checked')}</th>
            <th scope="col">{t('admin.audits.okCopies')}</th>
            <th scope="col">{t('admin.audits.missing')}</th>
            <th scope="col">{t('admin.audits.badSize')}</th>
            <th scope="col">{t('admin.audits.badDigest')}</th>
            <th scope="col">{t('admin.audits.unreadable')}</th>
            <th scope="col">{t('admin.audits.repaired')}</th>
          </tr>
        </thead>
        <tbody>
          {data.offers.map((o) => (
            <tr key={o.offerId}>
              <td>
                <code>{o.offerId}</code>
              </td>
              <td>{formatNumber(o.checked, lang)}</td>
              <td>{formatNumber(o.ok, lang)}</td>
              <td>{formatNumber(o.missing, lang)}</td>
              <td>{formatNumber(o.size, lang)}</td>
              <td>{formatNumber(o.digest, lang)}</td>
              <td>{formatNumber(o.unreadable, lang)}</td>
              <td>{formatNumber(o.repaired, lang)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>{t('admin.audits.anomaliesTitle')}</h2>
      {data.anomalies.length === 0 ? (
        <p className="muted">{t('admin.audits.noAnomaly')}</p>
      ) : (
        <div className="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('admin.audits.object')}</th>
                <th scope="col">{t('admin.audits.offer')}</th>
                <th scope="col">{t('admin.audits.kind')}</th>
                <th scope="col">{t('admin.audits.detail')}</th>
                <th scope="col">{t('admin.audits.repair')}</th>
              </tr>
            </thead>
            <tbody>
              {data.anomalies.map((a, i) => (
                <tr key={i}>
                  <td>
                    <code>{a.objectId}</code>
                  </td>
                  <td>{a.offer}</td>
                  <td>
                    {hasMessage(`admin.anomaly.${a.kind}`)
                      ? t(`admin.anomaly.${a.kind}` as 'admin.anomaly.lost')
                      : a.kind}
                  </td>
                  <td>{a.detail ?? '—'}</td>
                  <td>
                    {a.repair === 'repaired'
                      ? t('admin.audits.repairedFrom', { from: a.repairedFrom ?? '?' })
                      : a.repair === 'failed'
                        ? t('admin.audits.repairFailed')
                        : t('admin.audits.notRepaired')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.anomaliesTotal > data.anomalies.length ? (
            <p className="small">{t('admin.audits.more', { total: data.anomaliesTotal })}</p>
          ) : null}
        </div>
      )}
    </section>
  )
}
