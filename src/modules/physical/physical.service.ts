import type { Clock } from '../../platform/clock.js'
import type { IdSource } from '../../platform/ids.js'
import { fromJson, toJson, type Db, type Executor } from '../../platform/db/create-db.js'
import { sql, type Insertable } from 'kysely'
import type {
  ArchiveUnitTable,
  BoxContentTable,
  BoxMovementTable,
  BoxTable,
  DataObjectTable,
  LocationTable,
  ObjectGroupTable,
  UnitRuleTable,
} from '../../platform/db/schema.js'
import type { AuditService, NewEvent, OperationEvent } from '../audit/index.js'
import { computeEndDate } from '../ingest/index.js'
import type { Principal, TenancyService } from '../tenancy/index.js'
import { PhysErrors, metres } from './errors.js'
import { DEFAULT_LEVELS, LocationTree, type Node } from './tree.js'
import { checkLocationCsv } from './location-import.js'
import {
  checkRows,
  csvRows,
  jsonRows,
  BARCODE_RE,
  type FormError,
  type FormRow,
  type RawRow,
} from './transfer-form.js'
import type {
  BoxOut,
  BoxOuting,
  BoxView,
  DestroyedBox,
  FreeSpaceAnswer,
  InventoryReport,
  InventoryView,
  LocationView,
  ObjectPlace,
  ShelfList,
  Statistics,
  TransferResult,
} from './physical.types.js'

export interface PhysicalDeps {
  readonly db: Db
  readonly clock: Clock
  readonly ids: IdSource
  readonly audit: AuditService
  readonly tenancy: TenancyService
  /** Materialises the new units' effective rules in the transaction that creates them. */
  readonly rules: { recompute(trx: Executor, tenantId: string, unitIds: readonly string[]): Promise<unknown> }
  /** The search index (search module), kept in step with the catalogue in the same transaction. */
  readonly searchIndex?: {
    indexUnits(trx: Executor, tenantId: string, unitIds: readonly string[]): Promise<unknown>
    removeFromIndex(trx: Executor, unitIds: readonly string[]): Promise<void>
  }
}

const CODE_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/
const MAX_LENGTH_M = 1000
const MAX_BATCH = 2000

function text(field: string, v: unknown, opts: { required?: boolean; max?: number } = {}): string | null {
  if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) {
    if (opts.required) throw PhysErrors.invalid(field, 'valeur obligatoire')
    return null
  }
  if (typeof v !== 'string') throw PhysErrors.invalid(field, 'texte attendu', v)
  if (v.length > (opts.max ?? 500)) throw PhysErrors.invalid(field, `plus de ${opts.max ?? 500} caractères`)
  if (CONTROL.test(v)) throw PhysErrors.invalid(field, 'caractère de contrôle interdit')
  return v.trim()
}

function positive(field: string, v: unknown, max: number, required = false): number | null {
  if (v === undefined || v === null || v === '') {
    if (required) throw PhysErrors.invalid(field, 'nombre obligatoire')
    return null
  }
  const n = typeof v === 'string' ? Number(v) : v
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0 || n > max)
    throw PhysErrors.invalid(field, `nombre strictement positif et au plus ${max} attendu`, v)
  return n
}

function flag(field: string, v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v === 'boolean') return v ? 1 : 0
  if (v === 'true' || v === '1') return 1
  if (v === 'false' || v === '0') return 0
  throw PhysErrors.invalid(field, 'booléen attendu', v)
}

/** The unique constraint on (tenant, barcode) violated: a concurrent writer created the same barcode. */
function isBarcodeConflict(e: unknown): boolean {
  const x = e as { code?: unknown; constraint?: unknown; message?: unknown } | null
  if (!x || typeof x !== 'object') return false
  if (x.code === '23505') return x.constraint === 'box_tenant_barcode'
  return (
    typeof x.code === 'string' &&
    x.code.startsWith('SQLITE_CONSTRAINT') &&
    /box\.tenant_id, box\.barcode/.test(String(x.message))
  )
}

function obj(v: unknown): Record<string, unknown> {
  if (v === undefined || v === null) return {}
  if (typeof v !== 'object' || Array.isArray(v)) throw PhysErrors.invalid('body', 'objet JSON attendu')
  return v as Record<string, unknown>
}

/**
 * Physical archives (docs/physical.md): the location tree, box types and boxes with their content and
 * history, the physical transfer form, moves, inventories (récolement), statistics in linear metres,
 * and the hooks that ingest, the catalogue and elimination call.
 */
export class PhysicalService {
  constructor(private readonly deps: PhysicalDeps) {}

  private get k() {
    return this.deps.db.kysely
  }

  private now(): string {
    return this.deps.clock.now().toISOString()
  }

  // ── levels and locations ─────────────────────────────────────────────────────────────────────

  async levelNames(tenantId: string, trx: Executor = this.k): Promise<string[]> {
    const r = await trx
      .selectFrom('location_scheme')
      .select('level_names')
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst()
    return r ? fromJson<string[]>(r.level_names) : [...DEFAULT_LEVELS]
  }

  async setLevelNames(actor: Principal, tenantId: string, input: unknown): Promise<string[]> {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.manage')
    const list = (obj(input) as { levels?: unknown }).levels
    if (!Array.isArray(list) || list.length < 1 || list.length > 12)
      throw PhysErrors.invalid('levels', 'liste de 1 à 12 noms de niveaux attendue')
    const names = list.map((v, i) => text(`levels[${i}]`, v, { required: true, max: 60 })!)
    const { result } = await this.deps.audit.inOperation(
      { tenantId, type: 'PHYSICAL_LEVELS', agent: actor.id },
      async (trx) => {
        const current = await this.levelNames(tenantId, trx)
        const any = await trx
          .selectFrom('location')
          .select('id')
          .where('tenant_id', '=', tenantId)
          .executeTakeFirst()
        if (any && current.length !== names.length) throw PhysErrors.levelsInUse()
        const now = this.now()
        await trx.deleteFrom('location_scheme').where('tenant_id', '=', tenantId).execute()
        await trx
          .insertInto('location_scheme')
          .values({ tenant_id: tenantId, level_names: toJson(names), updated_at: now })
          .execute()
        return {
          result: names,
          events: [
            {
              type: 'PHYSICAL_LEVELS',
              outcome: 'OK',
              detail: 'PHYSICAL_LEVELS.OK',
              agent: actor.id,
              message: `Niveaux des emplacements : ${names.join(' → ')}`,
              data: { levels: names },
            },
          ],
        }
      },
    )
    return result
  }

  private async tree(trx: Executor, tenantId: string): Promise<LocationTree> {
    return new LocationTree(
      await trx.selectFrom('location').selectAll().where('tenant_id', '=', tenantId).execute(),
    )
  }

  /** A location by id or by path (`codes/joined/by/slashes`); another tenant's id is NOT_FOUND. */
  private resolveLocation(tree: LocationTree, ref: unknown, field = 'location'): Node {
    const r = text(field, ref, { required: true, max: 1000 })!
    const n = tree.byId.get(r) ?? tree.ordered.find((x) => x.row.path === r)
    if (!n) throw PhysErrors.locationNotFound(r)
    return n
  }

  /** Millimetres used on each shelf by its active boxes. */
  private async usage(trx: Executor, tenantId: string): Promise<Map<string, { mm: number; boxes: number }>> {
    const out = new Map<string, { mm: number; boxes: number }>()
    const rows = await trx
      .selectFrom('box')
      .select(['location_id', 'footprint_mm'])
      .where('tenant_id', '=', tenantId)
      .where('status', '=', 'active')
      .where('location_id', 'is not', null)
      .execute()
    for (const r of rows) {
      const u = out.get(r.location_id!) ?? { mm: 0, boxes: 0 }
      u.mm += Number(r.footprint_mm ?? 0)
      u.boxes += 1
      out.set(r.location_id!, u)
    }
    return out
  }

  private view(
    n: Node,
    levels: readonly string[],
    usage: Map<string, { mm: number; boxes: number }>,
    tree: LocationTree,
  ): LocationView {
    const r = n.row
    let capacity = 0
    let used = 0
    let boxes = 0
    for (const s of tree.subtree(r.id)) {
      if (s.row.is_shelf !== 1) continue
      capacity += Number(s.row.length_mm ?? 0)
      const u = usage.get(s.row.id)
      used += u?.mm ?? 0
      boxes += u?.boxes ?? 0
    }
    return {
      id: r.id,
      parentId: r.parent_id,
      code: r.code,
      name: r.name,
      path: r.path,
      level: levels[r.depth] ?? String(r.depth),
      depth: r.depth,
      shelf: r.is_shelf === 1,
      lengthMetres: r.length_mm === null ? null : metres(Number(r.length_mm)),
      properties: {
        fireRated: r.fire_rated === 1,
        climateControlled: r.climate_controlled === 1,
        reserved: r.reserved === 1,
        blocked: r.blocked === 1,
      },
      effective: { ...n.eff },
      occupancy: {
        capacityMetres: metres(capacity),
        usedMetres: metres(used),
        freeMetres: metres(Math.max(capacity - used, 0)),
        boxes,
        ratio: capacity === 0 ? 0 : Math.round((used / capacity) * 1000) / 1000,
      },
    }
  }

  async createLocation(actor: Principal, tenantId: string, input: unknown): Promise<LocationView> {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.manage')
    const b = obj(input)
    const code = text('code', b.code, { required: true, max: 40 })!
    if (!CODE_RE.test(code))
      throw PhysErrors.invalid(
        'code',
        'lettres, chiffres, « . », « _ » ou « - » (40 au plus), sans « / »',
        code,
      )
    const name = text('name', b.name, { max: 200 })
    const lengthM = positive('lengthMetres', b.lengthMetres, MAX_LENGTH_M)
    const props = {
      fire_rated: flag('fireRated', b.fireRated) ?? 0,
      climate_controlled: flag('climateControlled', b.climateControlled) ?? 0,
      reserved: flag('reserved', b.reserved) ?? 0,
      blocked: flag('blocked', b.blocked) ?? 0,
    }
    const { result } = await this.deps.audit.inOperation(
      { tenantId, type: 'PHYSICAL_LOCATION_CREATE', agent: actor.id },
      async (trx) => {
        const levels = await this.levelNames(tenantId, trx)
        const tree = await this.tree(trx, tenantId)
        const parent =
          b.parentId === undefined || b.parentId === null
            ? null
            : this.resolveLocation(tree, b.parentId, 'parentId')
        const depth = parent ? parent.row.depth + 1 : 0
        if (parent && parent.row.is_shelf === 1) throw PhysErrors.tooDeep(parent.row.path, levels.length)
        const shelf = depth === levels.length - 1
        if (shelf && lengthM === null)
          throw PhysErrors.invalid(
            'lengthMetres',
            `longueur obligatoire pour une ${levels[depth]} (mètres linéaires)`,
          )
        if (!shelf && lengthM !== null)
          throw PhysErrors.invalid(
            'lengthMetres',
            `seules les ${levels[levels.length - 1]}s ont une longueur`,
          )
        const path = parent ? `${parent.row.path}/${code}` : code
        if (tree.ordered.some((n) => n.row.path === path)) throw PhysErrors.locationExists(path)
        const now = this.now()
        const row: LocationTable = {
          id: this.deps.ids.next(),
          tenant_id: tenantId,
          parent_id: parent?.row.id ?? null,
          depth,
          code,
          name,
          path,
          is_shelf: shelf ? 1 : 0,
          length_mm: lengthM === null ? null : Math.round(lengthM * 1000),
          ...props,
          created_at: now,
          updated_at: now,
        }
        await trx.insertInto('location').values(row).execute()
        const t2 = new LocationTree([...tree.ordered.map((n) => n.row), row])
        const v = this.view(t2.byId.get(row.id)!, levels, new Map(), t2)
        return {
          result: v,
          events: [
            {
              type: 'PHYSICAL_LOCATION_CREATE',
              outcome: 'OK',
              detail: 'PHYSICAL_LOCATION_CREATE.OK',
              agent: actor.id,
              objectId: row.id,
              message: `Emplacement créé : ${v.level} ${path}${v.lengthMetres !== null ? ` (${v.lengthMetres} m)` : ''}`,
              data: { path, level: v.level, lengthMetres: v.lengthMetres, properties: v.properties },
            },
          ],
        }
      },
    )
    return result
  }

