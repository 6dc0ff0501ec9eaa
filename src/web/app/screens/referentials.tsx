import { useState, type FormEvent } from 'react'
import {
  ApiError,
  REFERENTIAL_KINDS,
  type ReferentialImportResult,
  type ReferentialLineError,
} from '../api.js'
import { ErrorMessage, Loading, Notice, useLoad } from '../components.js'
import { useI18n } from '../i18n.js'
import { useSession } from '../session.js'

type Kind = (typeof REFERENTIAL_KINDS)[number]

/** The line-by-line report of a refused file (REFERENTIAL_INVALID details), if the error carries one. */
function lineErrors(e: unknown): { errors: ReferentialLineError[]; truncated: boolean } | null {
  if (!(e instanceof ApiError) || !e.details || typeof e.details !== 'object') return null
  const d = e.details as { errors?: unknown; truncated?: unknown }
  if (!Array.isArray(d.errors)) return null
  return { errors: d.errors as ReferentialLineError[], truncated: d.truncated === true }
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '—'
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}

function EntriesTable({ rows }: { rows: Record<string, unknown>[] }) {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter(
    (c) => !['extra', 'createdAt', 'updatedAt', 'tenantId'].includes(c),
  )
  return (
    <div className="scroll">
      <table>
        <thead>
          <tr>
            {cols.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              {cols.map((c) => (
                <td key={c}>{cell(r[c])}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

export function ReferentialsScreen() {
  const s = useSession()
  const { t } = useI18n()
  const [kind, setKind] = useState<Kind>('rules')
  const [file, setFile] = useState<File | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [result, setResult] = useState<ReferentialImportResult | null>(null)
  const [busy, setBusy] = useState(false)
  const list = useLoad(() => s.api.referential(kind), [kind])
  const writable = s.can('referential.write')

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setError(null)
    setResult(null)
    if (!file) return
    setBusy(true)
    try {
      setResult(await s.api.importReferential(kind, file))
      list.reload()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  const report = lineErrors(error)

  return (
    <section aria-labelledby="ref-title">
      <h1 id="ref-title">{t('ref.title')}</h1>
      <div className="inline-form">
        <label htmlFor="ref-kind">{t('ref.kind')}</label>
        <select
          id="ref-kind"
          value={kind}
          onChange={(e) => {
            setKind(e.target.value as Kind)
            setResult(null)
            setError(null)
          }}
        >
          {REFERENTIAL_KINDS.map((k) => (
            <option key={k} value={k}>
              {t(`ref.kind.${k}`)}
            </option>
          ))}
        </select>
      </div>
      {writable ? (
        <form className="card" onSubmit={(e) => void submit(e)}>
          <h2>{t('ref.import')}</h2>
          {result ? <Notice>{t('ref.imported', { ...result })}</Notice> : null}
          {report ? (
            <div className="alert alert-error" role="alert">
              <p>{t('ref.refused')}</p>
              <table data-testid="referential-errors">
                <thead>
                  <tr>
                    <th scope="col">{t('ref.col.line')}</th>
                    <th scope="col">{t('ref.col.column')}</th>
                    <th scope="col">{t('ref.col.field')}</th>
                    <th scope="col">{t('ref.col.message')}</th>
                  </tr>
                </thead>
                <tbody>
                  {report.errors.map((r, i) => (
                    <tr key={i}>
                      <td>{r.line ?? '—'}</td>
                      <td>{r.column ?? '—'}</td>
                      <td>{r.field ?? '—'}</td>
                      <td>{r.message}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {report.truncated ? <p className="small">{t('ref.truncated')}</p> : null}
            </div>
          ) : (
            <ErrorMessage error={error} />
          )}
          <label htmlFor="ref-file">{t('ref.file')}</label>
          <input
            id="ref-file"
            type="file"
            required
            accept=".csv,.json,text/csv,application/json"
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
          />
          <button type="submit" className="button" disabled={busy}>
            {t('ref.submit')}
          </button>
        </form>
      ) : null}
      <ErrorMessage error={list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data ? (
        <>
          <p role="status">{t('ref.entries', { total: list.data.total })}</p>
          {list.data.results.length === 0 ? (
            <p className="muted">{t('ref.empty')}</p>
          ) : (
            <EntriesTable rows={list.data.results} />
          )}
        </>
      ) : null}
    </section>
  )
}
