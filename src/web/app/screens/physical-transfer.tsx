/**
 * Bordereau de versement (physical transfer form): upload a CSV (column help, template download) or fill
 * rows in a table; a refusal lists every error by row and column; success shows the boxes and units made.
 */
import { useState, type FormEvent } from 'react'
import { ApiError } from '../api.js'
import { FORM_COLUMNS, physicalApi, type FormColumn, type TransferFormResult } from '../api-physical.js'
import { saveBlob } from '../components.js'
import { formatMetres, RowErrors } from './physical-common.js'
import { useI18n } from '../i18n.js'
import { Link } from '../router.js'
import { useSession } from '../session.js'

const MAX_BYTES = 20 * 1024 * 1024
const REQUIRED: readonly FormColumn[] = ['box_barcode', 'title']
/** The columns of the table entry (the others stay available through CSV). */
const TABLE_COLUMNS: readonly FormColumn[] = [
  'box_barcode',
  'cote',
  'title',
  'start_date',
  'end_date',
  'producer',
  'appraisal_rule',
  'appraisal_start_date',
  'final_action',
  'access_rule',
  'access_start_date',
  'box_type',
]

type Row = Record<FormColumn, string>
const emptyRow = (): Row => Object.fromEntries(FORM_COLUMNS.map((c) => [c, ''])) as Row

function templateCsv(): string {
  const example = [
    'B-2024-001',
    '3W 12',
    'Délibérations du conseil municipal 2023',
    '2023-01-01',
    '2023-12-31',
    '',
    'File',
    '',
    '',
    '',
    '',
    '',
    '',
    '',
  ]
  return `${FORM_COLUMNS.join(';')}\r\n${example.join(';')}\r\n`
}

