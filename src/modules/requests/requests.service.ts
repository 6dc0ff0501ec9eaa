import { AppError } from '../../platform/errors.js'
import type { Clock } from '../../platform/clock.js'
import type { IdSource } from '../../platform/ids.js'
import { fromJson, toJson, type Db, type Executor } from '../../platform/db/create-db.js'
import type { AccessRequestTable } from '../../platform/db/schema.js'
import type { AuditService, NewEvent } from '../audit/index.js'
import type { Principal } from '../tenancy/index.js'
import type { AccessContext, AccessService, UnitAccess } from '../access/index.js'

export const REQUEST_KINDS = ['communication', 'consultation', 'loan'] as const
export type RequestKind = (typeof REQUEST_KINDS)[number]
export type RequestState = 'requested' | 'approved' | 'refused' | 'delivered' | 'returned'

export interface NewRequest {
  readonly tenantId: string
  readonly kind: RequestKind
  readonly unitIds: readonly string[]
  readonly motive?: string | null
  /** Loans: the producing service (agency identifier) borrowing the units. */
  readonly service?: string | null
  /** Consultations and loans: when the units must be back (YYYY-MM-DD). */
  readonly dueDate?: string | null
  readonly accessContract?: string | null
}

export interface Decision {
  readonly reason?: string | null
  /** Needed when a unit is not communicable: the derogation granted with the approval. */
  readonly derogation?: { readonly reason: string; readonly expiresAt: string } | null
  /** Consultations and loans: sets or moves the due date. */
  readonly dueDate?: string | null
}

export interface RequestView {
  readonly id: string
  readonly tenant: string
  readonly kind: RequestKind
  readonly state: RequestState
  /** Computed: delivered (lent) and past its due date. */
  readonly overdue: boolean
  readonly requester: { readonly id: string; readonly name: string }
  readonly unitIds: readonly string[]
  readonly service: string | null
  readonly motive: string | null
  readonly dueDate: string | null
  readonly decidedBy: string | null
  readonly decisionReason: string | null
  readonly derogation: {
    readonly id: string
    readonly reason: string
    readonly decidedBy: string
    readonly expiresAt: string
    readonly expired: boolean
  } | null
  readonly history: readonly { state: string; at: string; by: string; reason?: string }[]
  readonly createdAt: string
  readonly updatedAt: string
}

const FLOW: Record<string, { from: RequestState[]; to: RequestState }> = {
  approve: { from: ['requested'], to: 'approved' },
  refuse: { from: ['requested'], to: 'refused' },
  deliver: { from: ['approved'], to: 'delivered' },
  return: { from: ['delivered'], to: 'returned' },
}

