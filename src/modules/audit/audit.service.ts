import { AppError } from '../../platform/errors.js'
import type { Clock } from '../../platform/clock.js'
import type { IdSource } from '../../platform/ids.js'
import type { Db, Executor } from '../../platform/db/create-db.js'
import { AuditRepository } from './audit.repository.js'
import { eventHash, GENESIS_HASH } from './chain.js'
import {
  PLATFORM_CHAIN,
  type ChainBreak,
  type ChainReport,
  type LogbookEvent,
  type NewEvent,
  type Operation,
  type OperationStatus,
  type Outcome,
  type VerifyReport,
} from './audit.types.js'

const OUTCOME_RANK: Record<Outcome, number> = { STARTED: 0, OK: 1, WARNING: 2, KO: 3, FATAL: 4 }

/** The worst of several outcomes (OK < WARNING < KO < FATAL), as Vitam computes a step's status. */
export function worstOutcome(outcomes: Iterable<Outcome>): Outcome {
  let worst: Outcome = 'OK'
  for (const o of outcomes) if (OUTCOME_RANK[o] > OUTCOME_RANK[worst]) worst = o
  return worst
}

export function chainOf(tenantId: string | null): string {
  return tenantId ?? PLATFORM_CHAIN
}

/** An event of the operation being run: its operation id and tenant default to the operation's. */
export type OperationEvent = Omit<NewEvent, 'operationId' | 'tenantId'> & {
  readonly operationId?: string
  readonly tenantId?: string | null
}

/** Receives each verified event's hash during a chain verification (see verifyChain). */
export type EventSink = (chain: string, seq: number, hash: string) => void | Promise<void>

export interface OperationWithEvents extends Operation {
  readonly events: readonly LogbookEvent[]
}

export class AuditService {
  private readonly repo: AuditRepository

  constructor(private readonly deps: { db: Db; clock: Clock; ids: IdSource }) {
    this.repo = new AuditRepository(deps.db)
  }

  /**
   * Appends events to their chains inside the caller's transaction: the record commits or rolls back
   * with the change it describes. Chains are locked in name order, so concurrent writers never deadlock.
   */
  async record(trx: Executor, events: NewEvent | readonly NewEvent[]): Promise<LogbookEvent[]> {
    const list = Array.isArray(events) ? (events as readonly NewEvent[]) : [events as NewEvent]
    const byChain = new Map<string, NewEvent[]>()
    for (const e of list) {
      const c = chainOf(e.tenantId)
      const arr = byChain.get(c) ?? []
      arr.push(e)
      byChain.set(c, arr)
    }
    const written: LogbookEvent[] = []
    for (const chain of [...byChain.keys()].sort()) {
      const head = await this.repo.lockHead(trx, chain, GENESIS_HASH)
      let seq = head.lastSeq
      let prev = head.lastHash
      const rows: LogbookEvent[] = []
      for (const e of byChain.get(chain)!) {
        seq += 1
        const base = {
          chain,
          seq,
          operationId: e.operationId,
          tenantId: e.tenantId,
          type: e.type,
          outcome: e.outcome,
          detail: e.detail ?? null,
          message: e.message ?? null,
          agent: e.agent ?? null,
          objectId: e.objectId ?? null,
          data: e.data ?? null,
          createdAt: this.deps.clock.now().toISOString(),
          prevHash: prev,
        }
        const ev: LogbookEvent = { ...base, hash: eventHash(base) }
        prev = ev.hash
        rows.push(ev)
      }
      await this.repo.insertEvents(trx, rows)
      await this.repo.setHead(trx, chain, seq, prev)
      written.push(...rows)
    }
    return written
  }

  async startOperation(
    trx: Executor,
    input: {
      tenantId: string | null
      type: string
      agent?: string | null
      id?: string
      status?: OperationStatus
    },
  ): Promise<Operation> {
    const now = this.deps.clock.now().toISOString()
    const op: Operation = {
      id: input.id ?? this.deps.ids.next(),
      tenantId: input.tenantId,
      type: input.type,
      status: input.status ?? 'RUNNING',
      agent: input.agent ?? null,
      summary: {},
      createdAt: now,
      updatedAt: now,
    }
    await this.repo.insertOperation(trx, op)
    return op
  }

  async updateOperation(
    trx: Executor,
    id: string,
    patch: { status?: OperationStatus; summary?: Readonly<Record<string, unknown>> },
  ): Promise<void> {
    await this.repo.updateOperation(trx, id, patch, this.deps.clock.now().toISOString())
  }

