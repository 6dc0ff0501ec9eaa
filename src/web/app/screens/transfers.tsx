import { useEffect, useRef, useState, type FormEvent } from 'react'
import { ApiError, type Operation, type OperationEvent, type OperationSummary } from '../api.js'
import { DownloadButton, ErrorMessage, Loading, Status, useLoad } from '../components.js'
import { formatBytes, formatDateTime } from '../format.js'
import { hasMessage, useI18n, type Translate } from '../i18n.js'
import { Link, navigate } from '../router.js'
import { useSession } from '../session.js'

const PACKAGE_EXTENSIONS = ['.zip', '.tar', '.tar.gz', '.tgz']

export function isPackageName(name: string): boolean {
  const n = name.toLowerCase()
  return PACKAGE_EXTENSIONS.some((e) => n.endsWith(e))
}

/** What to do about a refused step: the most specific hint for `CHECK_HEADER.CHECK_AGENT`-like types. */
export function hintFor(type: string, t: Translate): string {
  for (let k = type; k; k = k.includes('.') ? k.slice(0, k.lastIndexOf('.')) : '') {
    const key = `hint.${k}`
    if (hasMessage(key)) return t(key)
  }
  return t('hint.default')
}

export function TransferTable({ ops }: { ops: OperationSummary[] }) {
  const { t, lang } = useI18n()
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">{t('transfers.col.date')}</th>
          <th scope="col">{t('transfers.col.file')}</th>
          <th scope="col">{t('transfers.col.status')}</th>
          <th scope="col">{t('transfers.col.units')}</th>
          <th scope="col">{t('transfers.col.size')}</th>
        </tr>
      </thead>
      <tbody>
        {ops.map((op) => (
          <tr key={op.id}>
            <td>
              <Link to={`/transfers/${op.id}`}>{formatDateTime(op.createdAt, lang)}</Link>
            </td>
            <td>{String(op.summary.fileName ?? op.summary.messageIdentifier ?? op.id)}</td>
            <td>
              <Status status={op.status} />
            </td>
            <td>{typeof op.summary.units === 'number' ? op.summary.units : '—'}</td>
            <td>{formatBytes(typeof op.summary.bytes === 'number' ? op.summary.bytes : null, lang)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

export function TransfersScreen() {
  const s = useSession()
  const { t, lang } = useI18n()
  const [file, setFile] = useState<File | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [progress, setProgress] = useState<{ sent: number; total: number } | null>(null)
  const abort = useRef<AbortController | null>(null)
  const list = useLoad(
    () => (s.can('logbook.read') ? s.api.operations({ type: 'INGEST', limit: 20 }) : Promise.resolve(null)),
    [],
  )

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setError(null)
    if (!file) return setError(new ApiError(400, 'NO_FILE', t('transfers.noFile')))
    if (!isPackageName(file.name))
      return setError(new ApiError(415, 'WRONG_FILE_TYPE', t('transfers.badType', { name: file.name })))
    abort.current = new AbortController()
    setProgress({ sent: 0, total: file.size })
    try {
      const r = await s.api.upload(file, (sent, total) => setProgress({ sent, total }), abort.current.signal)
      navigate(`/transfers/${r.operationId}`)
    } catch (err) {
      setError(
        err instanceof ApiError && err.code === 'ABORTED'
          ? new ApiError(400, 'ABORTED', t('transfers.aborted'))
          : err,
      )
      setProgress(null)
    }
  }
  const percent = progress && progress.total > 0 ? Math.round((progress.sent / progress.total) * 100) : 0

  return (
    <section aria-labelledby="transfers-title">
      <h1 id="transfers-title">{t('transfers.title')}</h1>
      <form className="card" onSubmit={(e) => void submit(e)}>
        <h2>{t('transfers.upload')}</h2>
        <label htmlFor="package">{t('transfers.file')}</label>
        <input
          id="package"
          type="file"
          accept=".zip,.tar,.gz,.tgz,application/zip,application/x-tar,application/gzip"
          aria-describedby="package-help"
          onChange={(e) => {
            setError(null)
            setFile(e.target.files?.[0] ?? null)
          }}
        />
        <p id="package-help" className="muted small">
          {t('transfers.fileHelp')}
        </p>
        <ErrorMessage error={error} />
        {progress ? (
          <div className="progress" role="status" aria-live="polite">
            <progress max={100} value={percent} aria-label={t('transfers.upload')} />
            <span>
              {progress.sent >= progress.total
                ? t('transfers.sent')
                : t('transfers.progress', {
                    percent,
                    sent: formatBytes(progress.sent, lang),
                    total: formatBytes(progress.total, lang),
                  })}
            </span>
            <button type="button" className="button secondary" onClick={() => abort.current?.abort()}>
              {t('transfers.cancel')}
            </button>
          </div>
        ) : (
          <button type="submit" className="button">
            {t('transfers.submit')}
          </button>
        )}
      </form>
      {list.data ? (
        <>
          <h2>{t('transfers.list')}</h2>
          {list.data.results.length === 0 ? (
            <p className="muted">{t('home.noTransfers')}</p>
          ) : (
            <TransferTable ops={list.data.results} />
          )}
        </>
      ) : null}
      <ErrorMessage error={list.error} />
    </section>
  )
}

export function EventsTable({ events }: { events: OperationEvent[] }) {
  const { t } = useI18n()
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">{t('op.col.step')}</th>
          <th scope="col">{t('op.col.outcome')}</th>
          <th scope="col">{t('op.col.message')}</th>
        </tr>
      </thead>
      <tbody>
        {events.map((e, i) => (
          <tr key={i} className={e.outcome === 'KO' || e.outcome === 'FATAL' ? 'row-ko' : undefined}>
            <td>
              <code>{e.type}</code>
            </td>
            <td>
              <Status status={e.outcome} />
            </td>
            <td>{e.message}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

const RUNNING = new Set(['PENDING', 'RUNNING'])

/** One transfer, followed step by step until it ends (polls the operation every second). */
export function TransferScreen({ id }: { id: string }) {
  const s = useSession()
  const { t, lang } = useI18n()
  const [tick, setTick] = useState(0)
  const { data: op, error } = useLoad<Operation>(() => s.api.operation(id), [id, tick])
  const [last, setLast] = useState<Operation | null>(null)
  useEffect(() => {
    if (op) setLast(op)
    if (op && RUNNING.has(op.status)) {
      const h = setTimeout(() => setTick((n) => n + 1), 1000)
      return () => clearTimeout(h)
    }
  }, [op])
  const shown = op ?? last
  if (!shown) return error ? <ErrorMessage error={error} /> : <Loading />
  const problems = shown.events.filter(
    (e) => (e.outcome === 'KO' || e.outcome === 'FATAL') && e.type !== 'STP_INGEST_FINALISATION',
  )
  return (
    <section aria-labelledby="op-title">
      <h1 id="op-title">{t(shown.type === 'INGEST' ? 'op.title' : 'op.titleGeneric', { id })}</h1>
      <dl className="facts">
        <div>
          <dt>{t('op.status')}</dt>
          <dd>
            <Status status={shown.status} />
          </dd>
        </div>
        <div>
          <dt>{t('op.created')}</dt>
          <dd>{formatDateTime(shown.createdAt, lang)}</dd>
        </div>
        <div>
          <dt>{t('op.updated')}</dt>
          <dd>{formatDateTime(shown.updatedAt, lang)}</dd>
        </div>
      </dl>
      <ErrorMessage error={error} />
      <div aria-live="polite">
        {RUNNING.has(shown.status) ? (
          <p className="alert alert-info">{t('op.waiting')}</p>
        ) : shown.status === 'OK' || shown.status === 'WARNING' ? (
          <p className="alert alert-ok">
            {t('op.ok', {
              units: shown.units ?? 0,
              objects: shown.objects ?? 0,
              physical: shown.physicalObjects ?? 0,
              bytes: formatBytes(shown.bytes ?? 0, lang),
            })}
          </p>
        ) : shown.status === 'KO' ? (
          <p className="alert alert-error">{t('op.ko')}</p>
        ) : (
          <p className="alert alert-error">{t('op.fatal')}</p>
        )}
      </div>
      {problems.length > 0 ? (
        <>
          <h2>{t('op.problems')}</h2>
          <ul className="problems">
            {problems.map((e, i) => (
              <li key={i}>
                <strong>{e.message}</strong>
                <br />
                {t('op.fix', { hint: hintFor(e.type, t) })}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {!RUNNING.has(shown.status) ? (
        <p className="actions">
          <DownloadButton path={`/ingests/${id}/atr`} name={`ATR-${id}.xml`} label={t('op.atr')} />
          {shown.status === 'OK' || shown.status === 'WARNING' ? (
            <Link className="button secondary" to={`/search?operationId=${encodeURIComponent(id)}`}>
              {t('op.units')}
            </Link>
          ) : null}
        </p>
      ) : null}
      <h2>{t('op.steps')}</h2>
      <EventsTable events={shown.events} />
    </section>
  )
}
