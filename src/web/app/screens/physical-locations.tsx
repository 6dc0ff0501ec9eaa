/**
 * Magasins: the location tree with each node's capacity, use and free linear metres, a drawing of the
 * shelves' fill for each bay, node creation and editing, and "Où ranger ?" (free places nearest first,
 * with a button to move the selected boxes there).
 */
import { useMemo, useState, type FormEvent } from 'react'
import { ApiError } from '../api.js'
import {
  LOCATION_COLUMNS,
  physicalApi,
  type BoxSummary,
  type FreeSpace,
  type LocationNode,
} from '../api-physical.js'
import { ErrorMessage, Loading, Notice, saveBlob, useLoad } from '../components.js'
import { useI18n } from '../i18n.js'
import { Link } from '../router.js'
import { useSession } from '../session.js'
import {
  childrenOf,
  FillBar,
  formatMetres,
  locationLabel,
  PhysicalError,
  PropertyBadges,
  ShelvesPicture,
  useNoticeAfterReload,
  RowErrors,
} from './physical-common.js'

const PROPS = ['fireRated', 'climateControlled', 'reserved', 'blocked'] as const

function NodeEditor({ node, onDone }: { node: LocationNode; onDone(msg: string): void }) {
  const { api } = useSession()
  const { t } = useI18n()
  const [name, setName] = useState(node.name ?? '')
  const [length, setLength] = useState(node.lengthMetres === null ? '' : String(node.lengthMetres))
  const [props, setProps] = useState({ ...node.properties })
  const [error, setError] = useState<unknown>(null)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setError(null)
    try {
      await physicalApi.updateLocation(api, node.id, {
        name: name.trim() === '' ? null : name.trim(),
        ...(node.shelf ? { lengthMetres: Number(length.replace(',', '.')) } : {}),
        ...props,
      })
      onDone(t('phys.loc.updated', { path: node.path }))
    } catch (err) {
      setError(err)
    }
  }
  return (
    <form
      className="card"
      onSubmit={(e) => void submit(e)}
      aria-label={t('phys.loc.editTitle', { path: node.path })}
    >
      <h3>{t('phys.loc.editTitle', { path: node.path })}</h3>
      <label htmlFor="loc-edit-name">{t('phys.loc.name')}</label>
      <input id="loc-edit-name" value={name} onChange={(e) => setName(e.target.value)} />
      {node.shelf ? (
        <>
          <label htmlFor="loc-edit-length">{t('phys.loc.length')}</label>
          <input
            id="loc-edit-length"
            inputMode="decimal"
            value={length}
            onChange={(e) => setLength(e.target.value)}
            required
          />
        </>
      ) : null}
      <fieldset>
        <legend>{t('phys.loc.properties')}</legend>
        {PROPS.map((p) => (
          <label key={p} className="check">
            <input
              type="checkbox"
              checked={props[p]}
              onChange={(e) => setProps({ ...props, [p]: e.target.checked })}
            />{' '}
            {t(`phys.prop.${p}`)}
          </label>
        ))}
      </fieldset>
      <PhysicalError error={error} />
      <button type="submit" className="button">
        {t('phys.loc.save')}
      </button>
    </form>
  )
}