  /**
   * Runs `fn` in one transaction that also creates the operation, appends its events and sets its
   * final status (the worst outcome of its events). If `fn` throws, nothing at all is written.
   */
  async inOperation<T>(
    input: { tenantId: string | null; type: string; agent?: string | null },
    fn: (
      trx: Executor,
      op: Operation,
    ) => Promise<{ result: T; events: OperationEvent[]; summary?: Record<string, unknown> }>,
  ): Promise<{ result: T; operation: Operation }> {
    return this.deps.db.kysely.transaction().execute(async (trx) => {
      const op = await this.startOperation(trx, input)
      const { result, events, summary } = await fn(trx, op)
      await this.record(
        trx,
        events.map((e) => ({
          ...e,
          operationId: e.operationId ?? op.id,
          tenantId: e.tenantId ?? input.tenantId,
        })),
      )
      const status = worstOutcome(events.map((e) => e.outcome)) as OperationStatus
      await this.updateOperation(trx, op.id, { status, ...(summary ? { summary } : {}) })
      return { result, operation: { ...op, status, summary: summary ?? {} } }
    })
  }

  async getOperation(tenantId: string | null, id: string): Promise<OperationWithEvents> {
    const op = await this.repo.findOperation(tenantId, id)
    if (!op) {
      throw new AppError('OPERATION_NOT_FOUND', 'not_found', `Opération inconnue : ${id}`, {
        operationId: id,
      })
    }
    return { ...op, events: await this.repo.operationEvents(chainOf(tenantId), id) }
  }

  listOperations(tenantId: string, opts: { type?: string; limit?: number; offset?: number } = {}) {
    return this.repo.listOperations(tenantId, {
      ...(opts.type ? { type: opts.type } : {}),
      limit: Math.min(Math.max(opts.limit ?? 50, 1), 500),
      offset: Math.max(opts.offset ?? 0, 0),
    })
  }

  async chains(): Promise<string[]> {
    return this.repo.chains()
  }

  /**
   * Re-checks one chain from genesis: every hash, every link, no gap, and the recorded head.
   * `onEvent` is given each event that passed its checks (in sequence order, up to the first break),
   * so that one pass over the events can also feed the seals' Merkle trees; if it returns a promise,
   * the scan waits for it (back-pressure).
   */
  async verifyChain(chain: string, onEvent?: EventSink): Promise<ChainReport> {
    let expectedSeq = 1
    let prev = GENESIS_HASH
    let count = 0
    let firstBreak: ChainBreak | null = null
    const fail = (seq: number, reason: ChainBreak['reason'], message: string) => {
      firstBreak = { chain, seq, reason, message }
    }
    for await (const e of this.repo.scan(chain)) {
      count += 1
      if (e.seq !== expectedSeq) {
        fail(
          expectedSeq,
          e.seq > expectedSeq ? 'missing-event' : 'unexpected-event',
          `event ${expectedSeq} of chain ${chain} is missing (next found: ${e.seq})`,
        )
        break
      }
      if (e.prevHash !== prev) {
        fail(
          e.seq,
          'prev-hash-mismatch',
          `event ${e.seq} of chain ${chain} does not link to event ${e.seq - 1}`,
        )
        break
      }
      const { hash, ...rest } = e
      if (eventHash(rest) !== hash) {
        fail(e.seq, 'hash-mismatch', `event ${e.seq} of chain ${chain} was altered (its hash does not match)`)
        break
      }
      prev = hash
      expectedSeq += 1
      if (onEvent) {
        const wait = onEvent(chain, e.seq, hash)
        if (wait) await wait
      }
    }
    if (!firstBreak) {
      const head = await this.repo.head(chain)
      const last = expectedSeq - 1
      if (!head) {
        if (count > 0) fail(last, 'head-mismatch', `chain ${chain} has events but no recorded head`)
      } else if (head.lastSeq !== last || head.lastHash !== prev) {
        fail(
          Math.min(head.lastSeq, last) + 1,
          head.lastSeq > last ? 'missing-event' : 'head-mismatch',
          head.lastSeq > last
            ? `chain ${chain} ends at event ${last} but its head records ${head.lastSeq} events: events were removed`
            : `chain ${chain}'s recorded head (${head.lastSeq}) does not match its last event (${last})`,
        )
      }
    }
    const brk = firstBreak as ChainBreak | null
    return { chain, events: count, ok: brk === null, lastHash: brk ? null : prev, firstBreak: brk }
  }

  /** The chains `verify` checks, in the order it checks them. */
  async verifyOrder(chain?: string): Promise<string[]> {
    return chain ? [chain] : await this.repo.chains()
  }

  async verify(chain?: string, onEvent?: EventSink): Promise<VerifyReport> {
    const chains = await this.verifyOrder(chain)
    const reports: ChainReport[] = []
    for (const c of chains) reports.push(await this.verifyChain(c, onEvent))
    return { ok: reports.every((r) => r.ok), chains: reports }
  }
}