  async updateLocation(
    actor: Principal,
    tenantId: string,
    id: string,
    input: unknown,
  ): Promise<LocationView> {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.manage')
    const b = obj(input)
    const { result } = await this.deps.audit.inOperation(
      { tenantId, type: 'PHYSICAL_LOCATION_UPDATE', agent: actor.id },
      async (trx) => {
        const tree = await this.tree(trx, tenantId)
        const n = this.resolveLocation(tree, id)
        const patch: Partial<LocationTable> = {}
        if (b.name !== undefined) patch.name = text('name', b.name, { max: 200 })
        for (const [key, col] of [
          ['fireRated', 'fire_rated'],
          ['climateControlled', 'climate_controlled'],
          ['reserved', 'reserved'],
          ['blocked', 'blocked'],
        ] as const) {
          const f = flag(key, b[key])
          if (f !== undefined) patch[col] = f
        }
        if (b.lengthMetres !== undefined) {
          if (n.row.is_shelf !== 1)
            throw PhysErrors.invalid('lengthMetres', 'seules les tablettes ont une longueur')
          const mm = Math.round(positive('lengthMetres', b.lengthMetres, MAX_LENGTH_M, true)! * 1000)
          const used = (await this.usage(trx, tenantId)).get(n.row.id)?.mm ?? 0
          if (mm < used) throw PhysErrors.shelfFull(n.row.path, mm, used)
          patch.length_mm = mm
        }
        if (Object.keys(patch).length === 0) throw PhysErrors.invalid('body', 'aucune modification demandée')
        await trx
          .updateTable('location')
          .set({ ...patch, updated_at: this.now() })
          .where('tenant_id', '=', tenantId)
          .where('id', '=', n.row.id)
          .execute()
        const t2 = await this.tree(trx, tenantId)
        const v = this.view(
          t2.byId.get(n.row.id)!,
          await this.levelNames(tenantId, trx),
          await this.usage(trx, tenantId),
          t2,
        )
        return {
          result: v,
          events: [
            {
              type: 'PHYSICAL_LOCATION_UPDATE',
              outcome: 'OK',
              detail: 'PHYSICAL_LOCATION_UPDATE.OK',
              agent: actor.id,
              objectId: n.row.id,
              message: `Emplacement ${n.row.path} modifié`,
              data: { path: n.row.path, changes: patch },
            },
          ],
        }
      },
    )
    return result
  }

  /** Serialises a tenant's structural changes on PostgreSQL (SQLite serialises writers already). */
  private async lockTenant(trx: Executor, tenantId: string): Promise<void> {
    if (this.deps.db.dialect === 'postgres')
      await trx.selectFrom('tenant').select('id').where('id', '=', tenantId).forNoKeyUpdate().execute()
  }

  /**
   * Moves a location and its subtree under another parent (or to the root with `parentId: null`). The
   * level is kept: the new parent must be of the level just above (levels are positional, shelves are
   * the last one). Refused when the target is the node or one of its descendants. Paths are rewritten;
   * boxes keep their shelf (so their new path); the history keeps the paths of the time.
   */
  async moveLocation(actor: Principal, tenantId: string, ref: string, input: unknown): Promise<LocationView> {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.manage')
    const b = obj(input)
    if (!('parentId' in b)) throw PhysErrors.invalid('parentId', 'nouveau parent obligatoire (null : racine)')
    const { result } = await this.deps.audit.inOperation(
      { tenantId, type: 'PHYSICAL_LOCATION_MOVE', agent: actor.id },
      async (trx) => {
        await this.lockTenant(trx, tenantId)
        const levels = await this.levelNames(tenantId, trx)
        const tree = await this.tree(trx, tenantId)
        const n = this.resolveLocation(tree, ref)
        const target = b.parentId === null ? null : this.resolveLocation(tree, b.parentId, 'parentId')
        if (target && target.ancestry.includes(n.row.id))
          throw PhysErrors.locationCycle(n.row.path, target.row.path)
        if ((target ? target.row.depth + 1 : 0) !== n.row.depth)
          throw PhysErrors.locationLevelMismatch(
            n.row.path,
            levels[n.row.depth] ?? String(n.row.depth),
            target?.row.path ?? null,
            n.row.depth === 0 ? null : (levels[n.row.depth - 1] ?? null),
          )
        if ((target?.row.id ?? null) === n.row.parent_id)
          throw PhysErrors.invalid('parentId', `${n.row.path} est déjà à cet endroit`)
        const oldPath = n.row.path
        const newPath = target ? `${target.row.path}/${n.row.code}` : n.row.code
        if (tree.ordered.some((x) => x.row.path === newPath)) throw PhysErrors.locationExists(newPath)
        const now = this.now()
        const sub = tree.subtree(n.row.id)
        for (const x of sub)
          await trx
            .updateTable('location')
            .set({
              path: newPath + x.row.path.slice(oldPath.length),
              updated_at: now,
              ...(x === n ? { parent_id: target?.row.id ?? null } : {}),
            })
            .where('tenant_id', '=', tenantId)
            .where('id', '=', x.row.id)
            .execute()
        const t2 = await this.tree(trx, tenantId)
        const usage = await this.usage(trx, tenantId)
        const v = this.view(t2.byId.get(n.row.id)!, levels, usage, t2)
        return {
          result: v,
          events: [
            {
              type: 'PHYSICAL_LOCATION_MOVE',
              outcome: 'OK',
              detail: 'PHYSICAL_LOCATION_MOVE.OK',
              agent: actor.id,
              objectId: n.row.id,
              message: `Emplacement ${oldPath} déplacé : ${newPath} (${sub.length} emplacement(s), ${v.occupancy.boxes} boîte(s))`,
              data: { from: oldPath, to: newPath, locations: sub.length, boxes: v.occupancy.boxes },
            },
          ],
        }
      },
    )
    return result
  }

  /**
   * Deletes a location and its subtree when no box is on any of its shelves (`LOCATION_NOT_EMPTY`
   * otherwise) and no open inventory covers them (`LOCATION_IN_USE`).
   */
  async deleteLocation(actor: Principal, tenantId: string, ref: string): Promise<{ deleted: string[] }> {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.manage')
    const { result } = await this.deps.audit.inOperation(
      { tenantId, type: 'PHYSICAL_LOCATION_DELETE', agent: actor.id },
      async (trx) => {
        await this.lockTenant(trx, tenantId)
        const tree = await this.tree(trx, tenantId)
        const n = this.resolveLocation(tree, ref)
        const sub = tree.subtree(n.row.id)
        const ids = sub.map((x) => x.row.id)
        const held = await trx
          .selectFrom('box')
          .select(['location_id'])
          .where('tenant_id', '=', tenantId)
          .where('location_id', 'in', ids)
          .execute()
        if (held.length > 0)
          throw PhysErrors.locationNotEmpty(n.row.path, held.length, [
            ...new Set(held.map((h) => tree.byId.get(h.location_id!)!.row.path)),
          ])
        const idSet = new Set(ids)
        for (const inv of await trx
          .selectFrom('inventory')
          .select(['id', 'shelf_ids'])
          .where('tenant_id', '=', tenantId)
          .where('status', '=', 'open')
          .execute())
          if (fromJson<string[]>(inv.shelf_ids).some((s) => idSet.has(s)))
            throw PhysErrors.locationInUse(n.row.path, `est couvert par le récolement ouvert ${inv.id}`)
        for (const x of [...sub].reverse())
          await trx
            .deleteFrom('location')
            .where('tenant_id', '=', tenantId)
            .where('id', '=', x.row.id)
            .execute()
        const paths = sub.map((x) => x.row.path)
        return {
          result: { deleted: paths },
          events: [
            {
              type: 'PHYSICAL_LOCATION_DELETE',
              outcome: 'OK',
              detail: 'PHYSICAL_LOCATION_DELETE.OK',
              agent: actor.id,
              objectId: n.row.id,
              message: `Emplacement ${n.row.path} supprimé (${paths.length} emplacement(s))`,
              data: { path: n.row.path, deleted: paths.slice(0, 1000), count: paths.length },
            },
          ],
        }
      },
    )
    return result
  }

  /**
   * Imports a location tree from CSV (location-import.ts): every row is checked first, every error is
   * reported by row, line and column and nothing is created; then all the locations (and their missing
   * ancestors) are created in one operation, one event each.
   */
  async importLocations(
    actor: Principal,
    tenantId: string,
    csv: string,
    fileName: string | null = null,
  ): Promise<{ operationId: string; created: number; implicit: number; locations: LocationView[] }> {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.manage')
    if (typeof csv !== 'string' || csv.trim() === '')
      throw PhysErrors.locationImport([
        { row: 0, column: '', message: 'fichier vide : ligne d’en-tête attendue' },
      ])
    const { result } = await this.deps.audit.inOperation(
      { tenantId, type: 'PHYSICAL_LOCATION_IMPORT', agent: actor.id },
      async (trx, op) => {
        await this.lockTenant(trx, tenantId)
        const levels = await this.levelNames(tenantId, trx)
        const tree = await this.tree(trx, tenantId)
        const byPath = new Map(tree.ordered.map((x) => [x.row.path, x.row]))
        const { rows, errors } = checkLocationCsv(csv, { levels, existing: new Set(byPath.keys()) })
        if (errors.length > 0) throw PhysErrors.locationImport(errors)
        const wanted = new Map(rows.map((r) => [r.path, r]))
        // Every path to create: the rows and their ancestors that neither exist nor have a row.
        const all = new Set<string>()
        for (const r of rows)
          for (let d = 1; d <= r.codes.length; d++) {
            const p = r.codes.slice(0, d).join('/')
            if (!byPath.has(p)) all.add(p)
          }
        const ordered = [...all].sort(
          (a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b),
        )
        const now = this.now()
        const created: LocationTable[] = []
        for (const path of ordered) {
          const codes = path.split('/')
          const r = wanted.get(path)
          const parent = codes.length > 1 ? byPath.get(codes.slice(0, -1).join('/'))! : null
          const row: LocationTable = {
            id: this.deps.ids.next(),
            tenant_id: tenantId,
            parent_id: parent?.id ?? null,
            depth: codes.length - 1,
            code: codes.at(-1)!,
            name: r?.name ?? null,
            path,
            is_shelf: codes.length === levels.length ? 1 : 0,
            length_mm: r?.lengthMm ?? null,
            fire_rated: r?.fireRated ? 1 : 0,
            climate_controlled: r?.climateControlled ? 1 : 0,
            reserved: r?.reserved ? 1 : 0,
            blocked: r?.blocked ? 1 : 0,
            created_at: now,
            updated_at: now,
          }
          byPath.set(path, row)
          created.push(row)
        }
        for (let i = 0; i < created.length; i += 200)
          await trx
            .insertInto('location')
            .values(created.slice(i, i + 200))
            .execute()
        const t2 = new LocationTree([...byPath.values()])
        const usage = await this.usage(trx, tenantId)
        const views = created.map((row) => this.view(t2.byId.get(row.id)!, levels, usage, t2))
        const events: OperationEvent[] = [
          {
            type: 'PHYSICAL_LOCATION_IMPORT',
            outcome: 'OK',
            detail: 'PHYSICAL_LOCATION_IMPORT.OK',
            agent: actor.id,
            message: `Import d’emplacements${fileName ? ` (${fileName})` : ''} : ${rows.length} ligne(s), ${created.length} emplacement(s) créé(s) dont ${created.length - rows.length} parent(s) implicite(s)`,
            data: { rows: rows.length, created: created.length, fileName },
          },
          ...views.map((v) => ({
            type: 'PHYSICAL_LOCATION_CREATE',
            outcome: 'OK' as const,
            detail: 'PHYSICAL_LOCATION_CREATE.OK',
            agent: actor.id,
            objectId: v.id,
            message: `Emplacement créé : ${v.level} ${v.path}${v.lengthMetres !== null ? ` (${v.lengthMetres} m)` : ''}`,
            data: { path: v.path, level: v.level, lengthMetres: v.lengthMetres, properties: v.properties },
          })),
        ]
        return {
          result: {
            operationId: op.id,
            created: created.length,
            implicit: created.length - rows.length,
            locations: views,
          },
          events,
          summary: { rows: rows.length, created: created.length },
        }
      },
    )
    return result
  }

