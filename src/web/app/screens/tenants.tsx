import { useState, type FormEvent } from 'react'
import { ErrorMessage, Loading, Notice, useLoad } from '../components.js'
import { formatDateTime } from '../format.js'
import { useI18n } from '../i18n.js'
import { useSession } from '../session.js'

/** Tenants of the platform: list and create (with the tenant exercising the control, if any). */
export function TenantsScreen() {
  const s = useSession()
  const { t, lang } = useI18n()
  const list = useLoad(() => s.api.tenants(), [])
  const [id, setId] = useState('')
  const [name, setName] = useState('')
  const [controlledBy, setControlledBy] = useState('')
  const [error, setError] = useState<unknown>(null)
  const [done, setDone] = useState<string | null>(null)

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setError(null)
    setDone(null)
    try {
      const tn = await s.api.createTenant({
        id: id.trim(),
        name: name.trim(),
        ...(controlledBy ? { controlledBy } : {}),
      })
      setDone(tn.name)
      setId('')
      setName('')
      setControlledBy('')
      list.reload()
      await s.refreshTenants()
    } catch (err) {
      setError(err)
    }
  }

  return (
    <section aria-labelledby="tenants-title">
      <h1 id="tenants-title">{t('tenants.title')}</h1>
      <ErrorMessage error={list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data ? (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('tenants.col.id')}</th>
              <th scope="col">{t('tenants.col.name')}</th>
              <th scope="col">{t('tenants.col.controlledBy')}</th>
              <th scope="col">{t('tenants.col.created')}</th>
            </tr>
          </thead>
          <tbody>
            {list.data.results.map((tn) => (
              <tr key={tn.id}>
                <td>
                  <code>{tn.id}</code>
                </td>
                <td>{tn.name}</td>
                <td>{tn.controlledBy ?? t('app.none')}</td>
                <td>{formatDateTime(tn.createdAt, lang)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <form className="card" onSubmit={(e) => void submit(e)}>
        <h2>{t('tenants.create')}</h2>
        {done ? <Notice>{t('tenants.created', { name: done })}</Notice> : null}
        <ErrorMessage error={error} />
        <label htmlFor="tenant-id">{t('tenants.id')}</label>
        <input id="tenant-id" required maxLength={63} value={id} onChange={(e) => setId(e.target.value)} />
        <label htmlFor="tenant-name">{t('tenants.name')}</label>
        <input
          id="tenant-name"
          required
          maxLength={200}
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <label htmlFor="tenant-control">{t('tenants.controlledBy')}</label>
        <select id="tenant-control" value={controlledBy} onChange={(e) => setControlledBy(e.target.value)}>
          <option value="">{t('tenants.noControl')}</option>
          {(list.data?.results ?? []).map((tn) => (
            <option key={tn.id} value={tn.id}>
              {tn.name} ({tn.id})
            </option>
          ))}
        </select>
        <button type="submit" className="button">
          {t('tenants.submit')}
        </button>
      </form>
    </section>
  )
}
