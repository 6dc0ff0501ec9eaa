/**
 * Reclassification and mass rules updates (docs/lifecycle.md), each a logged operation revertible once
 * (newest first; refused when the units changed since), and the list of those operations.
 */
import { useState, type FormEvent } from 'react'
import { ApiError, type OperationSummary } from '../api.js'
import { CHANGE_TYPES, changes, type RuleChange } from '../api-lifecycle.js'
import { ErrorMessage, Loading, Notice, Status, useLoad } from '../components.js'
import { formatDateTime } from '../format.js'
import { useI18n } from '../i18n.js'
import { Link, useLocation } from '../router.js'
import { useSession } from '../session.js'
import { idsOf, useCodeLabel } from './lifecycle-common.js'

const CATEGORIES = [
  'AppraisalRule',
  'AccessRule',
  'StorageRule',
  'DisseminationRule',
  'ReuseRule',
  'ClassificationRule',
  'HoldRule',
] as const

/** The errors of a refused rules update, one line each (details.errors of RULES_UPDATE_INVALID). */
function RuleErrors({ error }: { error: unknown }) {
  const { t } = useI18n()
  if (!(error instanceof ApiError) || error.code !== 'RULES_UPDATE_INVALID') return null
  const list = (error.details as { errors?: { code: string; message: string; count?: number }[] })?.errors
  if (!list?.length) return null
  return (
    <ul className="problems" aria-label={t('lc.rules.problems')}>
      {list.map((e, i) => (
        <li key={i}>
          <code>{e.code}</code> {e.message}
          {e.count ? ` (${t('lc.rules.unitsCount', { n: e.count })})` : ''}
        </li>
      ))}
    </ul>
  )
}

