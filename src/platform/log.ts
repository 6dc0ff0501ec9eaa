import { pino, type Logger } from 'pino'

export type { Logger }

/** The operators' log (JSON lines on stderr). Never the legal record: that is the audit logbook. */
export function createLogger(level: string, name = 'saeh'): Logger {
  return pino(
    {
      name,
      level,
      redact: {
        paths: ['req.headers.authorization', 'password', '*.password', 'apiKey', 'token'],
        censor: '[Redacted]',
      },
    },
    pino.destination(2),
  )
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}
