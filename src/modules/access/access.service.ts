import type { Visibility } from '../search/index.js'
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely'
import { AppError } from '../../platform/errors.js'
import type { Clock } from '../../platform/clock.js'
import type { Db, Executor } from '../../platform/db/create-db.js'
import type { Schema } from '../../platform/db/schema.js'
import { can, type Principal, type TenancyService, type Tenant } from '../tenancy/index.js'
import type { JsonEntry } from '../referential/index.js'
import type { AuditService } from '../audit/index.js'
import type { AccessLog } from './access-log.js'

/** The contract a principal reads under when nothing else is said (docs/access.md). */
export const DEFAULT_ACCESS_CONTRACT = 'AC-DEFAUT'
/** The route where a reader asks for a derogation (INTERFACES-style hint in 403 answers). */
export const REQUEST_ROUTE = '/api/v1/requests'

/** What an access contract allows, from its Vitam JSON. `identifier` '*': no contract (administrators). */
export interface ContractScope {
  readonly identifier: string
  readonly everyAgency: boolean
  readonly agencies: readonly string[]
  readonly rootUnits: readonly string[]
  readonly excludedRootUnits: readonly string[]
  readonly everyUsage: boolean
  readonly usages: readonly string[]
  readonly write: boolean
}

export interface AccessContext {
  readonly tenantId: string
  readonly principal: Principal
  readonly contract: ContractScope
  /** Archivists (archive.manage) see every unit of their contract, communicable or not. */
  readonly manage: boolean
  /**
   * Communicability delays (L213-1, L213-2) govern access by the public: archivists and the producing
   * service itself (ingest.submit on the tenant) read their contract's units whether communicable or not.
   */
  readonly exempt: boolean
  /** ISO instant the checks are made at. */
  readonly now: string
}

export interface UnitAccess {
  readonly communicable: boolean
  readonly status: string
  readonly from: string | null
  readonly legalBasis: string | null
  /** The derogation that opens the unit to this principal, if any. */
  readonly derogationId: string | null
  readonly derogationExpiresAt: string | null
}

export type UnitWhere = (eb: ExpressionBuilder<Schema, 'archive_unit'>) => Expression<SqlBool>

const FULL_SCOPE: ContractScope = {
  identifier: '*',
  everyAgency: true,
  agencies: [],
  rootUnits: [],
  excludedRootUnits: [],
  everyUsage: true,
  usages: [],
  write: true,
}

