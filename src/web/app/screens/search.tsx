import { useEffect, useState, type FormEvent } from 'react'
import type { UnitSummary } from '../api.js'
import { searchIds, searchUnits, type FacetValue } from '../api-admin.js'
import { ErrorMessage, Loading, useLoad } from '../components.js'
import { formatDate, formatNumber } from '../format.js'
import { hasMessage, useI18n, type MessageKey } from '../i18n.js'
import { Link, navigate, useLocation } from '../router.js'
import { useSession } from '../session.js'
import { DipExport } from './admin-dip.js'
import '../admin.css'

const PAGE = 20
/** The largest selection exported from a search (the ids are collected by following the cursors). */
const DIP_MAX_UNITS = 10_000

export function UnitTable({ units }: { units: UnitSummary[] }) {
  const { t, lang } = useI18n()
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">{t('search.col.title')}</th>
          <th scope="col">{t('search.col.level')}</th>
          <th scope="col">{t('search.col.dates')}</th>
          <th scope="col">{t('search.col.objects')}</th>
        </tr>
      </thead>
      <tbody>
        {units.map((u) => (
          <tr key={u.id}>
            <td>
              <Link to={`/units/${u.id}`}>{u.title}</Link>
            </td>
            <td>{u.descriptionLevel}</td>
            <td>
              {formatDate(u.startDate, lang)}
              {u.endDate ? ` – ${formatDate(u.endDate, lang)}` : ''}
            </td>
            <td>{u.objects.length}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** The filters of the query language (docs/search.md §2), in the order of the form. */
const FILTERS = [
  'producer',
  'level',
  'date',
  'appraisalEnd',
  'finalAction',
  'communicable',
  'kind',
  'format',
] as const
type Filter = (typeof FILTERS)[number]

const LEVELS = [
  'Fonds',
  'Subfonds',
  'Class',
  'Collection',
  'Series',
  'Subseries',
  'RecordGrp',
  'SubGrp',
  'File',
  'Item',
  'OtherLevel',
]
const FINAL_ACTIONS = ['Keep', 'Destroy', 'Conflict', 'none']
const SORTS = ['', 'relevance', 'title', '-title', 'date', '-date', 'created', '-created']

/** Facet name (API) → the filter it refines, and the filter value of a facet value (null: not a filter). */
const FACET_FILTER: Record<string, { filter: Filter; value(v: string): string | null }> = {
  producer: { filter: 'producer', value: (v) => (v === 'none' ? null : v) },
  level: { filter: 'level', value: (v) => (v === 'none' ? null : v) },
  finalAction: { filter: 'finalAction', value: (v) => v },
  format: { filter: 'format', value: (v) => (v === 'none' ? null : v) },
  kind: { filter: 'kind', value: (v) => (v === 'none' ? null : v) },
  communicability: { filter: 'communicable', value: (v) => (v === 'communicable' ? 'yes' : 'no') },
}

/** `field:value` as the query language writes it: quoted when the value holds a space. */
function token(field: string, value: string): string {
  return /[\s"]/.test(value) ? `${field}:"${value.replace(/"/g, '')}"` : `${field}:${value}`
}

/** The query sent to the API: the words typed, then each filter as `field:value`. */
export function composeQuery(text: string, filters: Partial<Record<Filter, string>>): string {
  const parts = text.trim() ? [text.trim()] : []
  for (const f of FILTERS) {
    const v = filters[f]?.trim()
    if (v) parts.push(token(f, v))
  }
  return parts.join(' ')
}

function rangeParts(v: string | undefined): [string, string] {
  if (!v) return ['', '']
  const i = v.indexOf('..')
  return i < 0 ? [v, v] : [v.slice(0, i), v.slice(i + 2)]
}

function rangeOf(from: string, to: string): string {
  const a = from.trim()
  const b = to.trim()
  if (!a && !b) return ''
  if (a && a === b) return a
  return `${a}..${b}`
}

function label(t: (k: MessageKey) => string, key: string, fallback: string): string {
  return hasMessage(key) ? t(key) : fallback
}

/**
 * Search with filters, facets and cursor paging over GET /units. The words and every filter live in the
 * URL (back button, links); the request is one query of the documented language (`q`), shown under the
 * form. A malformed query is the server's 400, in French.
 */
export function SearchScreen() {
  const s = useSession()
  const { t, lang } = useI18n()
  const { query } = useLocation()
  const q = query.get('q') ?? ''
  const operationId = query.get('operationId') ?? ''
  const sort = query.get('sort') ?? ''
  const cursor = query.get('cursor') ?? ''
  const filters: Partial<Record<Filter, string>> = {}
  for (const f of FILTERS) {
    const v = query.get(f)
    if (v) filters[f] = v
  }
  const composed = composeQuery(q, filters)
  const key = `${composed}|${operationId}|${sort}`

  const [text, setText] = useState(q)
  const [form, setForm] = useState<Partial<Record<Filter, string>>>(filters)
  const [dates, setDates] = useState(rangeParts(filters.date))
  const [appraisal, setAppraisal] = useState(rangeParts(filters.appraisalEnd))
  const [formSort, setFormSort] = useState(sort)
  // The form follows the URL when it changes from outside (back button, a link).
  const search = query.toString()
  useEffect(() => {
    setText(q)
    setForm(filters)
    setDates(rangeParts(filters.date))
    setAppraisal(rangeParts(filters.appraisalEnd))
    setFormSort(sort)
    // `filters` is rebuilt from the URL on every render: the URL itself is the dependency.
  }, [search])
  /** Cursors of the pages before this one (for "previous"). */
  const [back, setBack] = useState<{ key: string; cursors: string[] }>({ key, cursors: [] })
  const previous = back.key === key ? back.cursors : []

  const params = (): Record<string, string> => ({
    ...(composed ? { q: composed } : {}),
    ...(operationId ? { operationId } : {}),
    ...(sort ? { sort } : {}),
  })
  const { data, error, loading } = useLoad(
    () => searchUnits(s.api, { ...params(), limit: String(PAGE), ...(cursor ? { cursor } : {}) }),
    [composed, operationId, sort, cursor],
  )

  const go = (next: {
    q?: string
    filters?: Partial<Record<Filter, string>>
    sort?: string
    cursor?: string
    keepOperation?: boolean
  }) => {
    const p = new URLSearchParams()
    const nq = next.q ?? q
    if (nq) p.set('q', nq)
    const nf = next.filters ?? filters
    for (const f of FILTERS) if (nf[f]) p.set(f, nf[f]!)
    if (operationId && next.keepOperation !== false) p.set('operationId', operationId)
    const ns = next.sort ?? sort
    if (ns) p.set('sort', ns)
    if (next.cursor) p.set('cursor', next.cursor)
    const qs = p.toString()
    navigate(`/search${qs ? `?${qs}` : ''}`)
  }
  const setFilters = (nf: Partial<Record<Filter, string>>) => {
    setForm(nf)
    setDates(rangeParts(nf.date))
    setAppraisal(rangeParts(nf.appraisalEnd))
    go({ filters: nf })
  }
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const nf: Partial<Record<Filter, string>> = {
      ...form,
      date: rangeOf(dates[0], dates[1]),
      appraisalEnd: rangeOf(appraisal[0], appraisal[1]),
    }
    for (const f of FILTERS) if (!nf[f]?.trim()) delete nf[f]
    setForm(nf)
    go({ q: text.trim(), filters: nf, sort: formSort })
  }
  const refine = (facet: string, v: FacetValue) => {
    const m = FACET_FILTER[facet]
    const value = m?.value(v.value)
    if (!m || value === null || value === undefined) return
    setFilters({ ...filters, [m.filter]: value })
  }
  const remove = (f: Filter) => {
    const nf = { ...filters }
    delete nf[f]
    setFilters(nf)
  }
  const field = (f: Filter) => ({
    id: `f-${f}`,
    value: form[f] ?? '',
    onChange: (e: { target: { value: string } }) => setForm({ ...form, [f]: e.target.value }),
  })
  const nextPage = () => {
    if (!data?.nextCursor) return
    setBack({ key, cursors: [...previous, cursor] })
    go({ cursor: data.nextCursor })
  }
  const prevPage = () => {
    const c = [...previous]
    const before = c.pop() ?? ''
    setBack({ key, cursors: c })
    go({ cursor: before })
  }
  const pageNo = previous.length + 1
  const selection = async () => {
    const { ids, truncated } = await searchIds(s.api, params(), DIP_MAX_UNITS)
    return { selection: { unitIds: ids }, truncated }
  }

  return (
    <section aria-labelledby="search-title">
      <h1 id="search-title">{t('search.title')}</h1>
      <p>
        <Link to="/tree">{t('admin.tree.link')}</Link>
      </p>
      <form role="search" className="card search-form" onSubmit={submit}>
        <div className="inline-form">
          <label htmlFor="q">{t('search.query')}</label>
          <input id="q" type="search" value={text} onChange={(e) => setText(e.target.value)} />
          <button type="submit" className="button">
            {t('search.submit')}
          </button>
        </div>
        <p className="muted small">{t('admin.search.syntax')}</p>
        <fieldset className="filters">
          <legend>{t('admin.search.filters')}</legend>
          <div>
            <label htmlFor="f-producer">{t('admin.filter.producer')}</label>
            <input {...field('producer')} placeholder="FRAD033-P1" />
          </div>
          <div>
            <label htmlFor="f-level">{t('admin.filter.level')}</label>
            <select {...field('level')}>
              <option value="">{t('admin.filter.any')}</option>
              {LEVELS.map((l) => (
                <option key={l} value={l}>
                  {l}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="f-date-from">{t('admin.filter.dateFrom')}</label>
            <input
              id="f-date-from"
              value={dates[0]}
              placeholder="1980"
              onChange={(e) => setDates([e.target.value, dates[1]])}
            />
          </div>
          <div>
            <label htmlFor="f-date-to">{t('admin.filter.dateTo')}</label>
            <input
              id="f-date-to"
              value={dates[1]}
              placeholder="1990-12-31"
              onChange={(e) => setDates([dates[0], e.target.value])}
            />
          </div>
          <div>
            <label htmlFor="f-appraisal-from">{t('admin.filter.appraisalFrom')}</label>
            <input
              id="f-appraisal-from"
              value={appraisal[0]}
              onChange={(e) => setAppraisal([e.target.value, appraisal[1]])}
            />
          </div>
          <div>
            <label htmlFor="f-appraisal-to">{t('admin.filter.appraisalTo')}</label>
            <input
              id="f-appraisal-to"
              value={appraisal[1]}
              onChange={(e) => setAppraisal([appraisal[0], e.target.value])}
            />
          </div>
          <div>
            <label htmlFor="f-finalAction">{t('admin.filter.finalAction')}</label>
            <select {...field('finalAction')}>
              <option value="">{t('admin.filter.any')}</option>
              {FINAL_ACTIONS.map((a) => (
                <option key={a} value={a}>
                  {label(t, `admin.final.${a}`, a)}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="f-communicable">{t('admin.filter.communicable')}</label>
            <select {...field('communicable')}>
              <option value="">{t('admin.filter.any')}</option>
              <option value="yes">{t('admin.filter.communicable.yes')}</option>
              <option value="no">{t('admin.filter.communicable.no')}</option>
            </select>
          </div>
          <div>
            <label htmlFor="f-kind">{t('admin.filter.kind')}</label>
            <select {...field('kind')}>
              <option value="">{t('admin.filter.any')}</option>
              <option value="digital">{t('admin.kind.digital')}</option>
              <option value="physical">{t('admin.kind.physical')}</option>
            </select>
          </div>
          <div>
            <label htmlFor="f-format">{t('admin.filter.format')}</label>
            <input {...field('format')} placeholder="fmt/18" />
          </div>
          <div>
            <label htmlFor="f-sort">{t('admin.sort')}</label>
            <select id="f-sort" value={formSort} onChange={(e) => setFormSort(e.target.value)}>
              {SORTS.map((o) => (
                <option key={o} value={o}>
                  {t(`admin.sort.${o || 'default'}` as MessageKey)}
                </option>
              ))}
            </select>
          </div>
        </fieldset>
      </form>

      {Object.keys(filters).length > 0 || operationId ? (
        <ul className="chips" aria-label={t('admin.search.active')}>
          {FILTERS.filter((f) => filters[f]).map((f) => (
            <li key={f}>
              <span>
                {t(`admin.filter.${f}` as MessageKey)} : {filters[f]}
              </span>
              <button
                type="button"
                className="chip-remove"
                aria-label={t('admin.search.remove', {
                  filter: `${t(`admin.filter.${f}` as MessageKey)} ${filters[f]}`,
                })}
                onClick={() => remove(f)}
              >
                ✕
              </button>
            </li>
          ))}
          {operationId ? (
            <li>
              <span>
                {t('admin.filter.operation')} : {operationId}
              </span>
              <button
                type="button"
                className="chip-remove"
                aria-label={t('admin.search.remove', { filter: operationId })}
                onClick={() => go({ keepOperation: false })}
              >
                ✕
              </button>
            </li>
          ) : null}
        </ul>
      ) : null}
      {composed ? (
        <p className="small">
          {t('admin.search.sent')} <code data-testid="composed-query">{composed}</code>
        </p>
      ) : null}

      <ErrorMessage error={error} />
      {loading ? <Loading /> : null}
      {data ? (
        <div className="search-results">
          {data.facets ? (
            <aside className="facets" aria-label={t('admin.facets')}>
              <h2>{t('admin.facets')}</h2>
              {data.facetsApproximate && data.facetsCountedOver !== undefined ? (
                <p className="small muted" data-testid="facets-approximate">
                  {t('admin.search.facetsOver', { n: formatNumber(data.facetsCountedOver, lang) })}
                </p>
              ) : null}
              {Object.entries(data.facets)
                .filter(([, values]) => values.length > 0)
                .map(([name, values]) => (
                  <section key={name}>
                    <h3>{label(t, `admin.facet.${name}`, name)}</h3>
                    <ul>
                      {values.map((v) => {
                        const shown = label(t, `admin.facetValue.${name}.${v.value}`, v.value)
                        const target = FACET_FILTER[name]?.value(v.value)
                        return (
                          <li key={v.value}>
                            {target ? (
                              <button type="button" className="facet" onClick={() => refine(name, v)}>
                                {shown} <span className="count">({formatNumber(v.count, lang)})</span>
                              </button>
                            ) : (
                              <span>
                                {shown} <span className="count">({formatNumber(v.count, lang)})</span>
                              </span>
                            )}
                          </li>
                        )
                      })}
                    </ul>
                  </section>
                ))}
            </aside>
          ) : null}
          <div className="results">
            <p role="status">
              {data.totalIsLowerBound
                ? t('admin.search.moreThan', { total: formatNumber(data.total, lang) })
                : t('search.results', { total: data.total })}
            </p>
            {data.rankedOver !== undefined ? (
              <p className="small muted" data-testid="ranked-over">
                {t('admin.search.rankedOver', { n: formatNumber(data.rankedOver, lang) })}
              </p>
            ) : null}
            {data.results.length === 0 ? (
              <p className="muted">{t('search.none')}</p>
            ) : (
              <UnitTable units={data.results} />
            )}
            {previous.length > 0 || data.nextCursor ? (
              <nav className="pager" aria-label={t('admin.search.paging')}>
                <button
                  type="button"
                  className="button secondary"
                  disabled={previous.length === 0}
                  onClick={prevPage}
                >
                  {t('search.prev')}
                </button>
                <span>{t('admin.search.pageNo', { page: pageNo })}</span>
                <button
                  type="button"
                  className="button secondary"
                  disabled={!data.nextCursor}
                  onClick={nextPage}
                >
                  {t('admin.search.next')}
                </button>
              </nav>
            ) : null}
            {data.total > 0 ? (
              <DipExport
                key={key}
                title={t('admin.dip.ofSearch', { total: data.total })}
                selection={selection}
              />
            ) : null}
          </div>
        </div>
      ) : null}
    </section>
  )
}
