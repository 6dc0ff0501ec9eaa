import { AppError } from '../../platform/errors.js'

/** The storage module's error codes, in one place. */
export const StorageErrors = {
  keyInvalid: (key: unknown, why: string) =>
    new AppError('STORAGE_KEY_INVALID', 'invalid', `Invalid storage key ${JSON.stringify(key)}: ${why}`, {
      key: typeof key === 'string' ? key : String(key),
    }),
  exists: (offerId: string, key: string) =>
    new AppError(
      'STORAGE_OBJECT_EXISTS',
      'conflict',
      `Offer ${offerId} already holds other bytes under ${key} (stored objects are write-once)`,
      { offer: offerId, key },
    ),
  notFound: (offerId: string, key: string) =>
    new AppError('STORAGE_OBJECT_NOT_FOUND', 'not_found', `Object ${key} not found on offer ${offerId}`, {
      offer: offerId,
      key,
    }),
  unavailable: (offerId: string, what: string, cause?: unknown) =>
    new AppError(
      'STORAGE_OFFER_UNAVAILABLE',
      'unavailable',
      `Storage offer ${offerId} is unavailable: ${what}${cause instanceof Error ? ` (${cause.message})` : ''}`,
      { offer: offerId },
      { cause },
    ),
  digestMismatch: (key: string, expected: string, actual: string) =>
    new AppError(
      'STORAGE_DIGEST_MISMATCH',
      'invalid',
      `SHA-512 of ${key} does not match: expected ${expected}, got ${actual}; nothing was stored`,
      { key, expected, actual },
    ),
  sizeMismatch: (key: string, expected: number, actual: number) =>
    new AppError(
      'STORAGE_SIZE_MISMATCH',
      'invalid',
      `Size of ${key} does not match: expected ${expected} bytes, got ${actual}; nothing was stored`,
      { key, expected, actual },
    ),
  corruptCopy: (offerId: string, key: string, detail: string) =>
    new AppError(
      'STORAGE_CORRUPT_COPY',
      'internal',
      `Copy of ${key} on offer ${offerId} is corrupt: ${detail}`,
      {
        offer: offerId,
        key,
      },
    ),
  rangeInvalid: (key: string, size: number, start: number, end: number | undefined) =>
    new AppError(
      'STORAGE_RANGE_INVALID',
      'invalid',
      `Range ${start}-${end ?? ''} is not satisfiable for ${key} (${size} bytes)`,
      { key, size, start, end },
    ),
} as const