export const AccessErrors = {
  unitNotFound: (id: string) =>
    new AppError('UNIT_NOT_FOUND', 'not_found', `Unité d'archives inconnue : ${id}`, { unitId: id }),
  objectNotFound: (id: string) =>
    new AppError('OBJECT_NOT_FOUND', 'not_found', `Objet inconnu : ${id}`, { objectId: id }),
  contractRequired: (bound: readonly string[]) =>
    new AppError(
      'ACCESS_CONTRACT_REQUIRED',
      bound.length > 0 ? 'invalid' : 'forbidden',
      bound.length > 0
        ? `Plusieurs contrats d'accès vous sont attribués (${bound.join(', ')}) : précisez-en un (en-tête X-Access-Contract-Id ou --access-contract)`
        : `Aucun contrat d'accès ne vous est attribué dans ce service et le contrat par défaut ${DEFAULT_ACCESS_CONTRACT} n'existe pas`,
      { boundContracts: bound },
    ),
  contractNotAllowed: (id: string) =>
    new AppError(
      'ACCESS_CONTRACT_NOT_ALLOWED',
      'forbidden',
      `Le contrat d'accès « ${id} » ne vous est pas attribué`,
      { contract: id },
    ),
  contractUnknown: (id: string) =>
    new AppError(
      'ACCESS_CONTRACT_UNKNOWN',
      'forbidden',
      `Contrat d'accès inconnu dans ce service : « ${id} »`,
      { contract: id },
    ),
  contractInactive: (id: string) =>
    new AppError('ACCESS_CONTRACT_INACTIVE', 'forbidden', `Le contrat d'accès « ${id} » est inactif`, {
      contract: id,
    }),
  usageForbidden: (usage: string, contract: string, objectId?: string) =>
    new AppError(
      'ACCESS_USAGE_FORBIDDEN',
      'forbidden',
      `Le contrat d'accès « ${contract} » n'ouvre pas l'usage ${usage}`,
      { usage, contract, ...(objectId ? { objectId } : {}) },
    ),
  writeForbidden: (contract: string) =>
    new AppError(
      'ACCESS_WRITE_FORBIDDEN',
      'forbidden',
      `Le contrat d'accès « ${contract} » n'autorise pas la modification des métadonnées`,
      { contract },
    ),
  notCommunicable: (what: 'unit' | 'object', id: string, a: UnitAccess, unitIds: readonly string[]) => {
    const label = what === 'unit' ? `L'unité d'archives ${id}` : `L'objet ${id}`
    const when =
      a.status === 'never'
        ? "n'est jamais communicable"
        : a.status === 'date'
          ? `n'est pas communicable avant le ${a.from}`
          : a.derogationExpiresAt
            ? `n'est plus communicable (dérogation expirée le ${a.derogationExpiresAt})`
            : "n'a pas de date de communicabilité connue"
    const how =
      a.status === 'never'
        ? ''
        : ` : demandez une dérogation (POST ${REQUEST_ROUTE}, kind « communication », unitIds ${JSON.stringify(unitIds)})`
    return new AppError(
      what === 'unit' ? 'UNIT_NOT_COMMUNICABLE' : 'OBJECT_NOT_COMMUNICABLE',
      'forbidden',
      `${label} ${when}${a.legalBasis ? ` (${a.legalBasis})` : ''}${how}`,
      {
        [what === 'unit' ? 'unitId' : 'objectId']: id,
        status: a.status,
        communicableFrom: a.from,
        legalBasis: a.legalBasis,
        ...(a.derogationExpiresAt ? { derogationExpiredAt: a.derogationExpiresAt } : {}),
        derogation:
          a.status === 'never'
            ? null
            : { method: 'POST', href: REQUEST_ROUTE, body: { kind: 'communication', unitIds } },
      },
    )
  },
}

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []

export function scopeOf(entry: JsonEntry): ContractScope {
  const b = entry.body
  return {
    identifier: entry.identifier,
    everyAgency: b.EveryOriginatingAgency === true,
    agencies: strings(b.OriginatingAgencies),
    rootUnits: strings(b.RootUnits),
    excludedRootUnits: strings(b.ExcludedRootUnits),
    everyUsage: b.EveryDataObjectVersion === true,
    usages: strings(b.DataObjectVersion),
    write: b.WritingPermission === true,
  }
}

/** `BinaryMaster_1` → `BinaryMaster`. */
export const usageBase = (usage: string | null): string => (usage ?? 'BinaryMaster').replace(/_\d+$/, '')

const branchOf = (tenantId: string, roots: readonly string[]) =>
  sql`with recursive br(id) as (select id from archive_unit where tenant_id = ${tenantId} and id in (${sql.join(
    roots,
  )}) union select p.unit_id from unit_parent p inner join br on p.parent_id = br.id where p.tenant_id = ${tenantId}) select id from br`

/** Contracts bound to principals, scope checks and filters for every read path (docs/access.md). */
export class AccessService {
  constructor(
    private readonly deps: {
      db: Db
      clock: Clock
      tenancy: TenancyService
      audit: AuditService
      referential: { get(tenantId: string, kind: 'access-contracts', id: string): Promise<JsonEntry> }
      log: AccessLog
    },
  ) {}

  get log(): AccessLog {
    return this.deps.log
  }

  private get k() {
    return this.deps.db.kysely
  }

  /** The contracts bound to a principal in a tenant. */
  async bindings(tenantId: string, principalId: string): Promise<string[]> {
    return (
      await this.k
        .selectFrom('access_contract_binding')
        .select('contract_id')
        .where('tenant_id', '=', tenantId)
        .where('principal_id', '=', principalId)
        .orderBy('contract_id')
        .execute()
    ).map((r) => r.contract_id)
  }

  /** Every binding of a tenant, one entry per principal (for the contracts screen). */
  async listBindings(tenantId: string): Promise<{ principalId: string; contracts: string[] }[]> {
    const rows = await this.k
      .selectFrom('access_contract_binding')
      .select(['principal_id', 'contract_id'])
      .where('tenant_id', '=', tenantId)
      .orderBy('principal_id')
      .orderBy('contract_id')
      .execute()
    const out = new Map<string, string[]>()
    for (const r of rows) out.set(r.principal_id, [...(out.get(r.principal_id) ?? []), r.contract_id])
    return [...out].map(([principalId, contracts]) => ({ principalId, contracts }))
  }

