import { createHash } from 'node:crypto'
import { StorageErrors } from './errors.js'

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/
const MAX_KEY = 1024
const MAX_SEGMENTS = 16

/**
 * Keys are relative paths of plain segments (`tenant/ab/id`): letters, digits, `.`, `_`, `-`, each
 * segment starting with a letter or digit (so `.`/`..`, hidden names and the offers' own `.tmp-*`
 * files can never be addressed). No absolute path, empty segment, backslash, NUL or other character.
 */
export function validateKey(key: unknown): string {
  if (typeof key !== 'string') throw StorageErrors.keyInvalid(key, 'not a string')
  if (key === '') throw StorageErrors.keyInvalid(key, 'empty')
  if (key.length > MAX_KEY) throw StorageErrors.keyInvalid(key, `longer than ${MAX_KEY} characters`)
  if (key.includes('\\')) throw StorageErrors.keyInvalid(key, 'backslash')
  if (key.startsWith('/')) throw StorageErrors.keyInvalid(key, 'absolute path')
  const segments = key.split('/')
  if (segments.length > MAX_SEGMENTS)
    throw StorageErrors.keyInvalid(key, `more than ${MAX_SEGMENTS} segments`)
  for (const s of segments) {
    if (s === '') throw StorageErrors.keyInvalid(key, 'empty segment')
    if (s === '.' || s === '..') throw StorageErrors.keyInvalid(key, `'${s}' segment`)
    if (!SEGMENT.test(s)) {
      throw StorageErrors.keyInvalid(
        key,
        `segment ${JSON.stringify(s)} has a character outside [A-Za-z0-9._-] or starts with one of ._-`,
      )
    }
  }
  return key
}

/** Prefixes for `list`: empty, or a key-like string that may end with '/' or a partial segment. */
export function validatePrefix(prefix: string): string {
  if (prefix === '') return prefix
  const trimmed = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix
  validateKey(trimmed)
  return prefix
}

/**
 * Where a blob lives in every offer: `<tenant>/<2 hex>/<blob id>`, the 2 hex digits being the first
 * of SHA-256(blob id), so that no folder grows past a few thousand entries.
 */
export function blobKey(tenantId: string, blobId: string): string {
  const fan = createHash('sha256').update(blobId).digest('hex').slice(0, 2)
  return validateKey(`${tenantId}/${fan}/${blobId}`)
}
