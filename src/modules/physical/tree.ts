import type { LocationTable } from '../../platform/db/schema.js'

export const DEFAULT_LEVELS = ['site', 'bâtiment', 'magasin', 'travée', 'épi', 'tablette'] as const

export interface Node {
  readonly row: LocationTable
  readonly children: Node[]
  /** Position in tree order (depth first, children by code in natural order). */
  order: number
  /** Ancestor ids from the root, self included. */
  ancestry: string[]
  /** Properties in force: the node's own, or any ancestor's (a fire-rated storeroom makes its shelves so). */
  eff: { fireRated: boolean; climateControlled: boolean; reserved: boolean; blocked: boolean }
}

const natural = new Intl.Collator('fr', { numeric: true, sensitivity: 'base' })

/** The whole location tree of a tenant, in memory (a few thousand rows at most per tenant). */
export class LocationTree {
  readonly byId = new Map<string, Node>()
  readonly ordered: Node[] = []

  constructor(rows: readonly LocationTable[]) {
    for (const r of rows)
      this.byId.set(r.id, {
        row: r,
        children: [],
        order: 0,
        ancestry: [],
        eff: { fireRated: false, climateControlled: false, reserved: false, blocked: false },
      })
    const roots: Node[] = []
    for (const n of this.byId.values()) {
      const p = n.row.parent_id ? this.byId.get(n.row.parent_id) : undefined
      if (p) p.children.push(n)
      else roots.push(n)
    }
    const sort = (a: Node, b: Node) => natural.compare(a.row.code, b.row.code)
    const walk = (n: Node, parent: Node | null) => {
      n.order = this.ordered.length
      this.ordered.push(n)
      n.ancestry = [...(parent?.ancestry ?? []), n.row.id]
      const pe = parent?.eff
      n.eff = {
        fireRated: n.row.fire_rated === 1 || (pe?.fireRated ?? false),
        climateControlled: n.row.climate_controlled === 1 || (pe?.climateControlled ?? false),
        reserved: n.row.reserved === 1 || (pe?.reserved ?? false),
        blocked: n.row.blocked === 1 || (pe?.blocked ?? false),
      }
      n.children.sort(sort)
      for (const c of n.children) walk(c, n)
    }
    roots.sort(sort)
    for (const r of roots) walk(r, null)
  }

  /** Edges between two nodes through their lowest common ancestor (different roots: through a virtual root). */
  distance(a: string, b: string): number {
    const x = this.byId.get(a)!.ancestry
    const y = this.byId.get(b)!.ancestry
    let k = 0
    while (k < x.length && k < y.length && x[k] === y[k]) k++
    return x.length - k + (y.length - k)
  }

  /** The node and every node below it. */
  subtree(id: string): Node[] {
    const out: Node[] = []
    const walk = (n: Node) => {
      out.push(n)
      for (const c of n.children) walk(c)
    }
    const n = this.byId.get(id)
    if (n) walk(n)
    return out
  }
}