  /** Binds (or with `contracts` empty, unbinds) a principal's access contracts in a tenant; logged. */
  async bind(actor: Principal, tenantId: string, principalId: string, contracts: readonly string[]) {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'principal.manage')
    if (typeof principalId !== 'string' || principalId === '')
      throw new AppError('ACCESS_BINDING_INVALID', 'invalid', 'Principal (utilisateur ou clé) manquant', {})
    for (const c of contracts) {
      const e = await this.deps.referential.get(tenantId, 'access-contracts', c).catch(() => null)
      if (!e) throw AccessErrors.contractUnknown(c)
    }
    const audit = this.deps.audit
    const now = this.deps.clock.now().toISOString()
    await audit.inOperation({ tenantId, type: 'ACCESS_CONTRACT_BIND', agent: actor.id }, async (trx) => {
      await trx
        .deleteFrom('access_contract_binding')
        .where('tenant_id', '=', tenantId)
        .where('principal_id', '=', principalId)
        .execute()
      for (const c of [...new Set(contracts)])
        await trx
          .insertInto('access_contract_binding')
          .values({ tenant_id: tenantId, principal_id: principalId, contract_id: c, created_at: now })
          .execute()
      return {
        result: undefined,
        events: [
          {
            type: 'ACCESS_CONTRACT_BIND',
            outcome: 'OK' as const,
            detail: 'ACCESS_CONTRACT_BIND.OK',
            agent: actor.id,
            objectId: principalId,
            message: `Contrats d'accès de ${principalId} : ${contracts.length > 0 ? contracts.join(', ') : '(aucun : contrat par défaut)'}`,
            data: { principalId, contracts },
          },
        ],
      }
    })
    return { tenantId, principalId, contracts: [...new Set(contracts)].sort() }
  }

  /**
   * The access context of a principal in a tenant: which contract (the one named, which must be bound
   * to the principal unless it manages the tenant; else its only bound contract; else AC-DEFAUT), and
   * whether communicability applies (it does unless the principal has archive.manage).
   */
  async context(principal: Principal, tenantId: string, contractId?: string | null): Promise<AccessContext> {
    const tenant: Tenant = await this.deps.tenancy.requireAccess(principal, tenantId, 'archive.read')
    const manage = can(principal, tenant, 'archive.manage')
    const bound = await this.bindings(tenantId, principal.id)
    let id: string
    if (contractId) {
      if (!manage && !(bound.length === 0 ? [DEFAULT_ACCESS_CONTRACT] : bound).includes(contractId))
        throw AccessErrors.contractNotAllowed(contractId)
      id = contractId
    } else if (bound.length === 1) id = bound[0]!
    else if (bound.length > 1) throw AccessErrors.contractRequired(bound)
    else id = DEFAULT_ACCESS_CONTRACT
    const entry = await this.deps.referential.get(tenantId, 'access-contracts', id).catch(() => null)
    let contract: ContractScope
    if (!entry) {
      // A tenant without the default contract (a new one): those who manage it still read everything.
      if (manage && !contractId && bound.length === 0) contract = FULL_SCOPE
      else if (contractId || bound.length > 0) throw AccessErrors.contractUnknown(id)
      else throw AccessErrors.contractRequired([])
    } else {
      if (entry.status !== 'ACTIVE') throw AccessErrors.contractInactive(id)
      contract = scopeOf(entry)
    }
    const exempt = manage || can(principal, tenant, 'ingest.submit')
    return { tenantId, principal, contract, manage, exempt, now: this.deps.clock.now().toISOString() }
  }

  /** Units inside the contract (producers, branches); no communicability. */
  scopeWhere(ctx: AccessContext): UnitWhere {
    const c = ctx.contract
    return (eb) => {
      const parts: Expression<SqlBool>[] = []
      if (!c.everyAgency)
        parts.push(
          c.agencies.length === 0
            ? sql<SqlBool>`1 = 0`
            : eb('archive_unit.originating_agency', 'in', [...c.agencies]),
        )
      if (c.rootUnits.length > 0)
        parts.push(sql<SqlBool>`archive_unit.id in (${branchOf(ctx.tenantId, c.rootUnits)})`)
      if (c.excludedRootUnits.length > 0)
        parts.push(sql<SqlBool>`archive_unit.id not in (${branchOf(ctx.tenantId, c.excludedRootUnits)})`)
      return parts.length === 0 ? sql<SqlBool>`1 = 1` : eb.and(parts)
    }
  }

  /** The same visibility as `visibleWhere`, in the search module's terms (search, facets, tree). */
  visibilityOf(ctx: AccessContext): Visibility {
    const c = ctx.contract
    return {
      ...(c.everyAgency ? {} : { producers: [...c.agencies] }),
      ...(c.rootUnits.length > 0 ? { branchRoots: [...c.rootUnits] } : {}),
      ...(c.excludedRootUnits.length > 0 ? { excludedBranchRoots: [...c.excludedRootUnits] } : {}),
      ...(ctx.exempt
        ? {}
        : { communicableOnly: true, derogationFor: { principalId: ctx.principal.id, now: ctx.now } }),
    }
  }

  /** Units this principal may see: the contract's, and, for readers, only communicable or derogated ones. */
  visibleWhere(ctx: AccessContext): UnitWhere {
    const scope = this.scopeWhere(ctx)
    if (ctx.exempt) return scope
    const today = ctx.now.slice(0, 10)
    return (eb) =>
      eb.and([
        scope(eb),
        eb.or([
          eb.exists(
            eb
              .selectFrom('unit_lifecycle')
              .select('unit_lifecycle.unit_id')
              .whereRef('unit_lifecycle.unit_id', '=', 'archive_unit.id')
              .where('unit_lifecycle.tenant_id', '=', ctx.tenantId)
              .where((e) =>
                e.or([
                  e('unit_lifecycle.communicability', '=', 'immediate'),
                  e.and([
                    e('unit_lifecycle.communicability', '=', 'date'),
                    e('unit_lifecycle.communicable_from', '<=', today),
                  ]),
                ]),
              ),
          ),
          eb.exists(
            eb
              .selectFrom('derogation_unit')
              .select('derogation_unit.unit_id')
              .whereRef('derogation_unit.unit_id', '=', 'archive_unit.id')
              .where('derogation_unit.tenant_id', '=', ctx.tenantId)
              .where('derogation_unit.principal_id', '=', ctx.principal.id)
              .where('derogation_unit.expires_at', '>', ctx.now),
          ),
        ]),
      ])
  }

  /** The ids of `ids` inside the contract (unknown and other tenants' ids are simply absent). */
  async inScope(ctx: AccessContext, ids: readonly string[], trx?: Executor): Promise<Set<string>> {
    const out = new Set<string>()
    const where = this.scopeWhere(ctx)
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await (trx ?? this.k)
        .selectFrom('archive_unit')
        .select('archive_unit.id')
        .where('archive_unit.tenant_id', '=', ctx.tenantId)
        .where('archive_unit.id', 'in', ids.slice(i, i + 500))
        .where(where)
        .execute()
      for (const r of rows) out.add(r.id)
    }
    return out
  }

  /** Communicability of units for this principal now (derogations included). Units must exist. */
  async unitAccess(ctx: AccessContext, ids: readonly string[]): Promise<Map<string, UnitAccess>> {
    const out = new Map<string, UnitAccess>()
    const today = ctx.now.slice(0, 10)
    for (let i = 0; i < ids.length; i += 500) {
      const slice = ids.slice(i, i + 500)
      const life = await this.k
        .selectFrom('unit_lifecycle')
        .select(['unit_id', 'communicability', 'communicable_from', 'legal_basis'])
        .where('tenant_id', '=', ctx.tenantId)
        .where('unit_id', 'in', slice)
        .execute()
      const dero = await this.k
        .selectFrom('derogation_unit')
        .select(['unit_id', 'derogation_id', 'expires_at'])
        .where('tenant_id', '=', ctx.tenantId)
        .where('principal_id', '=', ctx.principal.id)
        .where('unit_id', 'in', slice)
        .orderBy('expires_at', 'desc')
        .execute()
      const byUnit = new Map(life.map((l) => [l.unit_id, l]))
      for (const id of slice) {
        const l = byUnit.get(id)
        const status = l?.communicability ?? 'unknown'
        const from = l?.communicable_from ?? null
        const open = status === 'immediate' || (status === 'date' && from !== null && from <= today)
        const d = dero.filter((x) => x.unit_id === id)
        const live = d.find((x) => x.expires_at > ctx.now) ?? null
        out.set(id, {
          communicable: open || live !== null,
          status,
          from,
          legalBasis: l?.legal_basis ?? null,
          derogationId: open ? null : (live?.derogation_id ?? null),
          derogationExpiresAt: open ? null : (live?.expires_at ?? d[0]?.expires_at ?? null),
        })
      }
    }
    return out
  }

  /**
   * Checks a unit's record may be consulted: outside the contract (or unknown, or another tenant's) →
   * UNIT_NOT_FOUND; a reader and a non-communicable unit without a live derogation → 403 with the date.
   */
  async checkUnit(ctx: AccessContext, unitId: string): Promise<UnitAccess> {
    if (!(await this.inScope(ctx, [unitId])).has(unitId)) throw AccessErrors.unitNotFound(unitId)
    const a = (await this.unitAccess(ctx, [unitId])).get(unitId)!
    if (!ctx.exempt && !a.communicable) throw AccessErrors.notCommunicable('unit', unitId, a, [unitId])
    return a
  }

  /**
   * Checks an object may be read: none of its units inside the contract → OBJECT_NOT_FOUND; usage outside
   * the contract → ACCESS_USAGE_FORBIDDEN; a reader and a unit of the object not communicable (nor
   * derogated) → OBJECT_NOT_COMMUNICABLE with the date.
   */
  async checkObject(
    ctx: AccessContext,
    o: { id: string; usage: string | null; unitIds: readonly string[] },
  ): Promise<{ derogationIds: string[] }> {
    const visible = [...(await this.inScope(ctx, o.unitIds))]
    if (visible.length === 0) throw AccessErrors.objectNotFound(o.id)
    this.checkUsage(ctx, o.usage, o.id)
    const derogationIds: string[] = []
    if (!ctx.exempt) {
      const acc = await this.unitAccess(ctx, o.unitIds)
      // The most restrictive unit referencing the object decides (a date beats an earlier one).
      const closed = [...acc.entries()].filter(([, a]) => !a.communicable)
      if (closed.length > 0) {
        const rank = (a: UnitAccess) => (a.status === 'never' ? 3 : a.status === 'unknown' ? 2 : 1)
        closed.sort(([, a], [, b]) => rank(b) - rank(a) || (b.from ?? '').localeCompare(a.from ?? ''))
        throw AccessErrors.notCommunicable(
          'object',
          o.id,
          closed[0]![1],
          closed.map(([id]) => id),
        )
      }
      for (const a of acc.values()) if (a.derogationId) derogationIds.push(a.derogationId)
    }
    return { derogationIds: [...new Set(derogationIds)] }
  }

  checkUsage(ctx: AccessContext, usage: string | null, objectId?: string): void {
    const base = usageBase(usage)
    if (!ctx.contract.everyUsage && !ctx.contract.usages.includes(base))
      throw AccessErrors.usageForbidden(base, ctx.contract.identifier, objectId)
  }

  /** For metadata-writing paths (the lead wires it into reclassification and rules updates). */
  requireWrite(ctx: AccessContext): void {
    if (!ctx.contract.write) throw AccessErrors.writeForbidden(ctx.contract.identifier)
  }

  /** Records a consultation, download or search in the logbook (batched: see AccessLog). */
  record(
    ctx: AccessContext,
    type: 'UNIT_CONSULT' | 'OBJECT_DOWNLOAD' | 'UNIT_SEARCH' | 'DIP_DOWNLOAD',
    objectId: string | null,
    data: Record<string, unknown> = {},
  ): void {
    this.deps.log.append({
      tenantId: ctx.tenantId,
      type: `ACCESS_${type}`,
      agent: ctx.principal.id,
      objectId,
      message: null,
      data: {
        principal: ctx.principal.name,
        principalKind: ctx.principal.kind,
        contract: ctx.contract.identifier,
        ...data,
      },
    })
  }
}
