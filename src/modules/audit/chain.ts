import { createHash } from 'node:crypto'
import { canonicalJson } from '../../platform/canonical-json.js'
import type { LogbookEvent } from './audit.types.js'

export const GENESIS_HASH = '0'.repeat(128)

type EventBody = Omit<LogbookEvent, 'hash'>

/** The hashed fields, in canonical (sorted) order, each with its serialised `"key":` prefix. */
const FIELDS = (
  [
    'chain',
    'seq',
    'operationId',
    'tenantId',
    'type',
    'outcome',
    'detail',
    'message',
    'agent',
    'objectId',
    'data',
    'createdAt',
    'prevHash',
  ] as const
)
  .slice()
  .sort()
  .map((k) => ({ key: k, prefix: `${JSON.stringify(k)}:` }))

/**
 * The canonical JSON of an event without its hash: exactly `canonicalJson({chain, seq, …, prevHash})`,
 * built field by field without the intermediate object and key sort (the fields are known).
 */
export function eventBody(e: EventBody): string {
  let out = '{'
  let first = true
  for (let i = 0; i < FIELDS.length; i++) {
    const f = FIELDS[i]!
    const v: unknown = e[f.key]
    if (v === undefined) continue
    if (first) first = false
    else out += ','
    out += f.prefix + (typeof v === 'string' ? JSON.stringify(v) : canonicalJson(v))
  }
  return out + '}'
}

/**
 * The hash of one logbook event: SHA-512 (hex) over the canonical JSON of every field but the hash
 * itself, the previous event's hash included. Anyone can recompute it with any JSON canonicaliser
 * (RFC 8785) and `sha512sum`.
 */
export function eventHash(e: EventBody): string {
  return createHash('sha512').update(eventBody(e), 'utf8').digest('hex')
}
