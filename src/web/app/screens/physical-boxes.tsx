/**
 * Boîtes: search by barcode or cote, the list (filter by location), create a box or a box type, move
 * the selected boxes; one box's page: content units, current place, type, move, and its full history
 * (every kind of movement the server records shows as a row).
 */
import { useState, type FormEvent } from 'react'
import { physicalApi, type BoxOuting, type BoxSummary, type BoxType } from '../api-physical.js'
import { ErrorMessage, Loading, Notice, useLoad } from '../components.js'
import { formatDate, formatDateTime } from '../format.js'
import { hasMessage, useI18n } from '../i18n.js'
import { Link, navigate, useLocation } from '../router.js'
import { useSession } from '../session.js'
import {
  formatMetres,
  locationLabel,
  PhysicalError,
  useAgentNames,
  useNoticeAfterReload,
} from './physical-common.js'

/** A select of the tenant's shelves (the only places a box can go). */
function ShelfSelect({ id, value, onChange }: { id: string; value: string; onChange(v: string): void }) {
  const { api } = useSession()
  const { t, lang } = useI18n()
  const tree = useLoad(() => physicalApi.locations(api), [])
  const shelves = (tree.data?.locations ?? []).filter((n) => n.shelf)
  return (
    <>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} required>
        <option value="">{t('phys.move.chooseShelf')}</option>
        {shelves.map((s) => (
          <option key={s.id} value={s.id} disabled={s.effective.blocked}>
            {locationLabel(s)} —{' '}
            {t('phys.move.freeOpt', { free: formatMetres(s.occupancy.freeMetres, lang) })}
            {s.effective.blocked ? ` — ${t('phys.prop.blocked')}` : ''}
          </option>
        ))}
      </select>
      <ErrorMessage error={tree.error} />
    </>
  )
}

function MoveForm({ boxes, onMoved }: { boxes: string[]; onMoved(msg: string): void }) {
  const { api } = useSession()
  const { t } = useI18n()
  const [to, setTo] = useState('')
  const [note, setNote] = useState('')
  const [error, setError] = useState<unknown>(null)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setError(null)
    try {
      const r = await physicalApi.moveBoxes(api, boxes, to, note.trim() || undefined)
      onMoved(t('phys.move.done', { n: r.moved, path: r.to.path }))
    } catch (err) {
      setError(err)
    }
  }
  return (
    <form className="card inline-form" onSubmit={(e) => void submit(e)}>
      <h3>{t('phys.move.title', { n: boxes.length })}</h3>
      <div>
        <label htmlFor="move-to">{t('phys.move.to')}</label>
        <ShelfSelect id="move-to" value={to} onChange={setTo} />
      </div>
      <div>
        <label htmlFor="move-note">{t('phys.move.note')}</label>
        <input id="move-note" value={note} onChange={(e) => setNote(e.target.value)} maxLength={1000} />
      </div>
      <button type="submit" className="button" disabled={boxes.length === 0}>
        {t('phys.move.submit')}
      </button>
      <PhysicalError error={error} />
    </form>
  )
}

function TypeSelect({
  id,
  types,
  value,
  onChange,
  required,
}: {
  id: string
  types: readonly BoxType[]
  value: string
  onChange(v: string): void
  required?: boolean
}) {
  const { t, lang } = useI18n()
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.target.value)} required={required}>
      <option value="">{t('phys.box.noType')}</option>
      {types.map((bt) => (
        <option key={bt.id} value={bt.id}>
          {bt.id} — {bt.name} ({bt.widthMm}×{bt.heightMm}×{bt.depthMm} mm,{' '}
          {formatMetres(bt.footprintMetres, lang)})
        </option>
      ))}
    </select>
  )
}

