import type { Unit } from '../api.js'
import { DownloadButton } from '../components.js'
import { useI18n } from '../i18n.js'
import { useSession } from '../session.js'
import { Breadcrumb } from './admin-tree.js'

/** The unit's place in the classification (above its title on the unit page). */
export function UnitBreadcrumb({ unit }: { unit: Unit }) {
  return <Breadcrumb id={unit.id} parentIds={unit.parentIds} />
}

/**
 * Proof of the unit and its objects: the evidence bundle (zip, verifiable offline) of the unit and of
 * each binary object, and each object's probative-value report (PDF). Needs logbook.read (the server
 * checks it too).
 */
export function UnitProof({ unit }: { unit: Unit }) {
  const s = useSession()
  const { t } = useI18n()
  if (!s.can('logbook.read')) return null
  const binaries = unit.objects.filter((o) => o.kind === 'binary')
  const safe = (id: string) => id.replace(/[^A-Za-z0-9._-]/g, '_')
  return (
    <section aria-labelledby="proof-title">
      <h2 id="proof-title">{t('admin.proof.title')}</h2>
      <p className="muted">{t('admin.proof.intro')}</p>
      <div className="actions">
        <DownloadButton
          path={`/evidence/${unit.id}`}
          name={`evidence-${safe(unit.id)}.zip`}
          label={t('admin.proof.unitBundle')}
        />
      </div>
      {binaries.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('unit.obj.file')}</th>
              <th scope="col">{t('admin.proof.downloads')}</th>
            </tr>
          </thead>
          <tbody>
            {binaries.map((o) => (
              <tr key={o.id}>
                <td>{o.filename ?? o.id}</td>
                <td className="actions">
                  <DownloadButton
                    path={`/objects/${o.id}/probative-report.pdf`}
                    name={`releve-valeur-probante-${safe(o.id)}.pdf`}
                    label={t('admin.proof.report')}
                  />
                  <DownloadButton
                    path={`/evidence/${o.id}`}
                    name={`evidence-${safe(o.id)}.zip`}
                    label={t('admin.proof.objectBundle')}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  )
}
