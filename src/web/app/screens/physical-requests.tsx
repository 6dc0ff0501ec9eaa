/**
 * Demandes: consultation in the reading room, administrative loans to the producing service and
 * communication requests. The unit page asks (UnitRequestPanel); "Mes demandes" lists the requester's;
 * archivists see every request with its state (requested → approved / refused → delivered → returned,
 * overdue highlighted), check communicability, decide (a non-communicable unit needs a derogation:
 * reason and end date), deliver and record the return. PhysicalHome adds the archivist's figures to home.
 */
import { useState, type FormEvent } from 'react'
import { ApiError, type Unit } from '../api.js'
import {
  physicalApi,
  type AccessRequest,
  type Decision,
  type RequestKind,
  type RequestState,
} from '../api-physical.js'
import { ErrorMessage, Loading, Notice, useLoad } from '../components.js'
import { formatDate, formatDateTime } from '../format.js'
import { useI18n, type Translate } from '../i18n.js'
import { Link } from '../router.js'
import { useSession } from '../session.js'
import { formatMetres, useAgentNames } from './physical-common.js'

const STATES: readonly RequestState[] = ['requested', 'approved', 'refused', 'delivered', 'returned']
const KINDS: readonly RequestKind[] = ['consultation', 'loan', 'communication']

interface Communicability {
  readonly status: string
  readonly from?: string | null
  readonly legalBasis?: string | null
}

/** A physical object of the unit view carries its box and place (docs/physical.md, "Unit view"). */
interface PhysicalPlace {
  readonly box: { id: string; barcode: string; cote: string | null; status: string } | null
  readonly place: { path: string } | null
}

function placeOf(o: Unit['objects'][number]): PhysicalPlace {
  const x = o as unknown as { box?: PhysicalPlace | null }
  return x.box ?? { box: null, place: null }
}

export function StateBadge({ r }: { r: Pick<AccessRequest, 'state' | 'overdue'> }) {
  const { t } = useI18n()
  const cls = r.overdue
    ? 'badge-ko'
    : r.state === 'requested'
      ? 'badge-pending'
      : r.state === 'refused'
        ? 'badge-ko'
        : 'badge-ok'
  return (
    <span className={`badge ${cls}`}>
      {t(`req.state.${r.state}`)}
      {r.overdue ? ` — ${t('req.overdue')}` : ''}
    </span>
  )
}

function communicable(c: Communicability | null | undefined, today: string): boolean {
  if (!c) return false
  return c.status === 'immediate' || (c.status === 'date' && !!c.from && c.from <= today)
}

function commText(c: Communicability | null | undefined, t: Translate, lang: 'fr' | 'en'): string {
  if (!c) return t('req.comm.unknown')
  if (c.status === 'immediate') return t('req.comm.immediate')
  if (c.status === 'date')
    return (
      t('req.comm.date', { date: formatDate(c.from ?? null, lang) }) +
      (c.legalBasis ? ` (${c.legalBasis})` : '')
    )
  if (c.status === 'never') return t('req.comm.never') + (c.legalBasis ? ` (${c.legalBasis})` : '')
  return t('req.comm.unknown')
}

