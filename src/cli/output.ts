import { AppError, toAppError, type ErrorKind } from '../platform/errors.js'

/** Exit codes of INTERFACES §3: 0 success, 1 refused on its merits, 2 usage error or technical failure. */
export const EXIT: Record<ErrorKind, 1 | 2> = {
  invalid: 1,
  unauthenticated: 1,
  forbidden: 1,
  not_found: 1,
  conflict: 1,
  unavailable: 2,
  internal: 2,
}

export interface OutputOptions {
  readonly json?: boolean
}

/** Prints a result: exactly one JSON document on stdout with --json, friendly text otherwise. */
export function emit(opts: OutputOptions, value: unknown, text: () => string): void {
  if (opts.json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
  else process.stdout.write(`${text()}\n`)
}

/** Prints an error in the API's shape (JSON) or as text on stderr, and returns the exit code. */
export function emitError(opts: OutputOptions, err: unknown): number {
  const e = toAppError(err)
  const usage = e.code === 'CLI_USAGE' || e.code === 'CONFIG_INVALID'
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ error: { code: e.code, message: e.message, details: e.details ?? {} } }, null, 2)}\n`,
    )
  } else {
    process.stderr.write(`saeh: ${e.message} [${e.code}]\n`)
    const errors = (e.details as { errors?: unknown[] } | undefined)?.errors
    if (Array.isArray(errors)) {
      for (const x of errors.slice(0, 200)) {
        const o = x as { line?: number; column?: number | string; field?: string; message?: string }
        const where = [
          o.line !== undefined ? `ligne ${o.line}` : '',
          o.column !== undefined ? `colonne ${o.column}` : '',
          o.field ?? '',
        ]
          .filter(Boolean)
          .join(', ')
        process.stderr.write(`  - ${where ? `${where} : ` : ''}${o.message ?? JSON.stringify(x)}\n`)
      }
      if (errors.length > 200) process.stderr.write(`  … et ${errors.length - 200} autres erreurs\n`)
    }
    if (e.kind === 'internal' && process.env.SAEH_LOG_LEVEL === 'debug') process.stderr.write(`${e.stack}\n`)
  }
  return usage ? 2 : EXIT[e.kind]
}

export function usageError(message: string): AppError {
  return new AppError('CLI_USAGE', 'invalid', message)
}