  async listLocations(
    actor: Principal,
    tenantId: string,
  ): Promise<{ levels: string[]; locations: LocationView[] }> {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.read')
    const tree = await this.tree(this.k, tenantId)
    const levels = await this.levelNames(tenantId)
    const usage = await this.usage(this.k, tenantId)
    return { levels, locations: tree.ordered.map((n) => this.view(n, levels, usage, tree)) }
  }

  async getLocation(
    actor: Principal,
    tenantId: string,
    ref: string,
  ): Promise<LocationView & { children: LocationView[]; boxes: BoxView[] }> {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.read')
    const tree = await this.tree(this.k, tenantId)
    const n = this.resolveLocation(tree, ref)
    const levels = await this.levelNames(tenantId)
    const usage = await this.usage(this.k, tenantId)
    const rows = await this.k
      .selectFrom('box')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('location_id', '=', n.row.id)
      .where('status', '=', 'active')
      .orderBy('barcode')
      .execute()
    const outs = await this.outs(
      this.k,
      tenantId,
      rows.map((r) => r.id),
    )
    return {
      ...this.view(n, levels, usage, tree),
      children: n.children.map((c) => this.view(c, levels, usage, tree)),
      boxes: rows.map((b) => this.boxSummary(b, tree, outs)),
    }
  }

  /**
   * Where can `metres` linear metres (or `boxes` boxes of `boxType`) go? Shelves that are not blocked
   * nor reserved (unless asked), with the properties asked for, each with its free length; a shelf that
   * takes everything is a place by itself, otherwise one place spreads over several shelves. Nearest
   * first: by tree distance to `near` when given, then in tree order (docs/physical.md).
   */
  async freeSpace(actor: Principal, tenantId: string, input: unknown): Promise<FreeSpaceAnswer> {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.read')
    const b = obj(input)
    const tree = await this.tree(this.k, tenantId)
    const typeId = text('boxType', b.boxType, { max: 60 })
    let footprint: number | null = null
    if (typeId !== null) {
      const t = await this.k
        .selectFrom('box_type')
        .select('footprint_mm')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', typeId)
        .executeTakeFirst()
      if (!t) throw PhysErrors.boxTypeNotFound(typeId)
      footprint = Number(t.footprint_mm)
    }
    const m = positive('metres', b.metres, 100_000)
    const count = positive('boxes', b.boxes, 1_000_000)
    if (count !== null && !Number.isInteger(count))
      throw PhysErrors.invalid('boxes', 'nombre entier attendu', b.boxes)
    if (count !== null && footprint === null)
      throw PhysErrors.invalid('boxType', 'type de boîte obligatoire avec un nombre de boîtes')
    if (m === null && count === null)
      throw PhysErrors.invalid('metres', 'métrage ou nombre de boîtes obligatoire')
    let needed = m !== null ? Math.ceil(m * 1000) : 0
    let nBoxes: number | null = null
    if (footprint !== null) {
      nBoxes = count ?? Math.ceil(needed / footprint)
      needed = nBoxes * footprint
    }
    const near = b.near === undefined || b.near === null ? null : this.resolveLocation(tree, b.near, 'near')
    const wantFire = flag('fireRated', b.fireRated) === 1
    const wantClimate = flag('climateControlled', b.climateControlled) === 1
    const allowReserved = flag('includeReserved', b.includeReserved) === 1
    const usage = await this.usage(this.k, tenantId)
    const cands = tree.ordered
      .filter(
        (n) =>
          n.row.is_shelf === 1 &&
          !n.eff.blocked &&
          (allowReserved || !n.eff.reserved) &&
          (!wantFire || n.eff.fireRated) &&
          (!wantClimate || n.eff.climateControlled),
      )
      .map((n) => {
        const free = Math.max(Number(n.row.length_mm ?? 0) - (usage.get(n.row.id)?.mm ?? 0), 0)
        const usable = footprint !== null ? Math.floor(free / footprint) * footprint : free
        return { n, free, usable, dist: near ? tree.distance(near.row.id, n.row.id) : 0 }
      })
      .filter((c) => c.usable > 0)
      .sort((a, c) => a.dist - c.dist || a.n.order - c.n.order)
    const shelf = (c: (typeof cands)[number], take: number) => ({
      id: c.n.row.id,
      path: c.n.row.path,
      freeMetres: metres(c.free),
      takeMetres: metres(take),
      ...(footprint !== null ? { boxes: Math.round(take / footprint) } : {}),
      ...(near ? { distance: c.dist } : {}),
    })
    const singles = cands.filter((c) => c.usable >= needed).slice(0, 20)
    const places: FreeSpaceAnswer['places'] = singles.map((c) => ({
      shelves: [shelf(c, needed)],
      totalMetres: metres(needed),
    }))
    let enough = singles.length > 0
    if (!enough) {
      const chosen: ReturnType<typeof shelf>[] = []
      let left = needed
      for (const c of cands) {
        if (left <= 0) break
        const take = Math.min(c.usable, left)
        chosen.push(shelf(c, take))
        left -= take
      }
      enough = left <= 0
      if (enough) places.push({ shelves: chosen, totalMetres: metres(needed) })
    }
    return {
      neededMetres: metres(needed),
      boxType: typeId,
      boxes: nBoxes,
      near: near?.row.path ?? null,
      enough,
      totalFreeMetres: metres(cands.reduce((s, c) => s + c.usable, 0)),
      places,
    }
  }

  // ── box types and boxes ──────────────────────────────────────────────────────────────────────

  async createBoxType(actor: Principal, tenantId: string, input: unknown) {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.manage')
    const b = obj(input)
    const id = text('id', b.id, { required: true, max: 60 })!
    if (!CODE_RE.test(id)) throw PhysErrors.invalid('id', 'lettres, chiffres, « . », « _ » ou « - »', id)
    const name = text('name', b.name, { required: true, max: 200 })!
    const mm = (f: string, required: boolean) => {
      const v = positive(f, b[f], 5000, required)
      return v === null ? null : Math.round(v)
    }
    const width = mm('widthMm', true)!
    const height = mm('heightMm', true)!
    const depth = mm('depthMm', true)!
    const footprint = mm('footprintMm', false) ?? width
    const { result } = await this.deps.audit.inOperation(
      { tenantId, type: 'PHYSICAL_BOX_TYPE_CREATE', agent: actor.id },
      async (trx) => {
        const exists = await trx
          .selectFrom('box_type')
          .select('id')
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .executeTakeFirst()
        if (exists) throw PhysErrors.boxTypeExists(id)
        await trx
          .insertInto('box_type')
          .values({
            tenant_id: tenantId,
            id,
            name,
            width_mm: width,
            height_mm: height,
            depth_mm: depth,
            footprint_mm: footprint,
            created_at: this.now(),
          })
          .execute()
        const v = {
          id,
          name,
          widthMm: width,
          heightMm: height,
          depthMm: depth,
          footprintMetres: metres(footprint),
        }
        return {
          result: v,
          events: [
            {
              type: 'PHYSICAL_BOX_TYPE_CREATE',
              outcome: 'OK',
              detail: 'PHYSICAL_BOX_TYPE_CREATE.OK',
              agent: actor.id,
              objectId: id,
              message: `Type de boîte ${id} « ${name} » (${width}×${height}×${depth} mm, ${metres(footprint)} m linéaire)`,
              data: v,
            },
          ],
        }
      },
    )
    return result
  }

  async listBoxTypes(actor: Principal, tenantId: string) {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.read')
    const rows = await this.k
      .selectFrom('box_type')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('id')
      .execute()
    return rows.map((t) => ({
      id: t.id,
      name: t.name,
      widthMm: Number(t.width_mm),
      heightMm: Number(t.height_mm),
      depthMm: Number(t.depth_mm),
      footprintMetres: metres(Number(t.footprint_mm)),
    }))
  }

  private boxSummary(b: BoxTable, tree: LocationTree | null, outs?: ReadonlyMap<string, BoxOut>): BoxView {
    const place = b.location_id ? (tree?.byId.get(b.location_id)?.row.path ?? null) : null
    const out = outs?.get(b.id) ?? null
    return {
      id: b.id,
      barcode: b.barcode,
      cote: b.cote,
      title: b.title,
      producer: b.producer,
      boxType: b.box_type_id,
      linearMetres: b.footprint_mm === null ? null : metres(Number(b.footprint_mm)),
      status: b.status,
      place: b.location_id ? { id: b.location_id, path: place } : null,
      presence: b.status === 'destroyed' ? 'destroyed' : out ? 'out' : b.location_id ? 'shelved' : 'unplaced',
      out,
      operationId: b.operation_id,
      createdAt: b.created_at,
    }
  }

  /** A box by id or barcode, tenant-scoped. */
  private async findBox(trx: Executor, tenantId: string, ref: string): Promise<BoxTable | undefined> {
    return (
      (await trx
        .selectFrom('box')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', ref)
        .executeTakeFirst()) ??
      (await trx
        .selectFrom('box')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('barcode', '=', ref)
        .executeTakeFirst())
    )
  }

  private async footprintOf(trx: Executor, tenantId: string, typeId: string | null): Promise<number | null> {
    if (typeId === null) return null
    const t = await trx
      .selectFrom('box_type')
      .select('footprint_mm')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', typeId)
      .executeTakeFirst()
    if (!t) throw PhysErrors.boxTypeNotFound(typeId)
    return Number(t.footprint_mm)
  }

  /**
   * Runs a write that creates boxes; when a concurrent writer took one of the barcodes first (the unique
   * constraint fires, on SQLite or PostgreSQL, after this writer's own check), the whole write is rolled
   * back and the answer is BOX_BARCODE_DUPLICATE naming the box that won.
   */
  private async barcodesUnique<T>(tenantId: string, barcodes: readonly string[], fn: () => Promise<T>) {
    try {
      return await fn()
    } catch (e) {
      if (!isBarcodeConflict(e)) throw e
      for (const b of barcodes) {
        const dup = await this.findBoxByBarcode(this.k, tenantId, b)
        if (dup) throw PhysErrors.duplicateBarcode(b, dup.id)
      }
      throw PhysErrors.duplicateBarcode(barcodes[0] ?? '', '')
    }
  }

