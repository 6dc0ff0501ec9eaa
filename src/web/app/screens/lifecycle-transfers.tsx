/**
 * Outgoing transfers and restitutions (docs/lifecycle.md): to another tenant of the platform or as a SEDA
 * file; followed until the receiver's ATR, then the purge.
 */
import { useState, type FormEvent } from 'react'
import { outgoing, type NewTransfer, type OutgoingTransfer } from '../api-lifecycle.js'
import { DownloadButton, ErrorMessage, Loading, Notice, useLoad } from '../components.js'
import { formatBytes, formatDateTime, formatNumber } from '../format.js'
import { useI18n } from '../i18n.js'
import { Link, navigate, useLocation } from '../router.js'
import { useSession } from '../session.js'
import { idsOf, useCodeLabel, usePoll } from './lifecycle-common.js'

const MOVING = new Set(['requested', 'prepared'])

function TransferState({ state }: { state: string }) {
  const label = useCodeLabel()
  const tone = state === 'purged' || state === 'acknowledged' ? 'ok' : state === 'KO' ? 'ko' : 'pending'
  return <span className={`badge badge-${tone}`}>{label('lc.tr.state', state)}</span>
}

function destination(x: OutgoingTransfer, t: ReturnType<typeof useI18n>['t']): string {
  return x.targetTenant ? t('lc.tr.toTenant', { tenant: x.targetTenant }) : t('lc.tr.asFile')
}