function CreateBox({ types, onDone }: { types: readonly BoxType[]; onDone(msg: string): void }) {
  const { api } = useSession()
  const { t } = useI18n()
  const [f, setF] = useState({ barcode: '', cote: '', title: '', producer: '', boxType: '' })
  const [error, setError] = useState<unknown>(null)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setError(null)
    try {
      const b = await physicalApi.createBox(api, {
        barcode: f.barcode.trim(),
        ...(f.cote.trim() ? { cote: f.cote.trim() } : {}),
        ...(f.title.trim() ? { title: f.title.trim() } : {}),
        ...(f.producer.trim() ? { producer: f.producer.trim() } : {}),
        ...(f.boxType ? { boxType: f.boxType } : {}),
      })
      setF({ barcode: '', cote: '', title: '', producer: '', boxType: '' })
      onDone(t('phys.box.created', { barcode: b.barcode }))
    } catch (err) {
      setError(err)
    }
  }
  const field = (k: 'barcode' | 'cote' | 'title' | 'producer', required = false) => (
    <div>
      <label htmlFor={`box-new-${k}`}>{t(`phys.box.${k}`)}</label>
      <input
        id={`box-new-${k}`}
        value={f[k]}
        required={required}
        onChange={(e) => setF({ ...f, [k]: e.target.value })}
      />
    </div>
  )
  return (
    <form className="card inline-form" onSubmit={(e) => void submit(e)}>
      <h2>{t('phys.box.create')}</h2>
      {field('barcode', true)}
      {field('cote')}
      {field('title')}
      {field('producer')}
      <div>
        <label htmlFor="box-new-type">{t('phys.box.type')}</label>
        <TypeSelect
          id="box-new-type"
          types={types}
          value={f.boxType}
          onChange={(v) => setF({ ...f, boxType: v })}
        />
      </div>
      <button type="submit" className="button">
        {t('phys.box.createSubmit')}
      </button>
      <PhysicalError error={error} />
    </form>
  )
}

function CreateBoxType({ onDone }: { onDone(msg: string): void }) {
  const { api } = useSession()
  const { t } = useI18n()
  const [f, setF] = useState({ id: '', name: '', widthMm: '', heightMm: '', depthMm: '', footprintMm: '' })
  const [error, setError] = useState<unknown>(null)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setError(null)
    try {
      const bt = await physicalApi.createBoxType(api, {
        id: f.id.trim(),
        name: f.name.trim(),
        widthMm: Number(f.widthMm),
        heightMm: Number(f.heightMm),
        depthMm: Number(f.depthMm),
        ...(f.footprintMm ? { footprintMm: Number(f.footprintMm) } : {}),
      })
      setF({ id: '', name: '', widthMm: '', heightMm: '', depthMm: '', footprintMm: '' })
      onDone(t('phys.type.created', { id: bt.id }))
    } catch (err) {
      setError(err)
    }
  }
  const keys = ['id', 'name', 'widthMm', 'heightMm', 'depthMm', 'footprintMm'] as const
  return (
    <form className="card inline-form" onSubmit={(e) => void submit(e)}>
      <h2>{t('phys.type.create')}</h2>
      {keys.map((k) => (
        <div key={k}>
          <label htmlFor={`type-new-${k}`}>{t(`phys.type.${k}`)}</label>
          <input
            id={`type-new-${k}`}
            value={f[k]}
            required={k !== 'footprintMm'}
            inputMode={k.endsWith('Mm') ? 'numeric' : undefined}
            onChange={(e) => setF({ ...f, [k]: e.target.value })}
          />
        </div>
      ))}
      <button type="submit" className="button">
        {t('phys.type.createSubmit')}
      </button>
      <PhysicalError error={error} />
    </form>
  )
}