function RequestTable({ list, showRequester }: { list: readonly AccessRequest[]; showRequester: boolean }) {
  const { t, lang } = useI18n()
  return (
    <table data-testid="requests">
      <thead>
        <tr>
          <th scope="col">{t('req.col.date')}</th>
          <th scope="col">{t('req.col.kind')}</th>
          {showRequester ? <th scope="col">{t('req.col.requester')}</th> : null}
          <th scope="col">{t('req.col.units')}</th>
          <th scope="col">{t('req.col.due')}</th>
          <th scope="col">{t('req.col.state')}</th>
        </tr>
      </thead>
      <tbody>
        {list.map((r) => (
          <tr key={r.id} className={r.overdue ? 'row-ko' : undefined}>
            <td>
              <Link to={`/requests/${encodeURIComponent(r.id)}`}>{formatDateTime(r.createdAt, lang)}</Link>
            </td>
            <td>{t(`req.kind.${r.kind}`)}</td>
            {showRequester ? (
              <td>
                {r.requester.name}
                {r.service ? ` (${r.service})` : ''}
              </td>
            ) : null}
            <td>{r.unitIds.length}</td>
            <td>{formatDate(r.dueDate, lang)}</td>
            <td>
              <StateBadge r={r} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** Archivists: every request of the tenant, filtered by state or kind, overdue first when asked. */
export function RequestsScreen() {
  const { api } = useSession()
  const { t } = useI18n()
  const [state, setState] = useState<RequestState | ''>('requested')
  const [kind, setKind] = useState<RequestKind | ''>('')
  const [overdue, setOverdue] = useState(false)
  const list = useLoad(
    () =>
      physicalApi.requests(api, {
        ...(state ? { state } : {}),
        ...(kind ? { kind } : {}),
        ...(overdue ? { overdue: true } : {}),
      }),
    [state, kind, overdue],
  )
  return (
    <section aria-labelledby="req-title">
      <h1 id="req-title">{t('req.title')}</h1>
      <form className="inline-form" onSubmit={(e) => e.preventDefault()}>
        <div>
          <label htmlFor="req-state">{t('req.col.state')}</label>
          <select
            id="req-state"
            value={state}
            onChange={(e) => setState(e.target.value as RequestState | '')}
          >
            <option value="">{t('req.all')}</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {t(`req.state.${s}`)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="req-kind">{t('req.col.kind')}</label>
          <select id="req-kind" value={kind} onChange={(e) => setKind(e.target.value as RequestKind | '')}>
            <option value="">{t('req.all')}</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`req.kind.${k}`)}
              </option>
            ))}
          </select>
        </div>
        <label className="check">
          <input type="checkbox" checked={overdue} onChange={(e) => setOverdue(e.target.checked)} />{' '}
          {t('req.overdueOnly')}
        </label>
      </form>
      <ErrorMessage error={list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data ? (
        list.data.results.length === 0 ? (
          <p className="muted" role="status">
            {t('req.none')}
          </p>
        ) : (
          <RequestTable list={[...list.data.results].reverse()} showRequester />
        )
      ) : null}
    </section>
  )
}

/** The requester's own requests (an archivist's list holds everyone's: keep its own). */
export function MyRequestsScreen() {
  const { api, data } = useSession()
  const { t } = useI18n()
  const list = useLoad(() => physicalApi.requests(api), [])
  const mine = (list.data?.results ?? []).filter((r) => r.requester.id === data.principal.id).reverse()
  return (
    <section aria-labelledby="myreq-title">
      <h1 id="myreq-title">{t('req.mine')}</h1>
      <p className="muted">{t('req.mineHelp')}</p>
      <ErrorMessage error={list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data ? (
        mine.length === 0 ? (
          <p className="muted">{t('req.noneMine')}</p>
        ) : (
          <RequestTable list={mine} showRequester={false} />
        )
      ) : null}
    </section>
  )
}

function UnitsCheck({ r }: { r: AccessRequest }) {
  const { api, can } = useSession()
  const { t, lang } = useI18n()
  const units = useLoad(
    () =>
      Promise.all(
        r.unitIds.slice(0, 50).map((id) =>
          api.unit(id).then(
            (u) => ({ id, unit: u, error: null as unknown }),
            (error: unknown) => ({ id, unit: null, error }),
          ),
        ),
      ),
    [r.id],
  )
  const today = new Date().toISOString().slice(0, 10)
  return (
    <>
      <h2>{t('req.units')}</h2>
      {units.loading ? <Loading /> : null}
      <table data-testid="request-units">
        <thead>
          <tr>
            <th scope="col">{t('req.unit')}</th>
            <th scope="col">{t('req.comm')}</th>
            <th scope="col">{t('req.boxes')}</th>
          </tr>
        </thead>
        <tbody>
          {(units.data ?? []).map(({ id, unit, error }) => {
            const c = (unit as unknown as { communicability?: Communicability } | null)?.communicability
            const boxes = (unit?.objects ?? []).filter((o) => o.kind === 'physical').map(placeOf)
            return (
              <tr key={id}>
                <td>
                  {unit ? (
                    <Link to={`/units/${encodeURIComponent(id)}`}>{unit.title}</Link>
                  ) : (
                    <code>{id}</code>
                  )}
                </td>
                <td>
                  {unit ? (
                    <>
                      <span className={`badge ${communicable(c, today) ? 'badge-ok' : 'badge-ko'}`}>
                        {communicable(c, today) ? t('req.comm.yes') : t('req.comm.no')}
                      </span>{' '}
                      {commText(c, t, lang)}
                    </>
                  ) : (
                    <ErrorMessage error={error} />
                  )}
                </td>
                <td>
                  {boxes.length === 0
                    ? t('app.none')
                    : boxes.map((p, i) =>
                        p.box ? (
                          <span key={i}>
                            {can('archive.read') ? (
                              <Link to={`/physical/boxes/${encodeURIComponent(p.box.id)}`}>
                                {p.box.barcode}
                              </Link>
                            ) : (
                              p.box.barcode
                            )}{' '}
                            {p.place ? <code>{p.place.path}</code> : t('phys.box.unplaced')}{' '}
                          </span>
                        ) : null,
                      )}
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
      {r.unitIds.length > 50 ? (
        <p className="small">{t('req.moreUnits', { n: r.unitIds.length - 50 })}</p>
      ) : null}
    </>
  )
}

/** The closed units for this request's requester, as far as the archivist's view tells (loans are exempt). */
function useNeedsDerogation(r: AccessRequest | null): boolean | null {
  const { api } = useSession()
  const check = useLoad(async () => {
    if (!r || r.kind === 'loan' || r.state !== 'requested') return false
    const today = new Date().toISOString().slice(0, 10)
    const units = await Promise.all(r.unitIds.slice(0, 50).map((id) => api.unit(id).catch(() => null)))
    return units.some(
      (u) =>
        !communicable((u as unknown as { communicability?: Communicability } | null)?.communicability, today),
    )
  }, [r?.id, r?.state])
  return check.data
}

function ApproveForm({ r, onDone }: { r: AccessRequest; onDone(v: AccessRequest, msg: string): void }) {
  const { api } = useSession()
  const { t } = useI18n()
  const needs = useNeedsDerogation(r)
  const [forced, setForced] = useState(false)
  const [withDerogation, setWithDerogation] = useState<boolean | null>(null)
  const [reason, setReason] = useState('')
  const [due, setDue] = useState(r.dueDate ?? '')
  const [dReason, setDReason] = useState('')
  const [dUntil, setDUntil] = useState('')
  const [error, setError] = useState<unknown>(null)
  const derog = withDerogation ?? (forced || needs === true)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setError(null)
    const d: Decision = {
      ...(reason.trim() ? { reason: reason.trim() } : {}),
      ...(r.kind !== 'communication' && due ? { dueDate: due } : {}),
      ...(derog
        ? { derogation: { reason: dReason.trim(), expiresAt: dUntil ? `${dUntil}T23:59:59Z` : '' } }
        : {}),
    }
    try {
      const v = await physicalApi.decide(api, r.id, 'approve', d)
      onDone(v, t('req.approved'))
    } catch (err) {
      if (err instanceof ApiError && err.code === 'REQUEST_DEROGATION_REQUIRED') setForced(true)
      setError(err)
    }
  }
  return (
    <form className="card" onSubmit={(e) => void submit(e)} aria-labelledby="approve-title">
      <h3 id="approve-title">{t('req.approve')}</h3>
      {needs === true ? (
        <div className="alert alert-info" role="status">
          <p>{t('req.derogationNeeded')}</p>
        </div>
      ) : null}
      <label htmlFor="approve-reason">{t('req.reason')}</label>
      <input
        id="approve-reason"
        value={reason}
        onChange={(e) => setReason(e.target.value)}
        maxLength={2000}
      />
      {r.kind !== 'communication' ? (
        <>
          <label htmlFor="approve-due">{t('req.dueDate')}</label>
          <input id="approve-due" type="date" value={due} onChange={(e) => setDue(e.target.value)} />
        </>
      ) : null}
      <label className="check">
        <input type="checkbox" checked={derog} onChange={(e) => setWithDerogation(e.target.checked)} />{' '}
        {t('req.withDerogation')}
      </label>
      {derog ? (
        <fieldset>
          <legend>{t('req.derogation')}</legend>
          <label htmlFor="derog-reason">{t('req.derogationReason')}</label>
          <textarea
            id="derog-reason"
            rows={2}
            value={dReason}
            onChange={(e) => setDReason(e.target.value)}
            required
            maxLength={2000}
          />
          <label htmlFor="derog-until">{t('req.derogationUntil')}</label>
          <input
            id="derog-until"
            type="date"
            value={dUntil}
            onChange={(e) => setDUntil(e.target.value)}
            required
          />
        </fieldset>
      ) : null}
      <ErrorMessage error={error} />
      <button type="submit" className="button">
        {t('req.approveSubmit')}
      </button>
    </form>
  )
}

function SimpleAction({
  r,
  action,
  onDone,
}: {
  r: AccessRequest
  action: 'refuse' | 'deliver' | 'return'
  onDone(v: AccessRequest, msg: string): void
}) {
  const { api } = useSession()
  const { t } = useI18n()
  const [reason, setReason] = useState('')
  const [due, setDue] = useState(r.dueDate ?? '')
  const [error, setError] = useState<unknown>(null)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setError(null)
    try {
      const v = await physicalApi.decide(api, r.id, action, {
        ...(reason.trim() ? { reason: reason.trim() } : {}),
        ...(action === 'deliver' && r.kind !== 'communication' && due && due !== r.dueDate
          ? { dueDate: due }
          : {}),
      })
      onDone(v, t(`req.done.${action}`))
    } catch (err) {
      setError(err)
    }
  }
  return (
    <form className="card" onSubmit={(e) => void submit(e)} aria-labelledby={`${action}-title`}>
      <h3 id={`${action}-title`}>{t(`req.action.${action}`)}</h3>
      <label htmlFor={`${action}-reason`}>{t(action === 'refuse' ? 'req.refuseReason' : 'req.note')}</label>
      <input
        id={`${action}-reason`}
        value={reason}
        onChange={(e) => setReason(e.target.value)}
        required={action === 'refuse'}
        maxLength={2000}
      />
      {action === 'deliver' && r.kind !== 'communication' ? (
        <>
          <label htmlFor="deliver-due">{t('req.dueDate')}</label>
          <input id="deliver-due" type="date" value={due} onChange={(e) => setDue(e.target.value)} />
        </>
      ) : null}
      <ErrorMessage error={error} />
      <button type="submit" className={action === 'refuse' ? 'button secondary' : 'button'}>
        {t(`req.submit.${action}`)}
      </button>
    </form>
  )
}

export function RequestScreen({ id }: { id: string }) {
  const { api, can } = useSession()
  const { t, lang } = useI18n()
  const loaded = useLoad(() => physicalApi.request(api, id), [id])
  const [view, setView] = useState<AccessRequest | null>(null)
  const [notice, setNotice] = useState<string | null>(null)
  const agent = useAgentNames()
  const r = view ?? loaded.data
  if (!r) return loaded.error ? <ErrorMessage error={loaded.error} /> : <Loading />
  const manage = can('archive.manage')
  const done = (v: AccessRequest, msg: string) => {
    setView(v)
    setNotice(msg)
  }
  return (
    <article aria-labelledby="one-req">
      <h1 id="one-req">{t('req.one', { kind: t(`req.kind.${r.kind}`) })}</h1>
      {notice ? <Notice>{notice}</Notice> : null}
      <dl className="facts">
        <div>
          <dt>{t('req.col.state')}</dt>
          <dd data-testid="request-state">
            <StateBadge r={r} />
          </dd>
        </div>
        <div>
          <dt>{t('req.col.requester')}</dt>
          <dd>{r.requester.name}</dd>
        </div>
        {r.service ? (
          <div>
            <dt>{t('req.service')}</dt>
            <dd>{r.service}</dd>
          </div>
        ) : null}
        <div>
          <dt>{t('req.motive')}</dt>
          <dd>{r.motive ?? t('app.none')}</dd>
        </div>
        <div>
          <dt>{t('req.col.due')}</dt>
          <dd>{formatDate(r.dueDate, lang)}</dd>
        </div>
        {r.decisionReason ? (
          <div>
            <dt>{t('req.decisionReason')}</dt>
            <dd>{r.decisionReason}</dd>
          </div>
        ) : null}
        {r.derogation ? (
          <div>
            <dt>{t('req.derogation')}</dt>
            <dd>
              {t('req.derogationShown', {
                reason: r.derogation.reason,
                until: formatDateTime(r.derogation.expiresAt, lang),
                by: agent(r.derogation.decidedBy),
              })}
              {r.derogation.expired ? ` — ${t('req.derogationExpired')}` : ''}
            </dd>
          </div>
        ) : null}
      </dl>
      <UnitsCheck r={r} />
      {manage && r.state === 'requested' ? (
        <div className="two-col">
          <ApproveForm r={r} onDone={done} />
          <SimpleAction r={r} action="refuse" onDone={done} />
        </div>
      ) : null}
      {manage && r.state === 'approved' ? <SimpleAction r={r} action="deliver" onDone={done} /> : null}
      {manage && r.state === 'delivered' && r.kind !== 'communication' ? (
        <SimpleAction r={r} action="return" onDone={done} />
      ) : null}
      <h2>{t('req.history')}</h2>
      <table data-testid="request-history">
        <thead>
          <tr>
            <th scope="col">{t('req.col.date')}</th>
            <th scope="col">{t('req.col.state')}</th>
            <th scope="col">{t('req.by')}</th>
            <th scope="col">{t('req.motive')}</th>
          </tr>
        </thead>
        <tbody>
          {r.history.map((h, i) => (
            <tr key={i}>
              <td>{formatDateTime(h.at, lang)}</td>
              <td>
                {STATES.includes(h.state as RequestState)
                  ? t(`req.state.${h.state as RequestState}`)
                  : h.state}
              </td>
              <td>{h.by === r.requester.id ? r.requester.name : agent(h.by)}</td>
              <td>{h.reason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        <Link to={manage ? '/requests' : '/requests/mine'}>{t('req.back')}</Link>
      </p>
    </article>
  )
}

/**
 * On a unit's page: where its paper is (box, place), the requester's own requests for it, and the
 * buttons to ask for a consultation, a loan (the producing service) or a communication. Shown also when
 * the unit is not communicable to the reader (403 with the way to ask), so that the reader can ask.
 */
export function UnitRequestPanel({ id, unit, error }: { id: string; unit: Unit | null; error: unknown }) {
  const s = useSession()
  const { t, lang } = useI18n()
  const [kind, setKind] = useState<RequestKind | null>(null)
  const [motive, setMotive] = useState('')
  const [due, setDue] = useState('')
  const [service, setService] = useState(unit?.originatingAgency ?? '')
  const [sent, setSent] = useState<AccessRequest | null>(null)
  const [failure, setFailure] = useState<unknown>(null)
  const [tick, setTick] = useState(0)
  const mine = useLoad(
    () =>
      s.can('archive.read')
        ? physicalApi
            .requests(s.api)
            .then((p) =>
              p.results.filter((r) => r.requester.id === s.data.principal.id && r.unitIds.includes(id)),
            )
        : Promise.resolve([]),
    [id, tick],
  )
  const closed =
    error instanceof ApiError &&
    error.code === 'UNIT_NOT_COMMUNICABLE' &&
    (error.details as { derogation?: unknown } | undefined)?.derogation != null
  if (!unit && !closed) return null
  const physical = (unit?.objects ?? []).filter((o) => o.kind === 'physical')
  const binary = (unit?.objects ?? []).filter((o) => o.kind === 'binary')
  const kinds: RequestKind[] = unit
    ? [
        ...(physical.length > 0 ? (['consultation'] as const) : []),
        ...(physical.length > 0 && s.can('ingest.submit') && !s.can('archive.manage')
          ? (['loan'] as const)
          : []),
        ...(binary.length > 0 && !s.can('archive.manage') ? (['communication'] as const) : []),
      ]
    : ['consultation', 'communication']
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (!kind) return
    setFailure(null)
    try {
      const r = await physicalApi.createRequest(s.api, {
        kind,
        unitIds: [id],
        ...(motive.trim() ? { motive: motive.trim() } : {}),
        ...(kind !== 'communication' && due ? { dueDate: due } : {}),
        ...(kind === 'loan' ? { service: service.trim() } : {}),
      })
      setSent(r)
      setKind(null)
      setTick((n) => n + 1)
    } catch (err) {
      setFailure(err)
    }
  }
  const placed = physical.map(placeOf).filter((p) => p.box !== null)
  return (
    <section className="card" aria-labelledby="unit-requests">
      <h2 id="unit-requests">{t('req.panel.title')}</h2>
      {placed.length > 0 ? (
        <ul>
          {placed.map((p, i) => (
            <li key={i}>
              {t('req.panel.box')}{' '}
              {s.can('archive.manage') ? (
                <Link to={`/physical/boxes/${encodeURIComponent(p.box!.id)}`}>{p.box!.barcode}</Link>
              ) : (
                <code>{p.box!.barcode}</code>
              )}
              {p.box!.cote ? ` (${p.box!.cote})` : ''} —{' '}
              {p.place ? <code>{p.place.path}</code> : t('phys.box.unplaced')}
            </li>
          ))}
        </ul>
      ) : null}
      {closed ? <p>{t('req.panel.closed')}</p> : null}
      {sent ? (
        <Notice>
          {t('req.panel.sent', { kind: t(`req.kind.${sent.kind}`) })}{' '}
          <Link to={`/requests/${encodeURIComponent(sent.id)}`}>{t('req.panel.follow')}</Link>
        </Notice>
      ) : null}
      {(mine.data ?? []).length > 0 ? (
        <ul data-testid="unit-my-requests">
          {mine.data!.map((r) => (
            <li key={r.id}>
              <Link to={`/requests/${encodeURIComponent(r.id)}`}>
                {t('req.panel.yours', {
                  kind: t(`req.kind.${r.kind}`),
                  date: formatDateTime(r.createdAt, lang),
                })}
              </Link>{' '}
              <StateBadge r={r} />
            </li>
          ))}
        </ul>
      ) : null}
      {kinds.length > 0 ? (
        <div className="actions">
          {kinds.map((k) => (
            <button
              key={k}
              type="button"
              className={kind === k ? 'button' : 'button secondary'}
              aria-pressed={kind === k}
              onClick={() => {
                setKind(k)
                setSent(null)
                setFailure(null)
              }}
            >
              {t(`req.ask.${k}`)}
            </button>
          ))}
        </div>
      ) : null}
      {kind ? (
        <form onSubmit={(e) => void submit(e)} aria-labelledby="ask-title">
          <h3 id="ask-title">{t(`req.ask.${kind}`)}</h3>
          {kind === 'loan' ? (
            <>
              <label htmlFor="ask-service">{t('req.service')}</label>
              <input id="ask-service" value={service} onChange={(e) => setService(e.target.value)} required />
            </>
          ) : null}
          <label htmlFor="ask-motive">{t('req.motive')}</label>
          <textarea
            id="ask-motive"
            rows={2}
            value={motive}
            onChange={(e) => setMotive(e.target.value)}
            maxLength={2000}
          />
          {kind !== 'communication' ? (
            <>
              <label htmlFor="ask-due">{t('req.dueDate')}</label>
              <input id="ask-due" type="date" value={due} onChange={(e) => setDue(e.target.value)} />
            </>
          ) : null}
          <button type="submit" className="button">
            {t('req.ask.send')}
          </button>
        </form>
      ) : null}
      <ErrorMessage error={failure} />
    </section>
  )
}

/** Home, for archivists: requests waiting for a decision, overdue loans, linear metres held. */
export function PhysicalHome() {
  const { api, can } = useSession()
  const { t, lang } = useI18n()
  const manage = can('archive.manage')
  const d = useLoad(async () => {
    if (!manage) return null
    const [pending, overdue, stats] = await Promise.all([
      physicalApi.requests(api, { state: 'requested' }),
      physicalApi.requests(api, { overdue: true }),
      physicalApi.statistics(api),
    ])
    const held = stats.byProducer.reduce((a, p) => a + p.linearMetres, 0)
    const boxes = stats.byProducer.reduce((a, p) => a + p.boxes, 0)
    return {
      pending: pending.results.length,
      overdue: overdue.results.length,
      held,
      boxes,
      unplaced: stats.unplaced,
    }
  }, [manage])
  if (!manage) return null
  if (!d.data) return d.error ? <ErrorMessage error={d.error} /> : null
  const v = d.data
  return (
    <section aria-labelledby="home-phys">
      <h2 id="home-phys">{t('req.home.title')}</h2>
      <dl className="stats">
        <div>
          <dt>{t('req.home.pending')}</dt>
          <dd>
            <Link to="/requests">{v.pending}</Link>
          </dd>
        </div>
        <div>
          <dt>{t('req.home.overdue')}</dt>
          <dd>{v.overdue}</dd>
        </div>
        <div>
          <dt>{t('req.home.held')}</dt>
          <dd>{formatMetres(v.held, lang)}</dd>
        </div>
        <div>
          <dt>{t('req.home.boxes')}</dt>
          <dd>{v.boxes}</dd>
        </div>
        <div>
          <dt>{t('req.home.unplaced')}</dt>
          <dd>{v.unplaced.boxes}</dd>
        </div>
      </dl>
    </section>
  )
}
