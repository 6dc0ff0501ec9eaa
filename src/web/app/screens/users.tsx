import { useState, type FormEvent } from 'react'
import { permissionsOf } from '../../../modules/tenancy/tenancy.policy.js'
import { ROLES, type Role } from '../../../modules/tenancy/tenancy.types.js'
import type { CreatedUser } from '../api.js'
import { ErrorMessage, Loading, Notice, useLoad } from '../components.js'
import { formatDateTime } from '../format.js'
import { useI18n } from '../i18n.js'
import { useSession } from '../session.js'

/** The roles a manager may hand out in a tenant (platform-admin is granted on the platform only). */
export const TENANT_ROLES: readonly Role[] = ROLES.filter((r) => r !== 'platform-admin')

export function RoleSelect(props: { id: string; value: Role; onChange(r: Role): void }) {
  const { t } = useI18n()
  return (
    <select id={props.id} value={props.value} onChange={(e) => props.onChange(e.target.value as Role)}>
      {TENANT_ROLES.map((r) => (
        <option key={r} value={r}>
          {t(`role.${r}`)}
        </option>
      ))}
    </select>
  )
}

export function UsersScreen() {
  const s = useSession()
  const { t, lang } = useI18n()
  const list = useLoad(() => s.api.users(), [])
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [role, setRole] = useState<Role>('producer')
  const [error, setError] = useState<unknown>(null)
  const [created, setCreated] = useState<CreatedUser | null>(null)

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setError(null)
    setCreated(null)
    try {
      const u = await s.api.createUser({ username: username.trim(), role, ...(password ? { password } : {}) })
      setCreated(u)
      list.reload()
      setUsername('')
      setPassword('')
    } catch (err) {
      setError(err)
    }
  }

  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">{t('users.title')}</h1>
      <form className="card" onSubmit={(e) => void submit(e)}>
        <h2>{t('users.create', { tenant: s.tenant?.name ?? '' })}</h2>
        {created ? (
          <Notice>
            <p>{t('users.created', { name: created.username, role: t(`role.${role}`) })}</p>
            {created.password ? (
              <p>
                {t('users.generated')} <code data-testid="generated-password">{created.password}</code>
              </p>
            ) : null}
          </Notice>
        ) : null}
        <ErrorMessage error={error} />
        <label htmlFor="user-name">{t('users.username')}</label>
        <input
          id="user-name"
          required
          maxLength={64}
          autoComplete="off"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
        <label htmlFor="user-password">{t('users.password')}</label>
        <input
          id="user-password"
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <label htmlFor="user-role">{t('users.role')}</label>
        <RoleSelect id="user-role" value={role} onChange={setRole} />
        <button type="submit" className="button">
          {t('users.submit')}
        </button>
      </form>
      <h2>{t('users.list', { tenant: s.tenant?.name ?? '' })}</h2>
      <ErrorMessage error={list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && list.data.results.length === 0 ? <p className="muted">{t('users.none')}</p> : null}
      {list.data && list.data.results.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('users.col.name')}</th>
              <th scope="col">{t('users.col.role')}</th>
              <th scope="col">{t('users.col.created')}</th>
            </tr>
          </thead>
          <tbody>
            {list.data.results.map((u) => (
              <tr key={`${u.id}-${u.role}`}>
                <td>{u.name}</td>
                <td>{t(`role.${u.role}`)}</td>
                <td>{formatDateTime(u.createdAt, lang)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <h2>{t('users.roles')}</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">{t('users.col.role')}</th>
            <th scope="col">{t('users.col.permissions')}</th>
          </tr>
        </thead>
        <tbody>
          {ROLES.map((r) => (
            <tr key={r}>
              <td>{t(`role.${r}`)}</td>
              <td>
                {permissionsOf(r).map((p) => (
                  <code key={p} className="perm">
                    {p}
                  </code>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}
