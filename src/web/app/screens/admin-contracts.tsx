import { useState, type FormEvent } from 'react'
import {
  ApiError,
  type PrincipalSummary,
  type ReferentialImportResult,
  type ReferentialLineError,
} from '../api.js'
import {
  accessContracts,
  bind,
  bindings,
  DIP_USAGES,
  importContracts,
  type Binding,
  type ContractEntry,
} from '../api-admin.js'
import { ErrorMessage, Loading, Notice, useLoad } from '../components.js'
import { useI18n, type MessageKey } from '../i18n.js'
import { useSession } from '../session.js'
import '../admin.css'

/** The line-by-line report of a refused referential (REFERENTIAL_INVALID details), if there is one. */
function lineErrors(e: unknown): ReferentialLineError[] | null {
  if (!(e instanceof ApiError) || !e.details || typeof e.details !== 'object') return null
  const d = e.details as { errors?: unknown }
  return Array.isArray(d.errors) ? (d.errors as ReferentialLineError[]) : null
}

function ImportErrors({ error }: { error: unknown }) {
  const { t } = useI18n()
  const rows = lineErrors(error)
  if (!rows) return <ErrorMessage error={error} />
  return (
    <div className="alert alert-error" role="alert">
      <p>{t('ref.refused')}</p>
      <table data-testid="contract-errors">
        <thead>
          <tr>
            <th scope="col">{t('ref.col.line')}</th>
            <th scope="col">{t('ref.col.field')}</th>
            <th scope="col">{t('ref.col.message')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              <td>{r.line ?? '—'}</td>
              <td>{r.field ?? '—'}</td>
              <td>{r.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : [])
const split = (s: string): string[] =>
  s
    .split(/[,\s]+/)
    .map((x) => x.trim())
    .filter(Boolean)

interface Draft {
  identifier: string
  name: string
  description: string
  status: 'ACTIVE' | 'INACTIVE'
  everyProducer: boolean
  producers: string
  roots: string
  excluded: string
  everyUsage: boolean
  usages: string[]
  write: boolean
}

const EMPTY: Draft = {
  identifier: '',
  name: '',
  description: '',
  status: 'ACTIVE',
  everyProducer: false,
  producers: '',
  roots: '',
  excluded: '',
  everyUsage: false,
  usages: ['BinaryMaster'],
  write: false,
}

function draftOf(c: ContractEntry): Draft {
  const b = c.body
  return {
    identifier: c.identifier,
    name: c.name,
    description: typeof b.Description === 'string' ? b.Description : '',
    status: c.status === 'INACTIVE' ? 'INACTIVE' : 'ACTIVE',
    everyProducer: b.EveryOriginatingAgency === true,
    producers: list(b.OriginatingAgencies).join(', '),
    roots: list(b.RootUnits).join(', '),
    excluded: list(b.ExcludedRootUnits).join(', '),
    everyUsage: b.EveryDataObjectVersion === true,
    usages: list(b.DataObjectVersion),
    write: b.WritingPermission === true,
  }
}

/** The Vitam JSON of a contract: the fields of the form over what the entry already held. */
function vitamOf(d: Draft, previous?: ContractEntry): Record<string, unknown> {
  const base = { ...(previous?.body ?? {}) }
  delete base.Description
  return {
    ...base,
    Identifier: d.identifier.trim(),
    Name: d.name.trim(),
    ...(d.description.trim() ? { Description: d.description.trim() } : {}),
    Status: d.status,
    EveryOriginatingAgency: d.everyProducer,
    OriginatingAgencies: d.everyProducer ? [] : split(d.producers),
    RootUnits: split(d.roots),
    ExcludedRootUnits: split(d.excluded),
    EveryDataObjectVersion: d.everyUsage,
    DataObjectVersion: d.everyUsage ? [] : d.usages,
    WritingPermission: d.write,
  }
}

function entryVitam(c: ContractEntry): Record<string, unknown> {
  return { ...c.body, Identifier: c.identifier, Name: c.name, Status: c.status }
}

function ContractForm({
  contracts,
  editing,
  onDone,
}: {
  contracts: ContractEntry[]
  editing: ContractEntry | null
  onDone(r: ReferentialImportResult): void
}) {
  const { api } = useSession()
  const { t } = useI18n()
  const [d, setD] = useState<Draft>(editing ? draftOf(editing) : EMPTY)
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setD({ ...d, [k]: v })
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setError(null)
    setBusy(true)
    try {
      const all = contracts
        .filter((c) => c.identifier !== editing?.identifier)
        .map(entryVitam)
        .concat([vitamOf(d, editing ?? undefined)])
      onDone(await importContracts(api, all))
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return (
    <form className="card" onSubmit={(e) => void submit(e)} aria-labelledby="contract-form-title">
      <h2 id="contract-form-title">
        {editing ? t('admin.contracts.edit', { id: editing.identifier }) : t('admin.contracts.create')}
      </h2>
      <ImportErrors error={error} />
      <label htmlFor="c-id">{t('admin.contracts.identifier')}</label>
      <input
        id="c-id"
        required
        value={d.identifier}
        readOnly={editing !== null}
        onChange={(e) => set('identifier', e.target.value)}
      />
      <label htmlFor="c-name">{t('admin.contracts.name')}</label>
      <input id="c-name" required value={d.name} onChange={(e) => set('name', e.target.value)} />
      <label htmlFor="c-desc">{t('admin.contracts.description')}</label>
      <input id="c-desc" value={d.description} onChange={(e) => set('description', e.target.value)} />
      <label htmlFor="c-status">{t('admin.contracts.status')}</label>
      <select
        id="c-status"
        value={d.status}
        onChange={(e) => set('status', e.target.value as Draft['status'])}
      >
        <option value="ACTIVE">{t('admin.contracts.active')}</option>
        <option value="INACTIVE">{t('admin.contracts.inactive')}</option>
      </select>
      <label className="check">
        <input
          type="checkbox"
          checked={d.everyProducer}
          onChange={(e) => set('everyProducer', e.target.checked)}
        />{' '}
        {t('admin.contracts.everyProducer')}
      </label>
      <label htmlFor="c-producers">{t('admin.contracts.producers')}</label>
      <input
        id="c-producers"
        value={d.producers}
        disabled={d.everyProducer}
        onChange={(e) => set('producers', e.target.value)}
      />
      <label htmlFor="c-roots">{t('admin.contracts.roots')}</label>
      <input id="c-roots" value={d.roots} onChange={(e) => set('roots', e.target.value)} />
      <label htmlFor="c-excluded">{t('admin.contracts.excluded')}</label>
      <input id="c-excluded" value={d.excluded} onChange={(e) => set('excluded', e.target.value)} />
      <fieldset className="checks">
        <legend>{t('admin.contracts.usages')}</legend>
        <label className="check">
          <input
            type="checkbox"
            checked={d.everyUsage}
            onChange={(e) => set('everyUsage', e.target.checked)}
          />{' '}
          {t('admin.contracts.everyUsage')}
        </label>
        {DIP_USAGES.map((u) => (
          <label key={u} className="check">
            <input
              type="checkbox"
              disabled={d.everyUsage}
              checked={d.everyUsage || d.usages.includes(u)}
              onChange={() =>
                set('usages', d.usages.includes(u) ? d.usages.filter((x) => x !== u) : [...d.usages, u])
              }
            />{' '}
            {t(`admin.usage.${u}` as MessageKey)}
          </label>
        ))}
      </fieldset>
      <label className="check">
        <input type="checkbox" checked={d.write} onChange={(e) => set('write', e.target.checked)} />{' '}
        {t('admin.contracts.write')}
      </label>
      <div className="actions">
        <button type="submit" className="button" disabled={busy}>
          {t('admin.contracts.save')}
        </button>
      </div>
    </form>
  )
}

function Bindings({ contracts }: { contracts: ContractEntry[] }) {
  const { api } = useSession()
  const { t } = useI18n()
  const data = useLoad(async () => {
    const [users, keys, bound] = await Promise.all([api.users(), api.apiKeys(), bindings(api)])
    return { principals: [...users.results, ...keys.results.filter((k) => !k.revokedAt)], bound }
  }, [])
  const [who, setWho] = useState('')
  const [chosen, setChosen] = useState<string[]>([])
  const [error, setError] = useState<unknown>(null)
  const [done, setDone] = useState<string | null>(null)
  if (!data.data) return data.error ? <ErrorMessage error={data.error} /> : <Loading />
  const { principals, bound } = data.data
  const of = (id: string) => bound.find((b: Binding) => b.principalId === id)?.contracts ?? []
  const nameOf = (p: PrincipalSummary) => `${p.name} (${t(`admin.kind.${p.kind}` as MessageKey)}, ${p.role})`
  const pick = (id: string) => {
    setWho(id)
    setChosen(of(id))
    setDone(null)
    setError(null)
  }
  const save = async (e: FormEvent) => {
    e.preventDefault()
    setError(null)
    setDone(null)
    try {
      await bind(api, who, chosen)
      const p = principals.find((x) => x.id === who)
      setDone(t('admin.bindings.saved', { name: p?.name ?? who }))
      data.reload()
    } catch (err) {
      setError(err)
    }
  }
  return (
    <section aria-labelledby="bindings-title">
      <h2 id="bindings-title">{t('admin.bindings.title')}</h2>
      <p className="muted">{t('admin.bindings.intro')}</p>
      <table>
        <thead>
          <tr>
            <th scope="col">{t('admin.bindings.principal')}</th>
            <th scope="col">{t('admin.bindings.contracts')}</th>
          </tr>
        </thead>
        <tbody>
          {principals.map((p) => (
            <tr key={p.id}>
              <td>{nameOf(p)}</td>
              <td>{of(p.id).length > 0 ? of(p.id).join(', ') : t('admin.bindings.default')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="card" onSubmit={(e) => void save(e)} aria-label={t('admin.bindings.bind')}>
        <h3>{t('admin.bindings.bind')}</h3>
        {done ? <Notice>{done}</Notice> : null}
        <ErrorMessage error={error} />
        <label htmlFor="b-who">{t('admin.bindings.principal')}</label>
        <select id="b-who" required value={who} onChange={(e) => pick(e.target.value)}>
          <option value="">{t('admin.bindings.choose')}</option>
          {principals.map((p) => (
            <option key={p.id} value={p.id}>
              {nameOf(p)}
            </option>
          ))}
        </select>
        <fieldset className="checks">
          <legend>{t('admin.bindings.contracts')}</legend>
          {contracts.map((c) => (
            <label key={c.identifier} className="check">
              <input
                type="checkbox"
                checked={chosen.includes(c.identifier)}
                onChange={() =>
                  setChosen(
                    chosen.includes(c.identifier)
                      ? chosen.filter((x) => x !== c.identifier)
                      : [...chosen, c.identifier],
                  )
                }
              />{' '}
              {c.name} ({c.identifier})
            </label>
          ))}
        </fieldset>
        <button type="submit" className="button" disabled={!who}>
          {t('admin.bindings.save')}
        </button>
      </form>
    </section>
  )
}

/** Access contracts: the list, create or edit (by importing the whole referential), import a file, bind. */
export function ContractsScreen() {
  const s = useSession()
  const { api } = s
  const { t } = useI18n()
  const contracts = useLoad(() => accessContracts(api), [])
  const [editing, setEditing] = useState<ContractEntry | 'new' | null>(null)
  const [result, setResult] = useState<ReferentialImportResult | null>(null)
  const [file, setFile] = useState<File | null>(null)
  const [fileError, setFileError] = useState<unknown>(null)
  const writable = s.can('referential.write')
  const done = (r: ReferentialImportResult) => {
    setResult(r)
    setEditing(null)
    contracts.reload()
  }
  const upload = async (e: FormEvent) => {
    e.preventDefault()
    setFileError(null)
    setResult(null)
    if (!file) return
    try {
      done(await api.importReferential('access-contracts', file))
    } catch (err) {
      setFileError(err)
    }
  }
  const rows = contracts.data ?? []
  const producers = (c: ContractEntry) =>
    c.body.EveryOriginatingAgency === true
      ? t('admin.contracts.all')
      : list(c.body.OriginatingAgencies).join(', ') || '—'
  const usages = (c: ContractEntry) =>
    c.body.EveryDataObjectVersion === true
      ? t('admin.contracts.all')
      : list(c.body.DataObjectVersion).join(', ') || '—'
  return (
    <section aria-labelledby="contracts-title">
      <h1 id="contracts-title">{t('admin.contracts.title')}</h1>
      <p className="muted">{t('admin.contracts.intro')}</p>
      {result ? <Notice>{t('ref.imported', { ...result })}</Notice> : null}
      <ErrorMessage error={contracts.error} />
      {contracts.loading && !contracts.data ? <Loading /> : null}
      {contracts.data ? (
        <div className="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('admin.contracts.identifier')}</th>
                <th scope="col">{t('admin.contracts.name')}</th>
                <th scope="col">{t('admin.contracts.status')}</th>
                <th scope="col">{t('admin.contracts.col.producers')}</th>
                <th scope="col">{t('admin.contracts.col.roots')}</th>
                <th scope="col">{t('admin.contracts.col.excluded')}</th>
                <th scope="col">{t('admin.contracts.usages')}</th>
                <th scope="col">{t('admin.contracts.writeShort')}</th>
                {writable ? (
                  <th scope="col">
                    <span className="visually-hidden">{t('admin.contracts.actions')}</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {rows.map((c) => (
                <tr key={c.identifier}>
                  <td>
                    <code>{c.identifier}</code>
                  </td>
                  <td>{c.name}</td>
                  <td>
                    {c.status === 'ACTIVE' ? t('admin.contracts.active') : t('admin.contracts.inactive')}
                  </td>
                  <td>{producers(c)}</td>
                  <td>{list(c.body.RootUnits).join(', ') || '—'}</td>
                  <td>{list(c.body.ExcludedRootUnits).join(', ') || '—'}</td>
                  <td>{usages(c)}</td>
                  <td>{c.body.WritingPermission === true ? t('app.yes') : t('app.no')}</td>
                  {writable ? (
                    <td>
                      <button
                        type="button"
                        className="button secondary"
                        aria-label={t('admin.contracts.editOf', { id: c.identifier })}
                        onClick={() => {
                          setResult(null)
                          setEditing(c)
                        }}
                      >
                        {t('admin.contracts.editButton')}
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {writable && contracts.data ? (
        <>
          <p>
            <button
              type="button"
              className="button"
              onClick={() => {
                setResult(null)
                setEditing('new')
              }}
            >
              {t('admin.contracts.new')}
            </button>
          </p>
          {editing ? (
            <ContractForm
              key={editing === 'new' ? 'new' : editing.identifier}
              contracts={rows}
              editing={editing === 'new' ? null : editing}
              onDone={done}
            />
          ) : null}
          <form className="card" onSubmit={(e) => void upload(e)} aria-labelledby="contracts-file-title">
            <h2 id="contracts-file-title">{t('admin.contracts.importFile')}</h2>
            <p className="muted small">{t('admin.contracts.importHint')}</p>
            <ImportErrors error={fileError} />
            <label htmlFor="contracts-file">{t('ref.file')}</label>
            <input
              id="contracts-file"
              type="file"
              required
              accept=".json,application/json"
              onChange={(e) => setFile(e.target.files?.[0] ?? null)}
            />
            <button type="submit" className="button">
              {t('ref.submit')}
            </button>
          </form>
        </>
      ) : null}
      {s.can('principal.manage') && contracts.data ? <Bindings contracts={rows} /> : null}
    </section>
  )
}
