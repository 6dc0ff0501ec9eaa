import { AppError } from '../../platform/errors.js'
import type { Executor } from '../../platform/db/create-db.js'

export const CHUNK = 500

/** Which units an operation applies to. Exactly one of the three ways. */
export interface Selection {
  /** These units (and, for transfers, their descendants). */
  readonly unitIds?: readonly string[]
  /** A unit and all its descendants. */
  readonly branch?: string
  /** The units `CatalogService.listUnits` would answer (title text, ingest operation, parent). */
  readonly query?: { readonly text?: string; readonly operationId?: string; readonly parentId?: string }
}

/** What a selection needs from the catalogue (CatalogService.listUnits). */
export interface UnitLister {
  listUnits(
    tenantId: string,
    q: { text?: string; operationId?: string; parentId?: string; limit?: number; offset?: number },
  ): Promise<{ total: number; results: { id: string }[] }>
}

export const SelectionErrors = {
  invalid: (message: string) => new AppError('SELECTION_INVALID', 'invalid', message, {}),
  unknown: (ids: readonly string[]) =>
    new AppError(
      'UNIT_NOT_FOUND',
      'not_found',
      `Unité(s) d'archives inconnue(s) : ${ids.slice(0, 10).join(', ')}${ids.length > 10 ? '…' : ''}`,
      { unitIds: ids.slice(0, 100), count: ids.length },
    ),
  empty: () => new AppError('SELECTION_EMPTY', 'invalid', 'La sélection ne contient aucune unité', {}),
}

/** The ids of `ids` that exist in the tenant (another tenant's ids are simply not there). */
export async function existing(
  trx: Executor,
  tenantId: string,
  ids: readonly string[],
): Promise<Set<string>> {
  const found = new Set<string>()
  for (let i = 0; i < ids.length; i += CHUNK) {
    for (const r of await trx
      .selectFrom('archive_unit')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', ids.slice(i, i + CHUNK))
      .execute())
      found.add(r.id)
  }
  return found
}

/** Every unit below `ids` (included). */
export async function descendants(
  trx: Executor,
  tenantId: string,
  ids: readonly string[],
): Promise<Set<string>> {
  const all = new Set(ids)
  let frontier = [...ids]
  while (frontier.length > 0) {
    const next: string[] = []
    for (let i = 0; i < frontier.length; i += CHUNK) {
      for (const r of await trx
        .selectFrom('unit_parent')
        .select('unit_id')
        .where('tenant_id', '=', tenantId)
        .where('parent_id', 'in', frontier.slice(i, i + CHUNK))
        .execute()) {
        if (all.has(r.unit_id)) continue
        all.add(r.unit_id)
        next.push(r.unit_id)
      }
    }
    frontier = next
  }
  return all
}

/**
 * Resolves a selection to unit ids of the tenant. Any id the tenant does not hold (unknown, or another
 * tenant's) answers UNIT_NOT_FOUND, naming them, before anything is done. `withDescendants` adds the
 * branches below the selected units.
 */
export async function resolveSelection(
  trx: Executor,
  catalog: UnitLister,
  tenantId: string,
  sel: Selection,
  withDescendants: boolean,
): Promise<string[]> {
  const ways = [sel.unitIds !== undefined, sel.branch !== undefined, sel.query !== undefined].filter(Boolean)
  if (ways.length !== 1)
    throw SelectionErrors.invalid(
      'Donner exactement une sélection : des identifiants, une branche ou une requête',
    )
  let ids: string[]
  if (sel.unitIds !== undefined) {
    if (!Array.isArray(sel.unitIds) || sel.unitIds.some((i) => typeof i !== 'string' || i === ''))
      throw SelectionErrors.invalid('Identifiants d’unités invalides')
    ids = [...new Set(sel.unitIds)]
  } else if (sel.branch !== undefined) {
    if (typeof sel.branch !== 'string' || sel.branch === '') throw SelectionErrors.invalid('Branche invalide')
    ids = [sel.branch]
  } else {
    const q = sel.query!
    if (!q.text && !q.operationId && !q.parentId)
      throw SelectionErrors.invalid('Une requête doit avoir au moins un critère (texte, opération ou parent)')
    ids = []
    for (let offset = 0; ; offset += 1000) {
      const page = await catalog.listUnits(tenantId, { ...q, limit: 1000, offset })
      ids.push(...page.results.map((r) => r.id))
      if (page.results.length === 0 || ids.length >= page.total) break
    }
  }
  if (ids.length === 0) throw SelectionErrors.empty()
  const found = await existing(trx, tenantId, ids)
  const missing = ids.filter((i) => !found.has(i))
  if (missing.length > 0) throw SelectionErrors.unknown(missing)
  const all =
    withDescendants || sel.branch !== undefined ? await descendants(trx, tenantId, ids) : new Set(ids)
  return [...all]
}

/** Units of `ids` under hold (unit_lifecycle.held). */
export async function heldUnits(trx: Executor, tenantId: string, ids: readonly string[]): Promise<string[]> {
  const out: string[] = []
  for (let i = 0; i < ids.length; i += CHUNK) {
    for (const r of await trx
      .selectFrom('unit_lifecycle')
      .select('unit_id')
      .where('tenant_id', '=', tenantId)
      .where('unit_id', 'in', ids.slice(i, i + CHUNK))
      .where('held', '=', 1)
      .execute())
      out.push(r.unit_id)
  }
  return out
}

export const heldError = (code: string, what: string, ids: readonly string[]) =>
  new AppError(
    code,
    'conflict',
    `${what} refusé(e) : unité(s) sous gel (${ids.slice(0, 10).join(', ')}${ids.length > 10 ? '…' : ''})`,
    { unitIds: ids.slice(0, 100), count: ids.length },
  )