export function ChangesScreen() {
  const s = useSession()
  const { t, lang } = useI18n()
  const label = useCodeLabel()
  const { query } = useLocation()
  const ops = useLoad(async () => {
    const lists = await Promise.all(CHANGE_TYPES.map((type) => s.api.operations({ type, limit: 50 })))
    return lists
      .flatMap((l) => l.results)
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0))
  }, [s.data.tenantId])
  const [notice, setNotice] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  // reclassification
  const [moveUnit, setMoveUnit] = useState(query.get('unit') ?? '')
  const [moveParents, setMoveParents] = useState('')
  // mass rules update
  const [mode, setMode] = useState<'branch' | 'units'>('units')
  const [selection, setSelection] = useState(query.get('unit') ?? '')
  const [category, setCategory] = useState<string>('AppraisalRule')
  const [action, setAction] = useState<RuleChange['action']>('add')
  const [ruleId, setRuleId] = useState('')
  const [startDate, setStartDate] = useState('')
  const [finalAction, setFinalAction] = useState('')

  const run = async (fn: () => Promise<string>) => {
    setError(null)
    setNotice(null)
    setBusy(true)
    try {
      setNotice(await fn())
      ops.reload()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  const move = (e: FormEvent) => {
    e.preventDefault()
    void run(async () => {
      const r = await changes.reclassify(s.api, [{ unitId: moveUnit.trim(), parentIds: idsOf(moveParents) }])
      return t('lc.move.done', { units: r.units, recomputed: r.recomputed })
    })
  }
  const update = (e: FormEvent) => {
    e.preventDefault()
    const ids = idsOf(selection)
    const change: RuleChange = {
      category,
      action,
      ...(ruleId.trim()
        ? action === 'remove'
          ? { ruleIds: idsOf(ruleId) }
          : { rules: idsOf(ruleId).map((r) => ({ ruleId: r, startDate: startDate || null })) }
        : {}),
      ...(finalAction ? { finalAction } : {}),
    }
    void run(async () => {
      const r = await changes.updateRules(
        s.api,
        mode === 'branch' ? { branch: ids[0] ?? '' } : { unitIds: ids },
        [change],
      )
      return t('lc.rules.done', { units: r.units, recomputed: r.recomputed })
    })
  }
  const revert = (op: OperationSummary) =>
    void run(async () => {
      await changes.revert(s.api, op.type, op.id)
      return t('lc.revert.done', { id: op.id })
    })

  return (
    <section aria-labelledby="changes-title">
      <h1 id="changes-title">{t('lc.changes.title')}</h1>
      <p>{t('lc.changes.intro')}</p>
      {notice ? <Notice>{notice}</Notice> : null}
      <ErrorMessage error={error} />
      <RuleErrors error={error} />
      <form className="card" onSubmit={move}>
        <h2>{t('lc.move.title')}</h2>
        <label htmlFor="move-unit">{t('lc.move.unit')}</label>
        <input id="move-unit" required value={moveUnit} onChange={(e) => setMoveUnit(e.target.value)} />
        <label htmlFor="move-parents">{t('lc.move.parents')}</label>
        <input id="move-parents" value={moveParents} onChange={(e) => setMoveParents(e.target.value)} />
        <p className="muted small">{t('lc.move.help')}</p>
        <button type="submit" className="button" disabled={busy}>
          {t('lc.move.submit')}
        </button>
      </form>

      <form className="card" onSubmit={update}>
        <h2>{t('lc.rules.title')}</h2>
        <label htmlFor="rules-mode">{t('lc.out.selection')}</label>
        <select id="rules-mode" value={mode} onChange={(e) => setMode(e.target.value as 'branch' | 'units')}>
          <option value="units">{t('lc.sel.units')}</option>
          <option value="branch">{t('lc.sel.branch')}</option>
        </select>
        <label htmlFor="rules-ids">{mode === 'branch' ? t('lc.sel.branchId') : t('lc.sel.unitIds')}</label>
        <textarea
          id="rules-ids"
          rows={2}
          required
          value={selection}
          onChange={(e) => setSelection(e.target.value)}
        />
        <label htmlFor="rules-category">{t('lc.rules.category')}</label>
        <select id="rules-category" value={category} onChange={(e) => setCategory(e.target.value)}>
          {CATEGORIES.map((c) => (
            <option key={c} value={c}>
              {label('rule', c)}
            </option>
          ))}
        </select>
        <label htmlFor="rules-action">{t('lc.rules.action')}</label>
        <select
          id="rules-action"
          value={action}
          onChange={(e) => setAction(e.target.value as RuleChange['action'])}
        >
          {(['add', 'replace', 'remove', 'set'] as const).map((a) => (
            <option key={a} value={a}>
              {label('lc.rules.act', a)}
            </option>
          ))}
        </select>
        <label htmlFor="rules-rule">{t('lc.rules.rule')}</label>
        <input id="rules-rule" value={ruleId} onChange={(e) => setRuleId(e.target.value)} />
        <label htmlFor="rules-start">{t('lc.rules.start')}</label>
        <input
          id="rules-start"
          type="date"
          value={startDate}
          onChange={(e) => setStartDate(e.target.value)}
        />
        <label htmlFor="rules-final">{t('lc.rules.final')}</label>
        <select id="rules-final" value={finalAction} onChange={(e) => setFinalAction(e.target.value)}>
          <option value="">{t('lc.rules.finalKeepAsIs')}</option>
          {['Keep', 'Destroy', 'RestrictAccess', 'Transfer', 'Copy'].map((f) => (
            <option key={f} value={f}>
              {label('final', f)}
            </option>
          ))}
        </select>
        <button type="submit" className="button" disabled={busy}>
          {t('lc.rules.submit')}
        </button>
      </form>

      <h2>{t('lc.changes.ops')}</h2>
      <p className="muted small">{t('lc.changes.opsHelp')}</p>
      <ErrorMessage error={ops.error} />
      {ops.loading && !ops.data ? <Loading /> : null}
      {ops.data && ops.data.length === 0 ? <p className="muted">{t('lc.changes.none')}</p> : null}
      {ops.data && ops.data.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('lc.changes.col.op')}</th>
              <th scope="col">{t('lc.changes.col.type')}</th>
              <th scope="col">{t('lc.changes.col.status')}</th>
              <th scope="col">{t('lc.changes.col.date')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('lc.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {ops.data.map((op) => (
              <tr key={op.id}>
                <td>
                  <Link to={`/logbook/${op.id}`}>{op.id}</Link>
                </td>
                <td>{label('lc.op', op.type)}</td>
                <td>
                  <Status status={op.status} />
                </td>
                <td>{formatDateTime(op.createdAt, lang)}</td>
                <td>
                  {!op.type.startsWith('REVERT_') && op.status === 'OK' ? (
                    <button
                      type="button"
                      className="button secondary"
                      disabled={busy}
                      onClick={() => revert(op)}
                      aria-label={t('lc.revert.label', { id: op.id })}
                    >
                      {t('lc.revert')}
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  )
}
