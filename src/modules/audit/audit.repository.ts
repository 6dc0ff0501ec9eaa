import { sql } from 'kysely'
import { fromJson, toJson, type Db, type Executor } from '../../platform/db/create-db.js'
import type { LogbookEventTable, OperationTable } from '../../platform/db/schema.js'
import type { LogbookEvent, Operation, OperationStatus, Outcome } from './audit.types.js'

export function toEvent(r: LogbookEventTable): LogbookEvent {
  return {
    chain: r.chain,
    seq: Number(r.seq),
    operationId: r.operation_id,
    tenantId: r.tenant_id,
    type: r.event_type,
    outcome: r.outcome as Outcome,
    detail: r.detail,
    message: r.message,
    agent: r.agent,
    objectId: r.object_id,
    data: r.data === null || r.data === undefined ? null : fromJson(r.data),
    createdAt: r.created_at,
    prevHash: r.prev_hash,
    hash: r.hash,
  }
}

export function toOperation(r: OperationTable): Operation {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    type: r.type,
    status: r.status as OperationStatus,
    agent: r.agent,
    summary: r.summary === null || r.summary === undefined ? {} : fromJson(r.summary),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

export class AuditRepository {
  constructor(private readonly db: Db) {}

  /** Locks (PostgreSQL) and returns the head of a chain, creating it at genesis if needed. */
  async lockHead(
    trx: Executor,
    chain: string,
    genesis: string,
  ): Promise<{ lastSeq: number; lastHash: string }> {
    await trx
      .insertInto('logbook_chain')
      .values({ chain, last_seq: 0, last_hash: genesis })
      .onConflict((oc) => oc.column('chain').doNothing())
      .execute()
    let q = trx.selectFrom('logbook_chain').select(['last_seq', 'last_hash']).where('chain', '=', chain)
    if (this.db.dialect === 'postgres') q = q.forUpdate()
    const head = await q.executeTakeFirstOrThrow()
    return { lastSeq: Number(head.last_seq), lastHash: head.last_hash }
  }

  async insertEvents(trx: Executor, events: readonly LogbookEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += 200) {
      await trx
        .insertInto('logbook_event')
        .values(
          events.slice(i, i + 200).map((e) => ({
            chain: e.chain,
            seq: e.seq,
            operation_id: e.operationId,
            tenant_id: e.tenantId,
            event_type: e.type,
            outcome: e.outcome,
            detail: e.detail,
            message: e.message,
            agent: e.agent,
            object_id: e.objectId,
            data: e.data === null ? null : toJson(e.data),
            created_at: e.createdAt,
            prev_hash: e.prevHash,
            hash: e.hash,
          })),
        )
        .execute()
    }
  }

  async setHead(trx: Executor, chain: string, lastSeq: number, lastHash: string): Promise<void> {
    await trx
      .updateTable('logbook_chain')
      .set({ last_seq: lastSeq, last_hash: lastHash })
      .where('chain', '=', chain)
      .execute()
  }

  async chains(): Promise<string[]> {
    const a = await this.db.kysely.selectFrom('logbook_chain').select('chain').execute()
    const b = await this.db.kysely.selectFrom('logbook_event').select('chain').distinct().execute()
    return [...new Set([...a.map((r) => r.chain), ...b.map((r) => r.chain)])].sort()
  }

  async head(chain: string): Promise<{ lastSeq: number; lastHash: string } | undefined> {
    const h = await this.db.kysely
      .selectFrom('logbook_chain')
      .select(['last_seq', 'last_hash'])
      .where('chain', '=', chain)
      .executeTakeFirst()
    return h && { lastSeq: Number(h.last_seq), lastHash: h.last_hash }
  }

  /** Pages through a chain in sequence order (the order of the rows' seq column). */
  async *scan(chain: string, pageSize = 2000): AsyncGenerator<LogbookEvent> {
    let after = -1
    for (;;) {
      const rows = await this.db.kysely
        .selectFrom('logbook_event')
        .selectAll()
        .where('chain', '=', chain)
        .where('seq', '>', after)
        .orderBy('seq')
        .limit(pageSize)
        .execute()
      for (const r of rows) yield toEvent(r)
      if (rows.length < pageSize) return
      after = Number(rows[rows.length - 1]!.seq)
    }
  }

  async insertOperation(trx: Executor, op: Operation): Promise<void> {
    await trx
      .insertInto('operation')
      .values({
        id: op.id,
        tenant_id: op.tenantId,
        type: op.type,
        status: op.status,
        agent: op.agent,
        summary: toJson(op.summary),
        created_at: op.createdAt,
        updated_at: op.updatedAt,
      })
      .execute()
  }

  async updateOperation(
    trx: Executor,
    id: string,
    patch: { status?: OperationStatus; summary?: Readonly<Record<string, unknown>> },
    now: string,
  ): Promise<void> {
    await trx
      .updateTable('operation')
      .set({
        updated_at: now,
        ...(patch.status ? { status: patch.status } : {}),
        ...(patch.summary ? { summary: toJson(patch.summary) } : {}),
      })
      .where('id', '=', id)
      .execute()
  }

  async findOperation(tenantId: string | null, id: string): Promise<Operation | undefined> {
    let q = this.db.kysely.selectFrom('operation').selectAll().where('id', '=', id)
    q = tenantId === null ? q.where('tenant_id', 'is', null) : q.where('tenant_id', '=', tenantId)
    const r = await q.executeTakeFirst()
    return r && toOperation(r)
  }

  async listOperations(
    tenantId: string,
    opts: { type?: string; limit: number; offset: number },
  ): Promise<{ total: number; items: Operation[] }> {
    let q = this.db.kysely.selectFrom('operation').where('tenant_id', '=', tenantId)
    if (opts.type) q = q.where('type', '=', opts.type)
    const total = await q.select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()
    const rows = await q
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(opts.limit)
      .offset(opts.offset)
      .execute()
    return { total: Number(total.n), items: rows.map(toOperation) }
  }

  async operationEvents(chain: string, operationId: string): Promise<LogbookEvent[]> {
    const rows = await this.db.kysely
      .selectFrom('logbook_event')
      .selectAll()
      .where('chain', '=', chain)
      .where('operation_id', '=', operationId)
      .orderBy('seq')
      .execute()
    return rows.map(toEvent)
  }
}