  async createBox(actor: Principal, tenantId: string, input: unknown): Promise<BoxView> {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.manage')
    const b = obj(input)
    const barcode = text('barcode', b.barcode, { required: true, max: 64 })!
    if (!BARCODE_RE.test(barcode))
      throw PhysErrors.invalid('barcode', '1 à 64 caractères ASCII imprimables, sans espace', barcode)
    const cote = text('cote', b.cote, { max: 200 })
    const title = text('title', b.title, { max: 1000 })
    const producer = text('producer', b.producer, { max: 200 })
    const typeId = text('boxType', b.boxType, { max: 60 })
    const { result } = await this.barcodesUnique(tenantId, [barcode], () =>
      this.deps.audit.inOperation(
        { tenantId, type: 'PHYSICAL_BOX_CREATE', agent: actor.id },
        async (trx, op) => {
          const dup = await this.findBoxByBarcode(trx, tenantId, barcode)
          if (dup) throw PhysErrors.duplicateBarcode(barcode, dup.id)
          const footprint = await this.footprintOf(trx, tenantId, typeId)
          const now = this.now()
          const row: BoxTable = {
            id: this.deps.ids.next(),
            tenant_id: tenantId,
            barcode,
            cote,
            title,
            producer,
            box_type_id: typeId,
            footprint_mm: footprint,
            location_id: null,
            status: 'active',
            operation_id: op.id,
            created_at: now,
            updated_at: now,
          }
          await trx.insertInto('box').values(row).execute()
          await this.movement(trx, row, 'created', null, null, op.id, actor.id, null)
          const events: OperationEvent[] = [this.createdEvent(row, actor.id)]
          if (b.location !== undefined && b.location !== null) {
            const moved = await this.placeBoxes(trx, tenantId, [row], b.location, op.id, actor.id, null)
            events.push(...moved.events)
            row.location_id = moved.shelf.row.id
          }
          return { result: this.boxSummary(row, await this.tree(trx, tenantId)), events }
        },
      ),
    )
    return result
  }

  private createdEvent(row: BoxTable, agent: string): OperationEvent {
    return {
      type: 'PHYSICAL_BOX_CREATE',
      outcome: 'OK',
      detail: 'PHYSICAL_BOX_CREATE.OK',
      agent,
      objectId: row.id,
      message: `Boîte ${row.barcode}${row.cote ? ` (cote ${row.cote})` : ''} enregistrée`,
      data: { barcode: row.barcode, cote: row.cote, boxType: row.box_type_id },
    }
  }

  private findBoxByBarcode(trx: Executor, tenantId: string, barcode: string) {
    return trx
      .selectFrom('box')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('barcode', '=', barcode)
      .executeTakeFirst()
  }

  async updateBox(actor: Principal, tenantId: string, ref: string, input: unknown): Promise<BoxView> {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.manage')
    const b = obj(input)
    const { result } = await this.deps.audit.inOperation(
      { tenantId, type: 'PHYSICAL_BOX_UPDATE', agent: actor.id },
      async (trx) => {
        const box = await this.findBox(trx, tenantId, ref)
        if (!box) throw PhysErrors.boxNotFound(ref)
        if (box.status === 'destroyed') throw PhysErrors.boxDestroyed(box.barcode)
        const patch: Partial<BoxTable> = {}
        if (b.cote !== undefined) patch.cote = text('cote', b.cote, { max: 200 })
        if (b.title !== undefined) patch.title = text('title', b.title, { max: 1000 })
        if (b.boxType !== undefined) {
          patch.box_type_id = text('boxType', b.boxType, { required: true, max: 60 })
          patch.footprint_mm = await this.footprintOf(trx, tenantId, patch.box_type_id)
          if (box.location_id) {
            const tree = await this.tree(trx, tenantId)
            const shelf = tree.byId.get(box.location_id)!
            const used = (await this.usage(trx, tenantId)).get(shelf.row.id)?.mm ?? 0
            const free = Number(shelf.row.length_mm ?? 0) - used + Number(box.footprint_mm ?? 0)
            if (patch.footprint_mm! > free)
              throw PhysErrors.shelfFull(shelf.row.path, free, patch.footprint_mm!)
          }
        }
        if (Object.keys(patch).length === 0) throw PhysErrors.invalid('body', 'aucune modification demandée')
        await trx
          .updateTable('box')
          .set({ ...patch, updated_at: this.now() })
          .where('id', '=', box.id)
          .execute()
        const row = { ...box, ...patch }
        return {
          result: this.boxSummary(row, await this.tree(trx, tenantId)),
          events: [
            {
              type: 'PHYSICAL_BOX_UPDATE',
              outcome: 'OK',
              detail: 'PHYSICAL_BOX_UPDATE.OK',
              agent: actor.id,
              objectId: box.id,
              message: `Boîte ${box.barcode} modifiée`,
              data: { barcode: box.barcode, changes: patch },
            },
          ],
        }
      },
    )
    return result
  }

