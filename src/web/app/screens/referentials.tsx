import { useState, type FormEvent } from 'react'
import {
  ApiError,
  REFERENTIAL_KINDS,
  type ReferentialImportResult,
  type ReferentialLineError,
} from '../api.js'
import { loadRulesPreset, profileSchemaPath, RULES_PRESETS, type RulesPreset } from '../api-admin.js'
import { DownloadButton, ErrorMessage, Loading, Notice, useLoad } from '../components.js'
import { useI18n } from '../i18n.js'
import { useSession } from '../session.js'
import { ProfileSchemaUpload } from './referentials-schema.js'

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

/** The schema file extension a profile declares (Format RNG or XSD; RNG when it says nothing). */
function profileExt(r: Record<string, unknown>): string {
  const body = (r.body ?? {}) as { Format?: unknown }
  const f = typeof r.format === 'string' ? r.format : typeof body.Format === 'string' ? body.Format : 'RNG'
  return f.toUpperCase() === 'XSD' ? 'xsd' : 'rng'
}

/** « Charger un référentiel prédéfini »: the two rules presets, each explained, with the counts. */
function Presets({ onLoaded }: { onLoaded(): void }) {
  const { api } = useSession()
  const { t } = useI18n()
  const [busy, setBusy] = useState<RulesPreset | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [done, setDone] = useState<string | null>(null)
  const load = async (name: RulesPreset) => {
    setError(null)
    setDone(null)
    setBusy(name)
    try {
      const r = await loadRulesPreset(api, name)
      setDone(t('ref.preset.done', { ...r, name }))
      onLoaded()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(null)
    }
  }
  return (
    <section className="card" aria-labelledby="preset-title">
      <h2 id="preset-title">{t('ref.preset.title')}</h2>
      <p>{t('ref.preset.intro')}</p>
      <ul>
        {RULES_PRESETS.map((name) => (
          <li key={name}>
            <p>
              <code>{name}</code> — {t(`ref.preset.${name}`)}
            </p>
            <button
              type="button"
              className="button secondary"
              disabled={busy !== null}
              onClick={() => void load(name)}
            >
              {t('ref.preset.load', { name })}
            </button>
          </li>
        ))}
      </ul>
      {done ? <Notice>{done}</Notice> : null}
      <ErrorMessage error={error} />
    </section>
  )
}

function EntriesTable({ rows, profiles }: { rows: Record<string, unknown>[]; profiles: boolean }) {
  const { t } = useI18n()
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
            {profiles ? <th scope="col">{t('ref.schema.col')}</th> : null}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              {cols.map((c) => (
                <td key={c}>{cell(r[c])}</td>
              ))}
              {profiles && typeof r.identifier === 'string' ? (
                <td>
                  <DownloadButton
                    path={profileSchemaPath(r.identifier)}
                    name={`${r.identifier}.${profileExt(r)}`}
                    label={`${t('ref.schema.download')} ${r.identifier}`}
                  />
                </td>
              ) : null}
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
  const loaded = useLoad(async () => ({ kind, page: await s.api.referential(kind) }), [kind])
  // While another kind loads, the previous kind's entries are not shown as this one's.
  const list = { ...loaded, data: loaded.data?.kind === kind ? loaded.data.page : null }
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
      {writable && kind === 'rules' ? <Presets onLoaded={list.reload} /> : null}
      {writable && kind === 'profiles' && list.data ? (
        <ProfileSchemaUpload
          profiles={list.data.results.flatMap((r) =>
            typeof r.identifier === 'string' ? [r.identifier] : [],
          )}
        />
      ) : null}
      <ErrorMessage error={list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data ? (
        <>
          <p role="status">{t('ref.entries', { total: list.data.total })}</p>
          {list.data.results.length === 0 ? (
            <p className="muted">{t('ref.empty')}</p>
          ) : (
            <EntriesTable rows={list.data.results} profiles={kind === 'profiles'} />
          )}
        </>
      ) : null}
    </section>
  )
}
