import { useState, type FormEvent, type ReactNode } from 'react'
import type { ApiClient } from '../api.js'
import { ErrorMessage } from '../components.js'
import { useI18n, type MessageKey } from '../i18n.js'
import { defaultTenant, type SessionData } from '../session.js'

export function LoginScreen(props: {
  api: ApiClient
  flash: MessageKey | null
  onSignedIn(d: SessionData): void
  languageSwitch: ReactNode
}) {
  const { t } = useI18n()
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const r = await props.api.login(username.trim(), password)
      props.onSignedIn({
        token: r.token,
        principal: r.principal,
        tenants: r.tenants,
        tenantId: defaultTenant(r.principal, r.tenants),
      })
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  return (
    <main id="main" className="login">
      <div className="login-box">
        <p className="brand">
          <strong>{t('app.name')}</strong> <span className="muted">{t('app.tagline')}</span>
        </p>
        <h1>{t('login.title')}</h1>
        {props.flash ? (
          <div className="alert alert-info" role="status">
            {t(props.flash)}
          </div>
        ) : null}
        <ErrorMessage error={error} />
        <form onSubmit={(e) => void submit(e)}>
          <label htmlFor="username">{t('login.username')}</label>
          <input
            id="username"
            name="username"
            autoComplete="username"
            required
            autoFocus
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
          <label htmlFor="password">{t('login.password')}</label>
          <input
            id="password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <button type="submit" className="button" disabled={busy}>
            {busy ? t('login.busy') : t('login.submit')}
          </button>
        </form>
        <div className="login-lang">{props.languageSwitch}</div>
      </div>
    </main>
  )
}
