import { createHash } from 'node:crypto'
import { canonicalJson } from '../../platform/canonical-json.js'
import type { LogbookEvent } from './audit.types.js'

export const GENESIS_HASH = '0'.repeat(128)

/**
 * The hash of one logbook event: SHA-512 (hex) over the canonical JSON of every field but the hash
 * itself, the previous event's hash included. Anyone can recompute it with any JSON canonicaliser
 * (RFC 8785) and `sha512sum`.
 */
export function eventHash(e: Omit<LogbookEvent, 'hash'>): string {
  const body = canonicalJson({
    chain: e.chain,
    seq: e.seq,
    operationId: e.operationId,
    tenantId: e.tenantId,
    type: e.type,
    outcome: e.outcome,
    detail: e.detail,
    message: e.message,
    agent: e.agent,
    objectId: e.objectId,
    data: e.data,
    createdAt: e.createdAt,
    prevHash: e.prevHash,
  })
  return createHash('sha512').update(body, 'utf8').digest('hex')
}
