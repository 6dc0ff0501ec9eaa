import type { FastifyInstance } from 'fastify'
import type { Container } from '../../main/container.js'
import { principalOf, tenantOf } from '../auth.js'

/** Rules presets (the rules module). */
export async function rulesRoutes(app: FastifyInstance, opts: { c: Container }): Promise<void> {
  const { tenancy, rules } = opts.c
  app.post<{ Params: { name: string } }>(
    '/referentials/presets/:name',
    {
      schema: {
        tags: ['referentials'],
        summary:
          'Charge un préréglage de règles (l213-2, communes-retention) dans le référentiel des règles du service',
      },
    },
    async (req) => {
      const tenant = await tenantOf(req, tenancy, 'referential.write')
      return rules.loadPreset(tenant.id, req.params.name, principalOf(req).id)
    },
  )
}
