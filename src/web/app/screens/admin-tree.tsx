import { useState } from 'react'
import type { Unit } from '../api.js'
import {
  treeRoots,
  unitAncestors,
  unitBranch,
  unitChildren,
  type Ancestor,
  type SearchResult,
} from '../api-admin.js'
import { ErrorMessage, Loading, useLoad } from '../components.js'
import { formatDate } from '../format.js'
import { useI18n } from '../i18n.js'
import { Link } from '../router.js'
import { useSession } from '../session.js'
import { DipExport } from './admin-dip.js'
import '../admin.css'

/** A page of units with "next" over the API's keyset cursor (and "previous" from the cursors seen). */
function CursorList({
  load,
  deps,
  empty,
}: {
  load: (cursor?: string) => Promise<SearchResult>
  deps: readonly unknown[]
  empty: string
}) {
  const { t, lang } = useI18n()
  const [cursors, setCursors] = useState<string[]>([])
  const cursor = cursors[cursors.length - 1]
  const { data, error, loading } = useLoad(() => load(cursor), [...deps, cursor])
  return (
    <>
      <ErrorMessage error={error} />
      {loading && !data ? <Loading /> : null}
      {data ? (
        <>
          <p role="status">{t('search.results', { total: data.total })}</p>
          {data.results.length === 0 ? (
            <p className="muted">{empty}</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('search.col.title')}</th>
                  <th scope="col">{t('search.col.level')}</th>
                  <th scope="col">{t('search.col.dates')}</th>
                  <th scope="col">{t('admin.tree.open')}</th>
                </tr>
              </thead>
              <tbody>
                {data.results.map((u) => (
                  <tr key={u.id}>
                    <td>
                      <Link to={`/tree/${u.id}`}>{u.title}</Link>
                    </td>
                    <td>{u.descriptionLevel}</td>
                    <td>
                      {formatDate(u.startDate, lang)}
                      {u.endDate ? ` – ${formatDate(u.endDate, lang)}` : ''}
                    </td>
                    <td>
                      <Link to={`/units/${u.id}`} aria-label={t('admin.tree.unitOf', { title: u.title })}>
                        {t('admin.tree.unit')}
                      </Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {cursors.length > 0 || data.nextCursor ? (
            <nav className="pager" aria-label={t('admin.search.paging')}>
              <button
                type="button"
                className="button secondary"
                disabled={cursors.length === 0}
                onClick={() => setCursors(cursors.slice(0, -1))}
              >
                {t('search.prev')}
              </button>
              <span>{t('admin.search.pageNo', { page: cursors.length + 1 })}</span>
              <button
                type="button"
                className="button secondary"
                disabled={!data.nextCursor}
                onClick={() => data.nextCursor && setCursors([...cursors, data.nextCursor])}
              >
                {t('admin.search.next')}
              </button>
            </nav>
          ) : null}
        </>
      ) : null}
    </>
  )
}

/** The path from a root to the unit: nearest ancestors first in the API, first parent followed. */
export function trailOf(unitParents: readonly string[], ancestors: readonly Ancestor[]): Ancestor[] {
  const byId = new Map(ancestors.map((a) => [a.id, a]))
  const trail: Ancestor[] = []
  const seen = new Set<string>()
  let next = unitParents.find((p) => byId.has(p))
  while (next && !seen.has(next)) {
    seen.add(next)
    const a = byId.get(next)!
    trail.unshift(a)
    next = a.parentIds.find((p) => byId.has(p))
  }
  return trail
}

/** "Plan de classement › … › parent" for a unit (its visible ancestors). */
export function Breadcrumb({
  id,
  parentIds,
  current,
}: {
  id: string
  parentIds: string[]
  current?: string
}) {
  const { api } = useSession()
  const { t } = useI18n()
  const { data } = useLoad(() => unitAncestors(api, id), [id])
  const trail = data ? trailOf(parentIds, data) : []
  return (
    <nav className="breadcrumb" aria-label={t('admin.tree.breadcrumb')}>
      <ol>
        <li>
          <Link to="/tree">{t('admin.tree.title')}</Link>
        </li>
        {trail.map((a) => (
          <li key={a.id}>
            <Link to={`/tree/${a.id}`}>{a.title}</Link>
          </li>
        ))}
        {current ? <li aria-current="page">{current}</li> : null}
      </ol>
    </nav>
  )
}

/** Roots of the tenant's classification (units without a parent), by title. */
export function TreeRootsScreen() {
  const { api } = useSession()
  const { t } = useI18n()
  return (
    <section aria-labelledby="tree-title">
      <h1 id="tree-title">{t('admin.tree.title')}</h1>
      <p className="muted">{t('admin.tree.intro')}</p>
      <CursorList load={(c) => treeRoots(api, c)} deps={[]} empty={t('admin.tree.noRoots')} />
    </section>
  )
}

/** One node of the tree: breadcrumb, its children (or its whole branch) page by page, DIP of the branch. */
export function TreeNodeScreen({ id }: { id: string }) {
  const { api } = useSession()
  const { t } = useI18n()
  const [whole, setWhole] = useState(false)
  const unit = useLoad<Unit>(() => api.unit(id), [id])
  const title = unit.data?.title ?? id
  return (
    <section aria-labelledby="node-title">
      <Breadcrumb id={id} parentIds={unit.data?.parentIds ?? []} current={title} />
      <h1 id="node-title">{title}</h1>
      <ErrorMessage error={unit.error} />
      <p>
        <Link to={`/units/${id}`}>{t('admin.tree.openUnit')}</Link>
      </p>
      <div className="toggle" role="group" aria-label={t('admin.tree.show')}>
        <button
          type="button"
          className={`button ${whole ? 'secondary' : ''}`}
          aria-pressed={!whole}
          onClick={() => setWhole(false)}
        >
          {t('admin.tree.children')}
        </button>
        <button
          type="button"
          className={`button ${whole ? '' : 'secondary'}`}
          aria-pressed={whole}
          onClick={() => setWhole(true)}
        >
          {t('admin.tree.branch')}
        </button>
      </div>
      <h2>{whole ? t('admin.tree.branch') : t('admin.tree.children')}</h2>
      <CursorList
        key={`${id}-${whole}`}
        load={(c) => (whole ? unitBranch(api, id, c) : unitChildren(api, id, c))}
        deps={[id, whole]}
        empty={t('admin.tree.noChildren')}
      />
      <DipExport
        key={id}
        title={t('admin.dip.ofBranch', { title })}
        selection={async () => ({ selection: { branch: id } })}
      />
    </section>
  )
}
