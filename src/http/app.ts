import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import helmet from '@fastify/helmet'
import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import type { Container } from '../main/container.js'
import { VERSION } from '../main/version.js'
import { authHook } from './auth.js'
import { registerErrorHandler } from './error-handler.js'
import { authRoutes } from './routes/auth.routes.js'
import { logbookRoutes } from './routes/logbook.routes.js'
import { referentialRoutes } from './routes/referential.routes.js'
import { ingestRoutes } from './routes/ingest.routes.js'
import { catalogRoutes } from './routes/catalog.routes.js'
import { rulesRoutes } from './routes/rules.routes.js'
import { searchRoutes } from './routes/search.routes.js'
import { tenancyRoutes } from './routes/tenancy.routes.js'
import { fixityRoutes } from './routes/fixity.routes.js'
import { sealRoutes } from './routes/seal.routes.js'
import { proofRoutes } from './routes/proof.routes.js'
import { registerWebApp, webFallback } from './web-app.js'
import { lifecycleRoutes } from './routes/lifecycle.routes.js'
import { eliminationRoutes } from './routes/elimination.routes.js'
import { accessRoutes } from './routes/access.routes.js'
import { physicalRoutes } from './routes/physical.routes.js'

export interface HttpOptions {
  /** Extra route plugins registered under /api/v1 (modules added later plug in here). */
  readonly plugins?: ReadonlyArray<(app: FastifyInstance, opts: { c: Container }) => Promise<void>>
}

export async function buildHttpApp(c: Container, opts: HttpOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: c.log.child({ component: 'http' }) as FastifyBaseLogger,
    bodyLimit: 10 * 1024 * 1024,
    trustProxy: false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true } },
  })
  registerErrorHandler(app, { fallback: webFallback })
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        // blob: URLs show digital objects (PDF, images) fetched with the session's credentials.
        imgSrc: ["'self'", 'data:', 'blob:'],
        frameSrc: ["'self'", 'blob:'],
        scriptSrc: ["'self'"],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        // Plain-HTTP deployments (a LAN, TLS at a proxy) must load their own scripts: no forced upgrade.
        upgradeInsecureRequests: null,
      },
    },
  })
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) => ({
      statusCode: 429,
      error: {
        code: 'RATE_LIMITED',
        message: `Trop de tentatives : réessayez dans ${Math.ceil(ctx.ttl / 1000)} s`,
      },
    }),
  })
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'SAEH API',
        version: VERSION,
        description:
          "API du système d'archivage électronique hybride. Authentification : `Authorization: Bearer <jeton ou clé d'API>` ; service d'archives : en-tête `X-Tenant-Id`.",
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      },
      security: [{ bearer: [] }],
    },
  })

  app.decorateRequest('principal', null)

  app.get('/health', { schema: { hide: true } }, async (_req, reply) => {
    const checks: Record<string, string> = {}
    try {
      await c.db.kysely.selectFrom('meta').select('key').limit(1).execute()
      checks.database = 'ok'
    } catch {
      checks.database = 'unavailable'
    }
    // Each offer answers a metadata read (no write): an offer that is down shows here by name.
    await Promise.all(
      c.storage.offers.map(async (o) => {
        try {
          await o.head('health/probe')
          checks[`offer:${o.id}`] = 'ok'
        } catch {
          checks[`offer:${o.id}`] = 'unavailable'
        }
      }),
    )
    const ok = Object.values(checks).every((v) => v === 'ok')
    // Objects that fixity audits found with no good copy left: shown loudly, but not a reason to restart.
    const lostObjects = await c.fixity
      .lostObjects(null)
      .then((l) => l.length)
      .catch(() => null)
    return reply
      .code(ok ? 200 : 503)
      .send({ status: ok ? 'ok' : 'degraded', version: VERSION, checks, fixity: { lostObjects } })
  })

  // The web application (src/web, built into web/dist) at `/`, client routes falling back to index.html.
  await registerWebApp(app)

  await app.register(
    async (api) => {
      api.addHook('onRequest', authHook(c.tenancy))
      api.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () =>
        app.swagger(),
      )
      await api.register(authRoutes, { c })
      await api.register(tenancyRoutes, { c })
      await api.register(logbookRoutes, { c })
      await api.register(referentialRoutes, { c })
      await api.register(ingestRoutes, { c })
      await api.register(catalogRoutes, { c })
      await api.register(rulesRoutes, { c })
      await api.register(fixityRoutes, { c })
      await api.register(sealRoutes, { c })
      await api.register(proofRoutes, { c })
      await api.register(lifecycleRoutes, { c })
      await api.register(eliminationRoutes, { c })
      await api.register(accessRoutes, { c })
      await api.register(physicalRoutes, { c })
      await api.register(searchRoutes, { c })
      for (const p of opts.plugins ?? []) await api.register(p, { c })
    },
    { prefix: '/api/v1' },
  )
  return app
}