  async listBoxes(
    actor: Principal,
    tenantId: string,
    q: { location?: string; status?: string; q?: string; limit?: number; offset?: number } = {},
  ): Promise<{ total: number; results: BoxView[] }> {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.read')
    const tree = await this.tree(this.k, tenantId)
    let base = this.k.selectFrom('box').where('tenant_id', '=', tenantId)
    if (q.location) {
      const ids = tree.subtree(this.resolveLocation(tree, q.location).row.id).map((n) => n.row.id)
      base = base.where('location_id', 'in', ids)
    }
    if (q.status) base = base.where('status', '=', q.status === 'destroyed' ? 'destroyed' : 'active')
    if (q.q) {
      // Search by barcode or cote: their start, case-insensitive, wildcards taken literally.
      const like = `${text('q', q.q, { max: 200 })!
        .toLowerCase()
        .replace(/[\\%_]/g, (c) => `\\${c}`)}%`
      base = base.where(
        (eb) =>
          sql<boolean>`(lower(${eb.ref('barcode')}) like ${like} escape '\\' or lower(coalesce(${eb.ref('cote')}, '')) like ${like} escape '\\')`,
      )
    }
    const total = Number(
      (await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n,
    )
    const rows = await base
      .selectAll()
      .orderBy('barcode')
      .limit(Math.min(Math.max(q.limit ?? 100, 1), 1000))
      .offset(Math.max(q.offset ?? 0, 0))
      .execute()
    const outs = await this.outs(
      this.k,
      tenantId,
      rows.map((r) => r.id),
    )
    return { total, results: rows.map((r) => this.boxSummary(r, tree, outs)) }
  }

  async getBox(actor: Principal, tenantId: string, ref: string) {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.read')
    const box = await this.findBox(this.k, tenantId, ref)
    if (!box) throw PhysErrors.boxNotFound(ref)
    const tree = await this.tree(this.k, tenantId)
    const content = await this.k
      .selectFrom('box_content')
      .leftJoin('archive_unit', (j) =>
        j.onRef('archive_unit.id', '=', 'box_content.unit_id').on('archive_unit.tenant_id', '=', tenantId),
      )
      .select(['box_content.object_id', 'box_content.unit_id', 'archive_unit.title', 'archive_unit.seda_id'])
      .where('box_content.tenant_id', '=', tenantId)
      .where('box_content.box_id', '=', box.id)
      .orderBy('box_content.object_id')
      .execute()
    const history = await this.k
      .selectFrom('box_movement')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('box_id', '=', box.id)
      .orderBy('at')
      .orderBy('id')
      .execute()
    const outs = await this.outs(this.k, tenantId, [box.id])
    return {
      ...this.boxSummary(box, tree, outs),
      outings: await this.outings(tenantId, history),
      content: content.map((c) => ({
        objectId: c.object_id,
        unitId: c.unit_id,
        title: c.title,
        sedaId: c.seda_id,
      })),
      history: history.map((h) => ({
        kind: h.kind,
        label: MOVEMENT_LABELS[h.kind],
        from: h.from_path,
        to: h.to_path,
        at: h.at,
        agent: h.agent,
        operationId: h.operation_id,
        note: h.note,
        requestId: h.request_id ?? null,
      })),
    }
  }

  /** The outings of a box from its `out` / `returned` rows and the requests they name. */
  private async outings(tenantId: string, history: readonly BoxMovementTable[]): Promise<BoxOuting[]> {
    const outRows = history.filter((h) => h.kind === 'out' && h.request_id)
    if (outRows.length === 0) return []
    const reqs = new Map(
      (
        await this.k
          .selectFrom('access_request')
          .select(['id', 'kind', 'service', 'requester_name', 'state', 'due_date'])
          .where('tenant_id', '=', tenantId)
          .where(
            'id',
            'in',
            outRows.map((h) => h.request_id!),
          )
          .execute()
      ).map((r) => [r.id, r]),
    )
    const today = this.now().slice(0, 10)
    return outRows.map((o) => {
      const r = reqs.get(o.request_id!)
      const back = history.find((h) => h.kind === 'returned' && h.request_id === o.request_id) ?? null
      const due = r?.due_date ?? null
      return {
        requestId: o.request_id!,
        kind: r?.kind ?? null,
        service: r?.service ?? null,
        requester: r?.requester_name ?? null,
        state: r?.state ?? null,
        deliveredAt: o.at,
        dueDate: due,
        returnedAt: back?.at ?? null,
        overdue: due !== null && (back ? back.at.slice(0, 10) > due : today > due),
      }
    })
  }

  /** The boxes among `boxIds` (all the tenant's when omitted) that are out: an `out` row not returned. */
  private async outs(
    trx: Executor,
    tenantId: string,
    boxIds?: readonly string[],
    requestId?: string,
  ): Promise<Map<string, BoxOut>> {
    const out = new Map<string, BoxOut>()
    if (boxIds && boxIds.length === 0) return out
    let q = trx
      .selectFrom('box_movement as m')
      .leftJoin('access_request as r', (j) =>
        j.onRef('r.id', '=', 'm.request_id').on('r.tenant_id', '=', tenantId),
      )
      .select(['m.box_id', 'm.request_id', 'm.at', 'r.kind', 'r.service', 'r.requester_name', 'r.due_date'])
      .where('m.tenant_id', '=', tenantId)
      .where('m.kind', '=', 'out')
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('box_movement as x')
              .select('x.id')
              .whereRef('x.box_id', '=', 'm.box_id')
              .whereRef('x.request_id', '=', 'm.request_id')
              .where('x.kind', '=', 'returned'),
          ),
        ),
      )
    if (requestId !== undefined) q = q.where('m.request_id', '=', requestId)
    const rows: Awaited<ReturnType<typeof q.execute>> = []
    if (boxIds)
      for (let i = 0; i < boxIds.length; i += 500)
        rows.push(...(await q.where('m.box_id', 'in', boxIds.slice(i, i + 500)).execute()))
    else rows.push(...(await q.execute()))
    const today = this.now().slice(0, 10)
    for (const r of rows.sort((a, b) => a.at.localeCompare(b.at)))
      if (!out.has(r.box_id))
        out.set(r.box_id, {
          requestId: r.request_id!,
          kind: r.kind ?? null,
          service: r.service ?? null,
          requester: r.requester_name ?? null,
          since: r.at,
          dueDate: r.due_date ?? null,
          overdue: r.due_date !== null && r.due_date !== undefined && today > r.due_date,
        })
    return out
  }

  /**
   * Requests hook, in the transaction that delivers or returns a consultation or a loan: every active
   * box holding one of its units goes out (`out` row, from its shelf) or comes back (`returned` row, to
   * its shelf). Its shelf is kept meanwhile (the room stays reserved for its return).
   */
  async onRequestOuting(
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
  ): Promise<{ boxes: string[] }> {
    const tree = await this.tree(trx, e.tenantId)
    const what = e.kind === 'loan' ? `prêt à ${e.service ?? '—'}` : 'consultation en salle de lecture'
    const events: NewEvent[] = []
    const done: string[] = []
    if (e.action === 'deliver') {
      if (e.unitIds.length === 0) return { boxes: [] }
      const ids = new Set<string>()
      for (let i = 0; i < e.unitIds.length; i += 500)
        for (const r of await trx
          .selectFrom('box_content')
          .select('box_id')
          .where('tenant_id', '=', e.tenantId)
          .where('unit_id', 'in', e.unitIds.slice(i, i + 500))
          .execute())
          ids.add(r.box_id)
      const boxes =
        ids.size === 0
          ? []
          : await trx
              .selectFrom('box')
              .selectAll()
              .where('tenant_id', '=', e.tenantId)
              .where('id', 'in', [...ids])
              .where('status', '=', 'active')
              .orderBy('barcode')
              .execute()
      for (const b of boxes) {
        const from = b.location_id ? (tree.byId.get(b.location_id) ?? null) : null
        const note = `${what}${e.dueDate ? `, retour prévu le ${e.dueDate}` : ''}`
        await this.movement(trx, b, 'out', from, null, e.operationId, e.agent, note, e.requestId)
        done.push(b.barcode)
        events.push({
          operationId: e.operationId,
          tenantId: e.tenantId,
          type: 'PHYSICAL_BOX_OUT',
          outcome: 'OK',
          detail: 'PHYSICAL_BOX_OUT.OK',
          agent: e.agent,
          objectId: b.id,
          message: `Boîte ${b.barcode} sortie de ${from?.row.path ?? 'sans emplacement'} : ${note} (demande ${e.requestId})`,
          data: { barcode: b.barcode, from: from?.row.path ?? null, requestId: e.requestId, kind: e.kind },
        })
      }
    } else {
      const outs = await this.outs(trx, e.tenantId, undefined, e.requestId)
      const boxes =
        outs.size === 0
          ? []
          : await trx
              .selectFrom('box')
              .selectAll()
              .where('tenant_id', '=', e.tenantId)
              .where('id', 'in', [...outs.keys()])
              .orderBy('barcode')
              .execute()
      for (const b of boxes) {
        const to = b.location_id ? (tree.byId.get(b.location_id) ?? null) : null
        await this.movement(
          trx,
          b,
          'returned',
          null,
          to,
          e.operationId,
          e.agent,
          `retour : ${what}`,
          e.requestId,
        )
        done.push(b.barcode)
        events.push({
          operationId: e.operationId,
          tenantId: e.tenantId,
          type: 'PHYSICAL_BOX_RETURN',
          outcome: 'OK',
          detail: 'PHYSICAL_BOX_RETURN.OK',
          agent: e.agent,
          objectId: b.id,
          message: `Boîte ${b.barcode} réintégrée${to ? ` sur ${to.row.path}` : ''} (demande ${e.requestId})`,
          data: { barcode: b.barcode, to: to?.row.path ?? null, requestId: e.requestId, kind: e.kind },
        })
      }
    }
    if (events.length > 0) await this.deps.audit.record(trx, events)
    return { boxes: done }
  }

  private async movement(
    trx: Executor,
    box: BoxTable,
    kind: 'created' | 'moved' | 'destroyed' | 'out' | 'returned',
    from: Node | null,
    to: Node | null,
    operationId: string,
    agent: string,
    note: string | null,
    requestId: string | null = null,
  ): Promise<void> {
    await trx
      .insertInto('box_movement')
      .values({
        id: this.deps.ids.next(),
        tenant_id: box.tenant_id,
        box_id: box.id,
        kind,
        from_location_id: from?.row.id ?? null,
        to_location_id: to?.row.id ?? null,
        from_path: from?.row.path ?? null,
        to_path: to?.row.path ?? null,
        operation_id: operationId,
        agent,
        note,
        at: this.now(),
        request_id: requestId,
      })
      .execute()
  }

  /** Puts boxes on one shelf inside the caller's transaction, refused whole when it has no room. */
  private async placeBoxes(
    trx: Executor,
    tenantId: string,
    boxes: readonly BoxTable[],
    target: unknown,
    operationId: string,
    agent: string,
    note: string | null,
  ): Promise<{ shelf: Node; events: OperationEvent[] }> {
    if (this.deps.db.dialect === 'postgres')
      // Serialises the moves of a tenant (occupancy is read then written); NO KEY UPDATE does not block
      // the foreign-key checks of other writers on the tenant row.
      await trx.selectFrom('tenant').select('id').where('id', '=', tenantId).forNoKeyUpdate().execute()
    const tree = await this.tree(trx, tenantId)
    const shelf = this.resolveLocation(tree, target, 'to')
    if (shelf.row.is_shelf !== 1) throw PhysErrors.notShelf(shelf.row.path)
    if (shelf.eff.blocked) throw PhysErrors.blocked(shelf.row.path)
    let needed = 0
    const outs = await this.outs(
      trx,
      tenantId,
      boxes.map((b) => b.id),
    )
    for (const b of boxes) {
      if (b.status === 'destroyed') throw PhysErrors.boxDestroyed(b.barcode)
      const o = outs.get(b.id)
      if (o) throw PhysErrors.boxOut(b.barcode, o.requestId)
      if (b.footprint_mm === null) throw PhysErrors.noFootprint(b.barcode)
      if (b.location_id !== shelf.row.id) needed += Number(b.footprint_mm)
    }
    const used = (await this.usage(trx, tenantId)).get(shelf.row.id)?.mm ?? 0
    const free = Math.max(Number(shelf.row.length_mm ?? 0) - used, 0)
    if (needed > free) throw PhysErrors.shelfFull(shelf.row.path, free, needed)
    const events: OperationEvent[] = []
    const now = this.now()
    for (const b of boxes) {
      if (b.location_id === shelf.row.id) continue
      const from = b.location_id ? (tree.byId.get(b.location_id) ?? null) : null
      await trx
        .updateTable('box')
        .set({ location_id: shelf.row.id, updated_at: now })
        .where('id', '=', b.id)
        .execute()
      await this.movement(trx, b, 'moved', from, shelf, operationId, agent, note)
      events.push({
        type: 'PHYSICAL_BOX_MOVE',
        outcome: 'OK',
        detail: 'PHYSICAL_BOX_MOVE.OK',
        agent,
        objectId: b.id,
        message: `Boîte ${b.barcode} : ${from?.row.path ?? 'sans emplacement'} → ${shelf.row.path}`,
        data: { barcode: b.barcode, from: from?.row.path ?? null, to: shelf.row.path },
      })
    }
    return { shelf, events }
  }

  /** Moves one box or many onto one shelf, in one operation; refused whole when the shelf lacks room. */
  async moveBoxes(actor: Principal, tenantId: string, input: unknown) {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.manage')
    const b = obj(input)
    const list = b.boxes
    if (!Array.isArray(list) || list.length === 0 || list.length > MAX_BATCH)
      throw PhysErrors.invalid(
        'boxes',
        `liste de 1 à ${MAX_BATCH} boîtes (identifiants ou codes-barres) attendue`,
      )
    const refs = list.map((v, i) => text(`boxes[${i}]`, v, { required: true, max: 200 })!)
    const note = text('note', b.note, { max: 1000 })
    const { result } = await this.deps.audit.inOperation(
      { tenantId, type: 'PHYSICAL_MOVE', agent: actor.id },
      async (trx, op) => {
        const boxes: BoxTable[] = []
        const seen = new Set<string>()
        for (const r of refs) {
          const box = await this.findBox(trx, tenantId, r)
          if (!box) throw PhysErrors.boxNotFound(r)
          if (!seen.has(box.id)) boxes.push(box)
          seen.add(box.id)
        }
        const { shelf, events } = await this.placeBoxes(trx, tenantId, boxes, b.to, op.id, actor.id, note)
        return {
          result: {
            operationId: op.id,
            to: { id: shelf.row.id, path: shelf.row.path },
            moved: events.length,
            boxes: boxes.map((x) => x.barcode),
          },
          events:
            events.length > 0
              ? events
              : [
                  {
                    type: 'PHYSICAL_BOX_MOVE',
                    outcome: 'OK' as const,
                    detail: 'PHYSICAL_BOX_MOVE.NOTHING',
                    agent: actor.id,
                    message: `Boîtes déjà sur ${shelf.row.path}`,
                  },
                ],
          summary: { moved: events.length, to: shelf.row.path },
        }
      },
    )
    return result
  }

  // ── physical transfer form and ingest ─────────────────────────────────────────────────────────

  async transferCsv(
    actor: Principal,
    tenantId: string,
    csv: string,
    fileName: string | null = null,
  ): Promise<TransferResult> {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'ingest.submit')
    const { rows, errors } = csvRows(csv)
    return this.transfer(actor, tenantId, rows, errors, fileName)
  }

  async transferJson(actor: Principal, tenantId: string, input: unknown): Promise<TransferResult> {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'ingest.submit')
    const { rows, errors } = jsonRows(input)
    return this.transfer(actor, tenantId, rows, errors, null)
  }

  /** Checks every row first (all errors by row and column, nothing created), then creates all at once. */
  private async transfer(
    actor: Principal,
    tenantId: string,
    raw: readonly RawRow[],
    structural: readonly FormError[],
    fileName: string | null,
  ): Promise<TransferResult> {
    if (structural.length > 0 && raw.length === 0) throw PhysErrors.form(structural)
    const codes = [...new Set(raw.map((r) => r.values.box_barcode?.trim() ?? '').filter((x) => x !== ''))]
    const { result } = await this.barcodesUnique(tenantId, codes, () =>
      this.deps.audit.inOperation(
        { tenantId, type: 'PHYSICAL_TRANSFER', agent: actor.id },
        async (trx, op) => {
          const ruleRows = await trx
            .selectFrom('rule')
            .select(['rule_id', 'rule_type', 'duration', 'measurement'])
            .where('tenant_id', '=', tenantId)
            .execute()
          const barcodes = [
            ...new Set(raw.map((r) => r.values.box_barcode?.trim() ?? '').filter((x) => x !== '')),
          ]
          const existing = new Set<string>()
          for (let i = 0; i < barcodes.length; i += 400)
            for (const r of await trx
              .selectFrom('box')
              .select('barcode')
              .where('tenant_id', '=', tenantId)
              .where('barcode', 'in', barcodes.slice(i, i + 400))
              .execute())
              existing.add(r.barcode)
          const typeRows = await trx
            .selectFrom('box_type')
            .select(['id', 'footprint_mm'])
            .where('tenant_id', '=', tenantId)
            .execute()
          const { rows, errors } = checkRows(raw, {
            rules: new Map(ruleRows.map((r) => [r.rule_id, r.rule_type])),
            agencies: new Set(
              (
                await trx
                  .selectFrom('agency')
                  .select('identifier')
                  .where('tenant_id', '=', tenantId)
                  .execute()
              ).map((a) => a.identifier),
            ),
            boxTypes: new Set(typeRows.map((t) => t.id)),
            existingBarcodes: existing,
          })
          const all = [...structural, ...errors].sort((a, b) => a.row - b.row)
          if (all.length > 0) throw PhysErrors.form(all)
          const ruleInfo = new Map(ruleRows.map((r) => [r.rule_id, r]))
          const footprints = new Map(typeRows.map((t) => [t.id, Number(t.footprint_mm)]))
          const now = this.now()
          const byBox = new Map<string, FormRow[]>()
          for (const r of rows) byBox.set(r.boxBarcode, [...(byBox.get(r.boxBarcode) ?? []), r])
          const boxIds = new Map<string, BoxTable>()
          const events: OperationEvent[] = []
          for (const [barcode, rs] of byBox) {
            const type = rs.find((r) => r.boxType !== null)?.boxType ?? null
            const cotes = rs.map((r) => r.cote).filter((c): c is string => c !== null)
            const box: BoxTable = {
              id: this.deps.ids.next(),
              tenant_id: tenantId,
              barcode,
              cote:
                cotes.length === 0
                  ? null
                  : cotes.length === 1 || cotes.every((c) => c === cotes[0])
                    ? cotes[0]!
                    : `${cotes[0]} à ${cotes[cotes.length - 1]}`,
              title: rs.length === 1 ? rs[0]!.title : `${rs[0]!.title} (et ${rs.length - 1} autre(s))`,
              producer: rs.find((r) => r.producer !== null)?.producer ?? null,
              box_type_id: type,
              footprint_mm: type === null ? null : footprints.get(type)!,
              location_id: null,
              status: 'active',
              operation_id: op.id,
              created_at: now,
              updated_at: now,
            }
            await trx.insertInto('box').values(box).execute()
            await this.movement(trx, box, 'created', null, null, op.id, actor.id, 'bordereau de versement')
            boxIds.set(barcode, box)
            events.push(this.createdEvent(box, actor.id))
          }
          const units: TransferResult['units'] = []
          // Rows go to the database in chunks as they are built.
          const pending = {
            object_group: [] as Insertable<ObjectGroupTable>[],
            archive_unit: [] as Insertable<ArchiveUnitTable>[],
            data_object: [] as Insertable<DataObjectTable>[],
            box_content: [] as Insertable<BoxContentTable>[],
            unit_rule: [] as Insertable<UnitRuleTable>[],
          }
          const flush = async (force: boolean) => {
            if (!force && pending.archive_unit.length < 200) return
            for (const t of [
              'object_group',
              'archive_unit',
              'data_object',
              'box_content',
              'unit_rule',
            ] as const) {
              const list = pending[t]
              if (list.length > 0)
                await trx
                  .insertInto(t)
                  .values(list as never)
                  .execute()
              pending[t] = []
            }
          }
          for (const r of rows) {
            const unitId = this.deps.ids.next()
            const groupId = this.deps.ids.next()
            const objectId = this.deps.ids.next()
            const box = boxIds.get(r.boxBarcode)!
            pending.object_group.push({
              id: groupId,
              tenant_id: tenantId,
              operation_id: op.id,
              seda_id: null,
              created_at: now,
            })
            const content: Record<string, unknown> = {
              DescriptionLevel: r.descriptionLevel,
              Title: r.title,
              ...(r.cote ? { ArchivalAgencyArchiveUnitIdentifier: r.cote } : {}),
              ...(r.description ? { Description: r.description } : {}),
              ...(r.startDate ? { StartDate: r.startDate } : {}),
              ...(r.endDate ? { EndDate: r.endDate } : {}),
              ...(r.producer ? { OriginatingAgency: { Identifier: r.producer } } : {}),
            }
            pending.archive_unit.push({
              id: unitId,
              tenant_id: tenantId,
              operation_id: op.id,
              seda_id: null,
              title: r.title,
              description_level: r.descriptionLevel,
              start_date: r.startDate,
              end_date: r.endDate,
              originating_agency: r.producer,
              submission_agency: r.producer,
              object_group_id: groupId,
              content: toJson(content),
              management: null,
              created_at: now,
              updated_at: now,
            })
            pending.data_object.push({
              id: objectId,
              tenant_id: tenantId,
              group_id: groupId,
              operation_id: op.id,
              seda_id: null,
              kind: 'physical',
              usage: 'PhysicalMaster_1',
              blob_id: null,
              size: null,
              sha512: null,
              declared_algorithm: null,
              declared_digest: null,
              format_puid: null,
              format_name: null,
              mime_type: null,
              filename: null,
              physical_id: r.boxBarcode,
              metadata: toJson({ source: 'transfer-form', row: r.row, fileName }),
              created_at: now,
            })
            pending.box_content.push({
              tenant_id: tenantId,
              object_id: objectId,
              box_id: box.id,
              unit_id: unitId,
              created_at: now,
            })
            const ruleRow = (
              category: string,
              id: string | null,
              start: string | null,
              fa: string | null,
            ) => {
              if (id === null && fa === null) return null
              const info = id ? ruleInfo.get(id)! : null
              return {
                tenant_id: tenantId,
                unit_id: unitId,
                category,
                rule_id: id,
                start_date: start,
                end_date: start && info ? computeEndDate(start, info.duration, info.measurement) : null,
                final_action: fa,
                data: toJson({ preventInheritance: false, refNonRuleIds: [] }),
              }
            }
            for (const rr of [
              ruleRow('AppraisalRule', r.appraisalRule, r.appraisalStartDate, r.finalAction),
              ruleRow('AccessRule', r.accessRule, r.accessStartDate, null),
            ])
              if (rr) pending.unit_rule.push(rr)
            units.push({ row: r.row, unitId, objectId, boxId: box.id, barcode: r.boxBarcode, title: r.title })
            await flush(false)
          }
          await flush(true)
          await this.deps.rules.recompute(
            trx,
            tenantId,
            units.map((u) => u.unitId),
          )
          await this.deps.searchIndex?.indexUnits(
            trx,
            tenantId,
            units.map((u) => u.unitId),
          )
          const boxes = [...boxIds.values()].map((b) => ({ id: b.id, barcode: b.barcode, cote: b.cote }))
          const linear = [...boxIds.values()].reduce((s, b) => s + Number(b.footprint_mm ?? 0), 0)
          events.unshift({
            type: 'PHYSICAL_TRANSFER',
            outcome: 'OK',
            detail: 'PHYSICAL_TRANSFER.OK',
            agent: actor.id,
            message: `Versement papier accepté${fileName ? ` (${fileName})` : ''} : ${units.length} unité(s), ${boxes.length} boîte(s), ${metres(linear)} m linéaires`,
            data: { units: units.length, boxes: boxes.length, linearMetres: metres(linear), fileName },
          })
          return {
            result: { operationId: op.id, units, boxes, linearMetres: metres(linear) },
            events,
            summary: {
              units: units.length,
              physicalObjects: units.length,
              boxes: boxes.length,
              linearMetres: metres(linear),
              // Read by the accession register (lifecycle module): the units of each producer.
              byProducer: [...new Set(rows.map((r) => r.producer))].map((producer) => ({
                producer,
                units: rows.filter((r) => r.producer === producer).length,
              })),
            },
          }
        },
      ),
    )
    return result
  }

  /**
   * Ingest hook, in the ingest's transaction: each PhysicalDataObject goes into the box whose barcode
   * is its PhysicalId, created (no type, no place) when none exists.
   */
  async onIngestCommitted(
    trx: Executor,
    tenantId: string,
    operationId: string,
    agent: string,
  ): Promise<void> {
    const objs = await trx
      .selectFrom('data_object')
      .select(['id', 'group_id', 'physical_id'])
      .where('tenant_id', '=', tenantId)
      .where('operation_id', '=', operationId)
      .where('kind', '=', 'physical')
      .orderBy('id')
      .execute()
    if (objs.length === 0) return
    const now = this.now()
    const events: NewEvent[] = []
    const ev = (e: Omit<NewEvent, 'operationId' | 'tenantId'>) => events.push({ ...e, operationId, tenantId })
    const created = new Map<string, BoxTable>()
    for (const o of objs) {
      const unit = await trx
        .selectFrom('archive_unit')
        .select(['id', 'title', 'originating_agency'])
        .where('tenant_id', '=', tenantId)
        .where('object_group_id', '=', o.group_id)
        .orderBy('id')
        .executeTakeFirst()
      const pid = o.physical_id?.trim() ?? ''
      if (pid === '' || !BARCODE_RE.test(pid)) {
        ev({
          type: 'PHYSICAL_BOX_ASSIGN',
          outcome: 'WARNING',
          detail: 'PHYSICAL_BOX_ASSIGN.NO_BARCODE',
          agent,
          objectId: o.id,
          message: `Objet physique ${o.id} : PhysicalId absent ou inutilisable comme code-barres, aucune boîte`,
        })
        continue
      }
      let box = created.get(pid) ?? (await this.findBoxByBarcode(trx, tenantId, pid))
      if (box && box.status === 'destroyed') {
        ev({
          type: 'PHYSICAL_BOX_ASSIGN',
          outcome: 'WARNING',
          detail: 'PHYSICAL_BOX_ASSIGN.DESTROYED',
          agent,
          objectId: o.id,
          message: `Objet physique ${o.id} : la boîte ${pid} a été détruite, l’objet n’est pas rangé`,
        })
        continue
      }
      if (!box) {
        const fresh: BoxTable = {
          id: this.deps.ids.next(),
          tenant_id: tenantId,
          barcode: pid,
          cote: null,
          title: unit?.title ?? null,
          producer: unit?.originating_agency ?? null,
          box_type_id: null,
          footprint_mm: null,
          location_id: null,
          status: 'active',
          operation_id: operationId,
          created_at: now,
          updated_at: now,
        }
        // A concurrent ingest may create the same barcode: its box is then used (no unique violation).
        const ins = await trx
          .insertInto('box')
          .values(fresh)
          .onConflict((oc) => oc.columns(['tenant_id', 'barcode']).doNothing())
          .executeTakeFirst()
        if (Number(ins.numInsertedOrUpdatedRows ?? 0) === 1) {
          box = fresh
          await this.movement(trx, box, 'created', null, null, operationId, agent, 'entrée SEDA (PhysicalId)')
          created.set(pid, box)
          ev({ ...this.createdEvent(box, agent), type: 'PHYSICAL_BOX_CREATE' })
        } else box = (await this.findBoxByBarcode(trx, tenantId, pid))!
      }
      await trx
        .insertInto('box_content')
        .values({
          tenant_id: tenantId,
          object_id: o.id,
          box_id: box.id,
          unit_id: unit?.id ?? null,
          created_at: now,
        })
        .execute()
      ev({
        type: 'PHYSICAL_BOX_ASSIGN',
        outcome: 'OK',
        detail: 'PHYSICAL_BOX_ASSIGN.OK',
        agent,
        objectId: o.id,
        message: `Objet physique ${o.id} dans la boîte ${pid}`,
        data: { boxId: box.id, barcode: pid, unitId: unit?.id ?? null },
      })
    }
    await this.deps.audit.record(trx, events)
  }

  // ── unit view and elimination hooks ───────────────────────────────────────────────────────────

  /** The box and place of physical objects (the unit view). */
  async placesOfObjects(tenantId: string, objectIds: readonly string[]): Promise<Map<string, ObjectPlace>> {
    const out = new Map<string, ObjectPlace>()
    if (objectIds.length === 0) return out
    const rows = await this.k
      .selectFrom('box_content')
      .innerJoin('box', 'box.id', 'box_content.box_id')
      .select([
        'box_content.object_id',
        'box.id',
        'box.barcode',
        'box.cote',
        'box.status',
        'box.location_id',
        'box.footprint_mm',
      ])
      .where('box_content.tenant_id', '=', tenantId)
      .where('box_content.object_id', 'in', [...objectIds])
      .execute()
    if (rows.length === 0) return out
    const tree = await this.tree(this.k, tenantId)
    const levels = await this.levelNames(tenantId)
    const outs = await this.outs(this.k, tenantId, [...new Set(rows.map((r) => r.id))])
    for (const r of rows) {
      const n = r.location_id ? tree.byId.get(r.location_id) : undefined
      const o = outs.get(r.id) ?? null
      out.set(r.object_id, {
        box: {
          id: r.id,
          barcode: r.barcode,
          cote: r.cote,
          status: r.status,
          linearMetres: r.footprint_mm === null ? null : metres(Number(r.footprint_mm)),
          presence:
            r.status === 'destroyed' ? 'destroyed' : o ? 'out' : r.location_id ? 'shelved' : 'unplaced',
          out: o,
        },
        place: n
          ? {
              id: n.row.id,
              path: n.row.path,
              levels: n.ancestry.map((a) => {
                const x = tree.byId.get(a)!.row
                return { level: levels[x.depth] ?? String(x.depth), code: x.code, name: x.name }
              }),
            }
          : null,
      })
    }
    return out
  }

  /**
   * Elimination hook, in the transaction that destroys a unit: its physical objects leave their boxes;
   * a box left empty is destroyed (current place cleared, history entry « détruite »).
   */
  async onObjectsDestroyed(
    trx: Executor,
    tenantId: string,
    objectIds: readonly string[],
    ctx: { requestId: string; visaId: string | null; operationId: string },
  ): Promise<void> {
    if (objectIds.length === 0) return
    const boxIds = [
      ...new Set(
        (
          await trx
            .selectFrom('box_content')
            .select('box_id')
            .where('tenant_id', '=', tenantId)
            .where('object_id', 'in', [...objectIds])
            .execute()
        ).map((r) => r.box_id),
      ),
    ]
    await trx
      .deleteFrom('box_content')
      .where('tenant_id', '=', tenantId)
      .where('object_id', 'in', [...objectIds])
      .execute()
    if (boxIds.length === 0) return
    const tree = await this.tree(trx, tenantId)
    for (const id of boxIds) {
      const left = await trx
        .selectFrom('box_content')
        .select('object_id')
        .where('box_id', '=', id)
        .executeTakeFirst()
      if (left) continue
      const box = (await trx.selectFrom('box').selectAll().where('id', '=', id).executeTakeFirst())!
      if (box.status === 'destroyed') continue
      const from = box.location_id ? (tree.byId.get(box.location_id) ?? null) : null
      await trx
        .updateTable('box')
        .set({ status: 'destroyed', location_id: null, updated_at: this.now() })
        .where('id', '=', id)
        .execute()
      const note = `détruite : élimination ${ctx.requestId}, visa ${ctx.visaId ?? '—'}`
      await this.movement(trx, box, 'destroyed', from, null, ctx.operationId, 'system', note)
      await this.deps.audit.record(trx, {
        operationId: ctx.operationId,
        tenantId,
        type: 'PHYSICAL_BOX_DESTROYED',
        outcome: 'OK',
        detail: 'PHYSICAL_BOX_DESTROYED.OK',
        agent: 'system',
        objectId: id,
        message: `Boîte ${box.barcode}${box.cote ? ` (cote ${box.cote})` : ''} détruite, retirée de ${from?.row.path ?? 'aucun emplacement'}`,
        data: {
          barcode: box.barcode,
          from: from?.row.path ?? null,
          linearMetres: box.footprint_mm === null ? null : metres(Number(box.footprint_mm)),
          requestId: ctx.requestId,
        },
      })
    }
  }

  /** Elimination hook: the physical objects among these whose box is out (consultation, loan). */
  async objectsOut(
    trx: Executor,
    tenantId: string,
    objectIds: readonly string[],
  ): Promise<Map<string, { barcode: string; requestId: string }>> {
    const res = new Map<string, { barcode: string; requestId: string }>()
    const rows: { object_id: string; box_id: string; barcode: string }[] = []
    for (let i = 0; i < objectIds.length; i += 500)
      rows.push(
        ...(await trx
          .selectFrom('box_content')
          .innerJoin('box', 'box.id', 'box_content.box_id')
          .select(['box_content.object_id', 'box_content.box_id', 'box.barcode'])
          .where('box_content.tenant_id', '=', tenantId)
          .where('box_content.object_id', 'in', objectIds.slice(i, i + 500))
          .execute()),
      )
    const outs = await this.outs(trx, tenantId, [...new Set(rows.map((r) => r.box_id))])
    for (const r of rows) {
      const o = outs.get(r.box_id)
      if (o) res.set(r.object_id, { barcode: r.barcode, requestId: o.requestId })
    }
    return res
  }

  /** The boxes an elimination's operation destroyed (for its certificate). */
  async destroyedBoxes(trx: Executor, tenantId: string, operationId: string): Promise<DestroyedBox[]> {
    const rows = await trx
      .selectFrom('box_movement')
      .innerJoin('box', 'box.id', 'box_movement.box_id')
      .select([
        'box.id',
        'box.barcode',
        'box.cote',
        'box.title',
        'box.footprint_mm',
        'box_movement.from_path',
      ])
      .where('box_movement.tenant_id', '=', tenantId)
      .where('box_movement.operation_id', '=', operationId)
      .where('box_movement.kind', '=', 'destroyed')
      .orderBy('box.barcode')
      .execute()
    return rows.map((r) => ({
      boxId: r.id,
      barcode: r.barcode,
      cote: r.cote,
      title: r.title,
      linearMetres: r.footprint_mm === null ? 0 : metres(Number(r.footprint_mm)),
      lastPlace: r.from_path,
    }))
  }

  // ── inventories (récolement) ──────────────────────────────────────────────────────────────────

  async startInventory(actor: Principal, tenantId: string, input: unknown): Promise<InventoryView> {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.manage')
    const b = obj(input)
    const label = text('label', b.label, { max: 300 }) ?? 'Récolement'
    const locs = b.locations
    if (!Array.isArray(locs) || locs.length === 0 || locs.length > MAX_BATCH)
      throw PhysErrors.invalid('locations', 'liste d’emplacements (identifiants ou chemins) attendue')
    const { result } = await this.deps.audit.inOperation(
      { tenantId, type: 'PHYSICAL_INVENTORY_START', agent: actor.id },
      async (trx) => {
        const tree = await this.tree(trx, tenantId)
        const shelves = new Set<string>()
        locs.forEach((l, i) => {
          for (const n of tree.subtree(this.resolveLocation(tree, l, `locations[${i}]`).row.id))
            if (n.row.is_shelf === 1) shelves.add(n.row.id)
        })
        if (shelves.size === 0) throw PhysErrors.invalid('locations', 'aucune tablette dans ces emplacements')
        const ordered = [...shelves].sort((a, c) => tree.byId.get(a)!.order - tree.byId.get(c)!.order)
        const id = this.deps.ids.next()
        await trx
          .insertInto('inventory')
          .values({
            id,
            tenant_id: tenantId,
            label,
            status: 'open',
            shelf_ids: toJson(ordered),
            report: null,
            created_by: actor.id,
            created_at: this.now(),
            closed_by: null,
            closed_at: null,
          })
          .execute()
        return {
          result: id,
          events: [
            {
              type: 'PHYSICAL_INVENTORY_START',
              outcome: 'OK',
              detail: 'PHYSICAL_INVENTORY_START.OK',
              agent: actor.id,
              objectId: id,
              message: `Récolement « ${label} » ouvert sur ${ordered.length} tablette(s)`,
              data: { shelves: ordered.map((s) => tree.byId.get(s)!.row.path) },
            },
          ],
        }
      },
    )
    return this.getInventory(actor, tenantId, result)
  }

  private async inventoryRow(trx: Executor, tenantId: string, id: string) {
    const r = await trx
      .selectFrom('inventory')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst()
    if (!r) throw PhysErrors.inventoryNotFound(id)
    return r
  }

  /** Records the barcodes found (scanned or ticked) on one shelf of an open campaign. */
  async scan(actor: Principal, tenantId: string, id: string, input: unknown): Promise<InventoryView> {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.manage')
    const b = obj(input)
    const list = b.barcodes
    if (!Array.isArray(list) || list.length > MAX_BATCH)
      throw PhysErrors.invalid('barcodes', `liste d’au plus ${MAX_BATCH} codes-barres attendue`)
    const codes = list.map((v, i) => {
      const c = text(`barcodes[${i}]`, v, { required: true, max: 64 })!
      if (!BARCODE_RE.test(c)) throw PhysErrors.invalid(`barcodes[${i}]`, 'code-barres invalide', c)
      return c
    })
    await this.deps.audit.inOperation(
      { tenantId, type: 'PHYSICAL_INVENTORY_SCAN', agent: actor.id },
      async (trx) => {
        const inv = await this.inventoryRow(trx, tenantId, id)
        if (inv.status !== 'open') throw PhysErrors.inventoryClosed(id)
        const tree = await this.tree(trx, tenantId)
        const shelf = this.resolveLocation(tree, b.shelf, 'shelf')
        if (!fromJson<string[]>(inv.shelf_ids).includes(shelf.row.id))
          throw PhysErrors.shelfOutOfScope(shelf.row.path, id)
        const now = this.now()
        for (const c of [...new Set(codes)])
          await trx
            .insertInto('inventory_scan')
            .values({
              inventory_id: id,
              tenant_id: tenantId,
              shelf_id: shelf.row.id,
              barcode: c,
              agent: actor.id,
              scanned_at: now,
            })
            .onConflict((oc) => oc.columns(['inventory_id', 'shelf_id', 'barcode']).doNothing())
            .execute()
        return {
          result: null,
          events: [
            {
              type: 'PHYSICAL_INVENTORY_SCAN',
              outcome: 'OK',
              detail: 'PHYSICAL_INVENTORY_SCAN.OK',
              agent: actor.id,
              objectId: id,
              message: `Récolement ${id} : ${codes.length} code(s)-barres relevé(s) sur ${shelf.row.path}`,
              data: { shelf: shelf.row.path, barcodes: codes },
            },
          ],
        }
      },
    )
    return this.getInventory(actor, tenantId, id)
  }

  private async computeReport(
    trx: Executor,
    tenantId: string,
    shelfIds: readonly string[],
    inventoryId: string,
  ): Promise<InventoryReport> {
    const tree = await this.tree(trx, tenantId)
    const scope = new Set(shelfIds)
    const expected = await trx
      .selectFrom('box')
      .select(['id', 'barcode', 'cote', 'location_id'])
      .where('tenant_id', '=', tenantId)
      .where('status', '=', 'active')
      .where('location_id', 'in', [...shelfIds])
      .execute()
    const scans = await trx
      .selectFrom('inventory_scan')
      .select(['shelf_id', 'barcode'])
      .where('inventory_id', '=', inventoryId)
      .execute()
    const foundOn = new Map<string, string[]>()
    for (const s of scans) foundOn.set(s.barcode, [...(foundOn.get(s.barcode) ?? []), s.shelf_id])
    const path = (id: string | null) => (id ? (tree.byId.get(id)?.row.path ?? id) : null)
    const report: InventoryReport = {
      shelves: shelfIds.length,
      expected: expected.length,
      found: [],
      missing: [],
      misplaced: [],
      unexpected: [],
      out: [],
    }
    const outs = await this.outs(
      trx,
      tenantId,
      expected.map((e) => e.id),
    )
    const expectedCodes = new Set(expected.map((e) => e.barcode))
    for (const e of expected) {
      const at = foundOn.get(e.barcode) ?? []
      if (at.includes(e.location_id!))
        report.found.push({ barcode: e.barcode, cote: e.cote, shelf: path(e.location_id)! })
      else if (at.length > 0)
        report.misplaced.push({
          barcode: e.barcode,
          cote: e.cote,
          expectedAt: path(e.location_id),
          foundAt: at.map((x) => path(x)!),
        })
      else if (outs.has(e.id))
        report.out.push({
          barcode: e.barcode,
          cote: e.cote,
          expectedAt: path(e.location_id)!,
          requestId: outs.get(e.id)!.requestId,
        })
      else report.missing.push({ barcode: e.barcode, cote: e.cote, expectedAt: path(e.location_id)! })
    }
    const others = [...foundOn.keys()].filter((c) => !expectedCodes.has(c)).sort()
    for (let i = 0; i < others.length; i += 400) {
      const slice = others.slice(i, i + 400)
      const known = new Map(
        (
          await trx
            .selectFrom('box')
            .select(['barcode', 'location_id', 'status', 'cote'])
            .where('tenant_id', '=', tenantId)
            .where('barcode', 'in', slice)
            .execute()
        ).map((b) => [b.barcode, b]),
      )
      for (const c of slice) {
        const k = known.get(c)
        const at = foundOn.get(c)!.map((x) => path(x)!)
        if (k && k.location_id && !scope.has(k.location_id))
          report.misplaced.push({ barcode: c, cote: k.cote, expectedAt: path(k.location_id), foundAt: at })
        else
          report.unexpected.push({
            barcode: c,
            foundAt: at,
            reason: !k ? 'unknown' : k.status === 'destroyed' ? 'destroyed' : 'no-place',
          })
      }
    }
    return report
  }

  async getInventory(actor: Principal, tenantId: string, id: string): Promise<InventoryView> {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.read')
    const inv = await this.inventoryRow(this.k, tenantId, id)
    const shelves = fromJson<string[]>(inv.shelf_ids)
    const tree = await this.tree(this.k, tenantId)
    const scanned = await this.k
      .selectFrom('inventory_scan')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('inventory_id', '=', id)
      .executeTakeFirstOrThrow()
    return {
      id: inv.id,
      label: inv.label,
      status: inv.status,
      shelves: shelves.map((s) => ({ id: s, path: tree.byId.get(s)?.row.path ?? null })),
      scanned: Number(scanned.n),
      createdBy: inv.created_by,
      createdAt: inv.created_at,
      closedBy: inv.closed_by,
      closedAt: inv.closed_at,
      report:
        inv.report === null
          ? await this.computeReport(this.k, tenantId, shelves, id)
          : fromJson<InventoryReport>(inv.report),
    }
  }

  /** The tenant's campaigns, newest first (no report: open one for it). */
  async listInventories(actor: Principal, tenantId: string) {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.read')
    const rows = await this.k
      .selectFrom('inventory')
      .select(['id', 'label', 'status', 'shelf_ids', 'created_by', 'created_at', 'closed_at'])
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(500)
      .execute()
    return rows.map((r) => ({
      id: r.id,
      label: r.label,
      status: r.status,
      shelves: fromJson<string[]>(r.shelf_ids).length,
      createdBy: r.created_by,
      createdAt: r.created_at,
      closedAt: r.closed_at,
    }))
  }

  /** Closes a campaign: its report (found, missing, misplaced, unexpected) is frozen and logged. */
  async closeInventory(actor: Principal, tenantId: string, id: string): Promise<InventoryView> {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.manage')
    await this.deps.audit.inOperation(
      { tenantId, type: 'PHYSICAL_INVENTORY_CLOSE', agent: actor.id },
      async (trx) => {
        const inv = await this.inventoryRow(trx, tenantId, id)
        if (inv.status !== 'open') throw PhysErrors.inventoryClosed(id)
        const report = await this.computeReport(trx, tenantId, fromJson<string[]>(inv.shelf_ids), id)
        await trx
          .updateTable('inventory')
          .set({ status: 'closed', report: toJson(report), closed_by: actor.id, closed_at: this.now() })
          .where('id', '=', id)
          .execute()
        const anomalies = report.missing.length + report.misplaced.length + report.unexpected.length
        return {
          result: null,
          events: [
            {
              type: 'PHYSICAL_INVENTORY_CLOSE',
              outcome: anomalies > 0 ? 'WARNING' : 'OK',
              detail: `PHYSICAL_INVENTORY_CLOSE.${anomalies > 0 ? 'ANOMALIES' : 'OK'}`,
              agent: actor.id,
              objectId: id,
              message: `Récolement ${id} clos : ${report.found.length}/${report.expected} boîte(s) en place, ${report.missing.length} manquante(s), ${report.misplaced.length} mal rangée(s), ${report.unexpected.length} inattendue(s), ${report.out.length} sortie(s)`,
              data: {
                expected: report.expected,
                found: report.found.length,
                missing: report.missing.map((m) => m.barcode),
                misplaced: report.misplaced.map((m) => m.barcode),
                unexpected: report.unexpected.map((m) => m.barcode),
                out: report.out.map((m) => m.barcode),
              },
            },
          ],
        }
      },
    )
    return this.getInventory(actor, tenantId, id)
  }

  // ── statistics ────────────────────────────────────────────────────────────────────────────────

  /** Linear metres and boxes of the tenant's active boxes, by producer (accession register). */
  async linearMetresByProducer(
    tenantId: string,
  ): Promise<{ producer: string | null; boxes: number; linearMetres: number }[]> {
    const rows = await this.k
      .selectFrom('box')
      .select(['producer', 'footprint_mm'])
      .where('tenant_id', '=', tenantId)
      .where('status', '=', 'active')
      .execute()
    const m = new Map<string | null, { boxes: number; mm: number }>()
    for (const r of rows) {
      const x = m.get(r.producer) ?? { boxes: 0, mm: 0 }
      x.boxes++
      x.mm += Number(r.footprint_mm ?? 0)
      m.set(r.producer, x)
    }
    return [...m]
      .map(([producer, x]) => ({ producer, boxes: x.boxes, linearMetres: metres(x.mm) }))
      .sort((a, b) => (a.producer ?? '').localeCompare(b.producer ?? ''))
  }

  /** Linear metres by final action of the units the boxes hold (« mixed » when they differ). */
  async linearMetresByFinalAction(tenantId: string) {
    const rows = await this.k
      .selectFrom('box')
      .leftJoin('box_content', 'box_content.box_id', 'box.id')
      .leftJoin('unit_lifecycle', (j) =>
        j
          .onRef('unit_lifecycle.unit_id', '=', 'box_content.unit_id')
          .on('unit_lifecycle.tenant_id', '=', tenantId),
      )
      .select(['box.id', 'box.footprint_mm', 'unit_lifecycle.final_action'])
      .where('box.tenant_id', '=', tenantId)
      .where('box.status', '=', 'active')
      .execute()
    const per = new Map<string, { mm: number; actions: Set<string> }>()
    for (const r of rows) {
      const x = per.get(r.id) ?? { mm: Number(r.footprint_mm ?? 0), actions: new Set<string>() }
      x.actions.add(r.final_action ?? 'none')
      per.set(r.id, x)
    }
    const m = new Map<string, { boxes: number; mm: number }>()
    for (const x of per.values()) {
      const key = x.actions.size === 1 ? [...x.actions][0]! : 'mixed'
      const y = m.get(key) ?? { boxes: 0, mm: 0 }
      y.boxes++
      y.mm += x.mm
      m.set(key, y)
    }
    return [...m]
      .map(([finalAction, x]) => ({ finalAction, boxes: x.boxes, linearMetres: metres(x.mm) }))
      .sort((a, b) => a.finalAction.localeCompare(b.finalAction))
  }

  async statistics(actor: Principal, tenantId: string): Promise<Statistics> {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.read')
    const { locations } = await this.listLocations(actor, tenantId)
    const unplaced = await this.k
      .selectFrom('box')
      .select(['footprint_mm'])
      .where('tenant_id', '=', tenantId)
      .where('status', '=', 'active')
      .where('location_id', 'is', null)
      .execute()
    return {
      byProducer: await this.linearMetresByProducer(tenantId),
      byFinalAction: await this.linearMetresByFinalAction(tenantId),
      byLocation: locations.map((l) => ({
        id: l.id,
        path: l.path,
        level: l.level,
        capacityMetres: l.occupancy.capacityMetres,
        usedMetres: l.occupancy.usedMetres,
        freeMetres: l.occupancy.freeMetres,
        boxes: l.occupancy.boxes,
      })),
      unplaced: {
        boxes: unplaced.length,
        linearMetres: metres(unplaced.reduce((s, r) => s + Number(r.footprint_mm ?? 0), 0)),
      },
    }
  }

  // ── labels ────────────────────────────────────────────────────────────────────────────────────

  /** Boxes for labels: the ones named, or those on the shelves under a location. */
  async labelBoxes(actor: Principal, tenantId: string, q: { boxes?: readonly string[]; location?: string }) {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.read')
    const tree = await this.tree(this.k, tenantId)
    let rows: BoxTable[] = []
    if (q.boxes && q.boxes.length > 0) {
      if (q.boxes.length > MAX_BATCH) throw PhysErrors.invalid('boxes', `au plus ${MAX_BATCH} boîtes`)
      for (const r of q.boxes) {
        const b = await this.findBox(this.k, tenantId, text('boxes', r, { required: true, max: 200 })!)
        if (!b) throw PhysErrors.boxNotFound(r)
        rows.push(b)
      }
    } else if (q.location) {
      const nodes = tree.subtree(this.resolveLocation(tree, q.location).row.id)
      const order = new Map(nodes.map((n) => [n.row.id, n.order]))
      rows = (
        await this.k
          .selectFrom('box')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('status', '=', 'active')
          .where('location_id', 'in', [...order.keys()])
          .execute()
      ).sort(
        (a, b) =>
          order.get(a.location_id!)! - order.get(b.location_id!)! || a.barcode.localeCompare(b.barcode),
      )
    } else throw PhysErrors.invalid('boxes', 'des boîtes ou un emplacement sont obligatoires')
    return rows.map((b) => this.boxSummary(b, tree))
  }

  /** One shelf list per shelf under a location: what each should hold, in order, and which boxes are out. */
  async shelfList(actor: Principal, tenantId: string, location: string): Promise<ShelfList> {
    await this.deps.tenancy.requireAccess(actor, tenantId, 'archive.read')
    const tree = await this.tree(this.k, tenantId)
    const root = this.resolveLocation(tree, location)
    const shelves = tree.subtree(root.row.id).filter((n) => n.row.is_shelf === 1)
    const boxes = await this.k
      .selectFrom('box')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('status', '=', 'active')
      .where('location_id', 'in', shelves.length ? shelves.map((s) => s.row.id) : ['-'])
      .orderBy('barcode')
      .execute()
    const outs = await this.outs(
      this.k,
      tenantId,
      boxes.map((b) => b.id),
    )
    const list = shelves.map((s) => {
      const on = boxes.filter((b) => b.location_id === s.row.id)
      const used = on.reduce((x, b) => x + Number(b.footprint_mm ?? 0), 0)
      const views = on.map((b) => this.boxSummary(b, tree, outs))
      return {
        path: s.row.path,
        lengthMetres: metres(Number(s.row.length_mm ?? 0)),
        usedMetres: metres(used),
        boxes: views,
        outCount: views.filter((b) => b.presence === 'out').length,
        overdueCount: views.filter((b) => b.presence === 'out' && b.out?.overdue).length,
      }
    })
    return {
      location: root.row.path,
      summary: {
        shelves: list.length,
        boxes: boxes.length,
        out: list.reduce((n, s) => n + s.outCount, 0),
        overdue: list.reduce((n, s) => n + s.overdueCount, 0),
      },
      shelves: list,
    }
  }
}

const MOVEMENT_LABELS: Record<string, string> = {
  created: 'enregistrée',
  moved: 'déplacée',
  destroyed: 'détruite',
  out: 'sortie',
  returned: 'réintégrée',
}
