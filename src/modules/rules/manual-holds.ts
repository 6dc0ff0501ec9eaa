import type { Executor } from '../../platform/db/create-db.js'

const CHUNK = 500

/** Not held: undefined; held until a date: that date; held without end: null. */
export type HoldEnd = string | null | undefined

/** Combines two hold ends: no end wins, else the later date. */
export function mergeHoldEnd(a: HoldEnd, b: HoldEnd): HoldEnd {
  if (a === undefined) return b
  if (b === undefined) return a
  if (a === null || b === null) return null
  return a > b ? a : b
}

export interface ManualHolds {
  /** The branch hold reaching a parent outside the recomputed set. */
  outsideBranch(unitId: string): HoldEnd
  /** A unit's manual hold (direct or branch) and the branch hold it passes to its children. */
  resolve(unitId: string, parentBranches: readonly HoldEnd[]): { held: HoldEnd; branch: HoldEnd }
}

/**
 * Manual legal holds (`legal_hold`, elimination module) as the recompute needs them: the holds in
 * force today, by target, and the branch holds that reach the units outside the recomputed set (their
 * ancestors are walked up once, only when branch holds exist).
 */
export async function manualHoldResolver(
  trx: Executor,
  tenantId: string,
  outsideParents: readonly string[],
  today: string,
): Promise<ManualHolds> {
  const rows = await trx
    .selectFrom('legal_hold')
    .select(['unit_id', 'include_descendants', 'end_date'])
    .where('tenant_id', '=', tenantId)
    .where('lifted_at', 'is', null)
    .where('start_date', '<=', today)
    .where((eb) => eb.or([eb('end_date', 'is', null), eb('end_date', '>=', today)]))
    .execute()
  const direct = new Map<string, HoldEnd>()
  const branch = new Map<string, HoldEnd>()
  for (const r of rows) {
    const m = Number(r.include_descendants) === 1 ? branch : direct
    m.set(r.unit_id, mergeHoldEnd(m.get(r.unit_id), r.end_date))
  }
  const own = (id: string) => ({ direct: direct.get(id), branch: branch.get(id) })
  // Branch holds reaching the outside parents: walk their ancestors (only when branch holds exist).
  const outsideBranch = new Map<string, HoldEnd>()
  if (branch.size > 0 && outsideParents.length > 0) {
    const parentsOf = new Map<string, string[]>()
    let frontier = [...outsideParents]
    const seen = new Set(frontier)
    while (frontier.length > 0) {
      const next: string[] = []
      for (let i = 0; i < frontier.length; i += CHUNK) {
        for (const r of await trx
          .selectFrom('unit_parent')
          .select(['unit_id', 'parent_id'])
          .where('tenant_id', '=', tenantId)
          .where('unit_id', 'in', frontier.slice(i, i + CHUNK))
          .execute()) {
          parentsOf.set(r.unit_id, [...(parentsOf.get(r.unit_id) ?? []), r.parent_id])
          if (!seen.has(r.parent_id)) {
            seen.add(r.parent_id)
            next.push(r.parent_id)
          }
        }
      }
      frontier = next
    }
    const memo = new Map<string, HoldEnd>()
    const visiting = new Set<string>()
    const of = (id: string): HoldEnd => {
      if (memo.has(id)) return memo.get(id)
      if (visiting.has(id)) return undefined // a cycle is reported by the recompute itself
      visiting.add(id)
      let h = branch.get(id)
      for (const p of parentsOf.get(id) ?? []) h = mergeHoldEnd(h, of(p))
      visiting.delete(id)
      memo.set(id, h)
      return h
    }
    for (const p of outsideParents) outsideBranch.set(p, of(p))
  }
  return {
    outsideBranch: (id) => outsideBranch.get(id),
    resolve(unitId, parentBranches) {
      const o = own(unitId)
      let b = o.branch
      for (const h of parentBranches) b = mergeHoldEnd(b, h)
      return { held: mergeHoldEnd(o.direct, b), branch: b }
    },
  }
}
