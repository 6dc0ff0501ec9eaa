import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely'
import { AppError } from '../../platform/errors.js'
import { fromJson, type Db } from '../../platform/db/create-db.js'
import type { DataObjectTable, Schema } from '../../platform/db/schema.js'
import type {
  ObjectRecord,
  RulesReader,
  UnitDetail,
  UnitObject,
  UnitRuleView,
  UnitSummary,
} from './catalog.types.js'

export const CatalogErrors = {
  unitNotFound: (id: string) =>
    new AppError('UNIT_NOT_FOUND', 'not_found', `Unité d'archives inconnue : ${id}`, { unitId: id }),
  objectNotFound: (id: string) =>
    new AppError('OBJECT_NOT_FOUND', 'not_found', `Objet inconnu : ${id}`, { objectId: id }),
}

function toObject(o: DataObjectTable): UnitObject {
  return {
    id: o.id,
    kind: o.kind,
    usage: o.usage,
    size: o.size === null ? null : Number(o.size),
    format: o.format_puid,
    formatName: o.format_name,
    mimeType: o.mime_type,
    filename: o.filename,
    digest: o.sha512,
    digestAlgorithm: o.sha512 ? 'SHA-512' : null,
    physicalId: o.physical_id,
  }
}

/** Read side of the catalogue: units, their objects and rules. Every query is tenant-scoped. */
export class CatalogService {
  constructor(private readonly deps: { db: Db; rules: RulesReader }) {}

  private physicalPlaces:
    | ((tenantId: string, objectIds: readonly string[]) => Promise<ReadonlyMap<string, unknown>>)
    | null = null

  /** The physical module tells where physical objects are (box and place), for the unit view. */
  registerPhysicalPlaces(
    fn: (tenantId: string, objectIds: readonly string[]) => Promise<ReadonlyMap<string, unknown>>,
  ): void {
    this.physicalPlaces = fn
  }

  private get k() {
    return this.deps.db.kysely
  }

