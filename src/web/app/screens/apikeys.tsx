import { useState, type FormEvent } from 'react'
import type { Role } from '../../../modules/tenancy/tenancy.types.js'
import type { CreatedApiKey } from '../api.js'
import { ErrorMessage, Notice } from '../components.js'
import { useI18n } from '../i18n.js'
import { useSession } from '../session.js'
import { RoleSelect } from './users.js'

export function ApiKeysScreen() {
  const s = useSession()
  const { t } = useI18n()
  const [label, setLabel] = useState('')
  const [role, setRole] = useState<Role>('producer')
  const [created, setCreated] = useState<CreatedApiKey | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [revokeId, setRevokeId] = useState('')
  const [revoked, setRevoked] = useState<string | null>(null)
  const [revokeError, setRevokeError] = useState<unknown>(null)

  const create = async (e: FormEvent) => {
    e.preventDefault()
    setError(null)
    setCreated(null)
    try {
      setCreated(await s.api.createApiKey({ role, ...(label.trim() ? { label: label.trim() } : {}) }))
      setLabel('')
    } catch (err) {
      setError(err)
    }
  }
  const revoke = async (e: FormEvent) => {
    e.preventDefault()
    setRevokeError(null)
    setRevoked(null)
    try {
      await s.api.revokeApiKey(revokeId.trim())
      setRevoked(revokeId.trim())
      setRevokeId('')
    } catch (err) {
      setRevokeError(err)
    }
  }

  return (
    <section aria-labelledby="keys-title">
      <h1 id="keys-title">{t('apikeys.title')}</h1>
      <p>{t('apikeys.intro', { tenant: s.tenant?.name ?? '' })}</p>
      <form className="card" onSubmit={(e) => void create(e)}>
        {created ? (
          <Notice>
            <p>{t('apikeys.created', { label: created.label, id: created.id })}</p>
            <p>
              <code className="secret">{created.key}</code>
            </p>
          </Notice>
        ) : null}
        <ErrorMessage error={error} />
        <label htmlFor="key-label">{t('apikeys.label')}</label>
        <input id="key-label" maxLength={200} value={label} onChange={(e) => setLabel(e.target.value)} />
        <label htmlFor="key-role">{t('apikeys.role')}</label>
        <RoleSelect id="key-role" value={role} onChange={setRole} />
        <button type="submit" className="button">
          {t('apikeys.submit')}
        </button>
      </form>
      <form className="card" onSubmit={(e) => void revoke(e)}>
        <h2>{t('apikeys.revoke')}</h2>
        {revoked ? <Notice>{t('apikeys.revoked', { id: revoked })}</Notice> : null}
        <ErrorMessage error={revokeError} />
        <label htmlFor="key-id">{t('apikeys.id')}</label>
        <input id="key-id" required value={revokeId} onChange={(e) => setRevokeId(e.target.value)} />
        <button type="submit" className="button secondary">
          {t('apikeys.revokeSubmit')}
        </button>
      </form>
    </section>
  )
}
