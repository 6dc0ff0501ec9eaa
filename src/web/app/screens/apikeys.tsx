import { useState, type FormEvent } from 'react'
import type { Role } from '../../../modules/tenancy/tenancy.types.js'
import type { CreatedApiKey, PrincipalSummary } from '../api.js'
import { ErrorMessage, Loading, Notice, useLoad } from '../components.js'
import { formatDateTime } from '../format.js'
import { useI18n } from '../i18n.js'
import { useSession } from '../session.js'
import { RoleSelect } from './users.js'

export function ApiKeysScreen() {
  const s = useSession()
  const { t, lang } = useI18n()
  const list = useLoad(() => s.api.apiKeys(), [])
  const [label, setLabel] = useState('')
  const [role, setRole] = useState<Role>('producer')
  const [created, setCreated] = useState<CreatedApiKey | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [revoked, setRevoked] = useState<string | null>(null)
  const [revokeError, setRevokeError] = useState<unknown>(null)

  const create = async (e: FormEvent) => {
    e.preventDefault()
    setError(null)
    setCreated(null)
    try {
      setCreated(await s.api.createApiKey({ role, ...(label.trim() ? { label: label.trim() } : {}) }))
      setLabel('')
      list.reload()
    } catch (err) {
      setError(err)
    }
  }
  const revoke = async (k: PrincipalSummary) => {
    setRevokeError(null)
    setRevoked(null)
    try {
      await s.api.revokeApiKey(k.id)
      setRevoked(k.name)
      list.reload()
    } catch (err) {
      setRevokeError(err)
    }
  }

  return (
    <section aria-labelledby="keys-title">
      <h1 id="keys-title">{t('apikeys.title')}</h1>
      <p>{t('apikeys.intro', { tenant: s.tenant?.name ?? '' })}</p>
      <form className="card" onSubmit={(e) => void create(e)}>
        <h2>{t('apikeys.create')}</h2>
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
      <h2>{t('apikeys.list')}</h2>
      {revoked ? <Notice>{t('apikeys.revoked', { label: revoked })}</Notice> : null}
      <ErrorMessage error={revokeError} />
      <ErrorMessage error={list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && list.data.results.length === 0 ? <p className="muted">{t('apikeys.none')}</p> : null}
      {list.data && list.data.results.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('apikeys.col.label')}</th>
              <th scope="col">{t('apikeys.role')}</th>
              <th scope="col">{t('apikeys.col.key')}</th>
              <th scope="col">{t('users.col.created')}</th>
              <th scope="col">{t('apikeys.col.state')}</th>
            </tr>
          </thead>
          <tbody>
            {list.data.results.map((k) => (
              <tr key={k.id}>
                <td>{k.name}</td>
                <td>{t(`role.${k.role}`)}</td>
                <td>
                  <code>saeh_{k.keyPrefix}_…</code>
                </td>
                <td>{formatDateTime(k.createdAt, lang)}</td>
                <td className="actions">
                  {k.revokedAt ? (
                    t('apikeys.revokedOn', { date: formatDateTime(k.revokedAt, lang) })
                  ) : (
                    <>
                      {t('apikeys.active')}{' '}
                      <button
                        type="button"
                        className="button secondary"
                        aria-label={t('apikeys.revoke', { label: k.name })}
                        onClick={() => void revoke(k)}
                      >
                        {t('apikeys.revokeShort')}
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  )
}
