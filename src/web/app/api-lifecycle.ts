/**
 * The lifecycle screens' calls (elimination, holds, outgoing transfers, reclassification, mass rules
 * updates, accession register): typed functions over the shared ApiClient. Shapes follow
 * src/modules/elimination/elimination.types.ts and src/modules/lifecycle (kept in step by hand: the web
 * application imports no server module but the tenancy policy).
 */
import type { ApiClient, Page, UnitSummary } from './api.js'
import type { EliminationRequest, RequestStatus } from '../../modules/elimination/elimination.types.js'
export type { EliminationRequest, RequestStatus }

const enc = encodeURIComponent

// ── elimination ────────────────────────────────────────────────────────────────────────────────

export interface ConflictReason {
  readonly code: string
  readonly unitId?: string
  readonly cause?: string
  readonly detail?: string
}

export interface AnalysisUnit {
  readonly unitId: string
  readonly sedaId: string | null
  readonly title: string
  readonly appraisalEndDate: string | null
  readonly finalAction: string | null
  readonly status: 'DESTROY' | 'CONFLICT'
  readonly reasons: readonly ConflictReason[]
  readonly objects: number
  readonly physicalObjects: number
  readonly bytes: number
}

export interface AnalysisFilters {
  readonly producer?: string
  readonly branch?: string
  readonly rule?: string
}

export interface Analysis {
  readonly analysisId: string
  readonly tenantId: string
  readonly status: 'PENDING' | 'DONE' | string
  readonly asOf: string
  readonly filters: AnalysisFilters
  readonly eligible: readonly AnalysisUnit[]
  readonly conflicts: readonly AnalysisUnit[]
  readonly totals: { readonly eligible: number; readonly conflicts: number; objects: number; bytes: number }
}

/** The documents a request may have, in the order shown. */
export const ELIMINATION_DOCUMENTS = [
  'bordereau.pdf',
  'authorization-request.xml',
  'certificate.pdf',
  'certificate.json',
  'notification.xml',
] as const

export const elimination = {
  startAnalysis: (api: ApiClient, filters: AnalysisFilters) =>
    api.json<{ analysisId: string; status: string }>('POST', '/eliminations/analysis', filters),
  analysis: (api: ApiClient, id: string) => api.json<Analysis>('GET', `/eliminations/analysis/${enc(id)}`),
  list: async (api: ApiClient) =>
    (await api.json<{ results: EliminationRequest[] }>('GET', '/eliminations')).results,
  /** Submitted requests of every tenant this principal is the control authority of (any current tenant). */
  pendingVisas: async (api: ApiClient) =>
    (await api.json<{ results: EliminationRequest[] }>('GET', '/eliminations/pending-visas')).results,
  create: (api: ApiClient, input: { analysisId: string; unitIds?: string[]; observations?: string }) =>
    api.json<EliminationRequest>('POST', '/eliminations', input),
  show: (api: ApiClient, id: string) => api.json<EliminationRequest>('GET', `/eliminations/${enc(id)}`),
  submit: (api: ApiClient, id: string) =>
    api.json<EliminationRequest>('POST', `/eliminations/${enc(id)}/submit`),
  visa: (api: ApiClient, id: string, decision: 'approve' | 'refuse', comment: string) =>
    api.json<EliminationRequest>('POST', `/eliminations/${enc(id)}/visa`, { decision, comment }),
  cancel: (api: ApiClient, id: string, reason: string) =>
    api.json<EliminationRequest>('POST', `/eliminations/${enc(id)}/cancel`, { reason }),
  execute: (api: ApiClient, id: string) =>
    api.json<{ operationId: string; status: string }>('POST', `/eliminations/${enc(id)}/execute`),
  documentPath: (id: string, name: string) => `/eliminations/${enc(id)}/${name}`,
}

/** Units whose DUA (appraisal end) falls in `year` with final action Destroy (search's filters). */
export function dueThisYear(api: ApiClient, year: number, limit = 10) {
  return api.json<Page<UnitSummary>>(
    'GET',
    `/units?appraisalEnd=${year}&finalAction=Destroy&limit=${limit}&facets=false`,
  )
}

