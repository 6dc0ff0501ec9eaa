import type { Clock } from '../../platform/clock.js'
import { isoNow } from '../../platform/clock.js'
import type { Executor } from '../../platform/db/create-db.js'
import type { BadCopyHook } from './types.js'

export type CopyState = 'ok' | 'repair'

export interface BlobCopy {
  readonly offerId: string
  readonly state: CopyState
  readonly checkedAt: string
  readonly note: string | null
}

export interface BlobRecord {
  readonly id: string
  readonly tenantId: string
  readonly size: number
  readonly sha512: string
  readonly createdAt: string
  readonly copies: readonly BlobCopy[]
}

export interface RepairItem {
  readonly blobId: string
  readonly offerId: string
  readonly note: string | null
  readonly checkedAt: string
}

/**
 * Blobs and their copies per offer (`blob`, `blob_copy`). Every call takes the tenant first: a blob of
 * another tenant is invisible (reads return nothing, marks change nothing).
 */
export interface BlobRepository {
  /** Records a stored binary and one `ok` copy per offer (in the caller's transaction). */
  record(
    ex: Executor,
    tenantId: string,
    blob: { readonly id: string; readonly size: number; readonly sha512: string },
    offerIds: readonly string[],
  ): Promise<void>
  get(ex: Executor, tenantId: string, blobId: string): Promise<BlobRecord | undefined>
  /** Marks one copy for repair (missing or corrupt). False when the blob is not the tenant's. */
  markRepair(ex: Executor, tenantId: string, blobId: string, offerId: string, note: string): Promise<boolean>
  /** Marks one copy good again (after a repair or a successful fixity check). */
  markOk(ex: Executor, tenantId: string, blobId: string, offerId: string, note?: string): Promise<boolean>
  listRepair(ex: Executor, tenantId: string, limit?: number): Promise<RepairItem[]>
}

export function createBlobRepository(deps: { readonly clock: Clock }): BlobRepository {
  const owned = async (ex: Executor, tenantId: string, blobId: string): Promise<boolean> =>
    (await ex
      .selectFrom('blob')
      .select('id')
      .where('id', '=', blobId)
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst()) !== undefined

  const setState = async (
    ex: Executor,
    tenantId: string,
    blobId: string,
    offerId: string,
    state: CopyState,
    note: string | null,
  ): Promise<boolean> => {
    if (!(await owned(ex, tenantId, blobId))) return false
    const now = isoNow(deps.clock)
    await ex
      .insertInto('blob_copy')
      .values({ blob_id: blobId, offer_id: offerId, state, checked_at: now, note })
      .onConflict((oc) => oc.columns(['blob_id', 'offer_id']).doUpdateSet({ state, checked_at: now, note }))
      .execute()
    return true
  }

  return {
    async record(ex, tenantId, blob, offerIds) {
      const now = isoNow(deps.clock)
      await ex
        .insertInto('blob')
        .values({ id: blob.id, tenant_id: tenantId, size: blob.size, sha512: blob.sha512, created_at: now })
        .execute()
      if (offerIds.length > 0) {
        await ex
          .insertInto('blob_copy')
          .values(
            offerIds.map((o) => ({
              blob_id: blob.id,
              offer_id: o,
              state: 'ok' as const,
              checked_at: now,
              note: null,
            })),
          )
          .execute()
      }
    },

    async get(ex, tenantId, blobId) {
      const b = await ex
        .selectFrom('blob')
        .selectAll()
        .where('id', '=', blobId)
        .where('tenant_id', '=', tenantId)
        .executeTakeFirst()
      if (!b) return undefined
      const copies = await ex
        .selectFrom('blob_copy')
        .selectAll()
        .where('blob_id', '=', blobId)
        .orderBy('offer_id')
        .execute()
      return {
        id: b.id,
        tenantId: b.tenant_id,
        size: Number(b.size),
        sha512: b.sha512,
        createdAt: b.created_at,
        copies: copies.map((c) => ({
          offerId: c.offer_id,
          state: c.state,
          checkedAt: c.checked_at,
          note: c.note,
        })),
      }
    },

    markRepair: (ex, tenantId, blobId, offerId, note) =>
      setState(ex, tenantId, blobId, offerId, 'repair', note),

    markOk: (ex, tenantId, blobId, offerId, note) =>
      setState(ex, tenantId, blobId, offerId, 'ok', note ?? null),

    async listRepair(ex, tenantId, limit = 1000) {
      const rows = await ex
        .selectFrom('blob_copy')
        .innerJoin('blob', 'blob.id', 'blob_copy.blob_id')
        .select(['blob_copy.blob_id', 'blob_copy.offer_id', 'blob_copy.note', 'blob_copy.checked_at'])
        .where('blob.tenant_id', '=', tenantId)
        .where('blob_copy.state', '=', 'repair')
        .orderBy('blob_copy.checked_at')
        .orderBy('blob_copy.blob_id')
        .limit(limit)
        .execute()
      return rows.map((r) => ({
        blobId: r.blob_id,
        offerId: r.offer_id,
        note: r.note,
        checkedAt: r.checked_at,
      }))
    },
  }
}

/** A bad-copy hook for `StorageStrategy.open` that marks the copy for repair in the database. */
export function markRepairOnBadCopy(
  repo: BlobRepository,
  ex: Executor,
  tenantId: string,
  blobId: string,
): BadCopyHook {
  return async (e) => {
    await repo.markRepair(ex, tenantId, blobId, e.offerId, `${e.reason}: ${e.detail}`)
  }
}
