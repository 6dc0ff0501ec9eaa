import { fromJson, type Db } from '../../platform/db/create-db.js'
import type { Principal, TenancyService } from '../tenancy/index.js'

/** One line of the accession register (registre des entrées): an entry or a departure. */
export interface RegisterLine {
  readonly operationId: string
  readonly date: string
  /** INGEST, TRANSFER_IN (an ingest that a transfer of this platform delivered), TRANSFER, RESTITUTION, ELIMINATION… */
  readonly type: string
  readonly direction: 'in' | 'out'
  readonly producer: string | null
  readonly units: number
  readonly objects: number
  readonly physicalObjects: number
  readonly bytes: number
  /** Boxes of physical archives that came in (created by the entry) or left (destroyed, transferred). */
  readonly boxes: number
  /** Linear metres of those boxes (typed boxes only; null for an entry or departure without paper). */
  readonly linearMetres: number | null
  /** Where it came from (source tenant of a transfer in) or went (destination). */
  readonly counterpart: string | null
  readonly totals: Totals
}

/** Running or overall totals; linear metres summed in millimetres then shown in metres. */
export interface Totals {
  units: number
  objects: number
  physicalObjects: number
  bytes: number
  boxes: number
  linearMetres: number
}

export interface Register {
  readonly tenant: string
  readonly producer: string | null
  readonly lines: readonly RegisterLine[]
  readonly totals: { readonly in: Totals; readonly out: Totals; readonly held: Totals }
}

const m = (mm: number): number => Math.round(mm) / 1000

/**
 * The accession register, computed from the operations: accepted ingests (the `ingest` table; the
 * producer is the package's OriginatingAgency, read from its units or their tombstones), physical
 * transfer forms (`PHYSICAL_TRANSFER` operations, one line per producer) and departures
 * (`unit_tombstone` for transfers and restitutions, `elimination_tombstone` for eliminations, grouped
 * by operation). Boxes and linear metres come from the physical module's tables: the boxes an entry
 * created (`box.operation_id`), the boxes an elimination destroyed (`box_movement`), the boxes whose
 * whole content left with a transfer. Running totals per producer, in date order.
 */
export class RegisterService {
  constructor(private readonly deps: { db: Db; tenancy: TenancyService }) {}

