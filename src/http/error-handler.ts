import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { AppError, type ErrorKind } from '../platform/errors.js'

/** The one table from error kind to HTTP status. */
export const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
  internal: 500,
}

export function errorBody(code: string, message: string, details?: unknown) {
  return { error: { code, message, ...(details !== undefined ? { details } : {}) } }
}

export interface ErrorHandlerOptions {
  /** Answers unknown routes that are not API calls (the web application's client routes); true if it did. */
  readonly fallback?: (req: FastifyRequest, reply: FastifyReply) => boolean
}

export function registerErrorHandler(app: FastifyInstance, opts: ErrorHandlerOptions = {}): void {
  app.setErrorHandler((err: FastifyError | AppError | Error, req, reply) => {
    if (err instanceof AppError) {
      if (err.code === 'UNSUPPORTED_MEDIA_TYPE')
        return reply.code(415).send(errorBody(err.code, err.message, err.details))
      if (err.kind === 'internal') req.log.error({ err }, 'internal error')
      const message = err.kind === 'internal' ? 'Erreur interne' : err.message
      return reply
        .code(STATUS[err.kind])
        .send(errorBody(err.code, message, err.kind === 'internal' ? undefined : err.details))
    }
    const fe = err as FastifyError
    if (fe.validation) {
      return reply.code(400).send(
        errorBody('REQUEST_INVALID', `Requête invalide : ${fe.message}`, {
          errors: fe.validation.map((v) => ({
            path: v.instancePath || v.params?.missingProperty,
            message: v.message,
          })),
        }),
      )
    }
    // PostgreSQL refuses a NUL character in text (22021) or an invalid UTF-8 sequence: hostile input in a
    // path or a parameter, never a server fault (SQLite stores such strings and simply finds nothing).
    if ((err as { code?: unknown }).code === '22021' || (err as { code?: unknown }).code === '22P05') {
      return reply
        .code(400)
        .send(errorBody('REQUEST_INVALID_CHARACTER', 'Caractère nul ou invalide dans la requête'))
    }
    if (fe.statusCode === 429) {
      return reply.code(429).send(errorBody('RATE_LIMITED', 'Trop de tentatives : réessayez dans une minute'))
    }
    if (fe.statusCode === 413 || fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send(errorBody('REQUEST_TOO_LARGE', 'Corps de requête trop volumineux'))
    }
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply
        .code(415)
        .send(
          errorBody(
            'UNSUPPORTED_MEDIA_TYPE',
            `Type de contenu non pris en charge : ${req.headers['content-type'] ?? 'aucun'}`,
          ),
        )
    }
    if (fe.statusCode === 403) {
      // @fastify/static refuses paths that climb out of web/dist (encoded "..", backslashes).
      return reply.code(403).send(errorBody('PATH_FORBIDDEN', `Chemin refusé : ${req.url.split('?')[0]}`))
    }
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      return reply.code(fe.statusCode).send(errorBody(fe.code ?? 'REQUEST_INVALID', fe.message))
    }
    req.log.error({ err }, 'unhandled error')
    return reply.code(500).send(errorBody('INTERNAL', 'Erreur interne'))
  })
  app.setNotFoundHandler((req, reply) => {
    if (opts.fallback?.(req, reply)) return
    reply
      .code(404)
      .send(errorBody('ROUTE_NOT_FOUND', `Ressource inconnue : ${req.method} ${req.url.split('?')[0]}`))
  })
}