  private async parentsOf(tenantId: string, ids: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>()
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.k
        .selectFrom('unit_parent')
        .select(['unit_id', 'parent_id'])
        .where('tenant_id', '=', tenantId)
        .where('unit_id', 'in', ids.slice(i, i + 500))
        .orderBy('parent_id')
        .execute()
      for (const r of rows) out.set(r.unit_id, [...(out.get(r.unit_id) ?? []), r.parent_id])
    }
    return out
  }

  private async objectsOfGroups(
    tenantId: string,
    groupIds: readonly string[],
  ): Promise<Map<string, UnitObject[]>> {
    const out = new Map<string, UnitObject[]>()
    for (let i = 0; i < groupIds.length; i += 500) {
      const rows = await this.k
        .selectFrom('data_object')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('group_id', 'in', groupIds.slice(i, i + 500))
        .orderBy('usage')
        .execute()
      for (const r of rows) out.set(r.group_id, [...(out.get(r.group_id) ?? []), toObject(r)])
    }
    return out
  }

  async listUnits(
    tenantId: string,
    q: { text?: string; operationId?: string; parentId?: string; limit?: number; offset?: number } = {},
    /** Extra condition on `archive_unit` (the access module's contract and communicability filter). */
    where?: (eb: ExpressionBuilder<Schema, 'archive_unit'>) => Expression<SqlBool>,
  ): Promise<{ total: number; results: UnitSummary[] }> {
    let base = this.k.selectFrom('archive_unit').where('archive_unit.tenant_id', '=', tenantId)
    if (where) base = base.where(where)
    if (q.operationId) base = base.where('archive_unit.operation_id', '=', q.operationId)
    if (q.text) {
      const like = `%${q.text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
      base = base.where(sql<boolean>`lower(archive_unit.title) like ${like} escape '\\'`)
    }
    if (q.parentId) {
      base = base.where('archive_unit.id', 'in', (eb) =>
        eb
          .selectFrom('unit_parent')
          .select('unit_id')
          .where('tenant_id', '=', tenantId)
          .where('parent_id', '=', q.parentId!),
      )
    }
    const total = Number((await base.select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()).n)
    const rows = await base
      .selectAll('archive_unit')
      .orderBy('archive_unit.created_at')
      .orderBy('archive_unit.id')
      .limit(Math.min(Math.max(q.limit ?? 50, 1), 1000))
      .offset(Math.max(q.offset ?? 0, 0))
      .execute()
    const parents = await this.parentsOf(
      tenantId,
      rows.map((r) => r.id),
    )
    const objects = await this.objectsOfGroups(
      tenantId,
      rows.map((r) => r.object_group_id).filter((g): g is string => g !== null),
    )
    return {
      total,
      results: rows.map((r) => ({
        id: r.id,
        title: r.title,
        descriptionLevel: r.description_level,
        parentIds: parents.get(r.id) ?? [],
        startDate: r.start_date,
        endDate: r.end_date,
        operationId: r.operation_id,
        objects: r.object_group_id ? (objects.get(r.object_group_id) ?? []) : [],
      })),
    }
  }

  /** Summaries (INTERFACES §3 shape) of the given units of the tenant, in the order of `ids`; unknown ids are skipped. */
  async summaries(tenantId: string, ids: readonly string[]): Promise<UnitSummary[]> {
    if (ids.length === 0) return []
    const rows = []
    for (let i = 0; i < ids.length; i += 500) {
      rows.push(
        ...(await this.k
          .selectFrom('archive_unit')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('id', 'in', ids.slice(i, i + 500))
          .execute()),
      )
    }
    const byId = new Map(rows.map((r) => [r.id, r]))
    const parents = await this.parentsOf(tenantId, ids)
    const objects = await this.objectsOfGroups(
      tenantId,
      rows.map((r) => r.object_group_id).filter((g): g is string => g !== null),
    )
    const out: UnitSummary[] = []
    for (const id of ids) {
      const r = byId.get(id)
      if (!r) continue
      out.push({
        id: r.id,
        title: r.title,
        descriptionLevel: r.description_level,
        parentIds: parents.get(r.id) ?? [],
        startDate: r.start_date,
        endDate: r.end_date,
        operationId: r.operation_id,
        objects: r.object_group_id ? (objects.get(r.object_group_id) ?? []) : [],
      })
    }
    return out
  }

  async getUnit(tenantId: string, id: string): Promise<UnitDetail> {
    const r = await this.k
      .selectFrom('archive_unit')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst()
    if (!r) throw CatalogErrors.unitNotFound(id)
    const parents = (await this.parentsOf(tenantId, [id])).get(id) ?? []
    let objects = r.object_group_id
      ? ((await this.objectsOfGroups(tenantId, [r.object_group_id])).get(r.object_group_id) ?? [])
      : []
    const physical = objects.filter((o) => o.kind === 'physical').map((o) => o.id)
    if (physical.length > 0 && this.physicalPlaces) {
      const places = await this.physicalPlaces(tenantId, physical)
      objects = objects.map((o) => (o.kind === 'physical' ? { ...o, box: places.get(o.id) ?? null } : o))
    }
    return {
      id: r.id,
      sedaId: r.seda_id,
      title: r.title,
      descriptionLevel: r.description_level,
      parentIds: parents,
      startDate: r.start_date,
      endDate: r.end_date,
      operationId: r.operation_id,
      originatingAgency: r.originating_agency,
      submissionAgency: r.submission_agency,
      objects,
      content: fromJson(r.content),
      management: r.management === null ? null : fromJson(r.management),
      ...(await this.deps.rules.unitView(tenantId, id)),
      createdAt: r.created_at,
    }
  }

  /** The unit's rules, declared and inherited, as materialised by the rules module. */
  async rulesOf(tenantId: string, unitId: string): Promise<UnitRuleView[]> {
    return (await this.deps.rules.unitView(tenantId, unitId)).rules
  }

  async getObject(tenantId: string, id: string): Promise<ObjectRecord> {
    const o = await this.k
      .selectFrom('data_object')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst()
    if (!o) throw CatalogErrors.objectNotFound(id)
    const units = await this.k
      .selectFrom('archive_unit')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('object_group_id', '=', o.group_id)
      .execute()
    return {
      ...toObject(o),
      tenantId: o.tenant_id,
      groupId: o.group_id,
      blobId: o.blob_id,
      operationId: o.operation_id,
      unitIds: units.map((u) => u.id),
      communicability: await this.deps.rules.groupCommunicability(tenantId, o.group_id),
    }
  }
}