  async register(principal: Principal, tenantId: string, producer?: string | null): Promise<Register> {
    await this.deps.tenancy.requireAccess(principal, tenantId, 'archive.read')
    const k = this.deps.db.kysely
    const ingests = await k
      .selectFrom('ingest')
      .select(['operation_id', 'units', 'objects', 'physical_objects', 'bytes', 'finished_at', 'created_at'])
      .where('tenant_id', '=', tenantId)
      .where('status', 'in', ['OK', 'WARNING'])
      .execute()
    const producerOf = new Map<string, string | null>()
    for (const r of await k
      .selectFrom('archive_unit')
      .select(['operation_id', 'originating_agency'])
      .distinct()
      .where('tenant_id', '=', tenantId)
      .execute())
      producerOf.set(r.operation_id, r.originating_agency)
    const tombs = await k.selectFrom('unit_tombstone').selectAll().where('tenant_id', '=', tenantId).execute()
    for (const t of tombs)
      if (!producerOf.has(t.ingest_operation_id)) producerOf.set(t.ingest_operation_id, t.originating_agency)
    // Ingests delivered by a transfer of this platform: the source's transfer row names them.
    const incoming = new Map(
      (
        await k
          .selectFrom('transfer')
          .select(['target_operation_id', 'tenant_id'])
          .where('target_tenant', '=', tenantId)
          .where('target_operation_id', 'is not', null)
          .execute()
      ).map((r) => [r.target_operation_id!, r.tenant_id]),
    )
    // Boxes created by each entry (ingest with PhysicalDataObjects, physical transfer form), by producer.
    const boxesIn = new Map<string, Map<string | null, { boxes: number; mm: number }>>()
    for (const b of await k
      .selectFrom('box')
      .select(['operation_id', 'producer', 'footprint_mm'])
      .where('tenant_id', '=', tenantId)
      .execute()) {
      const per = boxesIn.get(b.operation_id) ?? new Map<string | null, { boxes: number; mm: number }>()
      const x = per.get(b.producer) ?? { boxes: 0, mm: 0 }
      x.boxes++
      x.mm += Number(b.footprint_mm ?? 0)
      per.set(b.producer, x)
      boxesIn.set(b.operation_id, per)
    }
    const sumOf = (op: string) => {
      let boxes = 0
      let mm = 0
      for (const x of boxesIn.get(op)?.values() ?? []) {
        boxes += x.boxes
        mm += x.mm
      }
      return { boxes, mm }
    }
    type Raw = { -readonly [K in keyof Omit<RegisterLine, 'totals' | 'linearMetres'>]: RegisterLine[K] } & {
      mm: number | null
    }
    const raw: Raw[] = ingests.map((i) => ({
      operationId: i.operation_id,
      date: i.finished_at ?? i.created_at,
      type: incoming.has(i.operation_id) ? 'TRANSFER_IN' : 'INGEST',
      direction: 'in',
      producer: producerOf.get(i.operation_id) ?? null,
      units: Number(i.units),
      objects: Number(i.objects),
      physicalObjects: Number(i.physical_objects),
      bytes: Number(i.bytes),
      boxes: sumOf(i.operation_id).boxes,
      mm: Number(i.physical_objects) > 0 || sumOf(i.operation_id).boxes > 0 ? sumOf(i.operation_id).mm : null,
      counterpart: incoming.get(i.operation_id) ?? null,
    }))
    // Physical transfer forms: one line per producer of the form's rows.
    for (const op of await k
      .selectFrom('operation')
      .select(['id', 'summary', 'created_at', 'updated_at'])
      .where('tenant_id', '=', tenantId)
      .where('type', '=', 'PHYSICAL_TRANSFER')
      .where('status', 'in', ['OK', 'WARNING'])
      .execute()) {
      const sum = (typeof op.summary === 'string' ? fromJson(op.summary) : op.summary) as {
        units?: number
        byProducer?: { producer: string | null; units: number }[]
      } | null
      const per = boxesIn.get(op.id) ?? new Map<string | null, { boxes: number; mm: number }>()
      const units = new Map<string | null, number>(
        (sum?.byProducer ?? [{ producer: [...per.keys()][0] ?? null, units: Number(sum?.units ?? 0) }]).map(
          (p) => [p.producer, Number(p.units)],
        ),
      )
      for (const p of per.keys()) if (!units.has(p)) units.set(p, 0)
      for (const [producer, n] of units)
        raw.push({
          operationId: op.id,
          date: op.updated_at ?? op.created_at,
          type: 'PHYSICAL_TRANSFER',
          direction: 'in',
          producer,
          units: n,
          objects: 0,
          physicalObjects: n,
          bytes: 0,
          boxes: per.get(producer)?.boxes ?? 0,
          mm: per.get(producer)?.mm ?? 0,
          counterpart: null,
        })
    }
    const out = new Map<string, Raw>()
    for (const t of tombs) {
      const key = `${t.operation_id}\u0000${t.originating_agency ?? ''}`
      const cur = out.get(key) ?? {
        operationId: t.operation_id,
        date: t.created_at,
        type: t.reason,
        direction: 'out' as const,
        producer: t.originating_agency,
        units: 0,
        objects: 0,
        physicalObjects: 0,
        bytes: 0,
        boxes: 0,
        mm: null,
        counterpart: t.destination,
      }
      out.set(key, {
        ...cur,
        units: cur.units + 1,
        objects: cur.objects + Number(t.objects),
        physicalObjects: cur.physicalObjects + Number(t.physical_objects),
        bytes: cur.bytes + Number(t.bytes),
      })
    }
    // Eliminations (elimination module): one line per destruction operation and producer.
    const destroyed = await k
      .selectFrom('elimination_tombstone')
      .select(['operation_id', 'originating_agency', 'objects', 'destroyed_at', 'request_id'])
      .where('tenant_id', '=', tenantId)
      .execute()
    for (const t of destroyed) {
      const key = `${t.operation_id}\u0000${t.originating_agency ?? ''}`
      const cur = out.get(key) ?? {
        operationId: t.operation_id,
        date: t.destroyed_at,
        type: 'ELIMINATION',
        direction: 'out' as const,
        producer: t.originating_agency,
        units: 0,
        objects: 0,
        physicalObjects: 0,
        bytes: 0,
        boxes: 0,
        mm: null,
        counterpart: t.request_id,
      }
      const objs = fromJson<{ kind?: string; size?: number | null }[]>(t.objects)
      const physical = objs.filter((o) => o.kind === 'physical').length
      out.set(key, {
        ...cur,
        units: cur.units + 1,
        objects: cur.objects + objs.length - physical,
        physicalObjects: cur.physicalObjects + physical,
        bytes: cur.bytes + objs.reduce((n, o) => n + Number(o.size ?? 0), 0),
      })
    }
    // Boxes that left: destroyed by an elimination (its operation's `destroyed` rows), or whose whole
    // content left with a transfer or restitution (what remains of it in `box_content`).
    const attach = (op: string, producer: string | null, boxes: number, mm: number) => {
      const line =
        out.get(`${op}\u0000${producer ?? ''}`) ?? [...out.values()].find((l) => l.operationId === op)
      if (!line) return
      line.boxes += boxes
      line.mm = (line.mm ?? 0) + mm
    }
    for (const b of await k
      .selectFrom('box_movement')
      .innerJoin('box', 'box.id', 'box_movement.box_id')
      .select(['box_movement.operation_id', 'box.producer', 'box.footprint_mm'])
      .where('box_movement.tenant_id', '=', tenantId)
      .where('box_movement.kind', '=', 'destroyed')
      .execute())
      attach(b.operation_id, b.producer, 1, Number(b.footprint_mm ?? 0))
    const departedBy = new Map(tombs.map((t) => [t.unit_id, t.operation_id]))
    if (departedBy.size > 0) {
      const content = await k
        .selectFrom('box_content')
        .innerJoin('box', 'box.id', 'box_content.box_id')
        .select(['box.id', 'box.producer', 'box.footprint_mm', 'box_content.unit_id'])
        .where('box_content.tenant_id', '=', tenantId)
        .where('box.status', '=', 'active')
        .execute()
      const perBox = new Map<string, { producer: string | null; mm: number; ops: Set<string | undefined> }>()
      for (const c of content) {
        const x = perBox.get(c.id) ?? {
          producer: c.producer,
          mm: Number(c.footprint_mm ?? 0),
          ops: new Set(),
        }
        x.ops.add(c.unit_id === null ? undefined : departedBy.get(c.unit_id))
        perBox.set(c.id, x)
      }
      for (const x of perBox.values())
        if (x.ops.size === 1 && !x.ops.has(undefined)) attach([...x.ops][0]!, x.producer, 1, x.mm)
    }
    for (const l of out.values()) if (l.mm === null && l.physicalObjects > 0) l.mm = 0
    raw.push(...out.values())
    const lines = raw
      .filter((l) => producer === undefined || producer === null || l.producer === producer)
      .sort((a, b) => a.date.localeCompare(b.date) || a.operationId.localeCompare(b.operationId))
    const zero = () => ({ units: 0, objects: 0, physicalObjects: 0, bytes: 0, boxes: 0, mm: 0 })
    type Acc = ReturnType<typeof zero>
    const shown = (a: Acc): Totals => ({
      units: a.units,
      objects: a.objects,
      physicalObjects: a.physicalObjects,
      bytes: a.bytes,
      boxes: a.boxes,
      linearMetres: m(a.mm),
    })
    const running = new Map<string, Acc>()
    const tin = zero()
    const tout = zero()
    const withTotals: RegisterLine[] = lines.map(({ mm, ...l }) => {
      const key = l.producer ?? ''
      const r = running.get(key) ?? zero()
      const s = l.direction === 'in' ? 1 : -1
      const acc = l.direction === 'in' ? tin : tout
      for (const f of ['units', 'objects', 'physicalObjects', 'bytes', 'boxes'] as const) {
        r[f] += s * l[f]
        acc[f] += l[f]
      }
      r.mm += s * (mm ?? 0)
      acc.mm += mm ?? 0
      running.set(key, r)
      return { ...l, linearMetres: mm === null ? null : m(mm), totals: shown(r) }
    })
    const held = zero()
    for (const f of ['units', 'objects', 'physicalObjects', 'bytes', 'boxes', 'mm'] as const)
      held[f] = tin[f] - tout[f]
    return {
      tenant: tenantId,
      producer: producer ?? null,
      lines: withTotals,
      totals: { in: shown(tin), out: shown(tout), held: shown(held) },
    }
  }
}

/** The register as CSV (RFC 4180, `;`-free: comma separated, quoted when needed). */
export function registerCsv(r: Register): string {
  const head = [
    'operationId',
    'date',
    'type',
    'direction',
    'producer',
    'units',
    'objects',
    'physicalObjects',
    'bytes',
    'linearMetres',
    'counterpart',
    'totalUnits',
    'totalObjects',
    'totalPhysicalObjects',
    'totalBytes',
    'boxes',
    'totalBoxes',
    'totalLinearMetres',
  ]
  const q = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v)
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
  }
  const rows = r.lines.map((l) =>
    [
      l.operationId,
      l.date,
      l.type,
      l.direction,
      l.producer,
      l.units,
      l.objects,
      l.physicalObjects,
      l.bytes,
      l.linearMetres,
      l.counterpart,
      l.totals.units,
      l.totals.objects,
      l.totals.physicalObjects,
      l.totals.bytes,
      l.boxes,
      l.totals.boxes,
      l.totals.linearMetres,
    ]
      .map(q)
      .join(','),
  )
  return [head.join(','), ...rows].join('\r\n') + '\r\n'
}
