import { useEffect, useState, type FormEvent } from 'react'
import {
  createDip,
  DIP_USAGES,
  getDip,
  SEDA_VERSIONS,
  type DipSelection,
  type DipView,
} from '../api-admin.js'
import { DownloadButton, ErrorMessage } from '../components.js'
import { formatBytes, formatNumber } from '../format.js'
import { useI18n, type MessageKey } from '../i18n.js'
import { useSession } from '../session.js'

/**
 * Export of a selection (a search's units, or a branch) as a DIP: SEDA version and usages chosen, then
 * the job's progress (GET /dips/{id} polled), then the download. A refusal (size limit, contract,
 * communicability) is the server's French sentence.
 */
export function DipExport({
  title,
  selection,
}: {
  title: string
  selection: () => Promise<{ selection: DipSelection; truncated?: boolean }>
}) {
  const { api } = useSession()
  const { t, lang } = useI18n()
  const [version, setVersion] = useState<string>('2.2')
  const [usages, setUsages] = useState<string[]>(['BinaryMaster'])
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [dip, setDip] = useState<DipView | null>(null)
  const [truncated, setTruncated] = useState(false)

  const running = dip !== null && (dip.state === 'pending' || dip.state === 'running')
  useEffect(() => {
    if (!running || !dip) return
    const timer = setTimeout(() => {
      getDip(api, dip.operationId).then(setDip, setError)
    }, 500)
    return () => clearTimeout(timer)
  }, [api, dip, running])

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setError(null)
    setDip(null)
    setBusy(true)
    try {
      const sel = await selection()
      setTruncated(sel.truncated === true)
      const r = await createDip(api, { selection: sel.selection, sedaVersion: version, usages })
      setDip(r.dip)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  const toggle = (u: string) => setUsages(usages.includes(u) ? usages.filter((x) => x !== u) : [...usages, u])

  return (
    <form className="card" aria-label={title} onSubmit={(e) => void submit(e)}>
      <h2>{title}</h2>
      <div className="inline-form">
        <label htmlFor="dip-seda">{t('admin.dip.seda')}</label>
        <select id="dip-seda" value={version} onChange={(e) => setVersion(e.target.value)}>
          {SEDA_VERSIONS.map((v) => (
            <option key={v} value={v}>
              SEDA {v}
            </option>
          ))}
        </select>
      </div>
      <fieldset className="checks">
        <legend>{t('admin.dip.usages')}</legend>
        {DIP_USAGES.map((u) => (
          <label key={u} className="check">
            <input type="checkbox" checked={usages.includes(u)} onChange={() => toggle(u)} />{' '}
            {t(`admin.usage.${u}` as MessageKey)}
          </label>
        ))}
      </fieldset>
      <button type="submit" className="button" disabled={busy || running || usages.length === 0}>
        {t('admin.dip.export')}
      </button>
      <ErrorMessage error={error} />
      {truncated ? <p className="alert alert-info">{t('admin.dip.truncated')}</p> : null}
      {dip ? (
        <div role="status" className="dip-state">
          {running ? (
            <p>
              {t('admin.dip.progress', {
                done: formatNumber(dip.progress.objectsDone, lang),
                total: formatNumber(dip.progress.objectsTotal, lang),
              })}{' '}
              <progress
                max={Math.max(dip.progress.objectsTotal, 1)}
                value={dip.progress.objectsDone}
                aria-label={t('admin.dip.progressLabel')}
              />
            </p>
          ) : null}
          {dip.state === 'ready' && dip.package ? (
            <>
              <p>
                {t('admin.dip.ready', {
                  units: formatNumber(dip.units, lang),
                  size: formatBytes(dip.package.size, lang),
                })}
              </p>
              <DownloadButton
                path={`/dips/${dip.operationId}/content`}
                name={`DIP-${dip.operationId}.zip`}
                label={t('admin.dip.download')}
              />
            </>
          ) : null}
          {dip.state === 'failed' ? (
            <div className="alert alert-error" role="alert">
              <p>
                {t('admin.dip.failed')}{' '}
                {typeof dip.error === 'object' && dip.error && 'message' in dip.error
                  ? String((dip.error as { message: unknown }).message)
                  : ''}
              </p>
            </div>
          ) : null}
        </div>
      ) : null}
    </form>
  )
}
