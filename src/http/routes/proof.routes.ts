import type { FastifyInstance } from 'fastify'
import type { Container } from '../../main/container.js'
import { principalOf, tenantOf } from '../auth.js'

/** Probative-value report of an object (relevé de valeur probante): JSON and PDF (X-Tenant-Id). */
export async function proofRoutes(app: FastifyInstance, opts: { c: Container }): Promise<void> {
  const { tenancy, probative } = opts.c

  app.get<{ Params: { id: string } }>(
    '/objects/:id/probative-report',
    {
      schema: {
        tags: ['logbook'],
        summary:
          'Relevé de valeur probante d’un objet (JSON) : origine, empreintes, audits, événements, sceaux',
      },
    },
    async (req) => {
      const tenant = await tenantOf(req, tenancy, 'archive.read')
      return probative.build(principalOf(req), tenant.id, req.params.id)
    },
  )

  app.get<{ Params: { id: string } }>(
    '/objects/:id/probative-report.pdf',
    {
      schema: {
        tags: ['logbook'],
        summary: 'Relevé de valeur probante d’un objet (PDF)',
      },
    },
    async (req, reply) => {
      const tenant = await tenantOf(req, tenancy, 'archive.read')
      const { pdf } = await probative.pdf(principalOf(req), tenant.id, req.params.id)
      return reply
        .type('application/pdf')
        .header(
          'content-disposition',
          `attachment; filename="releve-valeur-probante-${req.params.id.replace(/[^A-Za-z0-9._-]/g, '_')}.pdf"`,
        )
        .send(pdf)
    },
  )
}
