import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Container } from '../../main/container.js'
import { AUDIT_TYPES, type AuditType } from '../../modules/fixity/index.js'
import { isPlatformAdmin } from '../../modules/tenancy/index.js'
import { AppError } from '../../platform/errors.js'
import { principalOf, tenantOf } from '../auth.js'

interface AuditBody {
  type?: AuditType
  producer?: string
  /** `all`: the whole platform (platform administrators, without X-Tenant-Id). */
  scope?: 'tenant' | 'all'
}

export async function fixityRoutes(app: FastifyInstance, opts: { c: Container }): Promise<void> {
  const { tenancy, fixity } = opts.c

  /** The tenant of X-Tenant-Id, or null (whole platform) for a platform administrator without it. */
  const scopeOf = async (
    req: FastifyRequest,
    permission: 'archive.manage' | 'logbook.read',
    all: boolean,
  ) => {
    if (req.headers['x-tenant-id'] && !all) return (await tenantOf(req, tenancy, permission)).id
    if (!isPlatformAdmin(principalOf(req))) {
      if (all)
        throw new AppError(
          'FORBIDDEN',
          'forbidden',
          'Seul un administrateur de la plate-forme peut auditer toute la plate-forme',
          { scope: 'all' },
        )
      return (await tenantOf(req, tenancy, permission)).id
    }
    return null
  }

  app.post<{ Body: AuditBody | undefined }>(
    '/audits',
    {
      schema: {
        tags: ['fixity'],
        summary:
          'Lance un audit d’existence ou d’intégrité des copies (X-Tenant-Id ; scope « all » : toute la plate-forme) ; répond 202 et l’identifiant d’opération',
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            type: { type: 'string', enum: [...AUDIT_TYPES] },
            producer: { type: 'string', minLength: 1, maxLength: 200 },
            scope: { type: 'string', enum: ['tenant', 'all'] },
          },
        },
      },
    },
    async (req, reply) => {
      const body = req.body ?? {}
      const all = body.scope === 'all'
      if (all && req.headers['x-tenant-id'])
        throw new AppError(
          'AUDIT_SCOPE_INVALID',
          'invalid',
          'Un audit de toute la plate-forme ne prend pas d’en-tête X-Tenant-Id',
          { scope: 'all' },
        )
      const tenantId = await scopeOf(req, 'archive.manage', all)
      const auditId = await fixity.request(
        {
          tenantId,
          type: body.type ?? 'integrity',
          producer: body.producer ?? null,
          agent: principalOf(req).id,
        },
        { enqueue: true },
      )
      return reply.code(202).send({ operationId: auditId, auditId })
    },
  )

  app.get<{ Querystring: { limit?: number } }>(
    '/audits',
    {
      schema: {
        tags: ['fixity'],
        summary:
          'Les audits du service (X-Tenant-Id, ou de la plate-forme), du plus récent : état et compteurs',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 200 } },
        },
      },
    },
    async (req) => {
      const scope = await scopeOf(req, 'logbook.read', false)
      const ids = await fixity.list(scope, req.query.limit ?? 50)
      const results = []
      for (const id of ids) {
        const { anomalies: _a, alerts: _b, ...summary } = await fixity.report(scope, id, { maxAnomalies: 1 })
        results.push(summary)
      }
      return { total: results.length, results }
    },
  )

  app.get<{ Params: { id: string } }>(
    '/audits/:id',
    {
      schema: { tags: ['fixity'], summary: 'Rapport d’un audit : compteurs, résultats par offre, anomalies' },
    },
    async (req) => fixity.report(await scopeOf(req, 'logbook.read', false), req.params.id),
  )

  app.get<{ Params: { id: string } }>(
    '/objects/:id/fixity',
    {
      schema: {
        tags: ['fixity'],
        summary: 'Dernier résultat d’audit par offre et anomalies passées d’un objet (X-Tenant-Id)',
      },
    },
    async (req) => {
      const tenant = await tenantOf(req, tenancy, 'archive.read')
      return fixity.historyOf(tenant.id, req.params.id)
    },
  )

  app.get(
    '/audits/alerts',
    {
      schema: {
        tags: ['fixity'],
        summary: 'Objets sans plus aucune copie intègre (X-Tenant-Id, ou tous pour la plate-forme)',
      },
    },
    async (req) => {
      const lost = await fixity.lostObjects(await scopeOf(req, 'logbook.read', false))
      return { total: lost.length, results: lost }
    },
  )
}