export function BoxTable({
  boxes,
  selected,
  onSelect,
}: {
  boxes: readonly BoxSummary[]
  selected?: Set<string>
  onSelect?(id: string, on: boolean): void
}) {
  const { t, lang } = useI18n()
  return (
    <table>
      <thead>
        <tr>
          {onSelect ? (
            <th scope="col">
              <span className="visually-hidden">{t('phys.box.select')}</span>
            </th>
          ) : null}
          <th scope="col">{t('phys.box.barcode')}</th>
          <th scope="col">{t('phys.box.cote')}</th>
          <th scope="col">{t('phys.box.title')}</th>
          <th scope="col">{t('phys.box.type')}</th>
          <th scope="col">{t('phys.box.place')}</th>
          <th scope="col">{t('phys.box.status')}</th>
        </tr>
      </thead>
      <tbody>
        {boxes.map((b) => (
          <tr key={b.id}>
            {onSelect ? (
              <td>
                <input
                  type="checkbox"
                  aria-label={t('phys.box.selectOne', { barcode: b.barcode })}
                  checked={selected?.has(b.id) ?? false}
                  onChange={(e) => onSelect(b.id, e.target.checked)}
                />
              </td>
            ) : null}
            <td>
              <Link to={`/physical/boxes/${encodeURIComponent(b.id)}`}>{b.barcode}</Link>
            </td>
            <td>{b.cote ?? t('app.none')}</td>
            <td>{b.title ?? t('app.none')}</td>
            <td>
              {b.boxType ? `${b.boxType} (${formatMetres(b.linearMetres, lang)})` : t('phys.box.noType')}
            </td>
            <td>{b.place ? <code>{b.place.path}</code> : t('phys.box.unplaced')}</td>
            <td>{t(b.status === 'destroyed' ? 'phys.box.destroyed' : 'phys.box.active')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

export function BoxesScreen() {
  const { api, can } = useSession()
  const { t } = useI18n()
  const { query } = useLocation()
  const location = query.get('location') ?? ''
  const [q, setQ] = useState('')
  const [search, setSearch] = useState('')
  const [offset, setOffset] = useState(0)
  const [tick, setTick] = useState(0)
  const [selected, setSelected] = useState<Set<string>>(new Set())
  const list = useLoad(
    () => physicalApi.boxes(api, { q: search, location, limit: 50, offset }),
    [search, location, offset, tick],
  )
  const types = useLoad(() => physicalApi.boxTypes(api), [tick])
  const [notice, announce] = useNoticeAfterReload(list.data)
  const manage = can('archive.manage')
  const done = (msg: string) => {
    announce(msg)
    setSelected(new Set())
    setTick((n) => n + 1)
  }
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    const v = q.trim()
    // A scanner types a whole barcode then Enter: open the box when the code is exactly one.
    if (v !== '') {
      try {
        const b = await physicalApi.box(api, v)
        if (b.barcode === v) return navigate(`/physical/boxes/${encodeURIComponent(b.id)}`)
      } catch {
        // not an exact barcode: list what starts with it
      }
    }
    setOffset(0)
    setSearch(v)
  }
  const page = list.data
  return (
    <section aria-labelledby="boxes-title">
      <h1 id="boxes-title">{t('phys.boxes.title')}</h1>
      {notice ? <Notice>{notice}</Notice> : null}
      <form className="inline-form" role="search" onSubmit={(e) => void submit(e)}>
        <div>
          <label htmlFor="box-search">{t('phys.boxes.search')}</label>
          <input id="box-search" value={q} onChange={(e) => setQ(e.target.value)} />
        </div>
        <button type="submit" className="button">
          {t('phys.boxes.searchSubmit')}
        </button>
      </form>
      {location ? (
        <p>
          {t('phys.boxes.inLocation', { location })} <Link to="/physical/boxes">{t('phys.boxes.all')}</Link>
        </p>
      ) : null}
      <ErrorMessage error={list.error} />
      {list.loading && !page ? <Loading /> : null}
      {page ? (
        <>
          <p role="status">{t('phys.boxes.count', { n: page.total })}</p>
          {page.results.length > 0 ? (
            <BoxTable
              boxes={page.results}
              {...(manage
                ? {
                    selected,
                    onSelect: (id: string, on: boolean) => {
                      const next = new Set(selected)
                      if (on) next.add(id)
                      else next.delete(id)
                      setSelected(next)
                    },
                  }
                : {})}
            />
          ) : null}
          <div className="pager">
            <button
              type="button"
              className="button secondary"
              disabled={offset === 0}
              onClick={() => setOffset(Math.max(offset - 50, 0))}
            >
              {t('phys.boxes.prev')}
            </button>
            <button
              type="button"
              className="button secondary"
              disabled={offset + 50 >= page.total}
              onClick={() => setOffset(offset + 50)}
            >
              {t('phys.boxes.next')}
            </button>
          </div>
        </>
      ) : null}
      {manage ? (
        <>
          <MoveForm boxes={[...selected]} onMoved={done} />
          <CreateBox types={types.data?.results ?? []} onDone={done} />
          <CreateBoxType onDone={done} />
        </>
      ) : null}
    </section>
  )
}

const PRESENCE_CLASS: Record<string, string> = {
  shelved: 'badge-ok',
  unplaced: 'badge-pending',
  out: 'badge-warning',
  destroyed: 'badge-ko',
}

/** The box's outings as the API lists them (from its `out` / `returned` history rows). */
function Outings({ outings }: { outings: readonly BoxOuting[] }) {
  const { t, lang } = useI18n()
  if (outings.length === 0) return null
  return (
    <>
      <h2>{t('phys.outings.title')}</h2>
      <table data-testid="box-outings">
        <thead>
          <tr>
            <th scope="col">{t('phys.outings.request')}</th>
            <th scope="col">{t('phys.outings.service')}</th>
            <th scope="col">{t('phys.outings.delivered')}</th>
            <th scope="col">{t('phys.outings.due')}</th>
            <th scope="col">{t('phys.outings.returned')}</th>
          </tr>
        </thead>
        <tbody>
          {[...outings].reverse().map((o) => (
            <tr key={`${o.requestId}-${o.deliveredAt}`}>
              <td>
                <Link to={`/requests/${encodeURIComponent(o.requestId)}`}>
                  {kindLabel(o.kind, t) ?? o.requestId}
                </Link>
                {o.requester ? ` — ${o.requester}` : ''}
              </td>
              <td>{o.service ?? t('app.none')}</td>
              <td>{formatDateTime(o.deliveredAt, lang)}</td>
              <td>
                {o.dueDate ? formatDate(o.dueDate, lang) : t('app.none')}
                {o.overdue ? (
                  <>
                    {' '}
                    <span className="badge badge-ko">{t('phys.outings.late')}</span>
                  </>
                ) : null}
              </td>
              <td>{o.returnedAt ? formatDateTime(o.returnedAt, lang) : t('phys.outings.stillOut')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}

/** A request kind's label (consultation, prêt…), or the kind itself when it has none; null for none. */
function kindLabel(kind: string | null, t: ReturnType<typeof useI18n>['t']): string | null {
  if (!kind) return null
  const key = `req.kind.${kind}`
  return hasMessage(key) ? t(key) : kind
}

function historyLabel(kind: string, label: string | null | undefined, t: ReturnType<typeof useI18n>['t']) {
  const key = `phys.history.${kind}`
  return hasMessage(key) ? t(key) : (label ?? kind)
}

export function BoxScreen({ id }: { id: string }) {
  const { api, can } = useSession()
  const { t, lang } = useI18n()
  const [tick, setTick] = useState(0)
  const box = useLoad(() => physicalApi.box(api, id), [id, tick])
  const [notice, announce] = useNoticeAfterReload(box.data)
  const types = useLoad(() => physicalApi.boxTypes(api), [])
  const [type, setType] = useState<string | null>(null)
  const [typeError, setTypeError] = useState<unknown>(null)
  const agent = useAgentNames()
  const done = (msg: string) => {
    announce(msg)
    setTick((n) => n + 1)
  }
  const b = box.data
  if (!b) return box.error ? <ErrorMessage error={box.error} /> : <Loading />
  const manage = can('archive.manage') && b.status !== 'destroyed'
  const setBoxType = async (e: FormEvent) => {
    e.preventDefault()
    setTypeError(null)
    try {
      await physicalApi.updateBox(api, b.id, { boxType: type ?? b.boxType ?? '' })
      done(t('phys.box.typeSet', { barcode: b.barcode, type: type ?? '' }))
    } catch (err) {
      setTypeError(err)
    }
  }
  return (
    <article aria-labelledby="box-title">
      <h1 id="box-title">{t('phys.box.pageTitle', { barcode: b.barcode })}</h1>
      {notice ? <Notice>{notice}</Notice> : null}
      <dl className="facts">
        <div>
          <dt>{t('phys.box.cote')}</dt>
          <dd>{b.cote ?? t('app.none')}</dd>
        </div>
        <div>
          <dt>{t('phys.box.title')}</dt>
          <dd>{b.title ?? t('app.none')}</dd>
        </div>
        <div>
          <dt>{t('phys.box.producer')}</dt>
          <dd>{b.producer ?? t('app.none')}</dd>
        </div>
        <div>
          <dt>{t('phys.box.type')}</dt>
          <dd>{b.boxType ? `${b.boxType} (${formatMetres(b.linearMetres, lang)})` : t('phys.box.noType')}</dd>
        </div>
        <div>
          <dt>{t('phys.box.place')}</dt>
          <dd data-testid="box-place">{b.place ? <code>{b.place.path}</code> : t('phys.box.unplaced')}</dd>
        </div>
        <div>
          <dt>{t('phys.box.status')}</dt>
          <dd>{t(b.status === 'destroyed' ? 'phys.box.destroyed' : 'phys.box.active')}</dd>
        </div>
        {b.presence ? (
          <div>
            <dt>{t('phys.box.presence')}</dt>
            <dd>
              <span data-testid="box-presence" className={`badge ${PRESENCE_CLASS[b.presence]}`}>
                {t(`phys.presence.${b.presence}`)}
              </span>
            </dd>
          </div>
        ) : null}
      </dl>
      {b.out ? (
        <div className={b.out.overdue ? 'alert alert-error' : 'alert'} role="status" data-testid="box-out">
          <p>
            {t(b.out.overdue ? 'phys.out.overdue' : 'phys.out.now', {
              kind: kindLabel(b.out.kind, t) ?? t('app.none'),
              service: b.out.service ?? t('app.none'),
              since: formatDateTime(b.out.since, lang),
              due: b.out.dueDate ? formatDate(b.out.dueDate, lang) : t('app.none'),
            })}{' '}
            <Link to={`/requests/${encodeURIComponent(b.out.requestId)}`}>{t('phys.out.request')}</Link>
          </p>
          {b.place ? <p className="small">{t('phys.out.home', { path: b.place.path ?? '' })}</p> : null}
        </div>
      ) : null}
      {manage ? (
        <form className="card inline-form" onSubmit={(e) => void setBoxType(e)}>
          <h2>{t('phys.box.setType')}</h2>
          <div>
            <label htmlFor="box-type">{t('phys.box.type')}</label>
            <TypeSelect
              id="box-type"
              types={types.data?.results ?? []}
              value={type ?? b.boxType ?? ''}
              onChange={setType}
              required
            />
          </div>
          <button type="submit" className="button">
            {t('phys.box.setTypeSubmit')}
          </button>
          <PhysicalError error={typeError} />
        </form>
      ) : null}
      {manage ? <MoveForm key={tick} boxes={[b.id]} onMoved={done} /> : null}

      <h2>{t('phys.box.content')}</h2>
      {b.content.length === 0 ? (
        <p className="muted">{t('phys.box.empty')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('phys.box.unit')}</th>
              <th scope="col">{t('phys.box.object')}</th>
            </tr>
          </thead>
          <tbody>
            {b.content.map((c) => (
              <tr key={c.objectId}>
                <td>
                  {c.unitId ? (
                    <Link to={`/units/${encodeURIComponent(c.unitId)}`}>{c.title ?? c.unitId}</Link>
                  ) : (
                    t('app.none')
                  )}
                </td>
                <td>
                  <code>{c.objectId}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>{t('phys.box.history')}</h2>
      <table data-testid="box-history">
        <thead>
          <tr>
            <th scope="col">{t('phys.history.at')}</th>
            <th scope="col">{t('phys.history.what')}</th>
            <th scope="col">{t('phys.history.from')}</th>
            <th scope="col">{t('phys.history.to')}</th>
            <th scope="col">{t('phys.history.agent')}</th>
            <th scope="col">{t('phys.history.note')}</th>
          </tr>
        </thead>
        <tbody>
          {b.history.map((h, i) => (
            <tr key={i}>
              <td>{formatDateTime(h.at, lang)}</td>
              <td>{historyLabel(h.kind, h.label, t)}</td>
              <td>{h.from ? <code>{h.from}</code> : t('app.none')}</td>
              <td>{h.to ? <code>{h.to}</code> : t('app.none')}</td>
              <td>{agent(h.agent)}</td>
              <td>
                {h.note ?? ''}{' '}
                {h.operationId && can('logbook.read') ? (
                  <Link to={`/logbook/${encodeURIComponent(h.operationId)}`}>
                    {t('phys.history.operation')}
                  </Link>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Outings outings={b.outings ?? []} />
      {b.status !== 'destroyed' ? (
        <p>
          <Link to={`/physical/labels?boxes=${encodeURIComponent(b.barcode)}`}>
            {t('phys.box.printLabel')}
          </Link>
        </p>
      ) : null}
    </article>
  )
}
