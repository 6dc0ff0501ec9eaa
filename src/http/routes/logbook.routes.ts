import type { FastifyInstance } from 'fastify'
import type { Container } from '../../main/container.js'
import { isPlatformAdmin } from '../../modules/tenancy/index.js'
import { AppError } from '../../platform/errors.js'
import { principalOf, tenantOf } from '../auth.js'

export async function logbookRoutes(app: FastifyInstance, opts: { c: Container }): Promise<void> {
  const { tenancy, audit } = opts.c

  app.get<{ Querystring: { type?: string; limit?: number; offset?: number } }>(
    '/logbook/operations',
    {
      schema: {
        tags: ['logbook'],
        summary: 'Journal des opérations du service (X-Tenant-Id)',
        querystring: {
          type: 'object',
          properties: {
            type: { type: 'string' },
            limit: { type: 'integer', minimum: 1, maximum: 500 },
            offset: { type: 'integer', minimum: 0 },
          },
        },
      },
    },
    async (req) => {
      const tenant = await tenantOf(req, tenancy, 'logbook.read')
      const r = await audit.listOperations(tenant.id, req.query)
      return { total: r.total, results: r.items }
    },
  )

  app.get<{ Params: { id: string } }>(
    '/operations/:id',
    { schema: { tags: ['logbook'], summary: 'Une opération et ses événements' } },
    async (req) => {
      const tenant = await tenantOf(req, tenancy, 'logbook.read')
      const op = await audit.getOperation(tenant.id, req.params.id)
      if (op.type === 'INGEST')
        return {
          ...(await opts.c.ingest.result(tenant.id, op.id)),
          createdAt: op.createdAt,
          updatedAt: op.updatedAt,
        }
      return {
        operationId: op.id,
        type: op.type,
        status: op.status,
        tenant: op.tenantId,
        createdAt: op.createdAt,
        updatedAt: op.updatedAt,
        ...op.summary,
        events: op.events.map((e) => ({
          type: e.type,
          outcome: e.outcome,
          detail: e.detail,
          message: e.message,
          objectId: e.objectId,
          createdAt: e.createdAt,
        })),
      }
    },
  )

  app.get(
    '/logbook/verify',
    {
      schema: {
        tags: ['logbook'],
        summary: 'Vérifie la chaîne du journal (X-Tenant-Id, ou toutes pour la plate-forme)',
      },
    },
    async (req) => {
      // Chains and seals; a break answers 200 with ok: false and names it (the CLI exits 1).
      const both = async (chain?: string) => {
        const { chains, seals } = await opts.c.seals.verifyLogbook(chain) // one pass: chains + seals
        return { ok: chains.ok && seals.ok, chains: chains.chains, seals }
      }
      if (req.headers['x-tenant-id']) {
        const tenant = await tenantOf(req, tenancy, 'logbook.read')
        return both(tenant.id)
      }
      if (!isPlatformAdmin(principalOf(req))) {
        throw new AppError('TENANT_REQUIRED', 'invalid', 'En-tête X-Tenant-Id manquant', {
          header: 'X-Tenant-Id',
        })
      }
      return both()
    },
  )
}
