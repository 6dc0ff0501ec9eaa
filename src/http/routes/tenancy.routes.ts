import type { FastifyInstance } from 'fastify'
import type { Container } from '../../main/container.js'
import { principalOf, tenantOf } from '../auth.js'

export async function tenancyRoutes(app: FastifyInstance, opts: { c: Container }): Promise<void> {
  const { tenancy } = opts.c

  app.get(
    '/tenants',
    { schema: { tags: ['tenancy'], summary: 'Services d’archives accessibles' } },
    async (req) => {
      const results = await tenancy.listTenants(principalOf(req))
      return { total: results.length, results }
    },
  )

  app.post<{ Body: { id: string; name: string; controlledBy?: string } }>(
    '/tenants',
    {
      schema: {
        tags: ['tenancy'],
        summary: 'Crée un service d’archives (plate-forme)',
        body: {
          type: 'object',
          required: ['id', 'name'],
          additionalProperties: false,
          properties: {
            id: { type: 'string', maxLength: 63 },
            name: { type: 'string', maxLength: 200 },
            controlledBy: { type: 'string', maxLength: 63 },
          },
        },
      },
    },
    async (req, reply) => {
      const t = await tenancy.createTenant(principalOf(req), req.body)
      return reply.code(201).send(t)
    },
  )

  app.get<{ Params: { id: string } }>(
    '/tenants/:id',
    { schema: { tags: ['tenancy'], summary: 'Un service d’archives' } },
    async (req) => tenancy.requireAccess(principalOf(req), req.params.id, 'tenant.read'),
  )

  app.get(
    '/users',
    { schema: { tags: ['tenancy'], summary: 'Utilisateurs du service et leurs rôles (X-Tenant-Id)' } },
    async (req) => {
      const tenant = await tenantOf(req, tenancy, 'principal.manage')
      const results = await tenancy.listPrincipals(principalOf(req), tenant.id, 'user')
      return { total: results.length, results }
    },
  )

  app.get(
    '/apikeys',
    {
      schema: {
        tags: ['tenancy'],
        summary: 'Clés d’API du service (libellé, rôle, début de la clé ; jamais la clé)',
      },
    },
    async (req) => {
      const tenant = await tenantOf(req, tenancy, 'principal.manage')
      const results = await tenancy.listPrincipals(principalOf(req), tenant.id, 'apikey')
      return { total: results.length, results }
    },
  )

  app.post<{ Body: { username: string; password?: string; role: string } }>(
    '/users',
    {
      schema: {
        tags: ['tenancy'],
        summary: 'Crée un utilisateur du service (X-Tenant-Id)',
        body: {
          type: 'object',
          required: ['username', 'role'],
          additionalProperties: false,
          properties: {
            username: { type: 'string', maxLength: 64 },
            password: { type: 'string', maxLength: 1024 },
            role: { type: 'string' },
          },
        },
      },
    },
    async (req, reply) => {
      const tenant = await tenantOf(req, tenancy, 'principal.manage')
      const u = await tenancy.createUser(principalOf(req), { ...req.body, tenantId: tenant.id })
      return reply.code(201).send({
        id: u.id,
        username: u.username,
        grants: u.grants,
        ...(u.generated ? { password: u.password } : {}),
      })
    },
  )

  app.post<{ Body: { role: string; label?: string } }>(
    '/apikeys',
    {
      schema: {
        tags: ['tenancy'],
        summary: 'Crée une clé d’API applicative (montrée une seule fois)',
        body: {
          type: 'object',
          required: ['role'],
          additionalProperties: false,
          properties: { role: { type: 'string' }, label: { type: 'string', maxLength: 200 } },
        },
      },
    },
    async (req, reply) => {
      const tenant = await tenantOf(req, tenancy, 'principal.manage')
      const k = await tenancy.createApiKey(principalOf(req), { ...req.body, tenantId: tenant.id })
      return reply.code(201).send(k)
    },
  )

  app.delete<{ Params: { id: string } }>(
    '/apikeys/:id',
    { schema: { tags: ['tenancy'], summary: 'Révoque une clé d’API' } },
    async (req, reply) => {
      const tenant = await tenantOf(req, tenancy, 'principal.manage')
      await tenancy.revokeApiKey(principalOf(req), tenant.id, req.params.id)
      return reply.code(204).send()
    },
  )
}
