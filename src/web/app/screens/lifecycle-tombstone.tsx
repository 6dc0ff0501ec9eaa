/**
 * The tombstone of a unit that is gone: shown on a unit's page when the catalogue answers 404 because the
 * unit was eliminated (GET /tombstones/{id}) or left by transfer or restitution
 * (GET /transfers/tombstones/{id}): what it was, when, by which operation, the visa or the destination.
 */
import type { ReactNode } from 'react'
import { tombstoneOf, type Tombstone } from '../api-lifecycle.js'
import { ErrorMessage, Loading, useLoad } from '../components.js'
import { formatBytes, formatDate, formatDateTime } from '../format.js'
import { useI18n } from '../i18n.js'
import { Link } from '../router.js'
import { useSession } from '../session.js'

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  )
}

function TombstoneFacts({ tomb }: { tomb: Tombstone }) {
  const { t, lang } = useI18n()
  const { can } = useSession()
  const op = (id: string) =>
    can('logbook.read') ? <Link to={`/logbook/${encodeURIComponent(id)}`}>{id}</Link> : <code>{id}</code>
  const none = t('app.none')
  if (tomb.kind === 'elimination') {
    const x = tomb.t
    const objects = Array.isArray(x.objects) ? x.objects.length : 0
    return (
      <>
        <p>{t('tomb.eliminated', { date: formatDateTime(x.destroyedAt, lang) })}</p>
        <dl className="facts">
          <Fact label={t('tomb.title')}>{x.title}</Fact>
          <Fact label={t('tomb.sedaId')}>{x.sedaId ?? none}</Fact>
          <Fact label={t('tomb.dates')}>
            {x.startDate || x.endDate
              ? `${formatDate(x.startDate, lang)} – ${formatDate(x.endDate, lang)}`
              : none}
          </Fact>
          <Fact label={t('tomb.producer')}>{x.originatingAgency ?? none}</Fact>
          <Fact label={t('tomb.objects')}>{objects}</Fact>
          <Fact label={t('tomb.request')}>
            {can('logbook.read') ? (
              <Link to={`/eliminations/${encodeURIComponent(x.requestId)}`}>{x.requestId}</Link>
            ) : (
              <code>{x.requestId}</code>
            )}
          </Fact>
          <Fact label={t('tomb.visa')}>{x.visaId ? <code>{x.visaId}</code> : none}</Fact>
          <Fact label={t('tomb.operation')}>{op(x.operationId)}</Fact>
        </dl>
      </>
    )
  }
  const x = tomb.t
  // A transfer or restitution as a file names no receiver unless one was given: the API says `external`.
  const destination = x.destination === 'external' ? t('tomb.externalSystem') : (x.destination ?? none)
  return (
    <>
      <p>
        {t(x.reason === 'RESTITUTION' ? 'tomb.restituted' : 'tomb.transferred', {
          date: formatDateTime(x.departedAt, lang),
          destination,
        })}
      </p>
      <dl className="facts">
        <Fact label={t('tomb.title')}>{x.title}</Fact>
        <Fact label={t('tomb.sedaId')}>{x.sedaId ?? none}</Fact>
        <Fact label={t('tomb.producer')}>{x.originatingAgency ?? none}</Fact>
        <Fact label={t('tomb.destination')}>{destination}</Fact>
        <Fact label={t('tomb.destinationOperation')}>
          {x.destinationOperationId ? <code>{x.destinationOperationId}</code> : none}
        </Fact>
        <Fact label={t('tomb.objects')}>
          {t('tomb.amounts', {
            objects: x.objects,
            physical: x.physicalObjects,
            bytes: formatBytes(x.bytes, lang),
          })}
        </Fact>
        <Fact label={t('tomb.transfer')}>
          {can('logbook.read') ? (
            <Link to={`/outgoing/${encodeURIComponent(x.operationId)}`}>{x.operationId}</Link>
          ) : (
            <code>{x.operationId}</code>
          )}
        </Fact>
        <Fact label={t('tomb.ingest')}>{op(x.ingestOperationId)}</Fact>
      </dl>
    </>
  )
}

/** Shown instead of a unit page's 404: the unit's tombstone when it has one, `otherwise` if not. */
export function UnitTombstone({ id, otherwise }: { id: string; otherwise: ReactNode }) {
  const { api } = useSession()
  const { t } = useI18n()
  const tomb = useLoad(() => tombstoneOf(api, id), [id])
  if (tomb.loading && !tomb.data) return <Loading />
  if (tomb.error) return <ErrorMessage error={tomb.error} />
  if (!tomb.data) return <>{otherwise}</>
  return (
    <section className="card" aria-labelledby="tomb-title" data-testid="tombstone">
      <h1 id="tomb-title">{t('tomb.heading', { title: tomb.data.t.title })}</h1>
      <TombstoneFacts tomb={tomb.data} />
    </section>
  )
}
