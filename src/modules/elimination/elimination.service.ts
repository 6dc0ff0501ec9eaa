import { createHash } from 'node:crypto'
import type { Clock } from '../../platform/clock.js'
import type { IdSource } from '../../platform/ids.js'
import { fromJson, toJson, type Db, type Executor } from '../../platform/db/create-db.js'
import type { EliminationRequestTable } from '../../platform/db/schema.js'
import { canonicalJson } from '../../platform/canonical-json.js'
import type { JobQueue } from '../../platform/queue/job-queue.js'
import type { AuditService, NewEvent } from '../audit/index.js'
import type { BlobRepository, StorageStrategy } from '../storage/index.js'
import { deleteUnits } from '../catalog/index.js'
import { can, type Principal, type Tenant, type TenancyService } from '../tenancy/index.js'
import type { HoldService } from './holds.service.js'
import { ElimErrors } from './errors.js'
import {
  authorizationRequestXml,
  bordereauPdf,
  certificateJson,
  certificatePdf,
  destructionNotificationXml,
  type CertificateData,
  type DestroyedBoxDoc,
  type DocRequest,
  type DocUnit,
  type DocVisa,
} from './documents.js'
import type {
  AnalysisFilters,
  AnalysisResult,
  AnalysisUnit,
  ConflictCode,
  ConflictReason,
  EliminationRequest,
  RequestStatus,
} from './elimination.types.js'

export const ELIMINATION_ANALYSIS_QUEUE = 'elimination.analyse'
export const ELIMINATION_EXECUTE_QUEUE = 'elimination.execute'

const CHUNK = 400
const MAX_TEXT = 4000
const OPEN_STATES: readonly RequestStatus[] = ['draft', 'submitted', 'approved', 'executing']

export interface EliminationDeps {
  readonly db: Db
  readonly clock: Clock
  readonly ids: IdSource
  readonly audit: AuditService
  readonly tenancy: TenancyService
  readonly storage: StorageStrategy
  readonly blobs: BlobRepository
  readonly holds: HoldService
  readonly queue: JobQueue
  /** Days an approved request stays executable after the visa (default 90). */
  readonly validityDays?: number
  /** Physical archives: boxes emptied by the destruction leave their shelves (docs/physical.md). */
  readonly physical?: PhysicalEliminationHook
  /** Crash tests only: called after each unit's binaries are deleted, before its catalogue rows go. */
  readonly faultPoint?: (point: 'after-binaries', unitId: string) => void
  /** The search index (search module), kept in step with the catalogue in the same transaction. */
  readonly searchIndex?: {
    indexUnits(trx: Executor, tenantId: string, unitIds: readonly string[]): Promise<unknown>
    removeFromIndex(trx: Executor, unitIds: readonly string[]): Promise<void>
  }
}

/** What elimination asks of the physical module, inside its own transactions. */
export interface PhysicalEliminationHook {
  onObjectsDestroyed(
    trx: Executor,
    tenantId: string,
    objectIds: readonly string[],
    ctx: { requestId: string; visaId: string | null; operationId: string },
  ): Promise<void>
  destroyedBoxes(trx: Executor, tenantId: string, operationId: string): Promise<readonly DestroyedBoxDoc[]>
  /** Physical objects whose box is out (consultation, loan): their units are not destroyed now. */
  objectsOut?(
    trx: Executor,
    tenantId: string,
    objectIds: readonly string[],
  ): Promise<ReadonlyMap<string, { barcode: string; requestId: string }>>
}

/** The state of a unit that a request freezes (its digest is compared before the visa and the action). */
/** A document of a request written on every offer, before its rows are recorded. */
interface StoredDocument {
  name: string
  key: string
  blobId: string
  size: number
  sha512: string
  mediaType: string
  offers: string[]
}

export interface UnitState {
  readonly unitId: string
  readonly sedaId: string | null
  readonly title: string
  readonly startDate: string | null
  readonly endDate: string | null
  readonly originatingAgency: string | null
  readonly objectGroupId: string | null
  readonly parents: readonly string[]
  readonly appraisal: {
    readonly endDate: string | null
    readonly finalAction: string | null
    readonly incomplete: boolean
    readonly rules: readonly {
      ruleId: string
      startDate: string | null
      endDate: string | null
      finalAction: string | null
      origin: string
    }[]
  }
  readonly held: boolean
  readonly holdRuleIds: readonly string[]
  readonly manualHold: boolean
  readonly objects: readonly {
    id: string
    sedaId: string | null
    kind: string
    usage: string | null
    size: number | null
    sha512: string | null
    blobId: string | null
    operationId: string
  }[]
}

export function stateDigest(s: UnitState): string {
  return createHash('sha512').update(canonicalJson(s)).digest('hex')
}

interface Evaluated {
  readonly state: UnitState
  readonly reasons: ConflictReason[]
}

function text(field: string, v: unknown, required: boolean): string | null {
  if (v === undefined || v === null) {
    if (required) throw ElimErrors.invalid(field, 'texte obligatoire')
    return null
  }
  if (typeof v !== 'string') throw ElimErrors.invalid(field, 'texte attendu', v)
  if (v.trim() === '') {
    if (required) throw ElimErrors.invalid(field, 'texte obligatoire')
    return null
  }
  if (v.length > MAX_TEXT) throw ElimErrors.invalid(field, `plus de ${MAX_TEXT} caractères`, v.length)
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(v))
    throw ElimErrors.invalid(field, 'caractère de contrôle interdit')
  return v.trim()
}

function optId(field: string, v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined
  // eslint-disable-next-line no-control-regex
  if (typeof v !== 'string' || v.length > 200 || /[\u0000-\u001f]/.test(v))
    throw ElimErrors.invalid(field, 'identifiant invalide', v)
  return v
}

/**
 * Elimination in the order the law requires (docs/elimination.md): analysis → request (bordereau) →
 * visa of the control authority (R212-14) → action (destruction on every offer, tombstones,
 * ArchiveDestructionNotification and certificate), every step in the tenant's logbook.
 */
export class EliminationService {
  constructor(private readonly deps: EliminationDeps) {}

  private now(): string {
    return this.deps.clock.now().toISOString()
  }

  private today(): string {
    return this.now().slice(0, 10)
  }

  // ── unit states and eligibility ───────────────────────────────────────────────────────────────

