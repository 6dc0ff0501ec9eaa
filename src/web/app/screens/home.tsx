import type { OperationSummary } from '../api.js'
import { ErrorMessage, Loading, useLoad } from '../components.js'
import { formatBytes, formatNumber } from '../format.js'
import { useI18n } from '../i18n.js'
import { Link } from '../router.js'
import { useSession } from '../session.js'
import { TransferTable } from './transfers.js'
import { AdminHomePanels } from './admin-home.js'
import { PhysicalHome } from './physical-requests.js'
import { LifecycleHomePanels } from './lifecycle-home.js'

interface HomeData {
  readonly recent: OperationSummary[] | null
  readonly ok: number
  readonly ko: number
  readonly bytes: number
  readonly units: number | null
}

/** Sums the accepted ingests of the tenant (pages of 500 operations). */
async function ingestTotals(
  list: (offset: number) => Promise<{ total: number; results: OperationSummary[] }>,
) {
  let ok = 0
  let ko = 0
  let bytes = 0
  for (let offset = 0; ; offset += 500) {
    const page = await list(offset)
    for (const op of page.results) {
      if (op.status === 'OK' || op.status === 'WARNING') {
        ok++
        bytes += typeof op.summary.bytes === 'number' ? op.summary.bytes : 0
      } else if (op.status === 'KO' || op.status === 'FATAL') ko++
    }
    if (offset + 500 >= page.total || page.results.length === 0) break
  }
  return { ok, ko, bytes }
}

export function HomeScreen() {
  const s = useSession()
  const { t, lang } = useI18n()
  const logbook = s.can('logbook.read')
  const archive = s.can('archive.read')
  const { data, error, loading } = useLoad<HomeData>(async () => {
    const [recent, totals, units] = await Promise.all([
      logbook ? s.api.operations({ type: 'INGEST', limit: 8 }).then((p) => p.results) : null,
      logbook
        ? ingestTotals((offset) => s.api.operations({ type: 'INGEST', limit: 500, offset }))
        : { ok: 0, ko: 0, bytes: 0 },
      archive ? s.api.units({ limit: 1 }).then((p) => p.total) : null,
    ])
    return { recent, ...totals, units }
  }, [s.data.tenantId])

  return (
    <section aria-labelledby="home-title">
      <h1 id="home-title">{t('home.title')}</h1>
      <p>
        {t('home.welcome', { name: s.data.principal.name, tenant: s.tenant?.name ?? s.data.tenantId ?? '' })}
      </p>
      <ErrorMessage error={error} />
      {loading ? <Loading /> : null}
      {data ? (
        <>
          <h2>{t('home.storage')}</h2>
          <dl className="stats">
            {data.units !== null ? (
              <div>
                <dt>{t('home.units')}</dt>
                <dd>{formatNumber(data.units, lang)}</dd>
              </div>
            ) : null}
            {logbook ? (
              <>
                <div>
                  <dt>{t('home.bytes')}</dt>
                  <dd>{formatBytes(data.bytes, lang)}</dd>
                </div>
                <div>
                  <dt>{t('home.transfersOk')}</dt>
                  <dd>{formatNumber(data.ok, lang)}</dd>
                </div>
                <div>
                  <dt>{t('home.transfersKo')}</dt>
                  <dd>{formatNumber(data.ko, lang)}</dd>
                </div>
              </>
            ) : null}
          </dl>
          <PhysicalHome />
          {data.recent ? (
            <>
              <h2>{t('home.recent')}</h2>
              {s.can('ingest.submit') ? (
                <p>
                  <Link className="button" to="/transfers">
                    {t('home.newTransfer')}
                  </Link>
                </p>
              ) : null}
              {data.recent.length === 0 ? (
                <p className="muted">{t('home.noTransfers')}</p>
              ) : (
                <TransferTable ops={data.recent} />
              )}
            </>
          ) : null}
        </>
      ) : null}
      <AdminHomePanels />
      <LifecycleHomePanels />
    </section>
  )
}
