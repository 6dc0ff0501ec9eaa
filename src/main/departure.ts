import type { AccessContext } from '../modules/access/index.js'
import { AppError } from '../platform/errors.js'
import type { Container } from './container.js'

/** How a unit left the catalogue, read from its tombstone (elimination, transfer or restitution). */
export interface Departure {
  readonly reason: 'ELIMINATION' | 'TRANSFER' | 'RESTITUTION'
  readonly title: string | null
  readonly originatingAgency: string | null
  /** When it left (destruction or purge after the receiver's positive reply). */
  readonly at: string
  /** The elimination or transfer operation. */
  readonly operationId: string
  /** Elimination: the request and its visa. */
  readonly requestId?: string
  readonly visaId?: string | null
  /** Transfer or restitution: the receiving tenant or agency (`external` when none was named). */
  readonly destination?: string | null
  readonly destinationOperationId?: string | null
}

/**
 * A unit that is not found may have left: `unit show` and `GET /units/{id}` then answer the same
 * UNIT_NOT_FOUND (code and status unchanged) with a sentence saying how and when, and the tombstone in
 * `details.departure` — what the web's unit page shows from the two tombstone routes. Nothing is said
 * to a principal without `archive.read`, nor of a unit whose producer the access contract does not cover.
 */
export async function explainMissingUnit(c: Container, ctx: AccessContext, unitId: string, err: unknown) {
  if (!(err instanceof AppError) || err.code !== 'UNIT_NOT_FOUND') return err
  const d = await departureOf(c, ctx, unitId)
  if (!d) return err
  const covered =
    ctx.contract.everyAgency ||
    (d.originatingAgency !== null && ctx.contract.agencies.includes(d.originatingAgency))
  if (!covered) return err
  const title = d.title ? ` « ${d.title} »` : ''
  const how =
    d.reason === 'ELIMINATION'
      ? `éliminée le ${d.at} (demande ${d.requestId}${d.visaId ? `, visa ${d.visaId}` : ''})`
      : `${d.reason === 'RESTITUTION' ? 'restituée' : 'transférée'} le ${d.at} à ${
          d.destination && d.destination !== 'external' ? d.destination : 'un autre système'
        } (opération ${d.operationId})`
  return new AppError(
    'UNIT_NOT_FOUND',
    'not_found',
    `L’unité d’archives ${unitId}${title} n’est plus dans le fonds : ${how}.`,
    { unitId, departure: d },
  )
}

async function departureOf(c: Container, ctx: AccessContext, unitId: string): Promise<Departure | null> {
  const absent = (e: unknown) => {
    if (e instanceof AppError && (e.kind === 'not_found' || e.kind === 'forbidden')) return null
    throw e
  }
  const e = await c.elimination.tombstone(ctx.principal, ctx.tenantId, unitId).catch(absent)
  if (e)
    return {
      reason: 'ELIMINATION',
      title: e.title,
      originatingAgency: e.originatingAgency,
      at: e.destroyedAt,
      operationId: e.operationId,
      requestId: e.requestId,
      visaId: e.visaId,
    }
  const t = await c.transfers.tombstone(ctx.principal, ctx.tenantId, unitId).catch(absent)
  if (!t) return null
  return {
    reason: t.reason === 'RESTITUTION' ? 'RESTITUTION' : 'TRANSFER',
    title: t.title,
    originatingAgency: t.originatingAgency,
    at: t.departedAt,
    operationId: t.operationId,
    destination: t.destination,
    destinationOperationId: t.destinationOperationId,
  }
}