export const RequestErrors = {
  notFound: (id: string) =>
    new AppError('REQUEST_NOT_FOUND', 'not_found', `Demande inconnue : ${id}`, { requestId: id }),
  invalid: (message: string, details: Record<string, unknown> = {}) =>
    new AppError('REQUEST_INVALID', 'invalid', message, details),
  state: (id: string, action: string, state: string, expected: readonly string[]) =>
    new AppError(
      'REQUEST_STATE_CONFLICT',
      'conflict',
      `La demande ${id} est à l'état « ${state} » : « ${action} » demande l'état « ${expected.join(' » ou « ')} »`,
      { requestId: id, action, state, expected },
    ),
  neverLent: (id: string, state: string) =>
    new AppError(
      'REQUEST_NOT_LENT',
      'conflict',
      `Retour impossible : la demande ${id} n'a jamais été remise (état « ${state} ») — rien n'est sorti, rien ne peut revenir`,
      { requestId: id, state },
    ),
  notReturnable: (id: string) =>
    new AppError(
      'REQUEST_NOT_RETURNABLE',
      'conflict',
      `La demande ${id} est une communication numérique : rien n'est prêté, rien n'est à rendre`,
      { requestId: id },
    ),
  derogationRequired: (ids: readonly string[], acc: ReadonlyMap<string, UnitAccess>) =>
    new AppError(
      'REQUEST_DEROGATION_REQUIRED',
      'conflict',
      `Unité(s) non communicable(s) : une dérogation (motif, date d'expiration) doit être décidée avant l'accord : ${ids
        .map((i) => `${i} (${acc.get(i)?.from ? `communicable le ${acc.get(i)!.from}` : acc.get(i)?.status})`)
        .slice(0, 10)
        .join(', ')}`,
      {
        units: ids.slice(0, 100).map((i) => ({
          unitId: i,
          status: acc.get(i)?.status,
          communicableFrom: acc.get(i)?.from ?? null,
        })),
      },
    ),
  neverCommunicable: (ids: readonly string[]) =>
    new AppError(
      'REQUEST_NEVER_COMMUNICABLE',
      'conflict',
      `Unité(s) jamais communicable(s) (L213-2 II) : aucune dérogation possible : ${ids.slice(0, 10).join(', ')}`,
      { unitIds: ids.slice(0, 100) },
    ),
  notPhysical: (ids: readonly string[]) =>
    new AppError(
      'REQUEST_NOT_PHYSICAL',
      'invalid',
      `Consultation en salle ou prêt : ces unités n'ont aucun objet physique : ${ids.slice(0, 10).join(', ')}`,
      { unitIds: ids.slice(0, 100) },
    ),
  notProducer: (service: string, ids: readonly string[]) =>
    new AppError(
      'REQUEST_LOAN_NOT_PRODUCER',
      'forbidden',
      `Prêt administratif refusé : le service ${service} n'est pas le producteur de ${ids.slice(0, 10).join(', ')}`,
      { service, unitIds: ids.slice(0, 100) },
    ),
}

/** What the physical module does, in the same transaction, when a request's units leave or come back. */
export interface PhysicalOutingHook {
  onRequestOuting(
    trx: Executor,
    e: {
      tenantId: string
      requestId: string
      kind: string
      action: 'deliver' | 'return'
      unitIds: readonly string[]
      operationId: string
      agent: string
      service: string | null
      dueDate: string | null
    },
  ): Promise<{ boxes: string[] }>
}

const DATE = /^\d{4}-\d{2}-\d{2}$/
const validDate = (s: string) => {
  if (!DATE.test(s)) return false
  const t = Date.parse(`${s}T00:00:00Z`)
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === s
}

/**
 * Communication, reading-room consultation and administrative loan requests (docs/access.md):
 * requested → approved | refused → delivered → returned, overdue computed. Approval checks
 * communicability; a non-communicable unit needs a derogation decided with the approval (who, reason,
 * requester + units, expiry), which then opens those units to that requester until it expires.
 */
export class RequestService {
  constructor(
    private readonly deps: {
      db: Db
      audit: AuditService
      clock: Clock
      ids: IdSource
      access: AccessService
      /** The physical module: boxes go out when a consultation or loan is delivered, back when returned. */
      physical?: PhysicalOutingHook
    },
  ) {}

  private now(): string {
    return this.deps.clock.now().toISOString()
  }

