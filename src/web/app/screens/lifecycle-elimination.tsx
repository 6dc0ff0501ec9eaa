/**
 * Elimination under the control authority's visa (docs/elimination.md): analysis → request (bordereau)
 * → submission → visa of the departmental archives → execution → certificate and notification.
 */
import { useEffect, useState, type FormEvent } from 'react'
import {
  elimination,
  ELIMINATION_DOCUMENTS,
  type Analysis,
  type AnalysisUnit,
  type ConflictReason,
  type EliminationRequest,
} from '../api-lifecycle.js'
import { DownloadButton, ErrorMessage, Loading, Notice, useLoad } from '../components.js'
import { formatBytes, formatDate, formatDateTime, formatNumber } from '../format.js'
import { useI18n } from '../i18n.js'
import { Link, navigate, useLocation } from '../router.js'
import { useSession } from '../session.js'
import {
  canVisaOn,
  RUNNING,
  UnitName,
  useCodeLabel,
  useOperation,
  usePoll,
  usePrincipalName,
} from './lifecycle-common.js'

export function RequestStatus({ status }: { status: string }) {
  const label = useCodeLabel()
  const tone =
    status === 'executed' || status === 'approved'
      ? 'ok'
      : status === 'refused' || status === 'expired' || status === 'cancelled'
        ? 'ko'
        : 'pending'
  return <span className={`badge badge-${tone}`}>{label('lc.status', status)}</span>
}

