import { useEffect, useState } from 'react'
import { ApiError, type ObjectInfo, type Unit, type XmlNode } from '../api.js'
import { DownloadButton, ErrorMessage, Loading, useLoad } from '../components.js'
import { UnitTombstone } from './lifecycle-tombstone.js'
import { formatBytes, formatDate } from '../format.js'
import { hasMessage, useI18n } from '../i18n.js'
import { Link } from '../router.js'
import { useSession } from '../session.js'
import { UnitTable } from './search.js'
import { UnitBreadcrumb, UnitProof } from './admin-unit.js'
import { UnitRequestPanel } from './physical-requests.js'
import { UnitLifecyclePanel } from './lifecycle-holds.js'

function previewKind(o: ObjectInfo): 'pdf' | 'image' | null {
  if (o.mimeType === 'application/pdf') return 'pdf'
  if (o.mimeType && /^image\/(png|jpeg|gif|webp|svg\+xml|bmp)$/.test(o.mimeType)) return 'image'
  return null
}

/** The object's bytes, fetched with the session's headers, shown from a blob: URL. */
function Preview({ object, onClose }: { object: ObjectInfo; onClose(): void }) {
  const { api } = useSession()
  const { t } = useI18n()
  const [url, setUrl] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)
  const kind = previewKind(object)
  useEffect(() => {
    let made: string | null = null
    api.blob(`/objects/${object.id}/content`).then((b) => {
      made = URL.createObjectURL(new Blob([b], { type: object.mimeType ?? b.type }))
      setUrl(made)
    }, setError)
    return () => {
      if (made) URL.revokeObjectURL(made)
    }
  }, [api, object])
  const name = object.filename ?? object.id
  return (
    <section className="card preview" aria-label={t('unit.previewOf', { name })}>
      <h3>{t('unit.previewOf', { name })}</h3>
      <ErrorMessage error={error} />
      {!url && !error ? <Loading /> : null}
      {url && kind === 'pdf' ? (
        <iframe className="preview-frame" src={url} title={t('unit.previewOf', { name })} />
      ) : null}
      {url && kind === 'image' ? <img className="preview-image" src={url} alt={name} /> : null}
      <button type="button" className="button secondary" onClick={onClose}>
        {t('unit.closePreview')}
      </button>
    </section>
  )
}

function ContentTree({ node }: { node: XmlNode }) {
  return (
    <ul className="tree">
      {(node.children ?? []).map((c, i) => (
        <li key={i}>
          <span className="tree-name">{c.name}</span>
          {c.attributes && Object.keys(c.attributes).length > 0 ? (
            <span className="muted small">
              {' '}
              [
              {Object.entries(c.attributes)
                .map(([k, v]) => `${k}=${v}`)
                .join(', ')}
              ]
            </span>
          ) : null}
          {c.text ? <span> : {c.text}</span> : null}
          {c.children && c.children.length > 0 ? <ContentTree node={c} /> : null}
        </li>
      ))}
    </ul>
  )
}

