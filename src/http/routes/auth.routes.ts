import type { FastifyInstance } from 'fastify'
import type { Container } from '../../main/container.js'
import { principalOf } from '../auth.js'

export async function authRoutes(app: FastifyInstance, opts: { c: Container }): Promise<void> {
  const { tenancy, config } = opts.c
  app.post<{ Body: { username: string; password: string } }>(
    '/auth/login',
    {
      config: { public: true, rateLimit: { max: config.loginRateLimitPerMinute, timeWindow: '1 minute' } },
      schema: {
        tags: ['auth'],
        summary: 'Ouvre une session (nom d’utilisateur et mot de passe)',
        body: {
          type: 'object',
          required: ['username', 'password'],
          additionalProperties: false,
          properties: {
            username: { type: 'string', maxLength: 64 },
            password: { type: 'string', maxLength: 1024 },
          },
        },
      },
    },
    async (req) => {
      const s = await tenancy.login(req.body.username, req.body.password)
      const tenants = await tenancy.listTenants(s.principal)
      return { token: s.token, expiresAt: s.expiresAt, principal: s.principal, tenants }
    },
  )

  app.post(
    '/auth/logout',
    { schema: { tags: ['auth'], summary: 'Ferme la session' } },
    async (req, reply) => {
      const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')
      if (m) await tenancy.logout(m[1]!)
      return reply.code(204).send()
    },
  )

  app.get('/auth/me', { schema: { tags: ['auth'], summary: 'Qui suis-je ?' } }, async (req) => {
    const principal = principalOf(req)
    return { principal, tenants: await tenancy.listTenants(principal) }
  })
}
