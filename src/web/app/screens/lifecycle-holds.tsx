/** Legal holds (gels): list, place on a unit or a branch, lift with a reason (docs/elimination.md). */
import { useState, type FormEvent } from 'react'
import { ancestorIds, holds, type LegalHold } from '../api-lifecycle.js'
import { ErrorMessage, Loading, Notice, useLoad } from '../components.js'
import { formatDate, formatDateTime } from '../format.js'
import { useI18n } from '../i18n.js'
import { Link, useLocation } from '../router.js'
import { useSession } from '../session.js'
import { UnitName } from './lifecycle-common.js'

function HoldRow({ h, onLift }: { h: LegalHold; onLift?: (h: LegalHold) => void }) {
  const { t, lang } = useI18n()
  return (
    <tr>
      <td>
        <UnitName id={h.unitId} />
        {h.includeDescendants ? <span className="muted small"> {t('lc.hold.withBranch')}</span> : null}
      </td>
      <td>{h.reason}</td>
      <td>
        {formatDate(h.startDate, lang)}
        {' – '}
        {h.endDate ? formatDate(h.endDate, lang) : t('lc.hold.noEnd')}
      </td>
      <td>
        {h.active ? (
          <span className="badge badge-pending">{t('lc.hold.active')}</span>
        ) : h.liftedAt ? (
          <span>
            {t('lc.hold.lifted', { at: formatDateTime(h.liftedAt, lang), reason: h.liftReason ?? '' })}
          </span>
        ) : (
          <span className="muted">{t('lc.hold.inactive')}</span>
        )}
      </td>
      {onLift ? (
        <td>
          {h.active && !h.liftedAt ? (
            <button type="button" className="button secondary" onClick={() => onLift(h)}>
              {t('lc.hold.lift')}
            </button>
          ) : null}
        </td>
      ) : null}
    </tr>
  )
}