export function OutgoingTransfersScreen() {
  const s = useSession()
  const { t, lang } = useI18n()
  const label = useCodeLabel()
  const { query } = useLocation()
  const list = useLoad(() => outgoing.list(s.api), [s.data.tenantId])
  const [type, setType] = useState<NewTransfer['type']>('TRANSFER')
  const [mode, setMode] = useState<'branch' | 'units'>('branch')
  const [selection, setSelection] = useState(query.get('branch') ?? '')
  const [target, setTarget] = useState('')
  const [version, setVersion] = useState<NewTransfer['sedaVersion']>('2.2')
  const [contract, setContract] = useState('')
  const [comment, setComment] = useState('')
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const others = s.data.tenants.filter((x) => x.id !== s.data.tenantId)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setError(null)
    setBusy(true)
    try {
      const ids = idsOf(selection)
      const x = await outgoing.create(s.api, {
        type,
        selection: mode === 'branch' ? { branch: ids[0] ?? '' } : { unitIds: ids },
        sedaVersion: version,
        ...(target ? { targetTenant: target } : {}),
        ...(contract.trim() ? { contract: contract.trim() } : {}),
        ...(comment.trim() ? { comment: comment.trim() } : {}),
      })
      navigate(`/outgoing/${x.operationId}`)
    } catch (err) {
      setError(err)
      setBusy(false)
    }
  }
  return (
    <section aria-labelledby="out-title">
      <h1 id="out-title">{t('lc.out.title')}</h1>
      <p>{t('lc.out.intro')}</p>
      <form className="card" onSubmit={(e) => void submit(e)}>
        <h2>{t('lc.out.new')}</h2>
        <label htmlFor="out-type">{t('lc.out.type')}</label>
        <select id="out-type" value={type} onChange={(e) => setType(e.target.value as NewTransfer['type'])}>
          <option value="TRANSFER">{label('lc.tr.type', 'TRANSFER')}</option>
          <option value="RESTITUTION">{label('lc.tr.type', 'RESTITUTION')}</option>
        </select>
        <label htmlFor="out-mode">{t('lc.out.selection')}</label>
        <select id="out-mode" value={mode} onChange={(e) => setMode(e.target.value as 'branch' | 'units')}>
          <option value="branch">{t('lc.sel.branch')}</option>
          <option value="units">{t('lc.sel.units')}</option>
        </select>
        <label htmlFor="out-ids">{mode === 'branch' ? t('lc.sel.branchId') : t('lc.sel.unitIds')}</label>
        <textarea
          id="out-ids"
          rows={mode === 'branch' ? 1 : 3}
          required
          value={selection}
          onChange={(e) => setSelection(e.target.value)}
        />
        <label htmlFor="out-target">{t('lc.out.target')}</label>
        <select id="out-target" value={target} onChange={(e) => setTarget(e.target.value)}>
          <option value="">{t('lc.out.targetFile')}</option>
          {others.map((x) => (
            <option key={x.id} value={x.id}>
              {x.name} ({x.id})
            </option>
          ))}
        </select>
        <label htmlFor="out-version">{t('lc.out.version')}</label>
        <select
          id="out-version"
          value={version}
          onChange={(e) => setVersion(e.target.value as NewTransfer['sedaVersion'])}
        >
          <option value="2.1">SEDA 2.1</option>
          <option value="2.2">SEDA 2.2</option>
          <option value="2.3">SEDA 2.3</option>
        </select>
        <label htmlFor="out-contract">{t('lc.out.contract')}</label>
        <input id="out-contract" value={contract} onChange={(e) => setContract(e.target.value)} />
        <label htmlFor="out-comment">{t('lc.out.comment')}</label>
        <input id="out-comment" value={comment} onChange={(e) => setComment(e.target.value)} />
        <ErrorMessage error={error} />
        <button type="submit" className="button" disabled={busy}>
          {t('lc.out.create')}
        </button>
      </form>
      <h2>{t('lc.out.list')}</h2>
      <ErrorMessage error={list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && list.data.results.length === 0 ? <p className="muted">{t('lc.out.none')}</p> : null}
      {list.data && list.data.results.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('lc.out.col.transfer')}</th>
              <th scope="col">{t('lc.out.type')}</th>
              <th scope="col">{t('lc.out.target')}</th>
              <th scope="col">{t('lc.out.col.state')}</th>
              <th scope="col">{t('lc.out.col.units')}</th>
              <th scope="col">{t('lc.out.col.date')}</th>
            </tr>
          </thead>
          <tbody>
            {[...list.data.results].reverse().map((x) => (
              <tr key={x.operationId}>
                <td>
                  <Link to={`/outgoing/${x.operationId}`}>{x.messageIdentifier}</Link>
                </td>
                <td>{label('lc.tr.type', x.type)}</td>
                <td>{destination(x, t)}</td>
                <td>
                  <TransferState state={x.state} />
                </td>
                <td>{formatNumber(x.units, lang)}</td>
                <td>{formatDateTime(x.createdAt, lang)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  )
}

export function OutgoingTransferScreen({ id }: { id: string }) {
  const s = useSession()
  const { t, lang } = useI18n()
  const label = useCodeLabel()
  const [tick, setTick] = useState(0)
  const { data: x, error } = useLoad(() => outgoing.show(s.api, id), [id, tick])
  // A transfer to another tenant is « sent » while the worker ingests it there, then answered by the
  // worker itself: follow it until then. A file waits for an ATR that a person uploads: no need to ask.
  const moving = !!x && (MOVING.has(x.state) || (x.state === 'sent' && x.targetTenant !== null))
  usePoll(moving, x, () => setTick((n) => n + 1))
  const [file, setFile] = useState<File | null>(null)
  const [ackError, setAckError] = useState<unknown>(null)
  const [notice, setNotice] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  if (!x) return error ? <ErrorMessage error={error} /> : <Loading />
  const ack = async (e: FormEvent) => {
    e.preventDefault()
    if (!file) return
    setAckError(null)
    setBusy(true)
    try {
      const r = await outgoing.ack(s.api, id, file)
      setNotice(t(r.state === 'KO' ? 'lc.tr.ackKo' : 'lc.tr.ackOk'))
      setTick((n) => n + 1)
    } catch (err) {
      setAckError(err)
    } finally {
      setBusy(false)
    }
  }
  return (
    <article aria-labelledby="tr-title">
      <h1 id="tr-title">{t('lc.tr.title', { id: x.messageIdentifier })}</h1>
      <dl className="facts">
        <div>
          <dt>{t('lc.out.col.state')}</dt>
          <dd>
            <TransferState state={x.state} />
          </dd>
        </div>
        <div>
          <dt>{t('lc.out.type')}</dt>
          <dd>{label('lc.tr.type', x.type)}</dd>
        </div>
        <div>
          <dt>{t('lc.out.target')}</dt>
          <dd>{destination(x, t)}</dd>
        </div>
        <div>
          <dt>{t('lc.out.version')}</dt>
          <dd>SEDA {x.sedaVersion}</dd>
        </div>
        <div>
          <dt>{t('lc.tr.content')}</dt>
          <dd>
            {t('lc.elim.amount', {
              units: formatNumber(x.units, lang),
              objects: formatNumber(x.objects + x.physicalObjects, lang),
              bytes: formatBytes(x.bytes, lang),
            })}
          </dd>
        </div>
        <div>
          <dt>{t('lc.tr.producer')}</dt>
          <dd>{x.originatingAgency ?? t('app.none')}</dd>
        </div>
        {x.replyCode ? (
          <div>
            <dt>{t('lc.tr.replyCode')}</dt>
            <dd>
              <code>{x.replyCode}</code>
            </dd>
          </div>
        ) : null}
        <div>
          <dt>{t('lc.out.col.date')}</dt>
          <dd>{formatDateTime(x.updatedAt, lang)}</dd>
        </div>
      </dl>
      <div aria-live="polite">
        <p
          className={`alert ${x.state === 'KO' ? 'alert-error' : x.state === 'purged' ? 'alert-ok' : 'alert-info'}`}
        >
          {label('lc.tr.explain', x.state)}
        </p>
      </div>
      {notice ? <Notice>{notice}</Notice> : null}
      {x.reasons.length > 0 ? (
        <>
          <h2>{t('lc.tr.reasons')}</h2>
          <ul className="problems">
            {x.reasons.map((r, i) => (
              <li key={i}>
                <code>{r.type}</code> {r.message ?? r.detail ?? r.outcome}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <div className="inline-form">
        {x.package && s.can('archive.manage') ? (
          <DownloadButton
            path={outgoing.packagePath(id)}
            name={`${x.messageIdentifier}.zip`}
            label={t('lc.tr.download', { size: formatBytes(x.package.size, lang) })}
          />
        ) : null}
        <Link className="button secondary" to={`/logbook/${id}`}>
          {t('lc.tr.logbook')}
        </Link>
      </div>
      {x.state === 'sent' && !x.targetTenant && s.can('archive.manage') ? (
        <form className="card" onSubmit={(e) => void ack(e)}>
          <h2>{t('lc.tr.ack')}</h2>
          <p className="muted small">{t('lc.tr.ackHelp')}</p>
          <label htmlFor="ack-file">{t('lc.tr.ackFile')}</label>
          <input
            id="ack-file"
            type="file"
            accept=".xml,application/xml,text/xml"
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
          />
          <ErrorMessage error={ackError} />
          <button type="submit" className="button" disabled={busy || !file}>
            {t('lc.tr.ackSend')}
          </button>
        </form>
      ) : null}
      <p>
        <Link to="/outgoing">{t('lc.tr.back')}</Link>
      </p>
    </article>
  )
}
