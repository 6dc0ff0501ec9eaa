import type { FastifyInstance } from 'fastify'
import type { Container } from '../../main/container.js'
import { principalOf, tenantOf } from '../auth.js'

const DOCUMENTS = [
  'bordereau.pdf',
  'authorization-request.xml',
  'certificate.pdf',
  'certificate.json',
  'notification.xml',
] as const

type Body = Record<string, unknown> | undefined

/** Elimination (analysis, request, visa, action, documents) and legal holds: docs/elimination.md. */
export async function eliminationRoutes(app: FastifyInstance, opts: { c: Container }): Promise<void> {
  const { tenancy, elimination, holds } = opts.c
  const tags = ['elimination']

  app.post<{ Body: Body }>(
    '/eliminations/analysis',
    {
      schema: {
        tags,
        summary:
          "Lance une analyse d'élimination (filtres facultatifs producer, branch, rule) ; répond 202 et l'identifiant",
      },
    },
    async (req, reply) => {
      const tenant = await tenantOf(req, tenancy, 'archive.read')
      const { analysisId } = await elimination.startAnalysis(principalOf(req), tenant.id, req.body ?? {}, {
        enqueue: true,
      })
      return reply
        .code(202)
        .header('location', `/api/v1/eliminations/analysis/${analysisId}`)
        .send({
          operationId: analysisId,
          analysisId,
          status: 'PENDING',
          analysis: `/api/v1/eliminations/analysis/${analysisId}`,
        })
    },
  )

  app.get<{ Params: { id: string } }>(
    '/eliminations/analysis/:id',
    { schema: { tags, summary: "Résultat d'une analyse : unités éliminables et conflits motivés" } },
    async (req) => {
      const tenant = await tenantOf(req, tenancy, 'archive.read')
      return elimination.getAnalysis(principalOf(req), tenant.id, req.params.id)
    },
  )

  app.get(
    '/eliminations',
    { schema: { tags, summary: "Demandes d'élimination du service" } },
    async (req) => {
      const tenant = await tenantOf(req, tenancy, 'archive.read')
      return { results: await elimination.list(principalOf(req), tenant.id) }
    },
  )

  app.get(
    '/eliminations/pending-visas',
    {
      schema: {
        tags,
        summary:
          "Demandes soumises au visa de l'autorité de contrôle, pour tous les services qu'elle contrôle (sans X-Tenant-Id)",
      },
    },
    async (req) => ({ results: await elimination.pendingVisas(principalOf(req)) }),
  )

  app.post<{ Body: Body }>(
    '/eliminations',
    {
      schema: {
        tags,
        summary:
          "Rédige une demande d'élimination (bordereau) depuis une analyse : analysisId, unitIds?, observations?",
      },
    },
    async (req, reply) => {
      const tenant = await tenantOf(req, tenancy, 'archive.read')
      const r = await elimination.createRequest(principalOf(req), tenant.id, req.body ?? {})
      return reply.code(201).header('location', `/api/v1/eliminations/${r.id}`).send(r)
    },
  )

  app.get<{ Params: { id: string } }>(
    '/eliminations/:id',
    { schema: { tags, summary: "Une demande d'élimination, ses unités et ses documents" } },
    async (req) => {
      const tenant = await tenantOf(req, tenancy, 'archive.read')
      return elimination.show(principalOf(req), tenant.id, req.params.id)
    },
  )

  app.post<{ Params: { id: string } }>(
    '/eliminations/:id/submit',
    { schema: { tags, summary: "Soumet la demande au visa de l'autorité de contrôle" } },
    async (req) => {
      const tenant = await tenantOf(req, tenancy, 'archive.read')
      return elimination.submit(principalOf(req), tenant.id, req.params.id)
    },
  )

  app.post<{ Params: { id: string }; Body: Body }>(
    '/eliminations/:id/visa',
    {
      schema: {
        tags,
        summary: "Visa de l'autorité de contrôle (R212-14) : { decision: approve|refuse, comment }",
      },
    },
    async (req) => {
      const tenant = await tenantOf(req, tenancy, 'archive.read')
      const b = req.body ?? {}
      return elimination.visa(principalOf(req), tenant.id, req.params.id, {
        decision: b.decision,
        comment: b.comment,
      })
    },
  )

  app.post<{ Params: { id: string }; Body: Body }>(
    '/eliminations/:id/cancel',
    { schema: { tags, summary: 'Annule une demande non exécutée : { reason }' } },
    async (req) => {
      const tenant = await tenantOf(req, tenancy, 'archive.read')
      return elimination.cancel(principalOf(req), tenant.id, req.params.id, (req.body ?? {}).reason)
    },
  )

  app.post<{ Params: { id: string } }>(
    '/eliminations/:id/execute',
    {
      schema: {
        tags,
        summary: "Exécute une demande visée et en cours de validité ; répond 202 et l'opération",
      },
    },
    async (req, reply) => {
      const tenant = await tenantOf(req, tenancy, 'archive.manage')
      const { operationId } = await elimination.startExecution(principalOf(req), tenant.id, req.params.id, {
        enqueue: true,
      })
      return reply
        .code(202)
        .header('location', `/api/v1/operations/${operationId}`)
        .send({
          operationId,
          status: 'PENDING',
          operation: `/api/v1/operations/${operationId}`,
          elimination: `/api/v1/eliminations/${req.params.id}`,
        })
    },
  )

  for (const name of DOCUMENTS) {
    app.get<{ Params: { id: string } }>(
      `/eliminations/:id/${name}`,
      { schema: { tags, summary: `Document ${name} de la demande (empreinte vérifiée)` } },
      async (req, reply) => {
        const tenant = await tenantOf(req, tenancy, 'archive.read')
        const d = await elimination.openDocument(principalOf(req), tenant.id, req.params.id, name)
        return reply
          .header('content-type', d.mediaType)
          .header('content-length', d.size)
          .header('content-disposition', `attachment; filename="${req.params.id}-${name}"`)
          .header('digest', `sha-512=${Buffer.from(d.sha512, 'hex').toString('base64')}`)
          .send(d.body)
      },
    )
  }

  app.get<{ Params: { id: string } }>(
    '/tombstones/:id',
    { schema: { tags, summary: "Ce qui est conservé d'une unité éliminée" } },
    async (req) => {
      const tenant = await tenantOf(req, tenancy, 'archive.read')
      return elimination.tombstone(principalOf(req), tenant.id, req.params.id)
    },
  )

  app.get<{ Querystring: { unitId?: string; active?: string } }>(
    '/holds',
    { schema: { tags: ['holds'], summary: 'Gels (holds manuels) du service' } },
    async (req) => {
      const tenant = await tenantOf(req, tenancy, 'archive.read')
      return {
        results: await holds.list(principalOf(req), tenant.id, {
          ...(req.query.unitId ? { unitId: req.query.unitId } : {}),
          activeOnly: req.query.active === 'true',
        }),
      }
    },
  )

  app.post<{ Body: Body }>(
    '/holds',
    {
      schema: {
        tags: ['holds'],
        summary: 'Pose un gel : { unitId, reason, includeDescendants?, startDate?, endDate? }',
      },
    },
    async (req, reply) => {
      const tenant = await tenantOf(req, tenancy, 'archive.read')
      const h = await holds.create(principalOf(req), tenant.id, req.body ?? {})
      return reply.code(201).send(h)
    },
  )

  app.post<{ Params: { id: string }; Body: Body }>(
    '/holds/:id/lift',
    { schema: { tags: ['holds'], summary: 'Lève un gel : { reason }' } },
    async (req) => {
      const tenant = await tenantOf(req, tenancy, 'archive.read')
      return holds.lift(principalOf(req), tenant.id, req.params.id, (req.body ?? {}).reason)
    },
  )
}
