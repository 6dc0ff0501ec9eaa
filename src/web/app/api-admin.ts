/**
 * API calls of the "admin" area (finding, access contracts, audits and seals, DIP export, access log):
 * functions over the generic ApiClient of api.ts, typed after the API's answers (docs/search.md,
 * docs/access.md, docs/fixity.md, docs/proof.md).
 */
import type { ApiClient, ReferentialImportResult, UnitSummary } from './api.js'

function qs(q: Record<string, string | number | undefined>): string {
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v))
  const s = p.toString()
  return s ? `?${s}` : ''
}

const enc = encodeURIComponent

// ── finding ─────────────────────────────────────────────────────────────────────────────────────

export interface SearchUnit extends UnitSummary {
  readonly originatingAgency?: string | null
}

export interface FacetValue {
  readonly value: string
  readonly count: number
}

export interface SearchResult {
  /** With totalIsLowerBound: a lower bound (more units match; `exactTotal=true` counts them all). */
  readonly total: number
  readonly totalIsLowerBound?: boolean
  /** Relevance ranked over the first `rankedOver` matching units only. */
  readonly rankedOver?: number
  readonly results: SearchUnit[]
  readonly facets?: Record<string, FacetValue[]>
  /** The facets count only the first `facetsCountedOver` matching units. */
  readonly facetsApproximate?: boolean
  readonly facetsCountedOver?: number
  readonly nextCursor: string | null
}

/** GET /units with the query-language parameters as given (q, filters, sort, limit, cursor). */
export function searchUnits(api: ApiClient, params: Record<string, string>): Promise<SearchResult> {
  return api.json('GET', `/units${qs(params)}`)
}

/** Every unit id of a search (following its cursors, facets off), at most `max`. */
export async function searchIds(
  api: ApiClient,
  params: Record<string, string>,
  max: number,
): Promise<{ ids: string[]; truncated: boolean }> {
  const ids: string[] = []
  let cursor: string | undefined
  for (;;) {
    const { cursor: _c, ...rest } = params
    const page = await searchUnits(api, {
      ...rest,
      facets: 'false',
      limit: '200',
      ...(cursor ? { cursor } : {}),
    })
    ids.push(...page.results.map((u) => u.id))
    if (ids.length >= max) return { ids: ids.slice(0, max), truncated: true }
    if (!page.nextCursor) return { ids, truncated: false }
    cursor = page.nextCursor
  }
}

export function treeRoots(api: ApiClient, cursor?: string): Promise<SearchResult> {
  return api.json('GET', `/tree/roots${qs({ limit: 50, cursor })}`)
}

export function unitChildren(api: ApiClient, id: string, cursor?: string): Promise<SearchResult> {
  return api.json('GET', `/units/${enc(id)}/children${qs({ limit: 50, cursor })}`)
}

export function unitBranch(api: ApiClient, id: string, cursor?: string): Promise<SearchResult> {
  return api.json('GET', `/units/${enc(id)}/branch${qs({ limit: 50, cursor })}`)
}

export interface Ancestor {
  readonly id: string
  readonly title: string
  readonly depth: number
  readonly parentIds: string[]
}

export async function unitAncestors(api: ApiClient, id: string): Promise<Ancestor[]> {
  return (await api.json<{ ancestors: Ancestor[] }>('GET', `/units/${enc(id)}/ancestors`)).ancestors
}

// ── DIP export ──────────────────────────────────────────────────────────────────────────────────

export const SEDA_VERSIONS = ['2.1', '2.2', '2.3'] as const
export const DIP_USAGES = [
  'BinaryMaster',
  'Dissemination',
  'Thumbnail',
  'TextContent',
  'PhysicalMaster',
] as const

export type DipSelection = { unitIds: string[] } | { branch: string }

export interface DipView {
  readonly operationId: string
  readonly state: 'pending' | 'running' | 'ready' | 'failed'
  readonly sedaVersion: string
  readonly contract: string
  readonly usages: string[]
  readonly units: number
  readonly progress: { readonly objectsDone: number; readonly objectsTotal: number }
  readonly bytes: number
  readonly package: { size: number; sha512: string; href: string } | null
  readonly error: unknown
}

export function createDip(
  api: ApiClient,
  body: { selection: DipSelection; sedaVersion: string; usages: string[] },
): Promise<{ operationId: string; dip: DipView }> {
  return api.json('POST', '/dips', body)
}

export function getDip(api: ApiClient, id: string): Promise<DipView> {
  return api.json('GET', `/dips/${enc(id)}`)
}

// ── access contracts ────────────────────────────────────────────────────────────────────────────

/** An access contract as the referential lists it (`body` holds the Vitam fields). */
export interface ContractEntry {
  readonly identifier: string
  readonly name: string
  readonly status: string
  readonly body: Record<string, unknown>
}

export async function accessContracts(api: ApiClient): Promise<ContractEntry[]> {
  return (await api.referential('access-contracts')).results as unknown as ContractEntry[]
}

/** Imports the whole access-contracts referential (Vitam JSON): how contracts are created and changed. */
export function importContracts(
  api: ApiClient,
  contracts: Record<string, unknown>[],
): Promise<ReferentialImportResult> {
  const file = new File([JSON.stringify(contracts, null, 2)], 'access-contracts.json', {
    type: 'application/json',
  })
  return api.importReferential('access-contracts', file)
}