export function HoldsScreen() {
  const s = useSession()
  const { t } = useI18n()
  const { query } = useLocation()
  const manage = s.can('archive.manage')
  const [activeOnly, setActiveOnly] = useState(true)
  const list = useLoad(() => holds.list(s.api, { active: activeOnly }), [s.data.tenantId, activeOnly])
  const [unitId, setUnitId] = useState(query.get('unit') ?? '')
  const [reason, setReason] = useState('')
  const [branch, setBranch] = useState(true)
  const [start, setStart] = useState('')
  const [end, setEnd] = useState('')
  const [error, setError] = useState<unknown>(null)
  const [notice, setNotice] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [lifting, setLifting] = useState<LegalHold | null>(null)
  const [liftReason, setLiftReason] = useState('')

  const run = async (fn: () => Promise<string>) => {
    setError(null)
    setNotice(null)
    setBusy(true)
    try {
      setNotice(await fn())
      list.reload()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  const place = (e: FormEvent) => {
    e.preventDefault()
    void run(async () => {
      await holds.create(s.api, {
        unitId: unitId.trim(),
        reason,
        includeDescendants: branch,
        ...(start ? { startDate: start } : {}),
        ...(end ? { endDate: end } : {}),
      })
      setReason('')
      return t('lc.hold.placed')
    })
  }
  const lift = (e: FormEvent) => {
    e.preventDefault()
    if (!lifting) return
    const h = lifting
    void run(async () => {
      await holds.lift(s.api, h.id, liftReason)
      setLifting(null)
      setLiftReason('')
      return t('lc.hold.liftedNotice')
    })
  }
  return (
    <section aria-labelledby="holds-title">
      <h1 id="holds-title">{t('lc.holds.title')}</h1>
      <p>{t('lc.holds.intro')}</p>
      {notice ? <Notice>{notice}</Notice> : null}
      <ErrorMessage error={error} />
      {manage ? (
        <form className="card" onSubmit={place}>
          <h2>{t('lc.hold.place')}</h2>
          <label htmlFor="hold-unit">{t('lc.hold.unit')}</label>
          <input id="hold-unit" required value={unitId} onChange={(e) => setUnitId(e.target.value)} />
          <label htmlFor="hold-reason">{t('lc.hold.reason')}</label>
          <input id="hold-reason" required value={reason} onChange={(e) => setReason(e.target.value)} />
          <label>
            <input type="checkbox" checked={branch} onChange={(e) => setBranch(e.target.checked)} />{' '}
            {t('lc.hold.branch')}
          </label>
          <label htmlFor="hold-start">{t('lc.hold.start')}</label>
          <input id="hold-start" type="date" value={start} onChange={(e) => setStart(e.target.value)} />
          <label htmlFor="hold-end">{t('lc.hold.end')}</label>
          <input id="hold-end" type="date" value={end} onChange={(e) => setEnd(e.target.value)} />
          <button type="submit" className="button" disabled={busy}>
            {t('lc.hold.placeButton')}
          </button>
        </form>
      ) : null}
      {lifting ? (
        <form className="card" onSubmit={lift} aria-labelledby="lift-title">
          <h2 id="lift-title">{t('lc.hold.liftTitle')}</h2>
          <p>
            <UnitName id={lifting.unitId} /> — {lifting.reason}
          </p>
          <label htmlFor="lift-reason">{t('lc.hold.liftReason')}</label>
          <input
            id="lift-reason"
            required
            autoFocus
            value={liftReason}
            onChange={(e) => setLiftReason(e.target.value)}
          />
          <div className="inline-form">
            <button type="submit" className="button" disabled={busy}>
              {t('lc.hold.liftConfirm')}
            </button>
            <button type="button" className="button secondary" onClick={() => setLifting(null)}>
              {t('lc.cancel')}
            </button>
          </div>
        </form>
      ) : null}
      <h2>{t('lc.holds.list')}</h2>
      <label>
        <input type="checkbox" checked={activeOnly} onChange={(e) => setActiveOnly(e.target.checked)} />{' '}
        {t('lc.holds.activeOnly')}
      </label>
      <ErrorMessage error={list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && list.data.length === 0 ? <p className="muted">{t('lc.holds.none')}</p> : null}
      {list.data && list.data.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('lc.hold.unit')}</th>
              <th scope="col">{t('lc.hold.reason')}</th>
              <th scope="col">{t('lc.hold.period')}</th>
              <th scope="col">{t('lc.hold.state')}</th>
              {manage ? (
                <th scope="col">
                  <span className="visually-hidden">{t('lc.actions')}</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {list.data.map((h) => (
              <HoldRow key={h.id} h={h} {...(manage ? { onLift: setLifting } : {})} />
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  )
}

/**
 * The unit page's lifecycle panel: is it held (a hold on it, or a branch hold on an ancestor), and links
 * to place a hold or to analyse its branch for elimination.
 */
export function UnitLifecyclePanel({ unitId }: { unitId: string }) {
  const s = useSession()
  const { t } = useI18n()
  const { data, error } = useLoad(async () => {
    const [active, ancestors] = await Promise.all([
      holds.list(s.api, { active: true }),
      ancestorIds(s.api, unitId).catch(() => [] as string[]),
    ])
    const up = new Set(ancestors)
    return active.filter((h) => h.unitId === unitId || (h.includeDescendants && up.has(h.unitId)))
  }, [unitId])
  const manage = s.can('archive.manage')
  const mayRequest = manage || s.can('ingest.submit')
  return (
    <section aria-labelledby="unit-lc-title" className="card">
      <h2 id="unit-lc-title">{t('lc.unit.title')}</h2>
      <ErrorMessage error={error} />
      {data ? (
        data.length === 0 ? (
          <p>{t('lc.unit.notHeld')}</p>
        ) : (
          <div className="alert alert-info" role="status">
            <p>
              <span className="badge badge-pending">{t('lc.unit.held')}</span>
            </p>
            <ul>
              {data.map((h) => (
                <li key={h.id}>
                  {h.unitId === unitId ? t('lc.unit.heldHere') : t('lc.unit.heldAbove')}
                  {h.unitId !== unitId ? (
                    <>
                      {' '}
                      <UnitName id={h.unitId} />
                    </>
                  ) : null}{' '}
                  — {h.reason}
                </li>
              ))}
            </ul>
          </div>
        )
      ) : null}
      <div className="inline-form">
        {manage ? (
          <Link className="button secondary" to={`/holds?unit=${encodeURIComponent(unitId)}`}>
            {t('lc.unit.placeHold')}
          </Link>
        ) : null}
        {mayRequest ? (
          <Link className="button secondary" to={`/eliminations?branch=${encodeURIComponent(unitId)}`}>
            {t('lc.unit.eliminate')}
          </Link>
        ) : null}
      </div>
    </section>
  )
}