// ── holds ──────────────────────────────────────────────────────────────────────────────────────

export interface LegalHold {
  readonly id: string
  readonly tenantId: string
  readonly unitId: string
  readonly includeDescendants: boolean
  readonly reason: string
  readonly startDate: string
  readonly endDate: string | null
  readonly createdBy: string
  readonly createdAt: string
  readonly liftedAt: string | null
  readonly liftedBy: string | null
  readonly liftReason: string | null
  readonly active: boolean
}

export const holds = {
  list: async (api: ApiClient, q: { unitId?: string; active?: boolean } = {}) => {
    const p = new URLSearchParams()
    if (q.unitId) p.set('unitId', q.unitId)
    if (q.active) p.set('active', 'true')
    const s = p.toString()
    return (await api.json<{ results: LegalHold[] }>('GET', `/holds${s ? `?${s}` : ''}`)).results
  },
  create: (
    api: ApiClient,
    input: {
      unitId: string
      reason: string
      includeDescendants: boolean
      startDate?: string
      endDate?: string
    },
  ) => api.json<LegalHold>('POST', '/holds', input),
  lift: (api: ApiClient, id: string, reason: string) =>
    api.json<LegalHold>('POST', `/holds/${enc(id)}/lift`, { reason }),
}

/** The ancestors of a unit, nearest first (search module). */
export async function ancestorIds(api: ApiClient, unitId: string): Promise<string[]> {
  const r = await api.json<{ ancestors: { id: string }[] }>('GET', `/units/${enc(unitId)}/ancestors`)
  return r.ancestors.map((a) => a.id)
}

// ── outgoing transfers and restitutions ────────────────────────────────────────────────────────

export interface Selection {
  readonly unitIds?: string[]
  readonly branch?: string
}

export type TransferState = 'requested' | 'prepared' | 'sent' | 'acknowledged' | 'KO' | 'purged'

export interface OutgoingTransfer {
  readonly operationId: string
  readonly tenant: string
  readonly type: 'TRANSFER' | 'RESTITUTION'
  readonly state: TransferState
  readonly sedaVersion: string
  readonly messageIdentifier: string
  readonly targetTenant: string | null
  readonly targetOperationId: string | null
  readonly originatingAgency: string | null
  readonly units: number
  readonly objects: number
  readonly physicalObjects: number
  readonly bytes: number
  readonly unitIds: readonly string[]
  readonly package: { size: number; sha512: string } | null
  readonly replyCode: string | null
  readonly reasons: readonly {
    type: string
    outcome: string
    detail: string | null
    message: string | null
  }[]
  readonly createdAt: string
  readonly updatedAt: string
}

export interface NewTransfer {
  readonly type: 'TRANSFER' | 'RESTITUTION'
  readonly selection: Selection
  readonly sedaVersion: '2.1' | '2.2' | '2.3'
  readonly targetTenant?: string
  readonly contract?: string
  readonly archivalAgency?: string
  readonly comment?: string
}

export const outgoing = {
  list: (api: ApiClient) => api.json<Page<OutgoingTransfer>>('GET', '/transfers'),
  show: (api: ApiClient, id: string) => api.json<OutgoingTransfer>('GET', `/transfers/${enc(id)}`),
  create: (api: ApiClient, input: NewTransfer) => api.json<OutgoingTransfer>('POST', '/transfers', input),
  packagePath: (id: string) => `/transfers/${enc(id)}/package`,
  ack: async (api: ApiClient, id: string, atr: File) => {
    const res = await api.send('POST', `/transfers/${enc(id)}/ack`, { body: atr, type: 'application/xml' })
    return (await res.json()) as OutgoingTransfer
  },
}

// ── reclassification and mass rules updates ────────────────────────────────────────────────────

export interface RuleChange {
  readonly category: string
  readonly action: 'add' | 'replace' | 'remove' | 'set'
  readonly rules?: { ruleId: string; startDate?: string | null }[]
  readonly ruleIds?: string[]
  readonly finalAction?: string | null
}