function RequestsTable({
  list,
  tenantColumn,
}: {
  list: readonly EliminationRequest[]
  tenantColumn?: boolean
}) {
  const { t, lang } = useI18n()
  const s = useSession()
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">{t('lc.elim.col.request')}</th>
          {tenantColumn ? <th scope="col">{t('lc.elim.col.tenant')}</th> : null}
          <th scope="col">{t('lc.elim.col.status')}</th>
          <th scope="col">{t('lc.elim.col.units')}</th>
          <th scope="col">{t('lc.elim.col.dates')}</th>
          <th scope="col">{t('lc.elim.col.created')}</th>
        </tr>
      </thead>
      <tbody>
        {list.map((r) => (
          <tr key={r.id}>
            <td>
              {tenantColumn ? (
                <Link
                  to={`/eliminations/${r.id}`}
                  onClick={() => {
                    // The request lives in the commune: open it there.
                    if (s.data.tenantId !== r.tenantId) s.setTenant(r.tenantId)
                  }}
                >
                  {t('lc.elim.open', { id: r.id })}
                </Link>
              ) : (
                <Link to={`/eliminations/${r.id}`}>{r.id}</Link>
              )}
            </td>
            {tenantColumn ? (
              <td>{s.data.tenants.find((x) => x.id === r.tenantId)?.name ?? r.tenantId}</td>
            ) : null}
            <td>
              <RequestStatus status={r.status} />
            </td>
            <td>
              {t('lc.elim.amount', {
                units: formatNumber(r.totals.units, lang),
                objects: formatNumber(r.totals.objects, lang),
                bytes: formatBytes(r.totals.bytes, lang),
              })}
            </td>
            <td>
              {formatDate(r.startDate, lang)}
              {r.endDate ? ` – ${formatDate(r.endDate, lang)}` : ''}
            </td>
            <td>{formatDateTime(r.submittedAt ?? r.createdAt, lang)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** The tenant's elimination requests and the form that starts an analysis. */
export function EliminationsScreen() {
  const s = useSession()
  const { t } = useI18n()
  const { query } = useLocation()
  const list = useLoad(() => elimination.list(s.api), [s.data.tenantId])
  const [producer, setProducer] = useState('')
  const [branch, setBranch] = useState(query.get('branch') ?? '')
  const [rule, setRule] = useState('')
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const mayRequest = s.can('archive.manage') || s.can('ingest.submit')
  const start = async (e: FormEvent) => {
    e.preventDefault()
    setError(null)
    setBusy(true)
    try {
      const r = await elimination.startAnalysis(s.api, {
        ...(producer.trim() ? { producer: producer.trim() } : {}),
        ...(branch.trim() ? { branch: branch.trim() } : {}),
        ...(rule.trim() ? { rule: rule.trim() } : {}),
      })
      navigate(`/eliminations/analysis/${r.analysisId}`)
    } catch (err) {
      setError(err)
      setBusy(false)
    }
  }
  return (
    <section aria-labelledby="elim-title">
      <h1 id="elim-title">{t('lc.elim.title')}</h1>
      <p>{t('lc.elim.intro')}</p>
      {mayRequest ? (
        <form className="card" onSubmit={(e) => void start(e)}>
          <h2>{t('lc.elim.analyse')}</h2>
          <p className="muted small">{t('lc.elim.analyseHelp')}</p>
          <label htmlFor="an-producer">{t('lc.elim.producer')}</label>
          <input id="an-producer" value={producer} onChange={(e) => setProducer(e.target.value)} />
          <label htmlFor="an-branch">{t('lc.elim.branch')}</label>
          <input id="an-branch" value={branch} onChange={(e) => setBranch(e.target.value)} />
          <label htmlFor="an-rule">{t('lc.elim.rule')}</label>
          <input id="an-rule" value={rule} onChange={(e) => setRule(e.target.value)} />
          <ErrorMessage error={error} />
          <button type="submit" className="button" disabled={busy}>
            {t('lc.elim.analyseRun')}
          </button>
        </form>
      ) : null}
      <h2>{t('lc.elim.requests')}</h2>
      <ErrorMessage error={list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && list.data.length === 0 ? <p className="muted">{t('lc.elim.noRequests')}</p> : null}
      {list.data && list.data.length > 0 ? <RequestsTable list={[...list.data].reverse()} /> : null}
    </section>
  )
}

/** One conflict reason as a French sentence (the descendant named by its title). */
function Reason({ r }: { r: ConflictReason }) {
  const { t } = useI18n()
  const label = useCodeLabel()
  if (r.code === 'HAS_DESCENDANT_TO_KEEP' && r.unitId)
    return (
      <>
        {t('lc.reason.HAS_DESCENDANT_TO_KEEP')} <UnitName id={r.unitId} />
        {r.cause ? ` (${label('lc.reason', r.cause)})` : ''}
      </>
    )
  if (r.code === 'OBJECT_GROUP_SHARED' && r.unitId)
    return (
      <>
        {t('lc.reason.OBJECT_GROUP_SHARED')} <UnitName id={r.unitId} />
      </>
    )
  return (
    <>
      {label('lc.reason', r.code)}
      {r.detail ? ` — ${r.detail}` : ''}
    </>
  )
}

function AnalysisTable({
  units,
  selected,
  onToggle,
}: {
  units: readonly AnalysisUnit[]
  selected?: ReadonlySet<string>
  onToggle?: (id: string) => void
}) {
  const { t, lang } = useI18n()
  const label = useCodeLabel()
  return (
    <table>
      <thead>
        <tr>
          {onToggle ? (
            <th scope="col">
              <span className="visually-hidden">{t('lc.elim.col.select')}</span>
            </th>
          ) : null}
          <th scope="col">{t('lc.elim.col.unit')}</th>
          <th scope="col">{t('lc.elim.col.dua')}</th>
          <th scope="col">{t('lc.elim.col.finalAction')}</th>
          <th scope="col">{t('lc.elim.col.volume')}</th>
          {onToggle ? null : <th scope="col">{t('lc.elim.col.reasons')}</th>}
        </tr>
      </thead>
      <tbody>
        {units.map((u) => (
          <tr key={u.unitId}>
            {onToggle ? (
              <td>
                <input
                  type="checkbox"
                  id={`sel-${u.unitId}`}
                  aria-label={t('lc.elim.selectUnit', { title: u.title })}
                  checked={selected?.has(u.unitId) ?? false}
                  onChange={() => onToggle(u.unitId)}
                />
              </td>
            ) : null}
            <td>
              <Link to={`/units/${u.unitId}`}>{u.title}</Link>
            </td>
            <td>{formatDate(u.appraisalEndDate, lang)}</td>
            <td>{u.finalAction ? label('final', u.finalAction) : t('app.none')}</td>
            <td>
              {t('lc.elim.volume', {
                objects: formatNumber(u.objects, lang),
                bytes: formatBytes(u.bytes, lang),
              })}
            </td>
            {onToggle ? null : (
              <td>
                <ul className="problems">
                  {u.reasons.map((r, i) => (
                    <li key={i}>
                      <Reason r={r} />
                    </li>
                  ))}
                </ul>
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** An analysis followed until done; its eligible units can be put into a request. */
export function AnalysisScreen({ id }: { id: string }) {
  const s = useSession()
  const { t, lang } = useI18n()
  const [tick, setTick] = useState(0)
  const { data, error } = useLoad<Analysis>(() => elimination.analysis(s.api, id), [id, tick])
  usePoll(!!data && data.status !== 'DONE', data, () => setTick((n) => n + 1))
  const [selected, setSelected] = useState<Set<string> | null>(null)
  const [observations, setObservations] = useState('')
  const [busy, setBusy] = useState(false)
  const [createError, setCreateError] = useState<unknown>(null)
  if (!data) return error ? <ErrorMessage error={error} /> : <Loading />
  const chosen = selected ?? new Set(data.eligible.map((u) => u.unitId))
  const toggle = (unitId: string) => {
    const next = new Set(chosen)
    if (next.has(unitId)) next.delete(unitId)
    else next.add(unitId)
    setSelected(next)
  }
  const mayRequest = s.can('archive.manage') || s.can('ingest.submit')
  const create = async (e: FormEvent) => {
    e.preventDefault()
    setCreateError(null)
    setBusy(true)
    try {
      const r = await elimination.create(s.api, {
        analysisId: id,
        unitIds: [...chosen],
        ...(observations.trim() ? { observations: observations.trim() } : {}),
      })
      navigate(`/eliminations/${r.id}`)
    } catch (err) {
      setCreateError(err)
      setBusy(false)
    }
  }
  return (
    <section aria-labelledby="analysis-title">
      <h1 id="analysis-title">{t('lc.analysis.title')}</h1>
      <ErrorMessage error={error} />
      <div aria-live="polite">
        {data.status !== 'DONE' ? (
          <p className="alert alert-info" role="status">
            {t('lc.analysis.running')}
          </p>
        ) : (
          <p className="alert alert-ok" role="status">
            {t('lc.analysis.done', {
              eligible: formatNumber(data.totals.eligible, lang),
              conflicts: formatNumber(data.totals.conflicts, lang),
              date: formatDate(data.asOf, lang),
            })}
          </p>
        )}
      </div>
      {data.status === 'DONE' ? (
        <>
          <h2>{t('lc.analysis.eligible')}</h2>
          {data.eligible.length === 0 ? (
            <p className="muted">{t('lc.analysis.noEligible')}</p>
          ) : mayRequest ? (
            <form className="card" onSubmit={(e) => void create(e)}>
              <div className="scroll">
                <AnalysisTable units={data.eligible} selected={chosen} onToggle={toggle} />
              </div>
              <label htmlFor="req-observations">{t('lc.analysis.observations')}</label>
              <textarea
                id="req-observations"
                rows={3}
                value={observations}
                onChange={(e) => setObservations(e.target.value)}
              />
              <ErrorMessage error={createError} />
              <div className="inline-form">
                <button type="submit" className="button" disabled={busy || chosen.size === 0}>
                  {t('lc.analysis.create', { n: chosen.size })}
                </button>
              </div>
            </form>
          ) : (
            <AnalysisTable units={data.eligible} />
          )}
          <h2>{t('lc.analysis.conflicts')}</h2>
          {data.conflicts.length === 0 ? (
            <p className="muted">{t('lc.analysis.noConflicts')}</p>
          ) : (
            <div className="scroll">
              <AnalysisTable units={data.conflicts} />
            </div>
          )}
        </>
      ) : null}
    </section>
  )
}

function ExecutionProgress({
  operationId,
  units,
  onDone,
}: {
  operationId: string
  units: number
  onDone(): void
}) {
  const { t } = useI18n()
  const { op, error } = useOperation(operationId)
  const destroyed = op?.events.filter((e) => e.type === 'ELIMINATION_UNIT_DESTROYED').length ?? 0
  const finished = !!op && !RUNNING.has(op.status)
  useEffect(() => {
    if (finished) onDone()
    // Once, when the operation ends.
  }, [finished])
  return (
    <div className="progress" role="status" aria-live="polite">
      <ErrorMessage error={error} />
      {!op || RUNNING.has(op.status) ? (
        <>
          <p>{t('lc.exec.running', { done: destroyed, total: units })}</p>
          <progress max={Math.max(units, 1)} value={destroyed} />
        </>
      ) : (
        <p>{t('lc.exec.finished', { done: destroyed, total: units })}</p>
      )}
    </div>
  )
}

/** One request: its units and frozen state, its documents and the action its state allows. */
export function EliminationScreen({ id }: { id: string }) {
  const s = useSession()
  const { t, lang } = useI18n()
  const label = useCodeLabel()
  const who = usePrincipalName()
  const { data: r, error, reload } = useLoad(() => elimination.show(s.api, id), [id])
  const [busy, setBusy] = useState(false)
  const [actionError, setActionError] = useState<unknown>(null)
  const [notice, setNotice] = useState<string | null>(null)
  const [execOp, setExecOp] = useState<string | null>(null)
  const [cancelReason, setCancelReason] = useState('')
  usePoll(!!r && r.status === 'executing' && !execOp, r, reload, 2000)
  if (!r) return error ? <ErrorMessage error={error} /> : <Loading />
  const act = async (fn: () => Promise<unknown>, done: string) => {
    setActionError(null)
    setNotice(null)
    setBusy(true)
    try {
      await fn()
      setNotice(done)
      reload()
    } catch (err) {
      setActionError(err)
    } finally {
      setBusy(false)
    }
  }
  const execute = async () => {
    setActionError(null)
    setBusy(true)
    try {
      const x = await elimination.execute(s.api, id)
      setExecOp(x.operationId)
    } catch (err) {
      setActionError(err)
      setBusy(false)
    }
  }
  const mayRequest = s.can('archive.manage') || s.can('ingest.submit')
  const visa = canVisaOn(s, s.tenant)
  const docs = ELIMINATION_DOCUMENTS.filter((n) => r.documents?.some((d) => d.name === n))
  return (
    <article aria-labelledby="req-title">
      <h1 id="req-title">{t('lc.req.title', { id: r.id })}</h1>
      <dl className="facts">
        <div>
          <dt>{t('lc.elim.col.status')}</dt>
          <dd>
            <RequestStatus status={r.status} />
          </dd>
        </div>
        <div>
          <dt>{t('lc.req.volume')}</dt>
          <dd>
            {t('lc.elim.amount', {
              units: formatNumber(r.totals.units, lang),
              objects: formatNumber(r.totals.objects, lang),
              bytes: formatBytes(r.totals.bytes, lang),
            })}
          </dd>
        </div>
        <div>
          <dt>{t('lc.elim.col.dates')}</dt>
          <dd>
            {formatDate(r.startDate, lang)}
            {r.endDate ? ` – ${formatDate(r.endDate, lang)}` : ''}
          </dd>
        </div>
        <div>
          <dt>{t('lc.req.created')}</dt>
          <dd>{t('lc.req.byAt', { by: who(r.createdBy), at: formatDateTime(r.createdAt, lang) })}</dd>
        </div>
        {r.submittedAt ? (
          <div>
            <dt>{t('lc.req.submitted')}</dt>
            <dd>{t('lc.req.byAt', { by: who(r.submittedBy), at: formatDateTime(r.submittedAt, lang) })}</dd>
          </div>
        ) : null}
        {r.observations ? (
          <div>
            <dt>{t('lc.analysis.observations')}</dt>
            <dd>{r.observations}</dd>
          </div>
        ) : null}
        {r.seal ? (
          <div>
            <dt>{t('lc.req.seal')}</dt>
            <dd>
              <code title={r.seal}>{r.seal.slice(0, 32)}…</code>
            </dd>
          </div>
        ) : null}
        {r.expiresAt ? (
          <div>
            <dt>{t('lc.req.expires')}</dt>
            <dd>{formatDateTime(r.expiresAt, lang)}</dd>
          </div>
        ) : null}
      </dl>
      {r.visa ? (
        <div className={`alert ${r.visa.decision === 'approve' ? 'alert-ok' : 'alert-error'}`} role="status">
          <p>
            {t(r.visa.decision === 'approve' ? 'lc.visa.approved' : 'lc.visa.refused', {
              by: who(r.visa.by),
              at: formatDateTime(r.visa.at, lang),
            })}
          </p>
          <p>{t('lc.visa.comment', { comment: r.visa.comment })}</p>
        </div>
      ) : null}

      {notice ? <Notice>{notice}</Notice> : null}
      <ErrorMessage error={actionError} />
      {execOp ? (
        <ExecutionProgress
          operationId={execOp}
          units={r.totals.units}
          onDone={() => {
            setExecOp(null)
            setBusy(false)
            reload()
          }}
        />
      ) : null}
      {r.status === 'executing' && !execOp ? (
        <p className="alert alert-info">{t('lc.exec.resumed')}</p>
      ) : null}

      <div className="inline-form">
        {r.status === 'draft' && mayRequest ? (
          <button
            type="button"
            className="button"
            disabled={busy}
            onClick={() => void act(() => elimination.submit(s.api, id), t('lc.req.submittedNotice'))}
          >
            {t('lc.req.submit')}
          </button>
        ) : null}
        {r.status === 'submitted' && visa ? (
          <Link className="button" to={`/eliminations/${id}/visa`}>
            {t('lc.req.giveVisa')}
          </Link>
        ) : null}
        {r.status === 'approved' && s.can('archive.manage') ? (
          <button type="button" className="button" disabled={busy} onClick={() => void execute()}>
            {t('lc.req.execute')}
          </button>
        ) : null}
      </div>
      {r.status === 'submitted' && !visa ? <p className="muted">{t('lc.req.awaitingVisa')}</p> : null}

      {docs.length > 0 ? (
        <>
          <h2>{t('lc.req.documents')}</h2>
          <div className="inline-form">
            {docs.map((n) => (
              <DownloadButton
                key={n}
                path={elimination.documentPath(id, n)}
                name={`${id}-${n}`}
                label={label('lc.doc', n)}
              />
            ))}
          </div>
        </>
      ) : null}

      <h2>{t('lc.req.units')}</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">{t('lc.elim.col.unit')}</th>
            <th scope="col">{t('lc.req.unitState')}</th>
          </tr>
        </thead>
        <tbody>
          {(r.units ?? []).map((u) => (
            <tr key={u.unitId}>
              <td>
                {r.status === 'executed' || u.status === 'destroyed' ? (
                  u.title
                ) : (
                  <Link to={`/units/${u.unitId}`}>{u.title}</Link>
                )}
              </td>
              <td>
                {label('lc.ustate', u.status)}
                {u.reason
                  ? ` — ${label('lc.reason', u.reason.split(':')[0]!)}${u.reason.includes(':') ? ` (${u.reason.slice(u.reason.indexOf(':') + 1).trim()})` : ''}`
                  : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      {['draft', 'submitted', 'approved'].includes(r.status) && mayRequest ? (
        <details>
          <summary>{t('lc.req.cancel')}</summary>
          <form
            className="inline-form"
            onSubmit={(e) => {
              e.preventDefault()
              void act(() => elimination.cancel(s.api, id, cancelReason), t('lc.req.cancelledNotice'))
            }}
          >
            <label htmlFor="cancel-reason">{t('lc.req.cancelReason')}</label>
            <input
              id="cancel-reason"
              value={cancelReason}
              onChange={(e) => setCancelReason(e.target.value)}
            />
            <button type="submit" className="button secondary" disabled={busy}>
              {t('lc.req.cancelConfirm')}
            </button>
          </form>
        </details>
      ) : null}
      <p>
        <Link to="/eliminations">{t('lc.req.back')}</Link>
      </p>
    </article>
  )
}

/** The control authority's decision on a submitted request: approve or refuse, with a comment. */
export function VisaScreen({ id }: { id: string }) {
  const s = useSession()
  const { t } = useI18n()
  const allowed = canVisaOn(s, s.tenant)
  const { data: r, error } = useLoad(
    () => (allowed ? elimination.show(s.api, id) : Promise.resolve(null)),
    [id, allowed],
  )
  const [decision, setDecision] = useState<'approve' | 'refuse'>('approve')
  const [comment, setComment] = useState('')
  const [busy, setBusy] = useState(false)
  const [actionError, setActionError] = useState<unknown>(null)
  if (!allowed)
    return (
      <section aria-labelledby="visa-title">
        <h1 id="visa-title">{t('lc.visa.title')}</h1>
        <div className="alert alert-error" role="alert">
          <p>{t('lc.visa.notAllowed')}</p>
        </div>
        <p>
          <Link to={`/eliminations/${id}`}>{t('lc.visa.backToRequest')}</Link>
        </p>
      </section>
    )
  if (!r) return error ? <ErrorMessage error={error} /> : <Loading />
  const send = async (e: FormEvent) => {
    e.preventDefault()
    setActionError(null)
    setBusy(true)
    try {
      await elimination.visa(s.api, id, decision, comment)
      navigate(`/eliminations/${id}`)
    } catch (err) {
      setActionError(err)
      setBusy(false)
    }
  }
  return (
    <section aria-labelledby="visa-title">
      <h1 id="visa-title">{t('lc.visa.title')}</h1>
      <p>{t('lc.visa.intro', { id: r.id, tenant: s.tenant?.name ?? r.tenantId, units: r.totals.units })}</p>
      <div className="inline-form">
        {r.documents?.some((d) => d.name === 'bordereau.pdf') ? (
          <DownloadButton
            path={elimination.documentPath(id, 'bordereau.pdf')}
            name={`${id}-bordereau.pdf`}
            label={t('lc.doc.bordereau.pdf')}
          />
        ) : null}
        <Link className="button secondary" to={`/eliminations/${id}`}>
          {t('lc.visa.seeRequest')}
        </Link>
      </div>
      {r.status !== 'submitted' ? <p className="alert alert-info">{t('lc.visa.notSubmitted')}</p> : null}
      <form className="card" onSubmit={(e) => void send(e)}>
        <fieldset>
          <legend>{t('lc.visa.decision')}</legend>
          <label>
            <input
              type="radio"
              name="decision"
              value="approve"
              checked={decision === 'approve'}
              onChange={() => setDecision('approve')}
            />{' '}
            {t('lc.visa.approve')}
          </label>
          <label>
            <input
              type="radio"
              name="decision"
              value="refuse"
              checked={decision === 'refuse'}
              onChange={() => setDecision('refuse')}
            />{' '}
            {t('lc.visa.refuse')}
          </label>
        </fieldset>
        <label htmlFor="visa-comment">{t('lc.visa.commentLabel')}</label>
        <textarea id="visa-comment" rows={3} value={comment} onChange={(e) => setComment(e.target.value)} />
        <ErrorMessage error={actionError} />
        <button type="submit" className="button" disabled={busy}>
          {t('lc.visa.send')}
        </button>
      </form>
    </section>
  )
}

/** Submitted requests of every commune this principal's AD controls. */
export function PendingVisas({ compact }: { compact?: boolean }) {
  const s = useSession()
  const { t } = useI18n()
  const { data, error, loading } = useLoad(() => elimination.pendingVisas(s.api), [s.data.principal.id])
  return (
    <>
      <ErrorMessage error={error} />
      {loading && !data ? <Loading /> : null}
      {data && data.length === 0 ? <p className="muted">{t('lc.visas.none')}</p> : null}
      {data && data.length > 0 ? (
        <>
          {compact ? <p>{t('lc.visas.count', { n: data.length })}</p> : null}
          <RequestsTable list={data} tenantColumn />
        </>
      ) : null}
    </>
  )
}

export function PendingVisasScreen() {
  const { t } = useI18n()
  return (
    <section aria-labelledby="visas-title">
      <h1 id="visas-title">{t('lc.visas.title')}</h1>
      <p>{t('lc.visas.intro')}</p>
      <PendingVisas />
    </section>
  )
}