function Result({ r }: { r: TransferFormResult }) {
  const { t, lang } = useI18n()
  const { can } = useSession()
  return (
    <section className="alert alert-ok" role="status" aria-labelledby="form-ok">
      <h2 id="form-ok">
        {t('phys.form.accepted', {
          boxes: r.boxes.length,
          units: r.units.length,
          metres: formatMetres(r.linearMetres, lang),
        })}
      </h2>
      <h3>{t('phys.form.boxes')}</h3>
      <ul>
        {r.boxes.map((b) => (
          <li key={b.id}>
            {can('archive.read') ? (
              <Link to={`/physical/boxes/${encodeURIComponent(b.id)}`}>{b.barcode}</Link>
            ) : (
              b.barcode
            )}
            {b.cote ? ` — ${b.cote}` : ''}
          </li>
        ))}
      </ul>
      <h3>{t('phys.form.units')}</h3>
      <table data-testid="form-units">
        <thead>
          <tr>
            <th scope="col">{t('phys.form.col.row')}</th>
            <th scope="col">{t('phys.box.title')}</th>
            <th scope="col">{t('phys.box.barcode')}</th>
          </tr>
        </thead>
        <tbody>
          {r.units.map((u) => (
            <tr key={u.unitId}>
              <td>{u.row}</td>
              <td>
                <Link to={`/units/${encodeURIComponent(u.unitId)}`}>{u.title}</Link>
              </td>
              <td>{u.barcode}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {can('logbook.read') ? (
        <p>
          <Link to={`/logbook/${encodeURIComponent(r.operationId)}`}>{t('phys.form.operation')}</Link>
        </p>
      ) : null}
    </section>
  )
}

export function TransferFormScreen() {
  const { api } = useSession()
  const { t } = useI18n()
  const [file, setFile] = useState<File | null>(null)
  const [rows, setRows] = useState<Row[]>([emptyRow()])
  const [error, setError] = useState<unknown>(null)
  const [result, setResult] = useState<TransferFormResult | null>(null)
  const [busy, setBusy] = useState(false)
  const [source, setSource] = useState<'csv' | 'rows'>('csv')
  const run = async (from: 'csv' | 'rows', send: () => Promise<TransferFormResult>) => {
    setSource(from)
    setError(null)
    setResult(null)
    setBusy(true)
    try {
      setResult(await send())
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  const upload = async (e: FormEvent) => {
    e.preventDefault()
    if (!file) return
    if (!/\.csv$/i.test(file.name) || file.size > MAX_BYTES) {
      setSource('csv')
      setResult(null)
      setError(new ApiError(400, 'FORM_FILE_TYPE', t('phys.form.wrongFile', { name: file.name })))
      return
    }
    const text = await file.text()
    await run('csv', () => physicalApi.transferCsv(api, text, file.name))
  }
  const sendRows = async (e: FormEvent) => {
    e.preventDefault()
    const filled = rows
      .filter((r) => Object.values(r).some((v) => v.trim() !== ''))
      .map((r) =>
        Object.fromEntries(
          Object.entries(r)
            .filter(([, v]) => v.trim() !== '')
            .map(([k, v]) => [k, v.trim()]),
        ),
      )
    await run('rows', () => physicalApi.transferRows(api, filled))
  }
  const outcome = (
    <>
      <RowErrors
        error={error}
        code="TRANSFER_FORM_INVALID"
        hint="phys.form.refusedHint"
        testId="form-errors"
      />
      {result ? <Result r={result} /> : null}
    </>
  )
  const set = (i: number, c: FormColumn, v: string) =>
    setRows(rows.map((r, k) => (k === i ? { ...r, [c]: v } : r)))
  return (
    <section aria-labelledby="form-title">
      <h1 id="form-title">{t('phys.form.title')}</h1>
      <p>{t('phys.form.intro')}</p>
      <details>
        <summary>{t('phys.form.help')}</summary>
        <table data-testid="form-columns">
          <thead>
            <tr>
              <th scope="col">{t('phys.form.col.column')}</th>
              <th scope="col">{t('phys.form.col.meaning')}</th>
            </tr>
          </thead>
          <tbody>
            {FORM_COLUMNS.map((c) => (
              <tr key={c}>
                <td>
                  <code>{c}</code>
                  {REQUIRED.includes(c) ? ` (${t('phys.form.required')})` : ''}
                </td>
                <td>{t(`phys.form.colHelp.${c}`)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="small">{t('phys.form.csvRules')}</p>
      </details>
      <p>
        <button
          type="button"
          className="button secondary"
          onClick={() =>
            saveBlob(
              new Blob(['\ufeff', templateCsv()], { type: 'text/csv;charset=utf-8' }),
              'bordereau-modele.csv',
            )
          }
        >
          {t('phys.form.template')}
        </button>
      </p>

      <form className="card" onSubmit={(e) => void upload(e)}>
        <h2>{t('phys.form.csvTitle')}</h2>
        <label htmlFor="form-file">{t('phys.form.file')}</label>
        <input
          id="form-file"
          type="file"
          accept=".csv,text/csv"
          onChange={(e) => setFile(e.target.files?.[0] ?? null)}
        />
        <button type="submit" className="button" disabled={!file || busy}>
          {t('phys.form.send')}
        </button>
      </form>
      {source === 'csv' ? outcome : null}

      <form className="card" onSubmit={(e) => void sendRows(e)}>
        <h2>{t('phys.form.tableTitle')}</h2>
        <div className="scroll">
          <table className="entry">
            <thead>
              <tr>
                <th scope="col">#</th>
                {TABLE_COLUMNS.map((c) => (
                  <th scope="col" key={c}>
                    <code>{c}</code>
                  </th>
                ))}
                <th scope="col">
                  <span className="visually-hidden">{t('phys.form.removeRow')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <tr key={i}>
                  <td>{i + 1}</td>
                  {TABLE_COLUMNS.map((c) => (
                    <td key={c}>
                      <input
                        aria-label={t('phys.form.cell', { row: i + 1, column: c })}
                        value={r[c]}
                        onChange={(e) => set(i, c, e.target.value)}
                      />
                    </td>
                  ))}
                  <td>
                    <button
                      type="button"
                      className="button secondary"
                      onClick={() => setRows(rows.length > 1 ? rows.filter((_, k) => k !== i) : [emptyRow()])}
                    >
                      {t('phys.form.removeRow')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <button type="button" className="button secondary" onClick={() => setRows([...rows, emptyRow()])}>
          {t('phys.form.addRow')}
        </button>{' '}
        <button type="submit" className="button" disabled={busy}>
          {t('phys.form.sendRows')}
        </button>
      </form>
      {source === 'rows' ? outcome : null}
    </section>
  )
}
