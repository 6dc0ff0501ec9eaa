/**
 * Application errors: a stable `code`, a `kind` that delivery layers map (HTTP status, CLI exit code,
 * job retry), a human message, and details naming what and where. No HTTP here.
 */
export type ErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'unavailable'
  | 'internal'

export class AppError extends Error {
  readonly code: string
  readonly kind: ErrorKind
  readonly details: Readonly<Record<string, unknown>> | undefined

  constructor(
    code: string,
    kind: ErrorKind,
    message: string,
    details?: Readonly<Record<string, unknown>>,
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.name = 'AppError'
    this.code = code
    this.kind = kind
    this.details = details
  }

  toJSON(): { error: { code: string; message: string; details?: Readonly<Record<string, unknown>> } } {
    return {
      error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) },
    }
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError
}

/** Wraps anything thrown into an AppError (unknown errors become `internal`, message kept for logs only). */
export function toAppError(e: unknown): AppError {
  if (e instanceof AppError) return e
  const message = e instanceof Error ? e.message : String(e)
  return new AppError('INTERNAL', 'internal', message, undefined, { cause: e })
}

/** Retry decision shared by the job runner: only transient failures are retried. */
export function isRetryable(e: unknown): boolean {
  if (!(e instanceof AppError)) return true
  return e.kind === 'unavailable' || e.kind === 'internal'
}
