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
  /** Linear metres of physical archives (the physical module will fill it). */
  readonly linearMetres: number | null
  /** Where it came from (source tenant of a transfer in) or went (destination). */
  readonly counterpart: string | null
  readonly totals: { units: number; objects: number; physicalObjects: number; bytes: number }
}

export interface Register {
  readonly tenant: string
  readonly producer: string | null
  readonly lines: readonly RegisterLine[]
  readonly totals: {
    readonly in: { units: number; objects: number; physicalObjects: number; bytes: number }
    readonly out: { units: number; objects: number; physicalObjects: number; bytes: number }
    readonly held: { units: number; objects: number; physicalObjects: number; bytes: number }
  }
}

/**
 * The accession register, computed from the operations: accepted ingests (the `ingest` table; the
 * producer is the package's OriginatingAgency, read from its units or their tombstones) and departures
 * (`unit_tombstone` for transfers and restitutions, `elimination_tombstone` for eliminations, grouped
 * by operation). Running totals per producer, in date order.
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
    type Raw = Omit<RegisterLine, 'totals'>
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
      linearMetres: null,
      counterpart: incoming.get(i.operation_id) ?? null,
    }))
    const out = new Map<
      string,
      Raw & { units: number; objects: number; physicalObjects: number; bytes: number }
    >()
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
        linearMetres: null,
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
        linearMetres: null,
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
    raw.push(...out.values())
    const lines = raw
      .filter((l) => producer === undefined || producer === null || l.producer === producer)
      .sort((a, b) => a.date.localeCompare(b.date) || a.operationId.localeCompare(b.operationId))
    const zero = () => ({ units: 0, objects: 0, physicalObjects: 0, bytes: 0 })
    const running = new Map<string, ReturnType<typeof zero>>()
    const tin = zero()
    const tout = zero()
    const withTotals: RegisterLine[] = lines.map((l) => {
      const key = l.producer ?? ''
      const r = running.get(key) ?? zero()
      const s = l.direction === 'in' ? 1 : -1
      const acc = l.direction === 'in' ? tin : tout
      for (const f of ['units', 'objects', 'physicalObjects', 'bytes'] as const) {
        r[f] += s * l[f]
        acc[f] += l[f]
      }
      running.set(key, r)
      return { ...l, totals: { ...r } }
    })
    return {
      tenant: tenantId,
      producer: producer ?? null,
      lines: withTotals,
      totals: {
        in: tin,
        out: tout,
        held: {
          units: tin.units - tout.units,
          objects: tin.objects - tout.objects,
          physicalObjects: tin.physicalObjects - tout.physicalObjects,
          bytes: tin.bytes - tout.bytes,
        },
      },
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
    ]
      .map(q)
      .join(','),
  )
  return [head.join(','), ...rows].join('\r\n') + '\r\n'
}
