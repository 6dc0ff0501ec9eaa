import type { FastifyInstance } from 'fastify'
import type { Container } from '../../main/container.js'
import {
  registerCsv,
  type Move,
  type RuleChange,
  type Selection,
  type TransferRequest,
} from '../../modules/lifecycle/index.js'
import { principalOf } from '../auth.js'
import { AppError } from '../../platform/errors.js'

const tenantHeader = (h: Record<string, string | string[] | undefined>): string => {
  const raw = h['x-tenant-id']
  const id = Array.isArray(raw) ? raw[0] : raw
  if (!id)
    throw new AppError(
      'TENANT_REQUIRED',
      'invalid',
      'En-tête X-Tenant-Id manquant : précisez le service d’archives',
      {
        header: 'X-Tenant-Id',
      },
    )
  return id
}

const selectionSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    unitIds: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, maxItems: 100000 },
    branch: { type: 'string', minLength: 1 },
    query: {
      type: 'object',
      additionalProperties: false,
      properties: { text: { type: 'string' }, operationId: { type: 'string' }, parentId: { type: 'string' } },
    },
  },
}

/** Transfers and restitutions, reclassification, mass rules updates, the accession register. */
export async function lifecycleRoutes(app: FastifyInstance, opts: { c: Container }): Promise<void> {
  const { transfers, changes, register } = opts.c
  // ATRs arrive as raw XML.
  app.addContentTypeParser(
    ['application/xml', 'text/xml'],
    { parseAs: 'buffer', bodyLimit: 50 * 1024 * 1024 },
    (_req, body, done) => done(null, body),
  )

  app.post<{ Body: Omit<TransferRequest, 'tenantId'> }>(
    '/transfers',
    {
      schema: {
        tags: ['lifecycle'],
        summary:
          'Prépare un transfert ou une restitution ; avec targetTenant, le livre au service destinataire',
        body: {
          type: 'object',
          required: ['selection'],
          additionalProperties: false,
          properties: {
            type: { type: 'string', enum: ['TRANSFER', 'RESTITUTION'] },
            selection: selectionSchema,
            sedaVersion: { type: 'string', enum: ['2.1', '2.2', '2.3'] },
            targetTenant: { type: ['string', 'null'] },
            contract: { type: ['string', 'null'] },
            archivalAgency: { type: ['string', 'null'] },
            comment: { type: ['string', 'null'], maxLength: 2000 },
          },
        },
      },
    },
    async (req, reply) => {
      // Every check answers now; the package and the delivery run in the worker (GET /transfers/{id}).
      const t = await transfers.request(principalOf(req), {
        ...req.body,
        tenantId: tenantHeader(req.headers),
      })
      return reply.code(202).send(t)
    },
  )

  app.get<{ Querystring: { state?: string } }>(
    '/transfers',
    {
      schema: {
        tags: ['lifecycle'],
        summary: 'Les transferts du service',
        querystring: { type: 'object', properties: { state: { type: 'string' } } },
      },
    },
    async (req) => {
      const list = await transfers.list(principalOf(req), tenantHeader(req.headers), req.query)
      return { total: list.length, results: list }
    },
  )

  app.get<{ Params: { id: string } }>(
    '/transfers/tombstones/:id',
    {
      schema: {
        tags: ['lifecycle'],
        summary: 'Ce qui est conservé d’une unité partie par transfert ou restitution',
      },
    },
    async (req) => transfers.tombstone(principalOf(req), tenantHeader(req.headers), req.params.id),
  )

  app.get<{ Params: { id: string } }>(
    '/transfers/:id',
    { schema: { tags: ['lifecycle'], summary: 'Un transfert' } },
    async (req) => transfers.show(principalOf(req), tenantHeader(req.headers), req.params.id),
  )

  app.get<{ Params: { id: string } }>(
    '/transfers/:id/package',
    { schema: { tags: ['lifecycle'], summary: 'Le paquet SEDA (zip) d’un transfert non purgé' } },
    async (req, reply) => {
      const p = await transfers.openPackage(principalOf(req), tenantHeader(req.headers), req.params.id)
      return reply
        .type('application/zip')
        .header('content-length', p.size)
        .header('content-disposition', `attachment; filename="${p.fileName}"`)
        .send(p.body)
    },
  )

  app.post<{ Params: { id: string }; Body: Buffer }>(
    '/transfers/:id/ack',
    { schema: { tags: ['lifecycle'], summary: 'L’accusé de réception (ATR, XML) du destinataire' } },
    async (req) => {
      if (!Buffer.isBuffer(req.body))
        throw new AppError(
          'TRANSFER_ATR_INVALID',
          'invalid',
          'Envoyer l’ATR en XML (Content-Type application/xml)',
          {},
        )
      return transfers.ack(principalOf(req), tenantHeader(req.headers), req.params.id, req.body)
    },
  )

  app.post<{ Body: { selection: Selection; changes: RuleChange[] } }>(
    '/units/rules',
    {
      schema: {
        tags: ['lifecycle'],
        summary: 'Mise à jour en masse des règles de gestion d’une sélection (révocable)',
        body: {
          type: 'object',
          required: ['selection', 'changes'],
          additionalProperties: false,
          properties: {
            selection: selectionSchema,
            changes: {
              type: 'array',
              minItems: 1,
              maxItems: 50,
              items: { type: 'object', required: ['category', 'action'] },
            },
          },
        },
      },
    },
    async (req) =>
      changes.updateRules(principalOf(req), tenantHeader(req.headers), req.body.selection, req.body.changes),
  )

  app.post<{ Body: { moves: Move[] } }>(
    '/reclassifications',
    {
      schema: {
        tags: ['lifecycle'],
        summary: 'Reclassement : chaque unité (et sa branche) reçoit ces parents ([] : racine)',
        body: {
          type: 'object',
          required: ['moves'],
          additionalProperties: false,
          properties: {
            moves: {
              type: 'array',
              minItems: 1,
              maxItems: 10000,
              items: {
                type: 'object',
                required: ['unitId', 'parentIds'],
                additionalProperties: false,
                properties: {
                  unitId: { type: 'string' },
                  parentIds: { type: 'array', items: { type: 'string' } },
                },
              },
            },
          },
        },
      },
    },
    async (req) => changes.reclassify(principalOf(req), tenantHeader(req.headers), req.body.moves),
  )

  for (const url of ['/reclassifications/:id/revert', '/units/rules/:id/revert'])
    app.post<{ Params: { id: string } }>(
      url,
      { schema: { tags: ['lifecycle'], summary: 'Annule un reclassement ou une mise à jour de règles' } },
      async (req) => changes.revert(principalOf(req), tenantHeader(req.headers), req.params.id),
    )

  app.get<{ Querystring: { producer?: string } }>(
    '/register',
    {
      schema: {
        tags: ['lifecycle'],
        summary: 'Registre des entrées (JSON, ou CSV avec Accept: text/csv)',
        querystring: { type: 'object', properties: { producer: { type: 'string' } } },
      },
    },
    async (req, reply) => {
      const r = await register.register(
        principalOf(req),
        tenantHeader(req.headers),
        req.query.producer ?? null,
      )
      if ((req.headers.accept ?? '').includes('text/csv'))
        return reply.type('text/csv; charset=utf-8').send(registerCsv(r))
      return r
    },
  )
}
