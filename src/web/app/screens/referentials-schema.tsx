/**
 * « Attacher un schéma à un profil »: the RNG/XSD file of an archive profile, sent as is to
 * PUT /referentials/profiles/{id}/schema (`referential.write`). The server decides (well-formed, RelaxNG or
 * XSD root, the profile's declared format, compiled by xmllint); the screen only refuses a file that is not
 * named .rng/.xsd or is empty before sending, and says each refusal in a French sentence.
 */
import { useRef, useState, type FormEvent } from 'react'
import { ApiError } from '../api.js'
import { attachProfileSchema, isSchemaFileName, SCHEMA_EXTENSIONS, type AttachedSchema } from '../api-ref.js'
import { describeError, Notice } from '../components.js'
import { hasMessage, useI18n } from '../i18n.js'
import { useSession } from '../session.js'

/** The refusal: a sentence for the codes this route answers, then the server's own message and code. */
function SchemaRefusal({ error }: { error: unknown }) {
  const { t } = useI18n()
  if (!error) return null
  const key = `ref.upload.refused.${error instanceof ApiError ? error.code : ''}`
  const d = describeError(error, t)
  return (
    <div className="alert alert-error" role="alert" data-testid="schema-refusal">
      {hasMessage(key) ? <p>{t(key)}</p> : null}
      <p>{d.text}</p>
      {d.code ? <p className="muted small">{t('error.code', { code: d.code })}</p> : null}
    </div>
  )
}

export function ProfileSchemaUpload({ profiles }: { profiles: readonly string[] }) {
  const { api } = useSession()
  const { t } = useI18n()
  const [profile, setProfile] = useState('')
  const [file, setFile] = useState<File | null>(null)
  const [refusal, setRefusal] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [done, setDone] = useState<AttachedSchema | null>(null)
  const [busy, setBusy] = useState(false)
  const input = useRef<HTMLInputElement>(null)
  const chosen = profiles.includes(profile) ? profile : (profiles[0] ?? '')

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setRefusal(null)
    setError(null)
    setDone(null)
    if (!file || !chosen) return
    if (!isSchemaFileName(file.name)) return setRefusal(t('ref.upload.badExt', { name: file.name }))
    if (file.size === 0) return setRefusal(t('ref.upload.empty', { name: file.name }))
    setBusy(true)
    try {
      setDone(await attachProfileSchema(api, chosen, file))
      setFile(null)
      if (input.current) input.current.value = ''
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="card" aria-labelledby="schema-title" onSubmit={(e) => void submit(e)}>
      <h2 id="schema-title">{t('ref.upload.title')}</h2>
      <p>{t('ref.upload.intro')}</p>
      {profiles.length === 0 ? (
        <p className="muted">{t('ref.upload.noProfile')}</p>
      ) : (
        <>
          <label htmlFor="schema-profile">{t('ref.upload.profile')}</label>
          <select id="schema-profile" value={chosen} onChange={(e) => setProfile(e.target.value)}>
            {profiles.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
          <label htmlFor="schema-file">{t('ref.upload.file')}</label>
          <input
            id="schema-file"
            ref={input}
            type="file"
            required
            accept={[...SCHEMA_EXTENSIONS, 'application/xml', 'text/xml'].join(',')}
            onChange={(e) => {
              setFile(e.target.files?.[0] ?? null)
              setRefusal(null)
            }}
          />
          {busy ? (
            <p className="muted" role="status">
              {t('ref.upload.sending')}
            </p>
          ) : null}
          {done ? (
            <Notice>
              {t('ref.upload.done', {
                format: done.format,
                profile: done.profileId,
                digest: done.sha512.slice(0, 16),
              })}
            </Notice>
          ) : null}
          {refusal ? (
            <div className="alert alert-error" role="alert" data-testid="schema-refusal">
              <p>{refusal}</p>
            </div>
          ) : null}
          <SchemaRefusal error={error} />
          <button type="submit" className="button" disabled={busy}>
            {t('ref.upload.submit')}
          </button>
        </>
      )}
    </form>
  )
}