function NodeCreator({
  parent,
  level,
  shelf,
  onDone,
}: {
  parent: LocationNode | null
  level: string
  shelf: boolean
  onDone(msg: string): void
}) {
  const { api } = useSession()
  const { t } = useI18n()
  const [code, setCode] = useState('')
  const [name, setName] = useState('')
  const [length, setLength] = useState('')
  const [error, setError] = useState<unknown>(null)
  const id = parent ? `loc-new-${parent.id}` : 'loc-new-root'
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setError(null)
    try {
      const n = await physicalApi.createLocation(api, {
        parentId: parent?.id ?? null,
        code: code.trim(),
        ...(name.trim() ? { name: name.trim() } : {}),
        ...(shelf ? { lengthMetres: Number(length.replace(',', '.')) } : {}),
      })
      setCode('')
      setName('')
      onDone(t('phys.loc.created', { level: n.level, path: n.path }))
    } catch (err) {
      setError(err)
    }
  }
  return (
    <form className="card inline-form" onSubmit={(e) => void submit(e)}>
      <h3>
        {parent ? t('phys.loc.addUnder', { level, path: parent.path }) : t('phys.loc.addRoot', { level })}
      </h3>
      <div>
        <label htmlFor={`${id}-code`}>{t('phys.loc.code')}</label>
        <input
          id={`${id}-code`}
          value={code}
          onChange={(e) => setCode(e.target.value)}
          required
          maxLength={40}
        />
      </div>
      <div>
        <label htmlFor={`${id}-name`}>{t('phys.loc.name')}</label>
        <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} />
      </div>
      {shelf ? (
        <div>
          <label htmlFor={`${id}-length`}>{t('phys.loc.length')}</label>
          <input
            id={`${id}-length`}
            inputMode="decimal"
            value={length}
            onChange={(e) => setLength(e.target.value)}
            required
          />
        </div>
      ) : null}
      <button type="submit" className="button">
        {t('phys.loc.create')}
      </button>
      <PhysicalError error={error} />
    </form>
  )
}

/** The names of the tree's levels; their number can change only while the store is empty. */
function LevelsEditor({
  levels,
  empty,
  onDone,
}: {
  levels: readonly string[]
  empty: boolean
  onDone(msg: string): void
}) {
  const { api } = useSession()
  const { t } = useI18n()
  const [names, setNames] = useState<string[]>([...levels])
  const [error, setError] = useState<unknown>(null)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setError(null)
    try {
      const r = await physicalApi.setLevels(
        api,
        names.map((n) => n.trim()),
      )
      onDone(t('phys.levels.saved', { levels: r.levels.join(' → ') }))
    } catch (err) {
      setError(err)
    }
  }
  return (
    <details className="card" open={empty}>
      <summary>{t('phys.levels.title')}</summary>
      <form onSubmit={(e) => void submit(e)}>
        <p className="muted small">{t(empty ? 'phys.levels.helpEmpty' : 'phys.levels.help')}</p>
        <ol>
          {names.map((n, i) => (
            <li key={i}>
              <label htmlFor={`level-${i}`}>{t('phys.levels.level', { n: i + 1 })}</label>{' '}
              <input
                id={`level-${i}`}
                value={n}
                required
                maxLength={60}
                onChange={(e) => setNames(names.map((x, k) => (k === i ? e.target.value : x)))}
              />
            </li>
          ))}
        </ol>
        {empty ? (
          <>
            <button
              type="button"
              className="button secondary"
              disabled={names.length >= 12}
              onClick={() => setNames([...names, ''])}
            >
              {t('phys.levels.add')}
            </button>
            <button
              type="button"
              className="button secondary"
              disabled={names.length <= 1}
              onClick={() => setNames(names.slice(0, -1))}
            >
              {t('phys.levels.remove')}
            </button>
          </>
        ) : null}
        <button type="submit" className="button">
          {t('phys.levels.save')}
        </button>
        <PhysicalError error={error} />
      </form>
    </details>
  )
}

function TreeNode({
  node,
  kids,
  open,
  toggle,
  selected,
  select,
}: {
  node: LocationNode
  kids: Map<string | null, LocationNode[]>
  open: Set<string>
  toggle(id: string): void
  selected: string | null
  select(id: string): void
}) {
  const { t, lang } = useI18n()
  const children = kids.get(node.id) ?? []
  const shelves = children.filter((c) => c.shelf)
  const isOpen = open.has(node.id)
  const o = node.occupancy
  return (
    <li className={selected === node.id ? 'loc selected' : 'loc'}>
      <div className="loc-row">
        {children.length > 0 ? (
          <button
            type="button"
            className="toggle"
            aria-expanded={isOpen}
            aria-label={t(isOpen ? 'phys.tree.collapse' : 'phys.tree.expand', { path: node.path })}
            onClick={() => toggle(node.id)}
          >
            {isOpen ? '▾' : '▸'}
          </button>
        ) : (
          <span className="toggle" aria-hidden="true" />
        )}
        <button
          type="button"
          className="linklike"
          onClick={() => select(node.id)}
          aria-pressed={selected === node.id}
        >
          <strong>{node.code}</strong>
          {node.name ? ` — ${node.name}` : ''}
        </button>
        <span className="muted small">{node.level}</span>
        <FillBar node={node} />
        <span className="small">
          {t('phys.loc.free', { free: formatMetres(o.freeMetres, lang), boxes: o.boxes })}
        </span>
        <PropertyBadges node={node} />
      </div>
      {isOpen && shelves.length > 0 ? (
        <ShelvesPicture shelves={shelves} title={t('phys.picture.title', { path: node.path })} />
      ) : null}
      {isOpen && children.length > 0 ? (
        <ul className="loc-tree">
          {children.map((c) => (
            <TreeNode
              key={c.id}
              node={c}
              kids={kids}
              open={open}
              toggle={toggle}
              selected={selected}
              select={select}
            />
          ))}
        </ul>
      ) : null}
    </li>
  )
}

