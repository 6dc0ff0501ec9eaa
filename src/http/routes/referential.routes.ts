import type { FastifyInstance } from 'fastify'
import type { Container } from '../../main/container.js'
import { isReferentialKind, REFERENTIAL_KINDS } from '../../modules/referential/index.js'
import { AppError } from '../../platform/errors.js'
import { principalOf, tenantOf } from '../auth.js'
import { isPlatformAdmin } from '../../modules/tenancy/index.js'
import { importFormatReferential } from '../../modules/formats/index.js'

function kindOf(kind: string) {
  if (!isReferentialKind(kind)) {
    throw new AppError('REFERENTIAL_KIND_UNKNOWN', 'not_found', `Référentiel inconnu : ${kind}`, {
      kind,
      kinds: REFERENTIAL_KINDS,
    })
  }
  return kind
}

export async function referentialRoutes(app: FastifyInstance, opts: { c: Container }): Promise<void> {
  const { tenancy, referential } = opts.c
  // The file is imported as sent (CSV or JSON bytes), so that errors name its lines and columns.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 64 * 1024 * 1024 }, (_req, body, done) =>
    done(null, body),
  )

  app.post<{ Body: Buffer }>(
    '/referentials/formats',
    {
      schema: {
        tags: ['referentials'],
        summary: 'Importe le référentiel des formats de la plate-forme (fichier de signatures DROID, XML)',
      },
    },
    async (req) => {
      const p = principalOf(req)
      if (!isPlatformAdmin(p)) {
        throw new AppError(
          'FORBIDDEN',
          'forbidden',
          'Le référentiel des formats est réservé à l’administrateur de la plate-forme',
        )
      }
      return importFormatReferential(
        { db: opts.c.db, audit: opts.c.audit },
        Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
        p.id,
      )
    },
  )

  app.get(
    '/referentials/formats',
    { schema: { tags: ['referentials'], summary: 'Le référentiel des formats (PRONOM)' } },
    async (req) => {
      principalOf(req)
      const rows = await opts.c.db.kysely.selectFrom('format').selectAll().orderBy('puid').execute()
      return { total: rows.length, results: rows }
    },
  )

  app.put<{ Params: { id: string }; Body: Buffer }>(
    '/referentials/profiles/:id/schema',
    { schema: { tags: ['referentials'], summary: 'Attache le schéma RNG ou XSD d’un profil d’archivage' } },
    async (req) => {
      const tenant = await tenantOf(req, tenancy, 'referential.write')
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
      return opts.c.profiles.attach(tenant.id, req.params.id, body, null, principalOf(req).id)
    },
  )

  app.get<{ Params: { id: string } }>(
    '/referentials/profiles/:id/schema',
    { schema: { tags: ['referentials'], summary: 'Télécharge le schéma RNG ou XSD attaché à un profil' } },
    async (req, reply) => {
      const tenant = await tenantOf(req, tenancy, 'referential.read')
      const s = await opts.c.profiles.schemaOf(tenant.id, req.params.id)
      if (!s)
        throw new AppError(
          'PROFILE_SCHEMA_NOT_FOUND',
          'not_found',
          `Aucun schéma attaché au profil ${req.params.id}`,
          { profileId: req.params.id },
        )
      const name = `${req.params.id.replace(/[^A-Za-z0-9._-]/g, '_')}.${s.format === 'RNG' ? 'rng' : 'xsd'}`
      return reply
        .header('content-type', 'application/xml; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}"`)
        .send(s.content)
    },
  )

  app.post<{ Params: { kind: string }; Body: Buffer }>(
    '/referentials/:kind',
    {
      schema: {
        tags: ['referentials'],
        summary:
          'Importe un référentiel au format Vitam (CSV des règles ou des services producteurs, JSON des contrats et profils) ; remplace le référentiel du service',
        params: { type: 'object', properties: { kind: { type: 'string', enum: [...REFERENTIAL_KINDS] } } },
      },
    },
    async (req) => {
      const kind = kindOf(req.params.kind)
      const tenant = await tenantOf(req, tenancy, 'referential.write')
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
      return referential.import(tenant.id, kind, body, principalOf(req).id)
    },
  )

  app.get<{ Params: { kind: string } }>(
    '/referentials/:kind',
    { schema: { tags: ['referentials'], summary: 'Liste un référentiel du service' } },
    async (req) => {
      const kind = kindOf(req.params.kind)
      const tenant = await tenantOf(req, tenancy, 'referential.read')
      const results = await referential.list(tenant.id, kind)
      return { total: results.length, results }
    },
  )

  app.get<{ Params: { kind: string; id: string } }>(
    '/referentials/:kind/:id',
    { schema: { tags: ['referentials'], summary: 'Une entrée d’un référentiel' } },
    async (req) => {
      const kind = kindOf(req.params.kind)
      const tenant = await tenantOf(req, tenancy, 'referential.read')
      return referential.get(tenant.id, kind, req.params.id)
    },
  )
}
