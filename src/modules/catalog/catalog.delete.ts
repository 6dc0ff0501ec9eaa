import type { Executor } from '../../platform/db/create-db.js'

/** Units' search rows go through this port (the search module, wired in main/container.ts). */
export interface UnitIndexRemover {
  removeFromIndex(trx: Executor, unitIds: readonly string[]): Promise<void>
}

/** A data object whose catalogue row was deleted with its group (`blobId` null for a physical object). */
export interface DeletedObject {
  readonly id: string
  readonly blobId: string | null
  readonly operationId: string
}

const CHUNK = 500

/**
 * Deletes units from the catalogue, in foreign-key order: their rule and lifecycle rows, their parent
 * links (both ways), their search rows (through `searchIndex`), the units, then each object group no
 * remaining unit points at, with its data objects and their blob records (blob and blob_copy rows).
 * Binaries on the offers are left to the caller: the returned objects say which keys are concerned.
 * Tenant-scoped; runs in the caller's transaction; ids unknown to the tenant are ignored. Where the
 * search index is in use, `searchIndex` is required (its rows reference the units).
 */
export async function deleteUnits(
  trx: Executor,
  tenantId: string,
  unitIds: readonly string[],
  opts: { searchIndex?: UnitIndexRemover | undefined } = {},
): Promise<DeletedObject[]> {
  const groups = new Set<string>()
  const found: string[] = []
  for (let i = 0; i < unitIds.length; i += CHUNK) {
    const slice = unitIds.slice(i, i + CHUNK)
    const units = await trx
      .selectFrom('archive_unit')
      .select(['id', 'object_group_id'])
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', slice)
      .execute()
    for (const u of units) {
      found.push(u.id)
      if (u.object_group_id !== null) groups.add(u.object_group_id)
    }
    for (const tbl of [
      'unit_effective_rule',
      'unit_effective_property',
      'unit_lifecycle',
      'unit_rule',
    ] as const)
      await trx.deleteFrom(tbl).where('tenant_id', '=', tenantId).where('unit_id', 'in', slice).execute()
    await trx
      .deleteFrom('unit_parent')
      .where('tenant_id', '=', tenantId)
      .where((eb) => eb.or([eb('unit_id', 'in', slice), eb('parent_id', 'in', slice)]))
      .execute()
  }
  // Only the tenant's own units: the index port is not tenant-scoped.
  await opts.searchIndex?.removeFromIndex(trx, found)
  for (let i = 0; i < unitIds.length; i += CHUNK)
    await trx
      .deleteFrom('archive_unit')
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', unitIds.slice(i, i + CHUNK))
      .execute()
  // Groups still referenced by a unit that stays are kept.
  const deleted: DeletedObject[] = []
  for (const g of groups) {
    const still = await trx
      .selectFrom('archive_unit')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('object_group_id', '=', g)
      .executeTakeFirst()
    if (still) continue
    const objs = await trx
      .selectFrom('data_object')
      .select(['id', 'blob_id', 'operation_id'])
      .where('tenant_id', '=', tenantId)
      .where('group_id', '=', g)
      .execute()
    await trx.deleteFrom('data_object').where('tenant_id', '=', tenantId).where('group_id', '=', g).execute()
    const blobs = objs.map((o) => o.blob_id).filter((b): b is string => b !== null)
    if (blobs.length > 0) {
      await trx.deleteFrom('blob_copy').where('blob_id', 'in', blobs).execute()
      await trx.deleteFrom('blob').where('tenant_id', '=', tenantId).where('id', 'in', blobs).execute()
    }
    await trx.deleteFrom('object_group').where('tenant_id', '=', tenantId).where('id', '=', g).execute()
    for (const o of objs) deleted.push({ id: o.id, blobId: o.blob_id, operationId: o.operation_id })
  }
  return deleted
}