export interface Binding {
  readonly principalId: string
  readonly contracts: string[]
}

export async function bindings(api: ApiClient): Promise<Binding[]> {
  return (await api.json<{ results: Binding[] }>('GET', '/access-contracts/bindings')).results
}

export function bind(api: ApiClient, principalId: string, contracts: string[]): Promise<Binding> {
  return api.json('PUT', `/access-contracts/bindings/${enc(principalId)}`, { contracts })
}

export async function agencies(api: ApiClient): Promise<{ identifier: string; name: string }[]> {
  return (await api.referential('agencies')).results as unknown as { identifier: string; name: string }[]
}

// ── audits, seals, logbook ──────────────────────────────────────────────────────────────────────

export interface AuditAnomaly {
  readonly tenant: string
  readonly objectId: string
  readonly offer: string
  readonly kind: string
  readonly detail: string | null
  readonly repair: string | null
  readonly repairedFrom: string | null
  readonly detectedAt: string
}

export interface AuditSummary {
  readonly auditId: string
  readonly type: string
  readonly tenant: string | null
  readonly producer: string | null
  readonly trigger: string
  readonly status: string
  readonly createdAt: string
  readonly startedAt: string | null
  readonly finishedAt: string | null
  readonly progress: { objects: number; total: number }
  readonly counts: {
    objects: number
    copies: number
    bytes: number
    anomalies: number
    repaired: number
    repairFailed: number
    lost: number
  }
  readonly offers: {
    offerId: string
    checked: number
    ok: number
    bytes: number
    missing: number
    size: number
    digest: number
    unreadable: number
    repaired: number
  }[]
  readonly offersDown: string[]
}

export interface AuditReport extends AuditSummary {
  readonly alerts: { tenant: string; objectId: string; message: string }[]
  readonly anomalies: AuditAnomaly[]
  readonly anomaliesTotal: number
}

export async function audits(api: ApiClient, limit = 50): Promise<AuditSummary[]> {
  return (await api.json<{ results: AuditSummary[] }>('GET', `/audits${qs({ limit })}`)).results
}

export function audit(api: ApiClient, id: string): Promise<AuditReport> {
  return api.json('GET', `/audits/${enc(id)}`)
}

export function runAudit(api: ApiClient, type: 'existence' | 'integrity'): Promise<{ auditId: string }> {
  return api.json('POST', '/audits', { type })
}

export async function lostObjects(api: ApiClient): Promise<{ objectId: string; auditId: string }[]> {
  return (await api.json<{ results: { objectId: string; auditId: string }[] }>('GET', '/audits/alerts'))
    .results
}

export interface SealSummary {
  readonly id: string
  readonly number: number
  readonly createdAt: string
  readonly genTime: string
  readonly merkleRoot: string
  readonly digest: string
  readonly ranges: { chain: string; fromSeq: number; toSeq: number }[]
}

export async function seals(api: ApiClient): Promise<SealSummary[]> {
  return (await api.json<{ results: SealSummary[] }>('GET', '/logbook/seals')).results
}

export interface LogbookVerification {
  readonly ok: boolean
  readonly chains: {
    chain: string
    ok: boolean
    events: number
    firstBreak: { seq: number; reason: string; message?: string } | null
  }[]
  readonly seals: {
    readonly ok: boolean
    readonly seals: number
    readonly sealedEvents: number
    readonly unsealedEvents: number
    readonly lastSeal: { id: string; number: number; genTime: string } | null
    readonly breaks: { sealId: string; number: number; reason: string; message: string }[]
  }
}

export function verifyLogbook(api: ApiClient): Promise<LogbookVerification> {
  return api.json('GET', '/logbook/verify')
}

// ── access log ──────────────────────────────────────────────────────────────────────────────────

export interface AccessLogEntry {
  readonly type: string
  readonly at: string
  readonly agent: string | null
  readonly principal: string | null
  readonly principalKind: string | null
  readonly contract: string | null
  readonly objectId: string | null
  readonly total?: number
  readonly query?: Record<string, unknown>
}

export async function accessLog(api: ApiClient, limit = 200): Promise<AccessLogEntry[]> {
  return (await api.json<{ results: AccessLogEntry[] }>('GET', `/access-log${qs({ limit })}`)).results
}

/** The rules presets of `POST /referentials/presets/{name}` (docs/rules.md § Presets). */
export const RULES_PRESETS = ['l213-2', 'communes-retention'] as const
export type RulesPreset = (typeof RULES_PRESETS)[number]

export function loadRulesPreset(
  api: ApiClient,
  name: RulesPreset,
): Promise<ReferentialImportResult & { preset: string }> {
  return api.json('POST', `/referentials/presets/${encodeURIComponent(name)}`)
}

/** The path of a profile's attached RNG/XSD schema (404 PROFILE_SCHEMA_NOT_FOUND when none). */
export function profileSchemaPath(profileId: string): string {
  return `/referentials/profiles/${encodeURIComponent(profileId)}/schema`
}