  async loadStates(trx: Executor, tenantId: string, ids: readonly string[]): Promise<Map<string, UnitState>> {
    const out = new Map<string, UnitState>()
    const today = this.today()
    const manual = await this.deps.holds.activeHoldsCovering(trx, tenantId, ids)
    for (let i = 0; i < ids.length; i += CHUNK) {
      const slice = ids.slice(i, i + CHUNK)
      const units = await trx
        .selectFrom('archive_unit')
        .select(['id', 'seda_id', 'title', 'start_date', 'end_date', 'originating_agency', 'object_group_id'])
        .where('tenant_id', '=', tenantId)
        .where('id', 'in', slice)
        .execute()
      const parents = new Map<string, string[]>()
      for (const r of await trx
        .selectFrom('unit_parent')
        .select(['unit_id', 'parent_id'])
        .where('tenant_id', '=', tenantId)
        .where('unit_id', 'in', slice)
        .execute())
        parents.set(r.unit_id, [...(parents.get(r.unit_id) ?? []), r.parent_id])
      const life = new Map(
        (
          await trx
            .selectFrom('unit_lifecycle')
            .select(['unit_id', 'appraisal_end_date', 'final_action', 'appraisal_incomplete'])
            .where('tenant_id', '=', tenantId)
            .where('unit_id', 'in', slice)
            .execute()
        ).map((r) => [r.unit_id, r]),
      )
      const rules = new Map<string, UnitState['appraisal']['rules'][number][]>()
      const holdRules = new Map<string, string[]>()
      for (const r of await trx
        .selectFrom('unit_effective_rule')
        .select([
          'unit_id',
          'category',
          'rule_id',
          'start_date',
          'end_date',
          'final_action',
          'origin_unit_id',
        ])
        .where('tenant_id', '=', tenantId)
        .where('unit_id', 'in', slice)
        .where('category', 'in', ['AppraisalRule', 'HoldRule'])
        .execute()) {
        if (r.category === 'AppraisalRule')
          rules.set(r.unit_id, [
            ...(rules.get(r.unit_id) ?? []),
            {
              ruleId: r.rule_id,
              startDate: r.start_date,
              endDate: r.end_date,
              finalAction: r.final_action,
              origin: r.origin_unit_id,
            },
          ])
        else if (r.end_date === null || r.end_date >= today)
          holdRules.set(r.unit_id, [...(holdRules.get(r.unit_id) ?? []), r.rule_id])
      }
      const groups = [...new Set(units.map((u) => u.object_group_id).filter((g): g is string => g !== null))]
      const objects = new Map<string, UnitState['objects'][number][]>()
      for (let j = 0; j < groups.length; j += CHUNK) {
        for (const o of await trx
          .selectFrom('data_object')
          .select(['id', 'group_id', 'seda_id', 'kind', 'usage', 'size', 'sha512', 'blob_id', 'operation_id'])
          .where('tenant_id', '=', tenantId)
          .where('group_id', 'in', groups.slice(j, j + CHUNK))
          .execute())
          objects.set(o.group_id, [
            ...(objects.get(o.group_id) ?? []),
            {
              id: o.id,
              sedaId: o.seda_id,
              kind: o.kind,
              usage: o.usage,
              size: o.size === null ? null : Number(o.size),
              sha512: o.sha512,
              blobId: o.blob_id,
              operationId: o.operation_id,
            },
          ])
      }
      for (const u of units) {
        const l = life.get(u.id)
        const hr = [...new Set(holdRules.get(u.id) ?? [])].sort()
        out.set(u.id, {
          unitId: u.id,
          sedaId: u.seda_id,
          title: u.title,
          startDate: u.start_date,
          endDate: u.end_date,
          originatingAgency: u.originating_agency,
          objectGroupId: u.object_group_id,
          parents: [...(parents.get(u.id) ?? [])].sort(),
          appraisal: {
            endDate: l?.appraisal_end_date ?? null,
            finalAction: l?.final_action ?? null,
            incomplete: l ? Number(l.appraisal_incomplete) === 1 : false,
            rules: [...(rules.get(u.id) ?? [])].sort(
              (a, b) => a.ruleId.localeCompare(b.ruleId) || a.origin.localeCompare(b.origin),
            ),
          },
          held: hr.length > 0 || manual.has(u.id),
          holdRuleIds: hr,
          manualHold: manual.has(u.id),
          objects: [...(u.object_group_id ? (objects.get(u.object_group_id) ?? []) : [])].sort((a, b) =>
            a.id.localeCompare(b.id),
          ),
        })
      }
    }
    return out
  }

  private ownReasons(s: UnitState, today: string): ConflictReason[] {
    const r: ConflictReason[] = []
    const a = s.appraisal
    if (a.rules.length === 0 && a.finalAction === null) r.push({ code: 'NO_APPRAISAL_RULE' })
    else if (a.finalAction === 'Conflict') r.push({ code: 'FINAL_ACTION_CONFLICT' })
    else if (a.finalAction === 'Keep') r.push({ code: 'FINAL_ACTION_KEEP' })
    else if (a.finalAction === null) r.push({ code: 'NO_APPRAISAL_RULE', detail: 'sort final absent' })
    if (a.rules.length > 0 && a.incomplete) r.push({ code: 'NO_START_DATE' })
    else if (a.rules.length === 0 && a.finalAction !== null) r.push({ code: 'NO_APPRAISAL_RULE' })
    else if (a.endDate !== null && a.endDate > today)
      r.push({ code: 'APPRAISAL_NOT_EXPIRED', detail: `DUA échue le ${a.endDate}` })
    if (s.held)
      r.push({
        code: 'HELD',
        detail: [...s.holdRuleIds, ...(s.manualHold ? ['gel manuel'] : [])].join(', '),
      })
    return r
  }

  /**
   * Evaluates `roots` and all their descendants: own reasons, then a blocked unit blocks its ancestors
   * (HAS_DESCENDANT_TO_KEEP) and an object group shared with a unit not eliminated blocks its units.
   */
  async evaluate(trx: Executor, tenantId: string, roots: readonly string[]): Promise<Map<string, Evaluated>> {
    const today = this.today()
    // Closure downwards, with the parent links inside it.
    const found: string[] = []
    for (let i = 0; i < roots.length; i += CHUNK)
      for (const r of await trx
        .selectFrom('archive_unit')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('id', 'in', roots.slice(i, i + CHUNK))
        .execute())
        found.push(r.id)
    const all = await this.withDescendants(trx, tenantId, found)
    const states = await this.loadStates(trx, tenantId, [...all])
    const res = new Map<string, Evaluated>()
    for (const [id, s] of states) res.set(id, { state: s, reasons: this.ownReasons(s, today) })
    const block = (blocker: string, cause: ConflictCode) => {
      const seen = new Set<string>([blocker])
      let up = [...res.get(blocker)!.state.parents]
      while (up.length > 0) {
        const next: string[] = []
        for (const p of up) {
          if (seen.has(p)) continue
          seen.add(p)
          const e = res.get(p)
          if (!e) continue // an ancestor outside the evaluated set: not concerned
          if (!e.reasons.some((r) => r.code === 'HAS_DESCENDANT_TO_KEEP' && r.unitId === blocker)) {
            if (e.reasons.filter((r) => r.code === 'HAS_DESCENDANT_TO_KEEP').length < 5)
              e.reasons.push({ code: 'HAS_DESCENDANT_TO_KEEP', unitId: blocker, cause })
            else if (!e.reasons.some((r) => r.code === 'HAS_DESCENDANT_TO_KEEP' && r.unitId === undefined))
              e.reasons.push({ code: 'HAS_DESCENDANT_TO_KEEP', detail: 'et d’autres descendants' })
          }
          next.push(...e.state.parents)
        }
        up = next
      }
    }
    const blocked = new Set<string>()
    for (let round = 0; round < 50; round++) {
      let changed = false
      for (const [id, e] of res) {
        if (e.reasons.length > 0 && !blocked.has(id)) {
          blocked.add(id)
          changed = true
          const own = e.reasons.find((r) => r.code !== 'HAS_DESCENDANT_TO_KEEP') ?? e.reasons[0]!
          block(id, own.code === 'HAS_DESCENDANT_TO_KEEP' ? (own.cause ?? own.code) : own.code)
        }
      }
      // Object groups shared with a unit that stays.
      const eligible = [...res.values()].filter((e) => e.reasons.length === 0)
      const groups = [...new Set(eligible.map((e) => e.state.objectGroupId).filter((g): g is string => !!g))]
      const eligibleIds = new Set(eligible.map((e) => e.state.unitId))
      const byGroup = new Map<string, Evaluated[]>()
      for (const e of eligible)
        if (e.state.objectGroupId)
          byGroup.set(e.state.objectGroupId, [...(byGroup.get(e.state.objectGroupId) ?? []), e])
      for (let i = 0; i < groups.length; i += CHUNK) {
        for (const r of await trx
          .selectFrom('archive_unit')
          .select(['id', 'object_group_id'])
          .where('tenant_id', '=', tenantId)
          .where('object_group_id', 'in', groups.slice(i, i + CHUNK))
          .execute()) {
          if (eligibleIds.has(r.id)) continue
          for (const e of byGroup.get(r.object_group_id!) ?? [])
            if (e.reasons.length === 0) {
              e.reasons.push({ code: 'OBJECT_GROUP_SHARED', unitId: r.id })
              changed = true
            }
        }
      }
      if (!changed) break
    }
    return res
  }

  // ── analysis ──────────────────────────────────────────────────────────────────────────────────

  private parseFilters(input: unknown): AnalysisFilters {
    if (input === undefined || input === null) return {}
    if (typeof input !== 'object' || Array.isArray(input))
      throw ElimErrors.invalid('filters', 'objet attendu')
    const f = input as Record<string, unknown>
    for (const k of Object.keys(f))
      if (!['producer', 'branch', 'rule'].includes(k))
        throw ElimErrors.invalid(k, 'filtre inconnu (producer, branch, rule)')
    const producer = optId('producer', f.producer)
    const branch = optId('branch', f.branch)
    const rule = optId('rule', f.rule)
    return { ...(producer ? { producer } : {}), ...(branch ? { branch } : {}), ...(rule ? { rule } : {}) }
  }

  private async requireTenant(actor: Principal, tenantId: string): Promise<Tenant> {
    const t = await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.read')
    if (!can(actor, t, 'archive.manage') && !can(actor, t, 'ingest.submit'))
      throw ElimErrors.forbiddenAction(tenantId)
    return t
  }

