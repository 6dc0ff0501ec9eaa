/** Small shared pieces: loading data, showing errors and statuses, downloading through the API. */
import { Component, useCallback, useEffect, useState, type ReactNode } from 'react'
import { ApiError } from './api.js'
import { hasMessage, useI18n, type Translate } from './i18n.js'
import { Link } from './router.js'
import { useSession } from './session.js'

/** The French (or English) sentence for a failed call: never a stack trace. */
export function describeError(e: unknown, t: Translate): { text: string; code?: string } {
  if (!(e instanceof ApiError)) return { text: t('error.render') }
  if (e.status === 0) return { text: t('error.network') }
  if (e.status === 403) return { text: `${t('error.forbidden')} ${e.message}`, code: e.code }
  if (e.status === 404) return { text: `${t('error.notFound')} (${e.message})`, code: e.code }
  if (e.status >= 500) return { text: t('error.server'), code: e.code }
  return { text: e.message, code: e.code }
}

export function ErrorMessage({ error }: { error: unknown }) {
  const { t } = useI18n()
  if (!error) return null
  const d = describeError(error, t)
  return (
    <div className="alert alert-error" role="alert">
      <p>{d.text}</p>
      {d.code ? <p className="muted small">{t('error.code', { code: d.code })}</p> : null}
    </div>
  )
}

export function Notice({ children }: { children: ReactNode }) {
  return (
    <div className="alert alert-ok" role="status">
      {children}
    </div>
  )
}

export function Status({ status }: { status: string }) {
  const { t } = useI18n()
  const key = `status.${status}`
  return <span className={`badge badge-${status.toLowerCase()}`}>{hasMessage(key) ? t(key) : status}</span>
}

/** Loads data when `deps` change; `reload()` fetches again. */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: readonly unknown[],
): { data: T | null; error: unknown; loading: boolean; reload(): void } {
  const [state, setState] = useState<{ data: T | null; error: unknown; loading: boolean }>({
    data: null,
    error: null,
    loading: true,
  })
  const [tick, setTick] = useState(0)
  useEffect(() => {
    let live = true
    setState((s) => ({ ...s, loading: true, error: null }))
    load().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error: unknown) => live && setState({ data: null, error, loading: false }),
    )
    return () => {
      live = false
    }
    // `load` is re-created on each render: the caller's `deps` decide when to fetch again.
  }, [...deps, tick])
  const reload = useCallback(() => setTick((n) => n + 1), [])
  return { ...state, reload }
}

export function Loading() {
  const { t } = useI18n()
  return (
    <p className="muted" role="status">
      {t('app.loading')}
    </p>
  )
}

/** Saves a Blob under a file name (the browser's download). */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}

/** A button that downloads an API resource with the session's credentials. */
export function DownloadButton({ path, name, label }: { path: string; name: string; label: string }) {
  const { api } = useSession()
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const click = async () => {
    setError(null)
    setBusy(true)
    try {
      saveBlob(await api.blob(path), name)
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }
  return (
    <>
      <button type="button" className="button" onClick={() => void click()} disabled={busy}>
        {label}
      </button>
      <ErrorMessage error={error} />
    </>
  )
}

export function Forbidden() {
  const { t } = useI18n()
  return (
    <section aria-labelledby="denied">
      <h1 id="denied">{t('error.denied.title')}</h1>
      <div className="alert alert-error" role="alert">
        <p>{t('error.denied.text')}</p>
      </div>
      <p>
        <Link to="/">{t('error.backHome')}</Link>
      </p>
    </section>
  )
}

/** Catches a rendering failure and shows a sentence instead of a blank page. */
export class ErrorBoundary extends Component<{ t: Translate; children: ReactNode }, { failed: boolean }> {
  override state = { failed: false }
  static getDerivedStateFromError() {
    return { failed: true }
  }
  override render() {
    if (!this.state.failed) return this.props.children
    return (
      <div className="alert alert-error" role="alert">
        <p>{this.props.t('error.render')}</p>
        <p>
          <a href="/">{this.props.t('error.backHome')}</a>
        </p>
      </div>
    )
  }
}