  async create(principal: Principal, req: NewRequest): Promise<RequestView> {
    if (!REQUEST_KINDS.includes(req.kind))
      throw RequestErrors.invalid(
        `Type de demande inconnu : ${String(req.kind)} (${REQUEST_KINDS.join(', ')})`,
      )
    if (
      !Array.isArray(req.unitIds) ||
      req.unitIds.length === 0 ||
      req.unitIds.length > 1000 ||
      req.unitIds.some((u) => typeof u !== 'string' || u === '')
    )
      throw RequestErrors.invalid('unitIds : une liste de 1 à 1000 identifiants d’unités')
    if (
      req.motive !== undefined &&
      req.motive !== null &&
      (typeof req.motive !== 'string' || req.motive.length > 2000)
    )
      throw RequestErrors.invalid('Motif invalide (2000 caractères au plus)')
    if (req.dueDate !== undefined && req.dueDate !== null) {
      if (req.kind === 'communication')
        throw RequestErrors.invalid("Une communication numérique n'a pas de date de retour")
      if (typeof req.dueDate !== 'string' || !validDate(req.dueDate))
        throw RequestErrors.invalid(`Date de retour invalide : ${String(req.dueDate)} (AAAA-MM-JJ)`)
    }
    if (req.kind === 'loan' && (typeof req.service !== 'string' || req.service === ''))
      throw RequestErrors.invalid('Un prêt administratif nomme le service producteur emprunteur (service)')
    if (req.kind !== 'loan' && req.service)
      throw RequestErrors.invalid('Seul un prêt administratif nomme un service emprunteur')
    const ctx = await this.deps.access.context(principal, req.tenantId, req.accessContract ?? null)
    const ids = [...new Set(req.unitIds)]
    // A unit the requester may not see (outside its contract, unknown, another tenant's) is not found.
    const seen = await this.deps.access.inScope(ctx, ids)
    const missing = ids.filter((i) => !seen.has(i))
    if (missing.length > 0)
      throw new AppError(
        'UNIT_NOT_FOUND',
        'not_found',
        `Unité(s) d'archives inconnue(s) : ${missing.slice(0, 10).join(', ')}`,
        { unitIds: missing.slice(0, 100) },
      )
    if (req.kind !== 'communication') {
      const phys = await this.physicalUnits(ctx.tenantId, ids)
      const none = ids.filter((i) => !phys.has(i))
      if (none.length > 0) throw RequestErrors.notPhysical(none)
    }
    if (req.kind === 'loan') await this.checkProducer(ctx.tenantId, req.service!, ids)
    const id = this.deps.ids.next()
    const now = this.now()
    const row: AccessRequestTable = {
      id,
      tenant_id: req.tenantId,
      kind: req.kind,
      state: 'requested',
      requester_id: principal.id,
      requester_name: principal.name,
      service: req.service ?? null,
      motive: req.motive ?? null,
      due_date: req.dueDate ?? null,
      decided_by: null,
      decision_reason: null,
      derogation_id: null,
      history: toJson([{ state: 'requested', at: now, by: principal.id }]),
      created_at: now,
      updated_at: now,
    }
    await this.deps.audit.inOperation(
      { tenantId: req.tenantId, type: 'REQUEST_CREATE', agent: principal.id },
      async (trx) => {
        await trx.insertInto('access_request').values(row).execute()
        for (const u of ids)
          await trx
            .insertInto('access_request_unit')
            .values({ request_id: id, tenant_id: req.tenantId, unit_id: u })
            .execute()
        return {
          result: undefined,
          events: [
            this.event(row, 'REQUEST_CREATE', principal, `Demande de ${req.kind} : ${ids.length} unité(s)`, {
              unitIds: ids,
              contract: ctx.contract.identifier,
            }),
          ],
        }
      },
    )
    return this.show(principal, req.tenantId, id)
  }

  private event(
    r: AccessRequestTable,
    type: string,
    principal: Principal,
    message: string,
    data: Record<string, unknown> = {},
  ): Omit<NewEvent, 'operationId' | 'tenantId'> & { operationId?: string } {
    return {
      type,
      outcome: 'OK',
      detail: `${type}.OK`,
      agent: principal.id,
      objectId: r.id,
      message,
      data: { requestId: r.id, kind: r.kind, requester: r.requester_id, ...data },
    }
  }