  /** Creates a pending analysis; `runAnalysis` computes it (job, or at once for the CLI). */
  async startAnalysis(
    actor: Principal,
    tenantId: string,
    filtersInput: unknown,
    opts: { enqueue: boolean },
  ): Promise<{ analysisId: string }> {
    await this.requireTenant(actor, tenantId)
    const filters = this.parseFilters(filtersInput)
    const { operation } = await this.deps.audit.inOperation(
      { tenantId, type: 'ELIMINATION_ANALYSIS', agent: actor.id },
      async (trx, op) => {
        if (filters.branch) {
          const u = await trx
            .selectFrom('archive_unit')
            .select('id')
            .where('tenant_id', '=', tenantId)
            .where('id', '=', filters.branch)
            .executeTakeFirst()
          if (!u) throw ElimErrors.unitNotFound(filters.branch)
        }
        await trx
          .insertInto('elimination_analysis')
          .values({
            id: op.id,
            tenant_id: tenantId,
            status: 'PENDING',
            filters: toJson(filters),
            as_of: this.today(),
            result: null,
            created_by: actor.id,
            created_at: this.now(),
            finished_at: null,
          })
          .execute()
        if (opts.enqueue)
          await this.deps.queue.enqueue(trx, ELIMINATION_ANALYSIS_QUEUE, { tenantId, analysisId: op.id })
        return {
          result: null,
          events: [
            {
              type: 'ELIMINATION_ANALYSIS',
              outcome: 'STARTED',
              detail: 'ELIMINATION_ANALYSIS.STARTED',
              agent: actor.id,
              message: `Analyse d'élimination demandée (${JSON.stringify(filters)})`,
              data: { filters },
            },
          ],
        }
      },
    )
    // The operation stays RUNNING until the analysis is computed.
    await this.deps.db.kysely
      .transaction()
      .execute((trx) => this.deps.audit.updateOperation(trx, operation.id, { status: 'RUNNING' }))
    return { analysisId: operation.id }
  }

