import type { FastifyInstance } from 'fastify'
import type { Container } from '../../main/container.js'
import type { DipRequest } from '../../modules/access/index.js'
import type { Decision, NewRequest } from '../../modules/requests/index.js'
import { principalOf, tenantOf } from '../auth.js'

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

const contractHeader = (h: Record<string, string | string[] | undefined>): string | null => {
  const raw = h['x-access-contract-id']
  return (Array.isArray(raw) ? raw[0] : raw) || null
}

const decisionSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    reason: { type: ['string', 'null'], maxLength: 2000 },
    dueDate: { type: ['string', 'null'] },
    derogation: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['reason', 'expiresAt'],
      properties: {
        reason: { type: 'string', minLength: 1, maxLength: 2000 },
        expiresAt: { type: 'string' },
      },
    },
  },
}

/** Communication / consultation / loan requests, DIP exports, access contract bindings. */
export async function accessRoutes(app: FastifyInstance, opts: { c: Container }): Promise<void> {
  const { requests, dips, access, tenancy } = opts.c

  app.post<{ Body: Omit<NewRequest, 'tenantId'> }>(
    '/requests',
    {
      schema: {
        tags: ['requests'],
        summary: 'Demande de communication (numérique), de consultation en salle ou de prêt administratif',
        body: {
          type: 'object',
          required: ['kind', 'unitIds'],
          additionalProperties: false,
          properties: {
            kind: { type: 'string', enum: ['communication', 'consultation', 'loan'] },
            unitIds: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, maxItems: 1000 },
            motive: { type: ['string', 'null'], maxLength: 2000 },
            service: { type: ['string', 'null'] },
            dueDate: { type: ['string', 'null'] },
          },
        },
      },
    },
    async (req, reply) => {
      const tenant = await tenantOf(req, tenancy, 'archive.read')
      const r = await requests.create(principalOf(req), {
        ...req.body,
        tenantId: tenant.id,
        accessContract: contractHeader(req.headers),
      })
      return reply.code(201).send(r)
    },
  )

  app.get<{ Querystring: { state?: string; kind?: string; overdue?: boolean } }>(
    '/requests',
    {
      schema: {
        tags: ['requests'],
        summary: 'Les demandes (les siennes, ou toutes pour un archiviste)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            state: { type: 'string', enum: ['requested', 'approved', 'refused', 'delivered', 'returned'] },
            kind: { type: 'string', enum: ['communication', 'consultation', 'loan'] },
            overdue: { type: 'boolean' },
          },
        },
      },
    },
    async (req) => {
      const tenant = await tenantOf(req, tenancy, 'archive.read')
      return { results: await requests.list(principalOf(req), tenant.id, req.query) }
    },
  )

  app.get<{ Params: { id: string } }>(
    '/requests/:id',
    { schema: { tags: ['requests'], summary: 'Une demande, son historique et sa dérogation' } },
    async (req) => {
      const tenant = await tenantOf(req, tenancy, 'archive.read')
      return requests.show(principalOf(req), tenant.id, req.params.id)
    },
  )

  for (const action of ['approve', 'refuse', 'deliver', 'return'] as const) {
    app.post<{ Params: { id: string }; Body: Decision | undefined }>(
      `/requests/:id/${action}`,
      {
        schema: {
          tags: ['requests'],
          summary:
            action === 'approve'
              ? 'Accorde la demande (avec une dérogation si une unité n’est pas communicable)'
              : action === 'refuse'
                ? 'Refuse la demande (motif obligatoire)'
                : action === 'deliver'
                  ? 'Remet les documents (ou ouvre l’accès numérique)'
                  : 'Enregistre le retour des documents prêtés',
          body: decisionSchema,
        },
      },
      async (req) => {
        const tenant = await tenantOf(req, tenancy, 'archive.read')
        const p = principalOf(req)
        const body = req.body ?? {}
        if (action === 'refuse') return requests.refuse(p, tenant.id, req.params.id, body.reason ?? '')
        return requests[action](p, tenant.id, req.params.id, body)
      },
    )
  }

  app.post<{ Body: Omit<DipRequest, 'tenantId' | 'accessContract'> }>(
    '/dips',
    {
      schema: {
        tags: ['access'],
        summary: 'Exporte une sélection en DIP SEDA (ArchiveDeliveryRequestReply) : 202 + operationId',
        body: {
          type: 'object',
          required: ['selection'],
          additionalProperties: false,
          properties: {
            selection: selectionSchema,
            sedaVersion: { type: 'string', enum: ['2.1', '2.2', '2.3'] },
            usages: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 10 },
            comment: { type: ['string', 'null'], maxLength: 2000 },
          },
        },
      },
    },
    async (req, reply) => {
      const tenant = await tenantOf(req, tenancy, 'archive.read')
      const d = await dips.create(principalOf(req), {
        ...req.body,
        tenantId: tenant.id,
        accessContract: contractHeader(req.headers),
      })
      return reply
        .code(202)
        .header('location', `/api/v1/dips/${d.operationId}`)
        .send({ operationId: d.operationId, dip: d })
    },
  )

  app.get('/dips', { schema: { tags: ['access'], summary: 'Les exports (DIP)' } }, async (req) => {
    const tenant = await tenantOf(req, tenancy, 'archive.read')
    return { results: await dips.list(principalOf(req), tenant.id) }
  })

  app.get<{ Params: { id: string } }>(
    '/dips/:id',
    { schema: { tags: ['access'], summary: 'Un export : état, progression, paquet' } },
    async (req) => {
      const tenant = await tenantOf(req, tenancy, 'archive.read')
      return dips.show(principalOf(req), tenant.id, req.params.id)
    },
  )

  app.get<{ Params: { id: string } }>(
    '/dips/:id/content',
    { schema: { tags: ['access'], summary: 'Télécharge le DIP (zip)' } },
    async (req, reply) => {
      const tenant = await tenantOf(req, tenancy, 'archive.read')
      const p = await dips.open(principalOf(req), tenant.id, req.params.id)
      const b64 = Buffer.from(p.sha512, 'hex').toString('base64')
      return reply
        .header('content-type', 'application/zip')
        .header('content-length', p.size)
        .header('content-disposition', `attachment; filename="DIP-${req.params.id}.zip"`)
        .header('repr-digest', `sha-512=:${b64}:`)
        .header('etag', `"${p.sha512.slice(0, 64)}"`)
        .send(p.body)
    },
  )

  // ── for the web screens (admin area): bindings and the access log, read-only ──
  app.get(
    '/access-contracts/bindings',
    {
      schema: {
        tags: ['access'],
        summary: 'Les contrats d’accès attribués aux utilisateurs et clés d’API du service',
      },
    },
    async (req) => {
      const tenant = await tenantOf(req, tenancy, 'principal.manage')
      const results = await access.listBindings(tenant.id)
      return { total: results.length, results }
    },
  )

  app.get<{ Querystring: { limit?: number } }>(
    '/access-log',
    {
      schema: {
        tags: ['access'],
        summary: 'Journal des accès du service : consultations, téléchargements, recherches, DIP (récents)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 500 } },
        },
      },
    },
    async (req) => {
      const tenant = await tenantOf(req, tenancy, 'archive.manage')
      const limit = req.query.limit ?? 100
      const results: Record<string, unknown>[] = []
      // The access log is written as ACCESS_LOG operations (one per flush): newest first.
      for (let offset = 0; results.length < limit; offset += 20) {
        const ops = await opts.c.audit.listOperations(tenant.id, { type: 'ACCESS_LOG', limit: 20, offset })
        for (const op of ops.items) {
          const full = await opts.c.audit.getOperation(tenant.id, op.id)
          for (const e of [...full.events].reverse()) {
            if (!e.type.startsWith('ACCESS_') || e.type === 'ACCESS_LOG') continue
            const d = e.data ?? {}
            results.push({
              type: e.type,
              at: e.createdAt,
              agent: e.agent,
              principal: d.principal ?? null,
              principalKind: d.principalKind ?? null,
              contract: d.contract ?? null,
              objectId: e.objectId,
              operationId: op.id,
              ...(d.total !== undefined ? { total: d.total } : {}),
              ...(d.query !== undefined ? { query: d.query } : {}),
            })
          }
        }
        if (offset + 20 >= ops.total) break
      }
      return { results: results.slice(0, limit) }
    },
  )

  app.put<{ Params: { principalId: string }; Body: { contracts: string[] } }>(
    '/access-contracts/bindings/:principalId',
    {
      schema: {
        tags: ['access'],
        summary:
          'Attribue des contrats d’accès à un utilisateur ou une clé d’API (liste vide : contrat par défaut)',
        body: {
          type: 'object',
          required: ['contracts'],
          additionalProperties: false,
          properties: {
            contracts: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 100 },
          },
        },
      },
    },
    async (req) => {
      const tenant = await tenantOf(req, tenancy, 'principal.manage')
      return access.bind(principalOf(req), tenant.id, req.params.principalId, req.body.contracts)
    },
  )
}