export interface ChangeResult {
  readonly operationId: string
  readonly units: number
  readonly recomputed: number
}

/** The logbook types of the revertible changes and of their reverts. */
export const CHANGE_TYPES = [
  'RECLASSIFICATION',
  'UPDATE_RULES',
  'REVERT_RECLASSIFICATION',
  'REVERT_UPDATE_RULES',
] as const

export const changes = {
  reclassify: (api: ApiClient, moves: { unitId: string; parentIds: string[] }[]) =>
    api.json<ChangeResult>('POST', '/reclassifications', { moves }),
  updateRules: (api: ApiClient, selection: Selection, list: RuleChange[]) =>
    api.json<ChangeResult>('POST', '/units/rules', { selection, changes: list }),
  revert: (api: ApiClient, type: string, id: string) =>
    api.json<ChangeResult>(
      'POST',
      type === 'RECLASSIFICATION' ? `/reclassifications/${enc(id)}/revert` : `/units/rules/${enc(id)}/revert`,
    ),
}

// ── accession register ─────────────────────────────────────────────────────────────────────────

export interface Amounts {
  readonly units: number
  readonly objects: number
  readonly physicalObjects: number
  readonly bytes: number
}

export interface RegisterLine extends Amounts {
  readonly operationId: string
  readonly date: string
  readonly type: string
  readonly direction: 'in' | 'out'
  readonly producer: string | null
  readonly linearMetres: number | null
  readonly counterpart: string | null
  readonly totals: Amounts
}

export interface Register {
  readonly tenant: string
  readonly producer: string | null
  readonly lines: readonly RegisterLine[]
  readonly totals: { readonly in: Amounts; readonly out: Amounts; readonly held: Amounts }
}

export const register = {
  get: (api: ApiClient, producer?: string) =>
    api.json<Register>('GET', `/register${producer ? `?producer=${enc(producer)}` : ''}`),
  csv: async (api: ApiClient, producer?: string) => {
    const res = await api.send('GET', `/register${producer ? `?producer=${enc(producer)}` : ''}`, {
      accept: 'text/csv',
    })
    return res.blob()
  },
}

// ── tombstones ─────────────────────────────────────────────────────────────────────────────────

/** What is kept of an eliminated unit (`GET /tombstones/{id}`, docs/elimination.md). */
export interface EliminationTombstone {
  readonly unitId: string
  readonly sedaId: string | null
  readonly title: string
  readonly startDate: string | null
  readonly endDate: string | null
  readonly originatingAgency: string | null
  readonly rules: unknown
  readonly objects: unknown
  readonly requestId: string
  readonly visaId: string | null
  readonly operationId: string
  readonly destroyedAt: string
}

/** What is kept of a unit that left by transfer or restitution (`GET /transfers/tombstones/{id}`). */
export interface TransferTombstone {
  readonly unitId: string
  readonly sedaId: string | null
  readonly title: string
  readonly originatingAgency: string | null
  readonly ingestOperationId: string
  readonly reason: string
  readonly operationId: string
  readonly destination: string | null
  readonly destinationOperationId: string | null
  readonly objects: number
  readonly physicalObjects: number
  readonly bytes: number
  readonly departedAt: string
}

export type Tombstone =
  | { readonly kind: 'elimination'; readonly t: EliminationTombstone }
  | { readonly kind: 'transfer'; readonly t: TransferTombstone }

/** The tombstone of a unit that is gone, or null when it has none (never existed, another tenant's…). */
export async function tombstoneOf(api: ApiClient, unitId: string): Promise<Tombstone | null> {
  const gone = (e: unknown) => (e as { status?: number }).status === 404
  try {
    return {
      kind: 'elimination',
      t: await api.json<EliminationTombstone>('GET', `/tombstones/${enc(unitId)}`),
    }
  } catch (e) {
    if (!gone(e)) throw e
  }
  try {
    return {
      kind: 'transfer',
      t: await api.json<TransferTombstone>('GET', `/transfers/tombstones/${enc(unitId)}`),
    }
  } catch (e) {
    if (!gone(e)) throw e
  }
  return null
}