export function UnitScreen({ id }: { id: string }) {
  const s = useSession()
  const { t, lang } = useI18n()
  const [preview, setPreview] = useState<ObjectInfo | null>(null)
  const { data: unit, error } = useLoad<Unit>(() => s.api.unit(id), [id])
  const children = useLoad(() => s.api.units({ parentId: id, limit: 100 }), [id])
  if (!unit)
    return error ? (
      <>
        {error instanceof ApiError && error.status === 404 ? (
          <UnitTombstone id={id} otherwise={<ErrorMessage error={error} />} />
        ) : (
          <ErrorMessage error={error} />
        )}
        <UnitRequestPanel id={id} unit={null} error={error} />
      </>
    ) : (
      <Loading />
    )
  const binaries = unit.objects.filter((o) => o.kind === 'binary')
  const physical = unit.objects.filter((o) => o.kind !== 'binary')
  const parent = unit.parentIds[0]
  return (
    <article aria-labelledby="unit-title">
      <UnitBreadcrumb unit={unit} />
      <h1 id="unit-title">{unit.title}</h1>
      {s.can('logbook.read') ? <UnitLifecyclePanel unitId={unit.id} /> : null}
      <h2>{t('unit.metadata')}</h2>
      <dl className="facts">
        <div>
          <dt>{t('unit.level')}</dt>
          <dd>{unit.descriptionLevel}</dd>
        </div>
        <div>
          <dt>{t('unit.dates')}</dt>
          <dd>
            {formatDate(unit.startDate, lang)}
            {unit.endDate ? ` – ${formatDate(unit.endDate, lang)}` : ''}
          </dd>
        </div>
        <div>
          <dt>{t('unit.originating')}</dt>
          <dd>{unit.originatingAgency ?? t('app.none')}</dd>
        </div>
        <div>
          <dt>{t('unit.submission')}</dt>
          <dd>{unit.submissionAgency ?? t('app.none')}</dd>
        </div>
        <div>
          <dt>{t('unit.operation')}</dt>
          <dd>
            {s.can('logbook.read') ? (
              <Link to={`/transfers/${unit.operationId}`}>{unit.operationId}</Link>
            ) : (
              unit.operationId
            )}
          </dd>
        </div>
        {parent ? (
          <div>
            <dt>{t('unit.parent')}</dt>
            <dd>
              <Link to={`/units/${parent}`}>{parent}</Link>
            </dd>
          </div>
        ) : null}
      </dl>

      <h2>{t('unit.rules')}</h2>
      {unit.rules.length === 0 ? (
        <p className="muted">{t('unit.noRules')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('unit.rule.category')}</th>
              <th scope="col">{t('unit.rule.id')}</th>
              <th scope="col">{t('unit.rule.start')}</th>
              <th scope="col">{t('unit.rule.end')}</th>
              <th scope="col">{t('unit.rule.final')}</th>
              <th scope="col">{t('unit.rule.origin')}</th>
            </tr>
          </thead>
          <tbody>
            {unit.rules.map((r, i) => {
              const cat = `rule.${r.category}`
              const fin = `final.${r.finalAction ?? ''}`
              return (
                <tr key={i}>
                  <td>{hasMessage(cat) ? t(cat) : r.category}</td>
                  <td>
                    <code>{r.ruleId}</code>
                  </td>
                  <td>{formatDate(r.startDate, lang)}</td>
                  <td>{formatDate(r.endDate, lang)}</td>
                  <td>{r.finalAction ? (hasMessage(fin) ? t(fin) : r.finalAction) : t('app.none')}</td>
                  <td>
                    {r.inherited ? (
                      <Link to={`/units/${r.origin}`}>{t('unit.rule.inherited', { id: r.origin })}</Link>
                    ) : (
                      t('unit.rule.own')
                    )}
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}

      <h2>{t('unit.objects')}</h2>
      {binaries.length === 0 ? (
        <p className="muted">{t('unit.noObjects')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('unit.obj.file')}</th>
              <th scope="col">{t('unit.obj.format')}</th>
              <th scope="col">{t('unit.obj.size')}</th>
              <th scope="col">{t('unit.obj.usage')}</th>
              <th scope="col">{t('unit.obj.digest')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('unit.download')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {binaries.map((o) => (
              <tr key={o.id}>
                <td>{o.filename ?? o.id}</td>
                <td>
                  {o.formatName ?? t('app.none')} {o.format ? <code>{o.format}</code> : null}
                </td>
                <td>{formatBytes(o.size, lang)}</td>
                <td>{o.usage}</td>
                <td>
                  <code title={o.digest ?? ''}>
                    {o.digestAlgorithm} {o.digest?.slice(0, 12)}…
                  </code>
                </td>
                <td className="actions">
                  {previewKind(o) ? (
                    <button type="button" className="button secondary" onClick={() => setPreview(o)}>
                      {t('unit.preview')}
                    </button>
                  ) : (
                    <span className="muted small">{t('unit.noPreview')}</span>
                  )}
                  <DownloadButton
                    path={`/objects/${o.id}/content`}
                    name={o.filename ?? o.id}
                    label={t('unit.download')}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {preview ? <Preview key={preview.id} object={preview} onClose={() => setPreview(null)} /> : null}

      <h2>{t('unit.physical')}</h2>
      {physical.length === 0 ? (
        <p className="muted">{t('unit.noPhysical')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('unit.obj.physicalId')}</th>
              <th scope="col">{t('unit.obj.usage')}</th>
            </tr>
          </thead>
          <tbody>
            {physical.map((o) => (
              <tr key={o.id}>
                <td>{o.physicalId ?? o.id}</td>
                <td>{o.usage}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <UnitRequestPanel id={id} unit={unit} error={null} />

      {children.data && children.data.results.length > 0 ? (
        <>
          <h2>{t('unit.children')}</h2>
          <UnitTable units={children.data.results} />
        </>
      ) : null}

      <UnitProof unit={unit} />
      {unit.content ? (
        <details>
          <summary>{t('unit.content')}</summary>
          <ContentTree node={unit.content} />
        </details>
      ) : null}
    </article>
  )
}
