/** The accession register (registre des entrées): entries and departures per producer, CSV download. */
import { useMemo, useState } from 'react'
import { register, type Amounts, type RegisterLine } from '../api-lifecycle.js'
import { ErrorMessage, Loading, saveBlob, useLoad } from '../components.js'
import { formatBytes, formatDate, formatNumber } from '../format.js'
import { useI18n, type Lang } from '../i18n.js'
import { Link } from '../router.js'
import { useSession } from '../session.js'
import { useCodeLabel } from './lifecycle-common.js'

const zero = (): { units: number; objects: number; physicalObjects: number; bytes: number } => ({
  units: 0,
  objects: 0,
  physicalObjects: 0,
  bytes: 0,
})

function add(a: ReturnType<typeof zero>, b: Amounts) {
  a.units += b.units
  a.objects += b.objects
  a.physicalObjects += b.physicalObjects
  a.bytes += b.bytes
}

function AmountCells({ a, lang }: { a: Amounts; lang: Lang }) {
  return (
    <>
      <td>{formatNumber(a.units, lang)}</td>
      <td>{formatNumber(a.objects, lang)}</td>
      <td>{formatNumber(a.physicalObjects, lang)}</td>
      <td>{formatBytes(a.bytes, lang)}</td>
    </>
  )
}