/** Move the selected node (with its subtree) under another node of the level just above, and delete it. */
function NodeActions({
  node,
  nodes,
  onDone,
}: {
  node: LocationNode
  nodes: readonly LocationNode[]
  onDone(msg: string): void
}) {
  const { api } = useSession()
  const { t } = useI18n()
  // Levels are positional: the new parent is of the level just above (the root for the first level).
  const targets = nodes.filter(
    (n) => n.depth === node.depth - 1 && n.id !== node.parentId && !n.path.startsWith(`${node.path}/`),
  )
  const [target, setTarget] = useState('')
  const [confirming, setConfirming] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const descendants = nodes.filter((n) => n.path.startsWith(`${node.path}/`)).length
  const move = async (e: FormEvent) => {
    e.preventDefault()
    setError(null)
    try {
      const moved = await physicalApi.moveLocation(api, node.id, target === '' ? null : target)
      onDone(t('phys.loc.moved', { from: node.path, to: moved.path }))
    } catch (err) {
      setError(err)
    }
  }
  const remove = async () => {
    setError(null)
    try {
      const r = await physicalApi.deleteLocation(api, node.id)
      onDone(t('phys.loc.deleted', { path: node.path, n: r.deleted.length }))
    } catch (err) {
      setConfirming(false)
      setError(err)
    }
  }
  return (
    <div className="card">
      <h3>{t('phys.loc.actionsTitle', { path: node.path })}</h3>
      {node.depth > 0 && targets.length > 0 ? (
        <form className="inline-form" onSubmit={(e) => void move(e)}>
          <div>
            <label htmlFor="loc-move-target">{t('phys.loc.moveTo')}</label>
            <select id="loc-move-target" value={target} onChange={(e) => setTarget(e.target.value)} required>
              <option value="" disabled>
                {t('phys.loc.moveChoose')}
              </option>
              {targets.map((n) => (
                <option key={n.id} value={n.id}>
                  {locationLabel(n)}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" className="button secondary" disabled={target === ''}>
            {t('phys.loc.move')}
          </button>
        </form>
      ) : null}
      {node.depth > 0 && targets.length === 0 ? (
        <p className="muted small">{t('phys.loc.noTarget')}</p>
      ) : null}
      {confirming ? (
        <div className="alert alert-error" role="alertdialog" aria-labelledby="loc-delete-q">
          <p id="loc-delete-q">{t('phys.loc.deleteConfirm', { path: node.path, n: descendants })}</p>
          <button type="button" className="button" onClick={() => void remove()}>
            {t('phys.loc.deleteYes')}
          </button>{' '}
          <button type="button" className="button secondary" onClick={() => setConfirming(false)}>
            {t('phys.loc.deleteNo')}
          </button>
        </div>
      ) : (
        <p>
          <button type="button" className="button secondary" onClick={() => setConfirming(true)}>
            {t('phys.loc.delete')}
          </button>
        </p>
      )}
      <LocationError error={error} />
    </div>
  )
}

/** A refused move or delete, in French, with what the server says (level expected, boxes found…). */
function LocationError({ error }: { error: unknown }) {
  const { t } = useI18n()
  if (error instanceof ApiError && error.code === 'LOCATION_NOT_EMPTY') {
    const d = (error.details ?? {}) as { path?: string; boxes?: number; shelves?: string[] }
    return (
      <div className="alert alert-error" role="alert">
        <p>{t('phys.loc.notEmpty', { path: d.path ?? '?', n: d.boxes ?? 0 })}</p>
        {d.shelves && d.shelves.length > 0 ? (
          <p className="small">
            {t('phys.loc.notEmptyShelves', { shelves: d.shelves.slice(0, 10).join(', ') })}
          </p>
        ) : null}
        <p className="muted small">{t('error.code', { code: error.code })}</p>
      </div>
    )
  }
  if (error instanceof ApiError && error.code === 'LOCATION_CYCLE')
    return (
      <div className="alert alert-error" role="alert">
        <p>{t('phys.loc.cycle')}</p>
        <p className="small">{error.message}</p>
      </div>
    )
  if (error instanceof ApiError && error.code === 'LOCATION_LEVEL_MISMATCH') {
    const d = (error.details ?? {}) as { expectedParentLevel?: string | null }
    return (
      <div className="alert alert-error" role="alert">
        <p>{t('phys.loc.levelMismatch', { level: d.expectedParentLevel ?? t('phys.loc.root') })}</p>
        <p className="small">{error.message}</p>
      </div>
    )
  }
  return <ErrorMessage error={error} />
}

function locationTemplateCsv(levels: readonly string[]): string {
  // An example one branch deep per level, down to two shelves.
  const codes = ['SITE', 'A', 'M1', 'T01', 'E1', '1', 'X', 'Y', 'Z', 'W', 'V', 'U'].slice(0, levels.length)
  const rows = codes.map((_, i) => {
    const path = codes.slice(0, i + 1).join('/')
    const last = i === codes.length - 1
    return [path, i === 0 ? 'Site principal' : '', last ? '1,2' : '', i === 2 ? 'oui' : '', '', '', '']
  })
  if (codes.length > 0) {
    const second = [...codes.slice(0, -1), '2'].join('/')
    rows.push([second, '', '1,2', '', '', '', ''])
  }
  return [LOCATION_COLUMNS.join(';'), ...rows.map((r) => r.join(';'))].join('\r\n') + '\r\n'
}

/** « Importer un plan de magasin (CSV) »: column help, template, refusal table like the transfer form's. */
function LocationImport({ levels, onDone }: { levels: readonly string[]; onDone(msg: string): void }) {
  const { api } = useSession()
  const { t } = useI18n()
  const [file, setFile] = useState<File | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (!file) return
    setError(null)
    if (!/\.csv$/i.test(file.name) || file.size > 20 * 1024 * 1024) {
      setError(new ApiError(400, 'FORM_FILE_TYPE', t('phys.form.wrongFile', { name: file.name })))
      return
    }
    setBusy(true)
    try {
      const r = await physicalApi.importLocations(api, await file.text(), file.name)
      onDone(t('phys.import.done', { created: r.created, implicit: r.implicit }))
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return (
    <details className="card">
      <summary>{t('phys.import.title')}</summary>
      <p>{t('phys.import.intro', { last: levels[levels.length - 1] ?? '' })}</p>
      <table data-testid="import-columns">
        <thead>
          <tr>
            <th scope="col">{t('phys.form.col.column')}</th>
            <th scope="col">{t('phys.form.col.meaning')}</th>
          </tr>
        </thead>
        <tbody>
          {LOCATION_COLUMNS.map((c) => (
            <tr key={c}>
              <td>
                <code>{c}</code>
                {c === 'path' ? ` (${t('phys.form.required')})` : ''}
              </td>
              <td>{t(`phys.import.col.${c}`)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="small">{t('phys.import.rules')}</p>
      <p>
        <button
          type="button"
          className="button secondary"
          onClick={() =>
            saveBlob(
              new Blob(['\ufeff', locationTemplateCsv(levels)], { type: 'text/csv;charset=utf-8' }),
              'plan-magasin-modele.csv',
            )
          }
        >
          {t('phys.import.template')}
        </button>
      </p>
      <form onSubmit={(e) => void submit(e)}>
        <label htmlFor="loc-import-file">{t('phys.import.file')}</label>
        <input
          id="loc-import-file"
          type="file"
          accept=".csv,text/csv"
          onChange={(e) => setFile(e.target.files?.[0] ?? null)}
        />
        <button type="submit" className="button" disabled={!file || busy}>
          {t('phys.import.send')}
        </button>
      </form>
      <RowErrors
        error={error}
        code="LOCATION_IMPORT_INVALID"
        hint="phys.import.refusedHint"
        testId="import-errors"
      />
    </details>
  )
}

/** "Où ranger ?": metres or boxes of a type → free places nearest first → move selected boxes there. */
function WhereToStore({ nodes, onMoved }: { nodes: readonly LocationNode[]; onMoved(msg: string): void }) {
  const { api, can } = useSession()
  const { t, lang } = useI18n()
  const types = useLoad(() => physicalApi.boxTypes(api), [])
  const unplaced = useLoad(
    () =>
      physicalApi
        .boxes(api, { status: 'active', limit: 1000 })
        .then((p) => p.results.filter((b) => b.place === null)),
    [],
  )
  const [mode, setMode] = useState<'metres' | 'boxes'>('boxes')
  const [metres, setMetres] = useState('')
  const [count, setCount] = useState('1')
  const [boxType, setBoxType] = useState('')
  const [near, setNear] = useState('')
  const [includeReserved, setIncludeReserved] = useState(false)
  const [answer, setAnswer] = useState<FreeSpace | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [chosen, setChosen] = useState<Set<string>>(new Set())
  const [moveError, setMoveError] = useState<unknown>(null)

  const search = async (e: FormEvent) => {
    e.preventDefault()
    setError(null)
    setAnswer(null)
    try {
      setAnswer(
        await physicalApi.freeSpace(api, {
          ...(mode === 'metres' ? { metres: metres.replace(',', '.') } : { boxes: count }),
          ...(boxType ? { boxType } : {}),
          ...(near ? { near } : {}),
          ...(includeReserved ? { includeReserved: true } : {}),
        }),
      )
    } catch (err) {
      setError(err)
    }
  }
  const move = async (shelfId: string) => {
    setMoveError(null)
    try {
      const r = await physicalApi.moveBoxes(api, [...chosen], shelfId)
      setChosen(new Set())
      setAnswer(null)
      unplaced.reload()
      onMoved(t('phys.move.done', { n: r.moved, path: r.to.path }))
    } catch (err) {
      setMoveError(err)
    }
  }
  const boxes: BoxSummary[] = unplaced.data ?? []
  return (
    <section className="card" aria-labelledby="where-title">
      <h2 id="where-title">{t('phys.where.title')}</h2>
      <form onSubmit={(e) => void search(e)}>
        <fieldset>
          <legend>{t('phys.where.need')}</legend>
          <label className="check">
            <input type="radio" name="need" checked={mode === 'boxes'} onChange={() => setMode('boxes')} />{' '}
            {t('phys.where.byBoxes')}
          </label>
          <label className="check">
            <input type="radio" name="need" checked={mode === 'metres'} onChange={() => setMode('metres')} />{' '}
            {t('phys.where.byMetres')}
          </label>
        </fieldset>
        <div className="inline-form">
          {mode === 'metres' ? (
            <div>
              <label htmlFor="where-metres">{t('phys.where.metres')}</label>
              <input
                id="where-metres"
                inputMode="decimal"
                value={metres}
                onChange={(e) => setMetres(e.target.value)}
                required
              />
            </div>
          ) : (
            <div>
              <label htmlFor="where-count">{t('phys.where.count')}</label>
              <input
                id="where-count"
                type="number"
                min={1}
                value={count}
                onChange={(e) => setCount(e.target.value)}
                required
              />
            </div>
          )}
          <div>
            <label htmlFor="where-type">{t('phys.where.boxType')}</label>
            <select
              id="where-type"
              value={boxType}
              onChange={(e) => setBoxType(e.target.value)}
              required={mode === 'boxes'}
            >
              <option value="">{t('phys.where.anyType')}</option>
              {(types.data?.results ?? []).map((bt) => (
                <option key={bt.id} value={bt.id}>
                  {bt.id} — {bt.name} ({formatMetres(bt.footprintMetres, lang)})
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="where-near">{t('phys.where.near')}</label>
            <select id="where-near" value={near} onChange={(e) => setNear(e.target.value)}>
              <option value="">{t('phys.where.nowhere')}</option>
              {nodes.map((n) => (
                <option key={n.id} value={n.id}>
                  {locationLabel(n)}
                </option>
              ))}
            </select>
          </div>
          <label className="check">
            <input
              type="checkbox"
              checked={includeReserved}
              onChange={(e) => setIncludeReserved(e.target.checked)}
            />{' '}
            {t('phys.where.includeReserved')}
          </label>
          <button type="submit" className="button">
            {t('phys.where.search')}
          </button>
        </div>
      </form>
      <ErrorMessage error={error ?? types.error} />
      {answer ? (
        <div role="status">
          <p>
            {answer.enough
              ? t('phys.where.answer', {
                  needed: formatMetres(answer.neededMetres, lang),
                  free: formatMetres(answer.totalFreeMetres, lang),
                })
              : t('phys.where.notEnough', {
                  needed: formatMetres(answer.neededMetres, lang),
                  free: formatMetres(answer.totalFreeMetres, lang),
                })}
          </p>
          {answer.places.length > 0 ? (
            <table data-testid="free-places">
              <caption className="visually-hidden">{t('phys.where.places')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('phys.where.place')}</th>
                  <th scope="col">{t('phys.where.shelf')}</th>
                  <th scope="col">{t('phys.where.freeCol')}</th>
                  <th scope="col">{t('phys.where.take')}</th>
                  <th scope="col">
                    <span className="visually-hidden">{t('phys.where.actions')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {answer.places.flatMap((p, i) =>
                  p.shelves.map((s, k) => (
                    <tr key={`${i}-${s.id}`}>
                      <td>{k === 0 ? i + 1 : ''}</td>
                      <td>
                        <code>{s.path}</code>
                      </td>
                      <td>{formatMetres(s.freeMetres, lang)}</td>
                      <td>
                        {formatMetres(s.takeMetres, lang)}
                        {s.boxes !== undefined ? ` (${t('phys.where.boxesN', { n: s.boxes })})` : ''}
                      </td>
                      <td>
                        {can('archive.manage') ? (
                          <button
                            type="button"
                            className="button secondary"
                            disabled={chosen.size === 0}
                            onClick={() => void move(s.id)}
                          >
                            {t('phys.where.moveHere', { path: s.path })}
                          </button>
                        ) : null}
                      </td>
                    </tr>
                  )),
                )}
              </tbody>
            </table>
          ) : null}
        </div>
      ) : null}
      <PhysicalError error={moveError} />
      <h3>{t('phys.where.unplaced')}</h3>
      {unplaced.loading ? <Loading /> : null}
      <ErrorMessage error={unplaced.error} />
      {unplaced.data && boxes.length === 0 ? <p className="muted">{t('phys.where.noUnplaced')}</p> : null}
      {boxes.length > 0 ? (
        <fieldset>
          <legend>{t('phys.where.select')}</legend>
          {boxes.map((b) => (
            <label key={b.id} className="check">
              <input
                type="checkbox"
                checked={chosen.has(b.id)}
                onChange={(e) => {
                  const next = new Set(chosen)
                  if (e.target.checked) next.add(b.id)
                  else next.delete(b.id)
                  setChosen(next)
                }}
              />{' '}
              <code>{b.barcode}</code> {b.cote ? `— ${b.cote}` : ''} {b.title ? `— ${b.title}` : ''} (
              {b.boxType ? formatMetres(b.linearMetres, lang) : t('phys.box.noType')})
            </label>
          ))}
        </fieldset>
      ) : null}
    </section>
  )
}

export function LocationsScreen() {
  const { api, can } = useSession()
  const { t, lang } = useI18n()
  const [tick, setTick] = useState(0)
  const tree = useLoad(() => physicalApi.locations(api), [tick])
  const [open, setOpen] = useState<Set<string> | null>(null)
  const [selected, setSelected] = useState<string | null>(null)
  const [notice, announce] = useNoticeAfterReload(tree.data)
  const nodes = useMemo(() => tree.data?.locations ?? [], [tree.data])
  const kids = useMemo(() => childrenOf(nodes), [nodes])
  // Everything open for a small store; only the first two levels for a large one.
  const openSet = open ?? new Set(nodes.filter((n) => nodes.length <= 300 || n.depth < 2).map((n) => n.id))
  const toggle = (id: string) => {
    const next = new Set(openSet)
    if (next.has(id)) next.delete(id)
    else next.add(id)
    setOpen(next)
  }
  const done = (msg: string) => {
    announce(msg)
    setTick((n) => n + 1)
  }
  const levels = tree.data?.levels ?? []
  const sel = nodes.find((n) => n.id === selected) ?? null
  const roots = kids.get(null) ?? []
  const total = roots.reduce(
    (a, r) => ({
      capacity: a.capacity + r.occupancy.capacityMetres,
      used: a.used + r.occupancy.usedMetres,
      free: a.free + r.occupancy.freeMetres,
    }),
    { capacity: 0, used: 0, free: 0 },
  )
  const manage = can('archive.manage')
  return (
    <section aria-labelledby="loc-title">
      <h1 id="loc-title">{t('phys.loc.title')}</h1>
      <p className="muted">{t('phys.loc.intro', { levels: levels.join(' → ') })}</p>
      {notice ? <Notice>{notice}</Notice> : null}
      <ErrorMessage error={tree.error} />
      {tree.loading && !tree.data ? <Loading /> : null}
      {tree.data ? (
        <>
          <dl className="stats">
            <div>
              <dt>{t('phys.loc.capacity')}</dt>
              <dd>{formatMetres(total.capacity, lang)}</dd>
            </div>
            <div>
              <dt>{t('phys.loc.used')}</dt>
              <dd>{formatMetres(total.used, lang)}</dd>
            </div>
            <div>
              <dt>{t('phys.loc.freeTotal')}</dt>
              <dd>{formatMetres(total.free, lang)}</dd>
            </div>
          </dl>
          {nodes.length === 0 ? <p className="muted">{t('phys.loc.empty')}</p> : null}
          <ul className="loc-tree" aria-label={t('phys.loc.treeLabel')}>
            {roots.map((r) => (
              <TreeNode
                key={r.id}
                node={r}
                kids={kids}
                open={openSet}
                toggle={toggle}
                selected={selected}
                select={setSelected}
              />
            ))}
          </ul>
          {sel ? (
            <div className="loc-panel">
              <p>
                <Link to={`/physical/boxes?location=${encodeURIComponent(sel.id)}`}>
                  {t('phys.loc.boxesOf', { path: sel.path, n: sel.occupancy.boxes })}
                </Link>
              </p>
              {manage ? (
                <NodeEditor
                  // A new form when the node itself changes (after its reload), not before.
                  key={`${sel.id}-${sel.name ?? ''}-${sel.lengthMetres ?? ''}-${JSON.stringify(sel.properties)}`}
                  node={sel}
                  onDone={done}
                />
              ) : null}
              {manage ? <NodeActions key={`act-${sel.id}`} node={sel} nodes={nodes} onDone={done} /> : null}
              {manage && !sel.shelf && levels[sel.depth + 1] ? (
                <NodeCreator
                  key={`new-${sel.id}`}
                  parent={sel}
                  level={levels[sel.depth + 1]!}
                  shelf={sel.depth + 1 === levels.length - 1}
                  onDone={done}
                />
              ) : null}
            </div>
          ) : manage ? (
            <p className="muted">{t('phys.loc.selectHint')}</p>
          ) : null}
          {manage && levels[0] ? (
            <NodeCreator
              key={`root-${levels[0]}`}
              parent={null}
              level={levels[0]}
              shelf={levels.length === 1}
              onDone={done}
            />
          ) : null}
          {manage ? <LocationImport levels={levels} onDone={done} /> : null}
          {manage ? (
            <LevelsEditor key={levels.join('/')} levels={levels} empty={nodes.length === 0} onDone={done} />
          ) : null}
          <WhereToStore key={tick} nodes={nodes} onMoved={done} />
        </>
      ) : null}
    </section>
  )
}
