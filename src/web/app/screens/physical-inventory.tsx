/**
 * Récolement (inventory campaigns): open a campaign over locations, then per shelf scan barcodes (a
 * scanner types the code then Enter: the field takes code after code) or tick the boxes expected there;
 * the report (found, missing, misplaced, unexpected) is live until the campaign is closed.
 */
import { useRef, useState, type FormEvent } from 'react'
import { physicalApi, type Inventory } from '../api-physical.js'
import { ErrorMessage, Loading, Notice, useLoad } from '../components.js'
import { formatDateTime } from '../format.js'
import { useI18n } from '../i18n.js'
import { Link, navigate } from '../router.js'
import { useSession } from '../session.js'
import { locationLabel } from './physical-common.js'

export function InventoriesScreen() {
  const { api, can } = useSession()
  const { t, lang } = useI18n()
  const list = useLoad(() => physicalApi.inventories(api), [])
  const tree = useLoad(() => physicalApi.locations(api), [])
  const [label, setLabel] = useState('')
  const [chosen, setChosen] = useState<Set<string>>(new Set())
  const [error, setError] = useState<unknown>(null)
  const start = async (e: FormEvent) => {
    e.preventDefault()
    setError(null)
    try {
      const inv = await physicalApi.startInventory(api, label.trim() || t('phys.inv.defaultLabel'), [
        ...chosen,
      ])
      navigate(`/physical/inventories/${encodeURIComponent(inv.id)}`)
    } catch (err) {
      setError(err)
    }
  }
  const nodes = (tree.data?.locations ?? []).filter((n) => !n.shelf)
  return (
    <section aria-labelledby="inv-title">
      <h1 id="inv-title">{t('phys.inv.title')}</h1>
      <ErrorMessage error={list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && list.data.results.length === 0 ? <p className="muted">{t('phys.inv.none')}</p> : null}
      {list.data && list.data.results.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('phys.inv.label')}</th>
              <th scope="col">{t('phys.inv.status')}</th>
              <th scope="col">{t('phys.inv.shelves')}</th>
              <th scope="col">{t('phys.inv.opened')}</th>
              <th scope="col">{t('phys.inv.closed')}</th>
            </tr>
          </thead>
          <tbody>
            {list.data.results.map((i) => (
              <tr key={i.id}>
                <td>
                  <Link to={`/physical/inventories/${encodeURIComponent(i.id)}`}>{i.label}</Link>
                </td>
                <td>{t(i.status === 'open' ? 'phys.inv.open' : 'phys.inv.closedState')}</td>
                <td>{i.shelves}</td>
                <td>{formatDateTime(i.createdAt, lang)}</td>
                <td>{formatDateTime(i.closedAt, lang)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {can('archive.manage') ? (
        <form className="card" onSubmit={(e) => void start(e)}>
          <h2>{t('phys.inv.start')}</h2>
          <label htmlFor="inv-label">{t('phys.inv.label')}</label>
          <input id="inv-label" value={label} onChange={(e) => setLabel(e.target.value)} maxLength={300} />
          <fieldset>
            <legend>{t('phys.inv.locations')}</legend>
            <ErrorMessage error={tree.error} />
            {nodes.map((n) => (
              <label key={n.id} className="check" style={{ paddingLeft: `${n.depth * 1.2}rem` }}>
                <input
                  type="checkbox"
                  checked={chosen.has(n.id)}
                  onChange={(e) => {
                    const next = new Set(chosen)
                    if (e.target.checked) next.add(n.id)
                    else next.delete(n.id)
                    setChosen(next)
                  }}
                />{' '}
                {locationLabel(n)}
              </label>
            ))}
          </fieldset>
          <button type="submit" className="button" disabled={chosen.size === 0}>
            {t('phys.inv.startSubmit')}
          </button>
          <ErrorMessage error={error} />
        </form>
      ) : null}
    </section>
  )
}

function Report({ inv }: { inv: Inventory }) {
  const { t } = useI18n()
  const r = inv.report
  return (
    <section aria-labelledby="inv-report" data-testid="inventory-report">
      <h2 id="inv-report">{t(inv.status === 'open' ? 'phys.inv.reportLive' : 'phys.inv.reportFinal')}</h2>
      <dl className="stats">
        <div>
          <dt>{t('phys.inv.expected')}</dt>
          <dd>{r.expected}</dd>
        </div>
        <div>
          <dt>{t('phys.inv.found')}</dt>
          <dd>{r.found.length}</dd>
        </div>
        <div>
          <dt>{t('phys.inv.missing')}</dt>
          <dd>{r.missing.length}</dd>
        </div>
        <div>
          <dt>{t('phys.inv.misplaced')}</dt>
          <dd>{r.misplaced.length}</dd>
        </div>
        <div>
          <dt>{t('phys.inv.unexpected')}</dt>
          <dd>{r.unexpected.length}</dd>
        </div>
      </dl>
      {r.missing.length > 0 ? (
        <>
          <h3>{t('phys.inv.missing')}</h3>
          <ul>
            {r.missing.map((m) => (
              <li key={m.barcode}>
                {t('phys.inv.missingRow', { barcode: m.barcode, cote: m.cote ?? '—', at: m.expectedAt })}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {r.misplaced.length > 0 ? (
        <>
          <h3>{t('phys.inv.misplaced')}</h3>
          <ul>
            {r.misplaced.map((m) => (
              <li key={m.barcode}>
                {t('phys.inv.misplacedRow', {
                  barcode: m.barcode,
                  expected: m.expectedAt ?? t('phys.inv.outside'),
                  found: m.foundAt.join(', '),
                })}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {r.unexpected.length > 0 ? (
        <>
          <h3>{t('phys.inv.unexpected')}</h3>
          <ul>
            {r.unexpected.map((m) => (
              <li key={m.barcode}>
                {t('phys.inv.unexpectedRow', {
                  barcode: m.barcode,
                  found: m.foundAt.join(', '),
                  reason: t(
                    m.reason === 'destroyed'
                      ? 'phys.inv.reason.destroyed'
                      : m.reason === 'no-place'
                        ? 'phys.inv.reason.noPlace'
                        : 'phys.inv.reason.unknown',
                  ),
                })}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  )
}

export function InventoryScreen({ id }: { id: string }) {
  const { api, can } = useSession()
  const { t, lang } = useI18n()
  const [tick, setTick] = useState(0)
  const inv = useLoad(() => physicalApi.inventory(api, id), [id, tick])
  const [shelf, setShelf] = useState('')
  const expected = useLoad(
    () =>
      shelf
        ? physicalApi.boxes(api, { location: shelf, status: 'active', limit: 1000 })
        : Promise.resolve(null),
    [shelf, tick],
  )
  const [code, setCode] = useState('')
  const [scanned, setScanned] = useState<string[]>([])
  const [ticked, setTicked] = useState<Set<string>>(new Set())
  const [error, setError] = useState<unknown>(null)
  const [notice, setNotice] = useState<string | null>(null)
  const input = useRef<HTMLInputElement>(null)
  const v = inv.data
  if (!v) return inv.error ? <ErrorMessage error={inv.error} /> : <Loading />
  const open = v.status === 'open' && can('archive.manage')
  const send = async (codes: string[]) => {
    setError(null)
    try {
      await physicalApi.scan(api, v.id, shelf, codes)
      setScanned((s) => [...s, ...codes])
      setNotice(
        t('phys.inv.recorded', {
          n: codes.length,
          shelf: v.shelves.find((s) => s.id === shelf)?.path ?? shelf,
        }),
      )
      setTick((n) => n + 1)
    } catch (err) {
      setError(err)
    }
  }
  const scan = async (e: FormEvent) => {
    e.preventDefault()
    const c = code.trim()
    if (!c) return
    setCode('')
    await send([c])
    input.current?.focus()
  }
  const close = async () => {
    setError(null)
    try {
      await physicalApi.closeInventory(api, v.id)
      setTick((n) => n + 1)
    } catch (err) {
      setError(err)
    }
  }
  return (
    <article aria-labelledby="inv-one">
      <h1 id="inv-one">{v.label}</h1>
      <p>
        {t(v.status === 'open' ? 'phys.inv.openSince' : 'phys.inv.closedOn', {
          at: formatDateTime(v.status === 'open' ? v.createdAt : v.closedAt, lang),
          shelves: v.shelves.length,
          scanned: v.scanned,
        })}
      </p>
      {notice ? <Notice>{notice}</Notice> : null}
      <ErrorMessage error={error} />
      {open ? (
        <section className="card" aria-labelledby="inv-scan">
          <h2 id="inv-scan">{t('phys.inv.scanTitle')}</h2>
          <label htmlFor="inv-shelf">{t('phys.inv.shelf')}</label>
          <select
            id="inv-shelf"
            value={shelf}
            onChange={(e) => {
              setShelf(e.target.value)
              setScanned([])
              setTicked(new Set())
            }}
          >
            <option value="">{t('phys.inv.chooseShelf')}</option>
            {v.shelves.map((s) => (
              <option key={s.id} value={s.id}>
                {s.path ?? s.id}
              </option>
            ))}
          </select>
          {shelf ? (
            <>
              <form className="inline-form" onSubmit={(e) => void scan(e)}>
                <div>
                  <label htmlFor="inv-code">{t('phys.inv.code')}</label>
                  <input
                    id="inv-code"
                    ref={input}
                    value={code}
                    onChange={(e) => setCode(e.target.value)}
                    autoComplete="off"
                    autoFocus
                  />
                </div>
                <button type="submit" className="button">
                  {t('phys.inv.record')}
                </button>
              </form>
              {scanned.length > 0 ? (
                <p className="small" data-testid="scanned">
                  {t('phys.inv.scannedHere', { codes: scanned.join(', ') })}
                </p>
              ) : null}
              <fieldset>
                <legend>{t('phys.inv.tickTitle')}</legend>
                {(expected.data?.results ?? []).length === 0 ? (
                  <p className="muted">{t('phys.inv.noneExpected')}</p>
                ) : null}
                {(expected.data?.results ?? []).map((b) => (
                  <label key={b.id} className="check">
                    <input
                      type="checkbox"
                      checked={ticked.has(b.barcode)}
                      onChange={(e) => {
                        const next = new Set(ticked)
                        if (e.target.checked) next.add(b.barcode)
                        else next.delete(b.barcode)
                        setTicked(next)
                      }}
                    />{' '}
                    <code>{b.barcode}</code> {b.cote ? `— ${b.cote}` : ''}
                  </label>
                ))}
                <button
                  type="button"
                  className="button secondary"
                  disabled={ticked.size === 0}
                  onClick={() => void send([...ticked]).then(() => setTicked(new Set()))}
                >
                  {t('phys.inv.recordTicked')}
                </button>
              </fieldset>
            </>
          ) : null}
        </section>
      ) : null}
      <Report inv={v} />
      {open ? (
        <p>
          <button type="button" className="button" onClick={() => void close()}>
            {t('phys.inv.close')}
          </button>
        </p>
      ) : null}
    </article>
  )
}