  private async physicalUnits(tenantId: string, ids: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>()
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.deps.db.kysely
        .selectFrom('archive_unit')
        .innerJoin('data_object', (j) =>
          j
            .onRef('data_object.group_id', '=', 'archive_unit.object_group_id')
            .onRef('data_object.tenant_id', '=', 'archive_unit.tenant_id'),
        )
        .select('archive_unit.id')
        .where('archive_unit.tenant_id', '=', tenantId)
        .where('archive_unit.id', 'in', ids.slice(i, i + 500))
        .where('data_object.kind', '=', 'physical')
        .execute()
      for (const r of rows) out.add(r.id)
    }
    return out
  }

  private async checkProducer(tenantId: string, service: string, ids: readonly string[]): Promise<void> {
    const bad: string[] = []
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.deps.db.kysely
        .selectFrom('archive_unit')
        .select(['id', 'originating_agency'])
        .where('tenant_id', '=', tenantId)
        .where('id', 'in', ids.slice(i, i + 500))
        .execute()
      for (const r of rows) if (r.originating_agency !== service) bad.push(r.id)
    }
    if (bad.length > 0) throw RequestErrors.notProducer(service, bad)
  }

  private async row(tenantId: string, id: string, trx?: Executor): Promise<AccessRequestTable> {
    const r = await (trx ?? this.deps.db.kysely)
      .selectFrom('access_request')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst()
    if (!r) throw RequestErrors.notFound(id)
    return r
  }

  private async unitsOf(tenantId: string, id: string): Promise<string[]> {
    return (
      await this.deps.db.kysely
        .selectFrom('access_request_unit')
        .select('unit_id')
        .where('tenant_id', '=', tenantId)
        .where('request_id', '=', id)
        .orderBy('unit_id')
        .execute()
    ).map((r) => r.unit_id)
  }

  /** Those who manage the tenant see every request; others only their own (another's: not found). */
  private async visible(ctx: AccessContext, id: string): Promise<AccessRequestTable> {
    const r = await this.row(ctx.tenantId, id)
    if (!ctx.manage && r.requester_id !== ctx.principal.id) throw RequestErrors.notFound(id)
    return r
  }

  async show(principal: Principal, tenantId: string, id: string): Promise<RequestView> {
    const ctx = await this.deps.access.context(principal, tenantId)
    return this.view(await this.visible(ctx, id))
  }

  async list(
    principal: Principal,
    tenantId: string,
    opts: { state?: string; kind?: string; overdue?: boolean } = {},
  ): Promise<RequestView[]> {
    const ctx = await this.deps.access.context(principal, tenantId)
    let q = this.deps.db.kysely.selectFrom('access_request').selectAll().where('tenant_id', '=', tenantId)
    if (!ctx.manage) q = q.where('requester_id', '=', principal.id)
    if (opts.state) q = q.where('state', '=', opts.state)
    if (opts.kind) q = q.where('kind', '=', opts.kind)
    if (opts.overdue) q = q.where('state', '=', 'delivered').where('due_date', '<', this.now().slice(0, 10))
    const rows = await q.orderBy('created_at').orderBy('id').limit(1000).execute()
    const out: RequestView[] = []
    for (const r of rows) out.push(await this.view(r))
    return out
  }

  /** Requests naming these units (the physical module derives each box's outings from it). */
  async requestsForUnits(tenantId: string, unitIds: readonly string[]): Promise<RequestView[]> {
    const ids = new Set<string>()
    for (let i = 0; i < unitIds.length; i += 500)
      for (const r of await this.deps.db.kysely
        .selectFrom('access_request_unit')
        .select('request_id')
        .where('tenant_id', '=', tenantId)
        .where('unit_id', 'in', unitIds.slice(i, i + 500))
        .execute())
        ids.add(r.request_id)
    const out: RequestView[] = []
    for (const id of [...ids].sort()) out.push(await this.view(await this.row(tenantId, id)))
    return out
  }

  async approve(principal: Principal, tenantId: string, id: string, d: Decision = {}): Promise<RequestView> {
    return this.transition(principal, tenantId, id, 'approve', d)
  }

  async refuse(principal: Principal, tenantId: string, id: string, reason: string): Promise<RequestView> {
    if (typeof reason !== 'string' || reason.trim() === '')
      throw RequestErrors.invalid('Un refus doit être motivé (reason)')
    return this.transition(principal, tenantId, id, 'refuse', { reason })
  }

  async deliver(principal: Principal, tenantId: string, id: string, d: Decision = {}): Promise<RequestView> {
    return this.transition(principal, tenantId, id, 'deliver', d)
  }

  async return(principal: Principal, tenantId: string, id: string, d: Decision = {}): Promise<RequestView> {
    return this.transition(principal, tenantId, id, 'return', d)
  }

  private async transition(
    principal: Principal,
    tenantId: string,
    id: string,
    action: keyof typeof FLOW,
    d: Decision,
  ): Promise<RequestView> {
    const ctx = await this.deps.access.context(principal, tenantId)
    if (!ctx.manage)
      throw new AppError(
        'FORBIDDEN',
        'forbidden',
        'Seul un archiviste du service décide des demandes et de leurs remises',
        { permission: 'archive.manage' },
      )
    const r = await this.row(tenantId, id)
    const flow = FLOW[action]!
    if (action === 'return' && r.kind === 'communication') throw RequestErrors.notReturnable(id)
    if (action === 'return' && ['requested', 'approved', 'refused'].includes(r.state))
      throw RequestErrors.neverLent(id, r.state)
    if (!flow.from.includes(r.state as RequestState))
      throw RequestErrors.state(id, action, r.state, flow.from)
    if (
      d.reason !== undefined &&
      d.reason !== null &&
      (typeof d.reason !== 'string' || d.reason.length > 2000)
    )
      throw RequestErrors.invalid('Motif invalide (2000 caractères au plus)')
    if (d.dueDate !== undefined && d.dueDate !== null) {
      if (r.kind === 'communication')
        throw RequestErrors.invalid("Une communication numérique n'a pas de date de retour")
      if (typeof d.dueDate !== 'string' || !validDate(d.dueDate))
        throw RequestErrors.invalid(`Date de retour invalide : ${String(d.dueDate)} (AAAA-MM-JJ)`)
    }
    const units = await this.unitsOf(tenantId, id)
    const now = this.now()
    let derogation: { id: string; reason: string; expiresAt: string } | null = null
    if (action === 'approve') {
      // Communicability is judged for the requester, not for the archivist deciding.
      const reqCtx: AccessContext = {
        ...ctx,
        manage: false,
        exempt: false,
        principal: { id: r.requester_id, kind: 'user', name: r.requester_name, grants: [] },
      }
      const acc = await this.deps.access.unitAccess(reqCtx, units)
      const closed = units.filter((u) => !acc.get(u)!.communicable)
      const never = closed.filter((u) => acc.get(u)!.status === 'never')
      if (r.kind === 'loan') {
        // Administrative loans: the producing service has access to its own records (L213-4): no delay.
      } else if (never.length > 0) throw RequestErrors.neverCommunicable(never)
      else if (closed.length > 0) {
        if (!d.derogation) throw RequestErrors.derogationRequired(closed, acc)
        const dg = d.derogation
        if (typeof dg.reason !== 'string' || dg.reason.trim() === '')
          throw RequestErrors.invalid('Une dérogation doit être motivée (derogation.reason)')
        if (typeof dg.expiresAt !== 'string' || Number.isNaN(Date.parse(dg.expiresAt)))
          throw RequestErrors.invalid(`Date d'expiration de la dérogation invalide : ${String(dg.expiresAt)}`)
        const exp = new Date(Date.parse(dg.expiresAt)).toISOString()
        if (exp <= now)
          throw RequestErrors.invalid(`La dérogation expirerait avant d'avoir servi (${exp})`, {
            expiresAt: exp,
          })
        derogation = { id: this.deps.ids.next(), reason: dg.reason, expiresAt: exp }
      } else if (d.derogation) {
        throw RequestErrors.invalid('Toutes les unités sont communicables : aucune dérogation à accorder')
      }
    }
    const history = [
      ...fromJson<RequestView['history'][number][]>(r.history),
      { state: flow.to, at: now, by: principal.id, ...(d.reason ? { reason: d.reason } : {}) },
    ]
    await this.deps.audit.inOperation(
      { tenantId, type: `REQUEST_${action.toUpperCase()}`, agent: principal.id },
      async (trx, op) => {
        const upd = await trx
          .updateTable('access_request')
          .set({
            state: flow.to,
            updated_at: now,
            history: toJson(history),
            ...(action === 'approve' || action === 'refuse'
              ? { decided_by: principal.id, decision_reason: d.reason ?? null }
              : {}),
            ...(derogation ? { derogation_id: derogation.id } : {}),
            ...(d.dueDate ? { due_date: d.dueDate } : {}),
          })
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .where('state', '=', r.state)
          .executeTakeFirst()
        if (Number(upd.numUpdatedRows) !== 1)
          throw RequestErrors.state(id, action, 'modifié entre-temps', flow.from)
        let boxes: string[] = []
        if ((action === 'deliver' || action === 'return') && r.kind !== 'communication' && this.deps.physical)
          boxes = (
            await this.deps.physical.onRequestOuting(trx, {
              tenantId,
              requestId: id,
              kind: r.kind,
              action,
              unitIds: units,
              operationId: op.id,
              agent: principal.id,
              service: r.service,
              dueDate: d.dueDate ?? r.due_date,
            })
          ).boxes
        const events = [
          this.event(
            r,
            `REQUEST_${action.toUpperCase()}`,
            principal,
            `Demande ${id} : ${r.state} → ${flow.to}${d.reason ? ` (${d.reason})` : ''}`,
            {
              from: r.state,
              to: flow.to,
              reason: d.reason ?? null,
              unitIds: units,
              ...(boxes.length > 0 ? { boxes } : {}),
            },
          ),
        ]
        if (derogation) {
          await trx
            .insertInto('derogation')
            .values({
              id: derogation.id,
              tenant_id: tenantId,
              request_id: id,
              principal_id: r.requester_id,
              reason: derogation.reason,
              decided_by: principal.id,
              expires_at: derogation.expiresAt,
              created_at: now,
            })
            .execute()
          for (const u of units)
            await trx
              .insertInto('derogation_unit')
              .values({
                derogation_id: derogation.id,
                tenant_id: tenantId,
                principal_id: r.requester_id,
                unit_id: u,
                expires_at: derogation.expiresAt,
              })
              .execute()
          events.push(
            this.event(
              r,
              'DEROGATION_GRANT',
              principal,
              `Dérogation accordée à ${r.requester_name} pour ${units.length} unité(s) jusqu'au ${derogation.expiresAt} : ${derogation.reason}`,
              {
                derogationId: derogation.id,
                principalId: r.requester_id,
                unitIds: units,
                expiresAt: derogation.expiresAt,
                reason: derogation.reason,
              },
            ),
          )
        }
        return { result: undefined, events }
      },
    )
    return this.view(await this.row(tenantId, id))
  }

  private async view(r: AccessRequestTable): Promise<RequestView> {
    const now = this.now()
    const dg = r.derogation_id
      ? await this.deps.db.kysely
          .selectFrom('derogation')
          .selectAll()
          .where('tenant_id', '=', r.tenant_id)
          .where('id', '=', r.derogation_id)
          .executeTakeFirst()
      : undefined
    return {
      id: r.id,
      tenant: r.tenant_id,
      kind: r.kind as RequestKind,
      state: r.state as RequestState,
      overdue: r.state === 'delivered' && r.due_date !== null && r.due_date < now.slice(0, 10),
      requester: { id: r.requester_id, name: r.requester_name },
      unitIds: await this.unitsOf(r.tenant_id, r.id),
      service: r.service,
      motive: r.motive,
      dueDate: r.due_date,
      decidedBy: r.decided_by,
      decisionReason: r.decision_reason,
      derogation: dg
        ? {
            id: dg.id,
            reason: dg.reason,
            decidedBy: dg.decided_by,
            expiresAt: dg.expires_at,
            expired: dg.expires_at <= now,
          }
        : null,
      history: fromJson(r.history),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }
  }
}