export function RegisterScreen() {
  const s = useSession()
  const { t, lang } = useI18n()
  const label = useCodeLabel()
  const { data, error, loading } = useLoad(() => register.get(s.api), [s.data.tenantId])
  const [producer, setProducer] = useState('')
  const [direction, setDirection] = useState<'' | 'in' | 'out'>('')
  const [from, setFrom] = useState('')
  const [to, setTo] = useState('')
  const [csvError, setCsvError] = useState<unknown>(null)

  const lines = useMemo(
    () =>
      (data?.lines ?? []).filter(
        (l: RegisterLine) =>
          (!producer || (l.producer ?? '') === producer) &&
          (!direction || l.direction === direction) &&
          (!from || l.date.slice(0, 10) >= from) &&
          (!to || l.date.slice(0, 10) <= to),
      ),
    [data, producer, direction, from, to],
  )
  const producers = useMemo(
    () => [...new Set((data?.lines ?? []).map((l) => l.producer ?? ''))].sort(),
    [data],
  )
  const perProducer = useMemo(() => {
    const m = new Map<string, { in: ReturnType<typeof zero>; out: ReturnType<typeof zero> }>()
    for (const l of lines) {
      const k = l.producer ?? ''
      const e = m.get(k) ?? { in: zero(), out: zero() }
      add(e[l.direction], l)
      m.set(k, e)
    }
    return [...m.entries()].sort(([a], [b]) => a.localeCompare(b))
  }, [lines])

  const csv = async () => {
    setCsvError(null)
    try {
      saveBlob(await register.csv(s.api, producer || undefined), `registre-${s.data.tenantId}.csv`)
    } catch (e) {
      setCsvError(e)
    }
  }

  return (
    <section aria-labelledby="register-title">
      <h1 id="register-title">{t('lc.reg.title')}</h1>
      <p>{t('lc.reg.intro')}</p>
      <ErrorMessage error={error} />
      {loading && !data ? <Loading /> : null}
      {data ? (
        <>
          <form className="inline-form" onSubmit={(e) => e.preventDefault()} aria-label={t('lc.reg.filters')}>
            <label htmlFor="reg-producer">{t('lc.reg.producer')}</label>
            <select id="reg-producer" value={producer} onChange={(e) => setProducer(e.target.value)}>
              <option value="">{t('lc.reg.all')}</option>
              {producers.map((p) => (
                <option key={p} value={p}>
                  {p || t('lc.reg.noProducer')}
                </option>
              ))}
            </select>
            <label htmlFor="reg-direction">{t('lc.reg.direction')}</label>
            <select
              id="reg-direction"
              value={direction}
              onChange={(e) => setDirection(e.target.value as '' | 'in' | 'out')}
            >
              <option value="">{t('lc.reg.all')}</option>
              <option value="in">{t('lc.reg.in')}</option>
              <option value="out">{t('lc.reg.out')}</option>
            </select>
            <label htmlFor="reg-from">{t('lc.reg.from')}</label>
            <input id="reg-from" type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
            <label htmlFor="reg-to">{t('lc.reg.to')}</label>
            <input id="reg-to" type="date" value={to} onChange={(e) => setTo(e.target.value)} />
          </form>
          <div className="inline-form">
            <button type="button" className="button" onClick={() => void csv()}>
              {t('lc.reg.csv')}
            </button>
          </div>
          <ErrorMessage error={csvError} />

          <h2>{t('lc.reg.totals')}</h2>
          <dl className="stats">
            <div>
              <dt>{t('lc.reg.heldUnits')}</dt>
              <dd>{formatNumber(data.totals.held.units, lang)}</dd>
            </div>
            <div>
              <dt>{t('lc.reg.heldBytes')}</dt>
              <dd>{formatBytes(data.totals.held.bytes, lang)}</dd>
            </div>
            <div>
              <dt>{t('lc.reg.inUnits')}</dt>
              <dd>{formatNumber(data.totals.in.units, lang)}</dd>
            </div>
            <div>
              <dt>{t('lc.reg.outUnits')}</dt>
              <dd>{formatNumber(data.totals.out.units, lang)}</dd>
            </div>
          </dl>

          <h2>{t('lc.reg.perProducer')}</h2>
          <div className="scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('lc.reg.producer')}</th>
                  <th scope="col">{t('lc.reg.direction')}</th>
                  <th scope="col">{t('lc.reg.col.units')}</th>
                  <th scope="col">{t('lc.reg.col.objects')}</th>
                  <th scope="col">{t('lc.reg.col.physical')}</th>
                  <th scope="col">{t('lc.reg.col.bytes')}</th>
                </tr>
              </thead>
              <tbody>
                {perProducer.flatMap(([p, e]) => [
                  <tr key={`${p}-in`}>
                    <td>{p || t('lc.reg.noProducer')}</td>
                    <td>{t('lc.reg.in')}</td>
                    <AmountCells a={e.in} lang={lang} />
                  </tr>,
                  <tr key={`${p}-out`}>
                    <td>{p || t('lc.reg.noProducer')}</td>
                    <td>{t('lc.reg.out')}</td>
                    <AmountCells a={e.out} lang={lang} />
                  </tr>,
                ])}
              </tbody>
            </table>
          </div>

          <h2>{t('lc.reg.lines', { n: lines.length })}</h2>
          {lines.length === 0 ? (
            <p className="muted">{t('lc.reg.none')}</p>
          ) : (
            <div className="scroll">
              <table data-testid="register-lines">
                <thead>
                  <tr>
                    <th scope="col">{t('lc.reg.col.date')}</th>
                    <th scope="col">{t('lc.reg.col.type')}</th>
                    <th scope="col">{t('lc.reg.producer')}</th>
                    <th scope="col">{t('lc.reg.col.units')}</th>
                    <th scope="col">{t('lc.reg.col.objects')}</th>
                    <th scope="col">{t('lc.reg.col.physical')}</th>
                    <th scope="col">{t('lc.reg.col.bytes')}</th>
                    <th scope="col">{t('lc.reg.col.counterpart')}</th>
                    <th scope="col">{t('lc.reg.col.operation')}</th>
                  </tr>
                </thead>
                <tbody>
                  {lines.map((l) => (
                    <tr key={`${l.operationId}-${l.producer ?? ''}-${l.direction}`}>
                      <td>{formatDate(l.date, lang)}</td>
                      <td>{label('lc.reg.type', l.type)}</td>
                      <td>{l.producer ?? t('lc.reg.noProducer')}</td>
                      <AmountCells a={l} lang={lang} />
                      <td>{l.counterpart ?? t('app.none')}</td>
                      <td>
                        <Link to={`/logbook/${l.operationId}`}>{l.operationId.slice(0, 8)}…</Link>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      ) : null}
    </section>
  )
}
