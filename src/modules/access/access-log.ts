import type { Db } from '../../platform/db/create-db.js'
import type { Logger } from '../../platform/log.js'
import type { AuditService } from '../audit/index.js'

/** One access to record: a consultation, a download, a search (one per query), a DIP download. */
export interface AccessEvent {
  readonly tenantId: string
  readonly type: string
  readonly agent: string
  readonly objectId: string | null
  readonly message: string | null
  readonly data: Readonly<Record<string, unknown>>
}

export interface AccessLogOptions {
  /** Flush at least this often (ms). */
  readonly flushMs?: number
  /** Flush as soon as this many events wait. */
  readonly maxEvents?: number
}

/**
 * Access events are appended off the request's critical path: buffered in process, then written in one
 * transaction per flush (one `ACCESS_LOG` operation per tenant and flush, its events in the tenant's hash
 * chain like any other, so sealed with them). A failed flush puts its events back and is retried; `close()`
 * flushes what is left, so a clean shutdown loses nothing. A crash loses at most one buffer (≤ maxEvents
 * events or flushMs of accesses) — documented in docs/access.md.
 */
export class AccessLog {
  private buffer: AccessEvent[] = []
  private timer: NodeJS.Timeout | null = null
  private flushing: Promise<void> = Promise.resolve()
  private closed = false
  private readonly flushMs: number
  private readonly maxEvents: number
  /** Events written since start (tests and /health). */
  written = 0

  constructor(
    private readonly deps: { db: Db; audit: AuditService; log?: Logger },
    opts: AccessLogOptions = {},
  ) {
    this.flushMs = opts.flushMs ?? 500
    this.maxEvents = opts.maxEvents ?? 200
  }

  get pending(): number {
    return this.buffer.length
  }

  append(e: AccessEvent): void {
    if (this.closed) {
      // After close (a late request during shutdown): written at once rather than lost.
      this.buffer.push(e)
      this.background()
      return
    }
    this.buffer.push(e)
    if (this.buffer.length >= this.maxEvents) this.background()
    else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null
        this.background()
      }, this.flushMs)
      this.timer.unref()
    }
  }

  private background(): void {
    this.flush().catch(() => undefined)
  }

  /** Writes every buffered event (serialised: one flush at a time). */
  flush(): Promise<void> {
    const p = this.flushing.then(() => this.flushNow())
    this.flushing = p.catch(() => undefined)
    return p
  }

  private async flushNow(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = null
    }
    if (this.buffer.length === 0) return
    const batch = this.buffer
    this.buffer = []
    const byTenant = new Map<string, AccessEvent[]>()
    for (const e of batch) byTenant.set(e.tenantId, [...(byTenant.get(e.tenantId) ?? []), e])
    try {
      await this.deps.db.kysely.transaction().execute(async (trx) => {
        for (const [tenantId, events] of [...byTenant].sort(([a], [b]) => (a < b ? -1 : 1))) {
          const op = await this.deps.audit.startOperation(trx, {
            tenantId,
            type: 'ACCESS_LOG',
            agent: 'system',
            status: 'OK',
          })
          await this.deps.audit.record(
            trx,
            events.map((e) => ({
              operationId: op.id,
              tenantId,
              type: e.type,
              outcome: 'OK' as const,
              detail: `${e.type}.OK`,
              agent: e.agent,
              objectId: e.objectId,
              message: e.message,
              data: e.data,
            })),
          )
          await this.deps.audit.updateOperation(trx, op.id, { summary: { events: events.length } })
        }
      })
      this.written += batch.length
    } catch (err) {
      // Put them back in front, in order, and try again later.
      this.buffer = [...batch, ...this.buffer]
      this.deps.log?.error({ err, events: batch.length }, 'access log flush failed; will retry')
      if (!this.closed && !this.timer) {
        this.timer = setTimeout(() => {
          this.timer = null
          this.background()
        }, this.flushMs)
        this.timer.unref()
      }
      throw err
    }
  }

  /** Stops the timer and writes what is left (the container calls it before closing the database). */
  async close(): Promise<void> {
    this.closed = true
    await this.flush().catch(() => undefined)
    if (this.buffer.length > 0) await this.flush()
  }
}