  /** Computes a pending analysis (job handler); idempotent once done. */
  async runAnalysis(payload: { tenantId: string; analysisId: string }): Promise<void> {
    const { tenantId, analysisId } = payload
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      const a = await this.analysisRow(trx, tenantId, analysisId)
      if (a.status === 'DONE') return
      const filters = fromJson<AnalysisFilters>(a.filters)
      const today = this.today()
      let q = trx
        .selectFrom('unit_lifecycle')
        .innerJoin('archive_unit', 'archive_unit.id', 'unit_lifecycle.unit_id')
        .select('unit_lifecycle.unit_id as id')
        .where('unit_lifecycle.tenant_id', '=', tenantId)
        .where((eb) =>
          eb.or([
            eb.and([
              eb('unit_lifecycle.final_action', 'in', ['Destroy', 'Conflict']),
              eb('unit_lifecycle.appraisal_end_date', '<=', today),
            ]),
            eb.and([
              eb('unit_lifecycle.final_action', '=', 'Destroy'),
              eb('unit_lifecycle.appraisal_incomplete', '=', 1),
            ]),
          ]),
        )
      if (filters.producer) q = q.where('archive_unit.originating_agency', '=', filters.producer)
      if (filters.rule)
        q = q.where(({ exists, selectFrom }) =>
          exists(
            selectFrom('unit_effective_rule')
              .select('unit_effective_rule.unit_id')
              .whereRef('unit_effective_rule.unit_id', '=', 'unit_lifecycle.unit_id')
              .where('unit_effective_rule.category', '=', 'AppraisalRule')
              .where('unit_effective_rule.rule_id', '=', filters.rule!),
          ),
        )
      let candidates = (await q.execute()).map((r) => r.id)
      if (filters.branch) {
        const inBranch = await this.withDescendants(trx, tenantId, [filters.branch])
        candidates = candidates.filter((c) => inBranch.has(c))
      }
      const evaluated = await this.evaluate(trx, tenantId, candidates)
      const cand = new Set(candidates)
      const eligible: AnalysisUnit[] = []
      const conflicts: AnalysisUnit[] = []
      for (const [id, e] of evaluated) {
        const u = toAnalysisUnit(e)
        if (e.reasons.length === 0) eligible.push(u)
        else if (cand.has(id)) conflicts.push(u)
      }
      eligible.sort((x, y) => x.unitId.localeCompare(y.unitId))
      conflicts.sort((x, y) => x.unitId.localeCompare(y.unitId))
      const result = {
        eligible,
        conflicts,
        totals: {
          eligible: eligible.length,
          conflicts: conflicts.length,
          objects: eligible.reduce((n, u) => n + u.objects, 0),
          bytes: eligible.reduce((n, u) => n + u.bytes, 0),
        },
      }
      await trx
        .updateTable('elimination_analysis')
        .set({ status: 'DONE', result: toJson(result), finished_at: this.now(), as_of: today })
        .where('id', '=', analysisId)
        .execute()
      await this.deps.audit.record(trx, {
        operationId: analysisId,
        tenantId,
        type: 'ELIMINATION_ANALYSIS',
        outcome: conflicts.length > 0 ? 'WARNING' : 'OK',
        detail: `ELIMINATION_ANALYSIS.${conflicts.length > 0 ? 'WARNING' : 'OK'}`,
        agent: 'system',
        message: `Analyse au ${today} : ${eligible.length} unité(s) éliminable(s), ${conflicts.length} en conflit`,
        data: { asOf: today, ...result.totals },
      })
      await this.deps.audit.updateOperation(trx, analysisId, {
        status: conflicts.length > 0 ? 'WARNING' : 'OK',
        summary: { asOf: today, ...result.totals },
      })
    })
  }

  /** `seeds` (taken as they are) and all their descendants, seeds first, then level by level. */
  private async withDescendants(
    trx: Executor,
    tenantId: string,
    seeds: readonly string[],
  ): Promise<Set<string>> {
    const all = new Set<string>(seeds)
    let frontier = [...all]
    while (frontier.length > 0) {
      const next: string[] = []
      for (let i = 0; i < frontier.length; i += CHUNK)
        for (const r of await trx
          .selectFrom('unit_parent')
          .select('unit_id')
          .where('tenant_id', '=', tenantId)
          .where('parent_id', 'in', frontier.slice(i, i + CHUNK))
          .execute())
          if (!all.has(r.unit_id)) {
            all.add(r.unit_id)
            next.push(r.unit_id)
          }
      frontier = next
    }
    return all
  }

  async getAnalysis(actor: Principal, tenantId: string, analysisId: string): Promise<AnalysisResult> {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.read')
    const a = await this.analysisRow(this.deps.db.kysely, tenantId, analysisId)
    const r =
      a.result === null
        ? { eligible: [], conflicts: [], totals: { eligible: 0, conflicts: 0, objects: 0, bytes: 0 } }
        : fromJson<Pick<AnalysisResult, 'eligible' | 'conflicts' | 'totals'>>(a.result)
    return {
      analysisId: a.id,
      tenantId,
      status: a.status as AnalysisResult['status'],
      asOf: a.as_of,
      filters: fromJson<AnalysisFilters>(a.filters),
      ...r,
    }
  }

  /** Analysis at once (CLI). */
  async analyse(actor: Principal, tenantId: string, filters: unknown): Promise<AnalysisResult> {
    const { analysisId } = await this.startAnalysis(actor, tenantId, filters, { enqueue: false })
    await this.runAnalysis({ tenantId, analysisId })
    return this.getAnalysis(actor, tenantId, analysisId)
  }

  // ── request (bordereau) ───────────────────────────────────────────────────────────────────────

  async createRequest(
    actor: Principal,
    tenantId: string,
    input: { analysisId?: unknown; unitIds?: unknown; observations?: unknown; validityDays?: unknown },
  ): Promise<EliminationRequest> {
    await this.requireTenant(actor, tenantId)
    if (typeof input !== 'object' || input === null) throw ElimErrors.invalid('body', 'objet attendu')
    const analysisId = optId('analysisId', input.analysisId)
    if (!analysisId) throw ElimErrors.invalid('analysisId', 'obligatoire')
    let unitIds: string[] | undefined
    if (input.unitIds !== undefined && input.unitIds !== null) {
      if (!Array.isArray(input.unitIds) || input.unitIds.length === 0 || input.unitIds.length > 100_000)
        throw ElimErrors.invalid('unitIds', 'liste non vide d’identifiants attendue')
      unitIds = [...new Set(input.unitIds.map((u, i) => optId(`unitIds[${i}]`, u) ?? ''))]
      if (unitIds.includes('')) throw ElimErrors.invalid('unitIds', 'identifiant vide')
    }
    const observations = text('observations', input.observations, false)
    const validityDays = input.validityDays ?? this.deps.validityDays ?? 90
    if (
      typeof validityDays !== 'number' ||
      !Number.isInteger(validityDays) ||
      validityDays < 1 ||
      validityDays > 3650
    )
      throw ElimErrors.invalid('validityDays', 'entier de 1 à 3650 attendu', validityDays)
    const { result } = await this.deps.audit.inOperation(
      { tenantId, type: 'ELIMINATION_REQUEST', agent: actor.id },
      async (trx, op) => {
        const a = await this.analysisRow(trx, tenantId, analysisId)
        if (a.status !== 'DONE') throw ElimErrors.analysisNotReady(analysisId, a.status)
        const analysed = new Set(
          fromJson<{ eligible: AnalysisUnit[] }>(a.result).eligible.map((u) => u.unitId),
        )
        const chosen = unitIds ?? [...analysed]
        if (chosen.length === 0) throw ElimErrors.empty()
        const outside = chosen.filter((u) => !analysed.has(u))
        if (outside.length > 0)
          throw ElimErrors.notEligible(outside.map((u) => ({ unitId: u, reasons: ['NOT_IN_ANALYSIS'] })))
        // Live re-check: the analysis may be stale. Eligible descendants come along (docs/elimination.md).
        const ev = await this.evaluate(trx, tenantId, chosen)
        const bad = [...ev.values()].filter((e) => e.reasons.length > 0)
        if (bad.length > 0)
          throw ElimErrors.notEligible(
            bad.map((e) => ({ unitId: e.state.unitId, reasons: e.reasons.map((r) => r.code) })),
          )
        const ids = [...ev.keys()].sort()
        await this.refuseIfInOpenRequest(trx, tenantId, ids)
        const now = this.now()
        const states = ids.map((id) => ev.get(id)!.state)
        const objects = states.reduce((n, s) => n + s.objects.length, 0)
        const bytes = states.reduce((n, s) => n + s.objects.reduce((m, o) => m + (o.size ?? 0), 0), 0)
        const starts = states.map((s) => s.startDate).filter((d): d is string => !!d)
        const ends = states.map((s) => s.endDate).filter((d): d is string => !!d)
        const row: EliminationRequestTable = {
          id: op.id,
          tenant_id: tenantId,
          analysis_id: analysisId,
          status: 'draft',
          observations,
          validity_days: validityDays,
          units: ids.length,
          objects,
          bytes,
          start_date: starts.length ? starts.reduce((x, y) => (y < x ? y : x)) : null,
          end_date: ends.length ? ends.reduce((x, y) => (y > x ? y : x)) : null,
          seal: null,
          created_by: actor.id,
          created_at: now,
          submitted_by: null,
          submitted_at: null,
          visa_id: null,
          visa_decision: null,
          visa_by: null,
          visa_at: null,
          visa_comment: null,
          expires_at: null,
          executed_by: null,
          executed_at: null,
          execution_operation_id: null,
          result: null,
          updated_at: now,
        }
        await trx.insertInto('elimination_request').values(row).execute()
        for (let i = 0; i < states.length; i += 100)
          await trx
            .insertInto('elimination_request_unit')
            .values(
              states.slice(i, i + 100).map((s) => ({
                request_id: op.id,
                tenant_id: tenantId,
                unit_id: s.unitId,
                seda_id: s.sedaId,
                title: s.title,
                state_digest: stateDigest(s),
                snapshot: toJson(s),
                status: 'pending',
                reason: null,
              })),
            )
            .execute()
        return {
          result: op.id,
          events: [
            {
              type: 'ELIMINATION_REQUEST',
              outcome: 'OK',
              detail: 'ELIMINATION_REQUEST.OK',
              agent: actor.id,
              objectId: op.id,
              message: `Demande d'élimination ${op.id} rédigée : ${ids.length} unité(s), ${objects} objet(s), ${bytes} octets`,
              data: { requestId: op.id, analysisId, units: ids.length, objects, bytes },
            },
          ],
          summary: { requestId: op.id },
        }
      },
    )
    return this.show(actor, tenantId, result)
  }

  private async refuseIfInOpenRequest(
    trx: Executor,
    tenantId: string,
    ids: readonly string[],
  ): Promise<void> {
    for (let i = 0; i < ids.length; i += CHUNK) {
      const r = await trx
        .selectFrom('elimination_request_unit')
        .innerJoin('elimination_request', 'elimination_request.id', 'elimination_request_unit.request_id')
        .select(['elimination_request_unit.unit_id', 'elimination_request.id'])
        .where('elimination_request_unit.tenant_id', '=', tenantId)
        .where('elimination_request_unit.unit_id', 'in', ids.slice(i, i + CHUNK))
        .where('elimination_request.status', 'in', [...OPEN_STATES])
        .executeTakeFirst()
      if (r) throw ElimErrors.inOtherRequest(r.unit_id, r.id)
    }
  }

  /** A unit's outcome in a request (refused with its reason, or destroyed). */
  private async setUnitStatus(
    trx: Executor,
    requestId: string,
    unitId: string,
    set: { status: 'refused'; reason: string } | { status: 'destroyed' },
  ): Promise<void> {
    await trx
      .updateTable('elimination_request_unit')
      .set(set)
      .where('request_id', '=', requestId)
      .where('unit_id', '=', unitId)
      .execute()
  }

  private async analysisRow(trx: Executor, tenantId: string, id: string) {
    const a = await trx
      .selectFrom('elimination_analysis')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst()
    if (!a) throw ElimErrors.analysisNotFound(id)
    return a
  }

  private async row(trx: Executor, tenantId: string, id: string): Promise<EliminationRequestTable> {
    const r = await trx
      .selectFrom('elimination_request')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst()
    if (!r) throw ElimErrors.requestNotFound(id)
    return r
  }

  /** The seal: what the submission froze (units and their state digests, and the request's terms). */
  private async computeSeal(trx: Executor, r: EliminationRequestTable): Promise<string> {
    const units = await trx
      .selectFrom('elimination_request_unit')
      .select(['unit_id', 'state_digest', 'snapshot'])
      .where('request_id', '=', r.id)
      .where('tenant_id', '=', r.tenant_id)
      .orderBy('unit_id')
      .execute()
    return createHash('sha512')
      .update(
        canonicalJson({
          id: r.id,
          tenantId: r.tenant_id,
          analysisId: r.analysis_id,
          observations: r.observations,
          validityDays: Number(r.validity_days),
          createdBy: r.created_by,
          createdAt: r.created_at,
          units: units.map((u) => [
            u.unit_id,
            u.state_digest,
            // The frozen snapshot must still be what its digest says.
            stateDigest(fromJson<UnitState>(u.snapshot)) === u.state_digest ? 'ok' : 'snapshot-altered',
          ]),
        }),
      )
      .digest('hex')
  }

  /** Checks the stored request against its seal and against the seal the logbook recorded. */
  private async verifySeal(trx: Executor, r: EliminationRequestTable): Promise<void> {
    if (!r.seal) throw ElimErrors.tampered(r.id, 'sceau absent')
    const actual = await this.computeSeal(trx, r)
    if (actual !== r.seal) throw ElimErrors.tampered(r.id, 'contenu différent du sceau')
    const ev = await trx
      .selectFrom('logbook_event')
      .select('data')
      .where('chain', '=', r.tenant_id)
      .where('event_type', '=', 'ELIMINATION_SUBMIT')
      .where('object_id', '=', r.id)
      .orderBy('seq', 'desc')
      .executeTakeFirst()
    const logged = ev ? fromJson<{ seal?: string } | null>(ev.data)?.seal : undefined
    if (logged !== r.seal) throw ElimErrors.tampered(r.id, 'sceau différent de celui du journal')
  }

  /**
   * Nothing is destroyed without the recorded visa: the row's approval must be the one the hash-chained
   * logbook holds (same visa id, author, seal and expiry, decision approve).
   */
  private async verifyVisa(trx: Executor, r: EliminationRequestTable): Promise<void> {
    const ev = await trx
      .selectFrom('logbook_event')
      .select('data')
      .where('chain', '=', r.tenant_id)
      .where('event_type', '=', 'ELIMINATION_VISA')
      .where('object_id', '=', r.id)
      .orderBy('seq', 'desc')
      .executeTakeFirst()
    const v = ev
      ? fromJson<{
          visaId?: string
          decision?: string
          by?: string
          seal?: string
          expiresAt?: string
        } | null>(ev.data)
      : null
    if (
      !v ||
      v.decision !== 'approve' ||
      v.visaId !== r.visa_id ||
      v.by !== r.visa_by ||
      v.seal !== r.seal ||
      v.expiresAt !== r.expires_at
    )
      throw ElimErrors.visaNotRecorded(r.id)
  }

  async submit(actor: Principal, tenantId: string, id: string): Promise<EliminationRequest> {
    const tenant = await this.requireTenant(actor, tenantId)
    const control = tenant.controlledBy ? await this.deps.tenancy.findTenant(tenant.controlledBy) : undefined
    if (!control) throw ElimErrors.noControlAuthority(tenantId)
    const r0 = await this.row(this.deps.db.kysely, tenantId, id)
    if (r0.status !== 'draft') throw ElimErrors.badState(id, r0.status, ['draft'], 'soumission')
    const doc = await this.docRequest(this.deps.db.kysely, r0, tenant, control)
    const messageId = `${id}-ACAR`
    const xml = authorizationRequestXml(doc, messageId, this.now())
    const pdf = await bordereauPdf(doc)
    const stored = [
      await this.storeDocument(tenantId, id, 'bordereau.pdf', 'application/pdf', pdf),
      await this.storeDocument(
        tenantId,
        id,
        'authorization-request.xml',
        'application/xml',
        Buffer.from(xml),
      ),
    ]
    await this.deps.audit.inOperation(
      { tenantId, type: 'ELIMINATION_SUBMIT', agent: actor.id },
      async (trx) => {
        const r = await this.row(trx, tenantId, id)
        if (r.status !== 'draft') throw ElimErrors.badState(id, r.status, ['draft'], 'soumission')
        // The units must not have changed since the draft.
        const changed = await this.changedUnits(trx, r)
        if (changed.length > 0)
          throw ElimErrors.notEligible(changed.map((c) => ({ unitId: c.unitId, reasons: [c.reason] })))
        const now = this.now()
        await trx
          .updateTable('elimination_request')
          .set({ status: 'submitted', submitted_by: actor.id, submitted_at: now, updated_at: now })
          .where('id', '=', id)
          .execute()
        const seal = await this.computeSeal(trx, { ...r, status: 'submitted' })
        await trx.updateTable('elimination_request').set({ seal }).where('id', '=', id).execute()
        await this.recordDocuments(trx, tenantId, id, stored)
        return {
          result: null,
          events: [
            {
              type: 'ELIMINATION_SUBMIT',
              outcome: 'OK',
              detail: 'ELIMINATION_SUBMIT.OK',
              agent: actor.id,
              objectId: id,
              message: `Demande d'élimination ${id} soumise au visa de ${control.id} (${r.units} unité(s))`,
              data: {
                requestId: id,
                seal,
                controlAuthority: control.id,
                documents: stored.map((d) => ({ name: d.name, sha512: d.sha512, size: d.size })),
              },
            },
          ],
          summary: { requestId: id, seal },
        }
      },
    )
    return this.show(actor, tenantId, id)
  }

  /** Pending units of the request whose paper is in a box that is out (the action leaves them out). */
  private async boxesOut(
    trx: Executor,
    r: EliminationRequestTable,
    only?: readonly string[],
  ): Promise<{ unitId: string; reason: ConflictCode; detail: string }[]> {
    if (!this.deps.physical?.objectsOut) return []
    let q = trx
      .selectFrom('elimination_request_unit')
      .select(['unit_id', 'snapshot'])
      .where('request_id', '=', r.id)
      .where('tenant_id', '=', r.tenant_id)
      .where('status', '=', 'pending')
    if (only) q = q.where('unit_id', 'in', only.length ? [...only] : ['\u0000'])
    const unitOf = new Map<string, string>()
    for (const x of await q.execute())
      for (const o of fromJson<UnitState>(x.snapshot).objects)
        if (o.kind === 'physical') unitOf.set(o.id, x.unit_id)
    if (unitOf.size === 0) return []
    const out = await this.deps.physical.objectsOut(trx, r.tenant_id, [...unitOf.keys()])
    const per = new Map<string, Set<string>>()
    for (const [objectId, b] of out) {
      const u = unitOf.get(objectId)!
      per.set(u, (per.get(u) ?? new Set()).add(`${b.barcode} (demande ${b.requestId})`))
    }
    return [...per].map(([unitId, boxes]) => ({
      unitId,
      reason: 'BOX_OUT' as const,
      detail: `boîte(s) sortie(s) : ${[...boxes].join(', ')}`,
    }))
  }

  /** Units whose current state differs from the frozen one, or that no longer qualify. */
  private async changedUnits(
    trx: Executor,
    r: EliminationRequestTable,
    only?: readonly string[],
  ): Promise<{ unitId: string; reason: ConflictCode; detail: string }[]> {
    let q = trx
      .selectFrom('elimination_request_unit')
      .select(['unit_id', 'state_digest'])
      .where('request_id', '=', r.id)
      .where('tenant_id', '=', r.tenant_id)
    if (only) q = q.where('unit_id', 'in', only.length ? [...only] : ['\u0000'])
    const frozen = await q.execute()
    const ids = frozen.map((f) => f.unit_id)
    const ev = ids.length ? await this.evaluate(trx, r.tenant_id, ids) : new Map<string, Evaluated>()
    const out: { unitId: string; reason: ConflictCode; detail: string }[] = []
    for (const f of frozen) {
      const e = ev.get(f.unit_id)
      if (!e) out.push({ unitId: f.unit_id, reason: 'UNIT_GONE', detail: 'unité absente du catalogue' })
      else if (e.reasons.length > 0)
        out.push({
          unitId: f.unit_id,
          reason: e.reasons[0]!.code,
          detail: e.reasons.map((x) => x.code + (x.unitId ? ` ${x.unitId}` : '')).join(', '),
        })
      else if (stateDigest(e.state) !== f.state_digest)
        out.push({ unitId: f.unit_id, reason: 'UNIT_CHANGED', detail: 'état modifié depuis la demande' })
    }
    return out
  }

  // ── visa ──────────────────────────────────────────────────────────────────────────────────────

  async visa(
    actor: Principal,
    tenantId: string,
    id: string,
    input: { decision?: unknown; comment?: unknown },
  ): Promise<EliminationRequest> {
    const tenant = await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.read')
    // R212-14: the person in charge of the scientific and technical control, i.e. a control-authority
    // grant held on the tenant that controls this one. Nobody else, not even a platform operator.
    if (
      tenant.controlledBy === null ||
      !can(actor, tenant, 'control.visa') ||
      !actor.grants.some((g) => g.role === 'control-authority' && g.tenantId === tenant.controlledBy)
    )
      throw ElimErrors.visaForbidden(tenantId)
    if (typeof input !== 'object' || input === null) throw ElimErrors.invalid('body', 'objet attendu')
    if (input.decision !== 'approve' && input.decision !== 'refuse')
      throw ElimErrors.invalid('decision', 'approve ou refuse attendu', input.decision)
    const decision = input.decision
    const comment = text('comment', input.comment, true)!
    await this.deps.audit.inOperation(
      { tenantId, type: 'ELIMINATION_VISA', agent: actor.id },
      async (trx) => {
        const r = await this.row(trx, tenantId, id)
        if (r.status !== 'submitted') throw ElimErrors.badState(id, r.status, ['submitted'], 'visa')
        await this.verifySeal(trx, r)
        const now = this.now()
        const visaId = this.deps.ids.next()
        const expires =
          decision === 'approve'
            ? new Date(Date.parse(now) + Number(r.validity_days) * 86_400_000).toISOString()
            : null
        await trx
          .updateTable('elimination_request')
          .set({
            status: decision === 'approve' ? 'approved' : 'refused',
            visa_id: visaId,
            visa_decision: decision,
            visa_by: actor.id,
            visa_at: now,
            visa_comment: comment,
            expires_at: expires,
            updated_at: now,
          })
          .where('id', '=', id)
          .execute()
        return {
          result: null,
          events: [
            {
              type: 'ELIMINATION_VISA',
              outcome: 'OK',
              detail: `ELIMINATION_VISA.${decision === 'approve' ? 'APPROVED' : 'REFUSED'}`,
              agent: actor.id,
              objectId: id,
              message: `Visa ${visaId} de ${actor.name} (${tenant.controlledBy}) : ${decision === 'approve' ? 'élimination autorisée' : 'élimination refusée'} — ${comment}`,
              data: {
                requestId: id,
                visaId,
                decision,
                comment,
                by: actor.id,
                byName: actor.name,
                controlAuthority: tenant.controlledBy,
                seal: r.seal,
                expiresAt: expires,
              },
            },
          ],
          summary: { requestId: id, visaId, decision },
        }
      },
    )
    return this.show(actor, tenantId, id)
  }

  async cancel(actor: Principal, tenantId: string, id: string, reason: unknown): Promise<EliminationRequest> {
    await this.requireTenant(actor, tenantId)
    const why = text('reason', reason, true)!
    await this.deps.audit.inOperation(
      { tenantId, type: 'ELIMINATION_CANCEL', agent: actor.id },
      async (trx) => {
        const r = await this.row(trx, tenantId, id)
        if (!['draft', 'submitted', 'approved'].includes(r.status))
          throw ElimErrors.badState(id, r.status, ['draft', 'submitted', 'approved'], 'annulation')
        await trx
          .updateTable('elimination_request')
          .set({ status: 'cancelled', updated_at: this.now() })
          .where('id', '=', id)
          .execute()
        return {
          result: null,
          events: [
            {
              type: 'ELIMINATION_CANCEL',
              outcome: 'OK',
              detail: 'ELIMINATION_CANCEL.OK',
              agent: actor.id,
              objectId: id,
              message: `Demande ${id} annulée : ${why}`,
              data: { requestId: id, reason: why },
            },
          ],
        }
      },
    )
    return this.show(actor, tenantId, id)
  }

  // ── action ────────────────────────────────────────────────────────────────────────────────────

  /** Checks that the request can run and marks it `executing`; returns the action's operation id. */
  async startExecution(
    actor: Principal,
    tenantId: string,
    id: string,
    opts: { enqueue: boolean },
  ): Promise<{ operationId: string }> {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.manage')
    const r0 = await this.row(this.deps.db.kysely, tenantId, id)
    if (r0.status === 'executing' && r0.execution_operation_id) {
      // Resumes an interrupted action (crash): nothing new is decided.
      if (opts.enqueue)
        await this.deps.queue.enqueue(this.deps.db.kysely, ELIMINATION_EXECUTE_QUEUE, {
          tenantId,
          requestId: id,
        })
      return { operationId: r0.execution_operation_id }
    }
    if (r0.status !== 'approved') throw ElimErrors.badState(id, r0.status, ['approved'], 'exécution')
    if (r0.expires_at !== null && this.now() > r0.expires_at) {
      await this.deps.audit.inOperation(
        { tenantId, type: 'ELIMINATION_EXPIRE', agent: actor.id },
        async (trx) => {
          await trx
            .updateTable('elimination_request')
            .set({ status: 'expired', updated_at: this.now() })
            .where('id', '=', id)
            .where('status', '=', 'approved')
            .execute()
          return {
            result: null,
            events: [
              {
                type: 'ELIMINATION_EXPIRE',
                outcome: 'OK',
                detail: 'ELIMINATION_EXPIRE.OK',
                agent: actor.id,
                objectId: id,
                message: `Demande ${id} expirée le ${r0.expires_at} : une nouvelle demande et un nouveau visa sont nécessaires`,
                data: { requestId: id, expiresAt: r0.expires_at },
              },
            ],
          }
        },
      )
      throw ElimErrors.expired(id, r0.expires_at)
    }
    const { operation } = await this.deps.audit.inOperation(
      { tenantId, type: 'ELIMINATION_ACTION', agent: actor.id },
      async (trx, op) => {
        const r = await this.row(trx, tenantId, id)
        if (r.status !== 'approved') throw ElimErrors.badState(id, r.status, ['approved'], 'exécution')
        await this.verifySeal(trx, r)
        await this.verifyVisa(trx, r)
        // Per unit: still eligible and unchanged since the request, its boxes on their shelves?
        // Otherwise it is left out, logged.
        const changed = await this.changedUnits(trx, r)
        const gone = new Set(changed.map((c) => c.unitId))
        changed.push(...(await this.boxesOut(trx, r)).filter((c) => !gone.has(c.unitId)))
        for (const c of changed)
          await this.setUnitStatus(trx, id, c.unitId, {
            status: 'refused',
            reason: `${c.reason}: ${c.detail}`,
          })
        // A unit refused blocks its ancestors in the request (they would lose a descendant to keep).
        const refused = new Set(changed.map((c) => c.unitId))
        const units = await trx
          .selectFrom('elimination_request_unit')
          .select(['unit_id', 'snapshot'])
          .where('request_id', '=', id)
          .execute()
        const parentsOf = new Map(units.map((u) => [u.unit_id, fromJson<UnitState>(u.snapshot).parents]))
        let grew = true
        const blockedBy = new Map<string, string>()
        while (grew) {
          grew = false
          for (const [u, ps] of parentsOf)
            if (refused.has(u) || blockedBy.has(u))
              for (const p of ps)
                if (parentsOf.has(p) && !refused.has(p) && !blockedBy.has(p)) {
                  blockedBy.set(p, u)
                  grew = true
                }
        }
        for (const [p, u] of blockedBy)
          await this.setUnitStatus(trx, id, p, { status: 'refused', reason: `HAS_DESCENDANT_TO_KEEP: ${u}` })
        const now = this.now()
        await trx
          .updateTable('elimination_request')
          .set({ status: 'executing', executed_by: actor.id, execution_operation_id: op.id, updated_at: now })
          .where('id', '=', id)
          .execute()
        if (opts.enqueue)
          await this.deps.queue.enqueue(trx, ELIMINATION_EXECUTE_QUEUE, { tenantId, requestId: id })
        const events: Omit<NewEvent, 'operationId' | 'tenantId'>[] = [
          {
            type: 'ELIMINATION_ACTION',
            outcome: 'STARTED',
            detail: 'ELIMINATION_ACTION.STARTED',
            agent: actor.id,
            objectId: id,
            message: `Élimination ${id} lancée sous le visa ${r.visa_id} (${units.length - refused.size - blockedBy.size} unité(s) à détruire)`,
            data: { requestId: id, visaId: r.visa_id, seal: r.seal },
          },
          ...changed.map((c) => ({
            type: 'ELIMINATION_UNIT_REFUSED',
            outcome: 'WARNING' as const,
            detail: `ELIMINATION_UNIT_REFUSED.${c.reason}`,
            agent: actor.id,
            objectId: c.unitId,
            message: `Unité ${c.unitId} non détruite : ${c.detail}`,
            data: { requestId: id, reason: c.reason },
          })),
          ...[...blockedBy].map(([p, u]) => ({
            type: 'ELIMINATION_UNIT_REFUSED',
            outcome: 'WARNING' as const,
            detail: 'ELIMINATION_UNIT_REFUSED.HAS_DESCENDANT_TO_KEEP',
            agent: actor.id,
            objectId: p,
            message: `Unité ${p} non détruite : sa descendante ${u} est conservée`,
            data: { requestId: id, reason: 'HAS_DESCENDANT_TO_KEEP', descendant: u },
          })),
        ]
        return { result: null, events }
      },
    )
    // The operation stays RUNNING until the action finishes.
    await this.deps.db.kysely
      .transaction()
      .execute((trx) => this.deps.audit.updateOperation(trx, operation.id, { status: 'RUNNING' }))
    return { operationId: operation.id }
  }

  /**
   * Runs (or resumes) the action of an `executing` request: per unit, binaries deleted on every offer,
   * then in one transaction the tombstone written, the catalogue rows deleted and the unit marked
   * destroyed. A rerun after a crash only continues with the units the first run had decided.
   */
  async runExecution(payload: { tenantId: string; requestId: string }): Promise<void> {
    const { tenantId, requestId: id } = payload
    const k = this.deps.db.kysely
    const r = await this.row(k, tenantId, id)
    if (r.status === 'executed') return
    if (r.status !== 'executing' || !r.execution_operation_id)
      throw ElimErrors.badState(id, r.status, ['executing'], 'exécution')
    const opId = r.execution_operation_id
    await this.verifySeal(k, r)
    await this.verifyVisa(k, r)
    const pending = await k
      .selectFrom('elimination_request_unit')
      .select(['unit_id', 'snapshot', 'state_digest'])
      .where('request_id', '=', id)
      .where('status', '=', 'pending')
      .orderBy('unit_id')
      .execute()
    // Children before parents: a unit's catalogue row goes after its descendants'.
    const depth = new Map<string, number>()
    const snaps = new Map(pending.map((p) => [p.unit_id, fromJson<UnitState>(p.snapshot)]))
    const d = (u: string, seen = new Set<string>()): number => {
      if (depth.has(u)) return depth.get(u)!
      if (seen.has(u)) return 0
      seen.add(u)
      const ps = (snaps.get(u)?.parents ?? []).filter((p) => snaps.has(p))
      const v = ps.length === 0 ? 0 : 1 + Math.max(...ps.map((p) => d(p, seen)))
      depth.set(u, v)
      return v
    }
    const order = [...snaps.keys()].sort((a, b) => d(b) - d(a) || a.localeCompare(b))
    for (const unitId of order) {
      const snap = snaps.get(unitId)!
      // Re-check just before destroying (a hold may have been placed since the action started).
      const changed = await this.changedUnits(k, r, [unitId])
      const c = changed[0] ?? (await this.boxesOut(k, r, [unitId]))[0]
      if (c && c.reason !== 'UNIT_GONE') {
        await this.deps.db.kysely.transaction().execute(async (trx) => {
          await this.setUnitStatus(trx, id, unitId, { status: 'refused', reason: `${c.reason}: ${c.detail}` })
          await this.deps.audit.record(trx, {
            operationId: opId,
            tenantId,
            type: 'ELIMINATION_UNIT_REFUSED',
            outcome: 'WARNING',
            detail: `ELIMINATION_UNIT_REFUSED.${c.reason}`,
            agent: 'system',
            objectId: unitId,
            message: `Unité ${unitId} non détruite : ${c.detail}`,
            data: { requestId: id, reason: c.reason },
          })
        })
        continue
      }
      const offers: Record<string, string[]> = {}
      for (const o of snap.objects) {
        if (o.kind !== 'binary' || o.blobId === null) continue
        offers[o.id] = await this.deps.storage.delete(
          `${tenantId}/${o.operationId}/${o.id}`,
          `élimination ${id}, visa ${r.visa_id}`,
        )
      }
      this.deps.faultPoint?.('after-binaries', unitId)
      await this.deps.db.kysely.transaction().execute(async (trx) => {
        const now = this.now()
        await trx
          .insertInto('elimination_tombstone')
          .values({
            unit_id: unitId,
            tenant_id: tenantId,
            seda_id: snap.sedaId,
            title: snap.title,
            start_date: snap.startDate,
            end_date: snap.endDate,
            originating_agency: snap.originatingAgency,
            rules: toJson(snap.appraisal),
            objects: toJson(
              snap.objects.map((o) => ({
                id: o.id,
                kind: o.kind,
                sedaId: o.sedaId,
                usage: o.usage,
                sha512: o.sha512,
                size: o.size,
              })),
            ),
            request_id: id,
            visa_id: r.visa_id!,
            operation_id: opId,
            destroyed_at: now,
          })
          .onConflict((oc) => oc.column('unit_id').doNothing())
          .execute()
        const physicalIds = snap.objects.filter((o) => o.kind === 'physical').map((o) => o.id)
        if (physicalIds.length > 0 && this.deps.physical)
          await this.deps.physical.onObjectsDestroyed(trx, tenantId, physicalIds, {
            requestId: id,
            visaId: r.visa_id,
            operationId: opId,
          })
        await deleteUnits(trx, tenantId, [unitId], { searchIndex: this.deps.searchIndex })
        await this.setUnitStatus(trx, id, unitId, { status: 'destroyed' })
        await this.deps.audit.record(trx, {
          operationId: opId,
          tenantId,
          type: 'ELIMINATION_UNIT_DESTROYED',
          outcome: 'OK',
          detail: 'ELIMINATION_UNIT_DESTROYED.OK',
          agent: 'system',
          objectId: unitId,
          message: `Unité ${unitId} « ${snap.title} » détruite : ${snap.objects.length} objet(s) effacé(s) de toutes les offres`,
          data: {
            requestId: id,
            visaId: r.visa_id,
            objects: snap.objects.map((o) => ({
              id: o.id,
              sha512: o.sha512,
              size: o.size,
              offers: offers[o.id] ?? [],
            })),
          },
        })
      })
    }
    await this.finishExecution(tenantId, id)
  }

  private async finishExecution(tenantId: string, id: string): Promise<void> {
    const k = this.deps.db.kysely
    const r = await this.row(k, tenantId, id)
    const tenant = (await this.deps.tenancy.findTenant(tenantId))!
    const control = (await this.deps.tenancy.findTenant(tenant.controlledBy ?? ''))!
    const units = await k
      .selectFrom('elimination_request_unit')
      .select(['unit_id', 'title', 'status', 'reason', 'snapshot'])
      .where('request_id', '=', id)
      .orderBy('unit_id')
      .execute()
    const destroyedRows = units.filter((u) => u.status === 'destroyed')
    const now = this.now()
    const visa: DocVisa = { id: r.visa_id!, by: r.visa_by!, at: r.visa_at!, comment: r.visa_comment ?? '' }
    const doc = await this.docRequest(k, r, tenant, control)
    const destroyed = destroyedRows.map((u) => {
      const s = fromJson<UnitState>(u.snapshot)
      return {
        ...docUnit(s),
        objectList: s.objects.map((o) => ({ id: o.id, sha512: o.sha512, size: o.size })),
      }
    })
    const boxes = this.deps.physical
      ? await this.deps.physical.destroyedBoxes(k, tenantId, r.execution_operation_id!)
      : []
    const data: CertificateData = {
      request: doc,
      visa,
      boxes,
      operationId: r.execution_operation_id!,
      executedAt: now,
      executedBy: r.executed_by ?? 'system',
      destroyed,
      notDestroyed: units
        .filter((u) => u.status !== 'destroyed')
        .map((u) => ({ unitId: u.unit_id, title: u.title, reason: u.reason ?? u.status })),
    }
    const stored = [
      await this.storeDocument(
        tenantId,
        id,
        'certificate.json',
        'application/json',
        Buffer.from(JSON.stringify(certificateJson(data), null, 2)),
      ),
      await this.storeDocument(
        tenantId,
        id,
        'certificate.pdf',
        'application/pdf',
        await certificatePdf(data),
      ),
    ]
    if (destroyedRows.length > 0) {
      const producers = [
        ...new Set(
          destroyed.map(
            (_, i) => fromJson<UnitState>(destroyedRows[i]!.snapshot).originatingAgency ?? tenantId,
          ),
        ),
      ]
      const xml = destructionNotificationXml(
        doc,
        visa,
        destroyedRows.map((u) => u.unit_id),
        `${id}-ADN`,
        now,
        producers.length === 1 ? producers[0]! : tenantId,
      )
      stored.push(
        await this.storeDocument(tenantId, id, 'notification.xml', 'application/xml', Buffer.from(xml)),
      )
    }
    await k.transaction().execute(async (trx) => {
      const cur = await this.row(trx, tenantId, id)
      if (cur.status !== 'executing') return
      await this.recordDocuments(trx, tenantId, id, stored)
      const totals = {
        destroyed: destroyed.length,
        notDestroyed: data.notDestroyed.length,
        objects: destroyed.reduce((n, u) => n + u.objects, 0),
        bytes: destroyed.reduce((n, u) => n + u.bytes, 0),
        ...(boxes.length > 0
          ? {
              boxes: boxes.length,
              linearMetres: Math.round(boxes.reduce((n, b) => n + b.linearMetres * 1000, 0)) / 1000,
            }
          : {}),
      }
      await trx
        .updateTable('elimination_request')
        .set({ status: 'executed', executed_at: now, updated_at: now, result: toJson(totals) })
        .where('id', '=', id)
        .execute()
      const outcome = data.notDestroyed.length > 0 ? 'WARNING' : 'OK'
      await this.deps.audit.record(trx, {
        operationId: r.execution_operation_id!,
        tenantId,
        type: 'ELIMINATION_ACTION',
        outcome,
        detail: `ELIMINATION_ACTION.${outcome}`,
        agent: 'system',
        objectId: id,
        message: `Élimination ${id} exécutée : ${totals.destroyed} unité(s), ${totals.objects} objet(s), ${totals.bytes} octets détruits; certificat et notification produits`,
        data: {
          requestId: id,
          visaId: r.visa_id,
          ...totals,
          documents: stored.map((s) => ({ name: s.name, sha512: s.sha512, size: s.size })),
        },
      })
      await this.deps.audit.updateOperation(trx, r.execution_operation_id!, {
        status: outcome,
        summary: { requestId: id, ...totals },
      })
    })
  }

  /** Executes at once (CLI): decides, destroys, certifies. */
  async execute(actor: Principal, tenantId: string, id: string): Promise<EliminationRequest> {
    await this.startExecution(actor, tenantId, id, { enqueue: false })
    await this.runExecution({ tenantId, requestId: id })
    return this.show(actor, tenantId, id)
  }

  // ── documents ─────────────────────────────────────────────────────────────────────────────────

  private async docRequest(
    trx: Executor,
    r: EliminationRequestTable,
    tenant: Tenant,
    control: Tenant,
  ): Promise<DocRequest> {
    const units = await trx
      .selectFrom('elimination_request_unit')
      .select(['snapshot'])
      .where('request_id', '=', r.id)
      .orderBy('unit_id')
      .execute()
    return {
      id: r.id,
      tenant: { id: tenant.id, name: tenant.name },
      controlAuthority: { id: control.id, name: control.name },
      createdAt: r.created_at,
      createdBy: r.created_by,
      observations: r.observations,
      units: units.map((u) => docUnit(fromJson<UnitState>(u.snapshot))),
      startDate: r.start_date,
      endDate: r.end_date,
    }
  }

  private async storeDocument(
    tenantId: string,
    requestId: string,
    name: string,
    mediaType: string,
    bytes: Buffer,
  ): Promise<StoredDocument> {
    const blobId = this.deps.ids.next()
    const key = `${tenantId}/eliminations/${requestId}/${blobId}-${name}`
    const stored = await this.deps.storage.put(
      key,
      (async function* () {
        yield bytes
      })(),
    )
    return {
      name,
      key,
      blobId,
      size: stored.size,
      sha512: stored.sha512,
      mediaType,
      offers: this.deps.storage.offers.map((o) => o.id),
    }
  }

  private async recordDocuments(
    trx: Executor,
    tenantId: string,
    requestId: string,
    docs: readonly StoredDocument[],
  ): Promise<void> {
    for (const d of docs) {
      await this.deps.blobs.record(trx, tenantId, { id: d.blobId, size: d.size, sha512: d.sha512 }, d.offers)
      await trx
        .insertInto('elimination_document')
        .values({
          request_id: requestId,
          tenant_id: tenantId,
          name: d.name,
          blob_id: d.blobId,
          storage_key: d.key,
          media_type: d.mediaType,
          size: d.size,
          sha512: d.sha512,
          created_at: this.now(),
        })
        .execute()
    }
  }

  /** A stored document of the request (bordereau.pdf, authorization-request.xml, certificate.*, notification.xml). */
  async openDocument(
    actor: Principal,
    tenantId: string,
    id: string,
    name: string,
  ): Promise<{ body: NodeJS.ReadableStream; mediaType: string; size: number; sha512: string }> {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.read')
    await this.row(this.deps.db.kysely, tenantId, id)
    const d = await this.deps.db.kysely
      .selectFrom('elimination_document')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('request_id', '=', id)
      .where('name', '=', name)
      .executeTakeFirst()
    if (!d) throw ElimErrors.documentNotFound(id, name)
    const opened = await this.deps.storage.open(d.storage_key, { sha512: d.sha512, size: Number(d.size) })
    return { body: opened.body, mediaType: d.media_type, size: Number(d.size), sha512: d.sha512 }
  }

  // ── read side ─────────────────────────────────────────────────────────────────────────────────

  async show(actor: Principal, tenantId: string, id: string): Promise<EliminationRequest> {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.read')
    const k = this.deps.db.kysely
    const r = await this.row(k, tenantId, id)
    const units = await k
      .selectFrom('elimination_request_unit')
      .select(['unit_id', 'seda_id', 'title', 'status', 'reason'])
      .where('request_id', '=', id)
      .orderBy('unit_id')
      .execute()
    const docs = await k
      .selectFrom('elimination_document')
      .select(['name', 'size', 'sha512'])
      .where('request_id', '=', id)
      .orderBy('name')
      .execute()
    return {
      id: r.id,
      tenantId: r.tenant_id,
      analysisId: r.analysis_id,
      status: r.status as RequestStatus,
      observations: r.observations,
      validityDays: Number(r.validity_days),
      totals: { units: Number(r.units), objects: Number(r.objects), bytes: Number(r.bytes) },
      startDate: r.start_date,
      endDate: r.end_date,
      seal: r.seal,
      createdBy: r.created_by,
      createdAt: r.created_at,
      submittedBy: r.submitted_by,
      submittedAt: r.submitted_at,
      visa:
        r.visa_decision === null
          ? null
          : {
              id: r.visa_id,
              decision: r.visa_decision,
              by: r.visa_by!,
              at: r.visa_at!,
              comment: r.visa_comment ?? '',
            },
      expiresAt: r.expires_at,
      executedBy: r.executed_by,
      executedAt: r.executed_at,
      executionOperationId: r.execution_operation_id,
      units: units.map((u) => ({
        unitId: u.unit_id,
        sedaId: u.seda_id,
        title: u.title,
        status: u.status,
        reason: u.reason,
      })),
      documents: docs.map((d) => ({ name: d.name, size: Number(d.size), sha512: d.sha512 })),
      result: r.result === null ? null : fromJson<Record<string, unknown>>(r.result),
    }
  }

  async list(actor: Principal, tenantId: string): Promise<Omit<EliminationRequest, 'units' | 'documents'>[]> {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.read')
    const rows = await this.deps.db.kysely
      .selectFrom('elimination_request')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at', 'desc')
      .limit(500)
      .execute()
    const out = []
    for (const r of rows) {
      const { units: _u, documents: _d, ...rest } = await this.show(actor, tenantId, r.id)
      void _u
      void _d
      out.push(rest)
    }
    return out
  }

  /**
   * The control authority's inbox: `submitted` requests of every tenant controlled by a tenant on which
   * the principal holds `control-authority` (the grant `visa` requires), oldest submission first.
   */
  async pendingVisas(actor: Principal): Promise<Omit<EliminationRequest, 'units' | 'documents'>[]> {
    const controllers = [
      ...new Set(actor.grants.filter((g) => g.role === 'control-authority').map((g) => g.tenantId)),
    ]
    if (controllers.length === 0) return []
    const rows = await this.deps.db.kysely
      .selectFrom('elimination_request')
      .innerJoin('tenant', 'tenant.id', 'elimination_request.tenant_id')
      .select(['elimination_request.id as id', 'elimination_request.tenant_id as tenantId'])
      .where('tenant.controlled_by', 'in', controllers)
      .where('elimination_request.status', '=', 'submitted')
      .orderBy('elimination_request.submitted_at')
      .orderBy('elimination_request.id')
      .limit(500)
      .execute()
    const out = []
    for (const r of rows) {
      const { units: _u, documents: _d, ...rest } = await this.show(actor, r.tenantId, r.id)
      void _u
      void _d
      out.push(rest)
    }
    return out
  }

  async tombstone(actor: Principal, tenantId: string, unitId: string) {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.read')
    // No unit id holds a NUL character (PostgreSQL would refuse it in a text comparison).
    const lookup = unitId.includes('\0') ? '' : unitId
    const t = await this.deps.db.kysely
      .selectFrom('elimination_tombstone')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('unit_id', '=', lookup)
      .executeTakeFirst()
    if (!t) throw ElimErrors.unitNotFound(unitId)
    return {
      unitId: t.unit_id,
      sedaId: t.seda_id,
      title: t.title,
      startDate: t.start_date,
      endDate: t.end_date,
      originatingAgency: t.originating_agency,
      rules: fromJson<unknown>(t.rules),
      objects: fromJson<unknown>(t.objects),
      requestId: t.request_id,
      visaId: t.visa_id,
      operationId: t.operation_id,
      destroyedAt: t.destroyed_at,
    }
  }
}

function docUnit(s: UnitState): DocUnit {
  return {
    unitId: s.unitId,
    sedaId: s.sedaId,
    title: s.title,
    startDate: s.startDate,
    endDate: s.endDate,
    appraisalEndDate: s.appraisal.endDate,
    ruleIds: [...new Set(s.appraisal.rules.map((r) => r.ruleId))],
    objects: s.objects.length,
    bytes: s.objects.reduce((n, o) => n + (o.size ?? 0), 0),
  }
}

function toAnalysisUnit(e: Evaluated): AnalysisUnit {
  const s = e.state
  return {
    unitId: s.unitId,
    sedaId: s.sedaId,
    title: s.title,
    appraisalEndDate: s.appraisal.endDate,
    finalAction: s.appraisal.finalAction,
    status: e.reasons.length === 0 ? 'DESTROY' : 'CONFLICT',
    reasons: e.reasons,
    objects: s.objects.length,
    physicalObjects: s.objects.filter((o) => o.kind === 'physical').length,
    bytes: s.objects.reduce((n, o) => n + (o.size ?? 0), 0),
  }
}
