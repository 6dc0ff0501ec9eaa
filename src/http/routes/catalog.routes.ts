import type { FastifyInstance } from 'fastify'
import type { Container } from '../../main/container.js'
import { blobKeyFor } from '../../modules/ingest/index.js'
import { markRepairOnBadCopy } from '../../modules/storage/index.js'
import { parseSearchParams } from '../../modules/search/index.js'
import { AppError } from '../../platform/errors.js'
import { tenantOf } from '../auth.js'

/** Parses one `bytes=a-b` range (suffix and open ranges too); null when absent, an error when unsatisfiable. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null {
  if (!header) return null
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!m || (m[1] === '' && m[2] === '')) return null
  let start: number
  let end: number
  if (m[1] === '') {
    const n = Number(m[2])
    start = Math.max(0, size - n)
    end = size - 1
  } else {
    start = Number(m[1])
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
  }
  if (start > end || start >= size) {
    throw new AppError(
      'RANGE_NOT_SATISFIABLE',
      'invalid',
      `Plage d'octets impossible : ${header} (taille ${size})`,
      { size },
    )
  }
  return { start, end }
}

export async function catalogRoutes(app: FastifyInstance, opts: { c: Container }): Promise<void> {
  const { tenancy, catalog, storage, blobs, db, search } = opts.c

  app.get<{ Querystring: Record<string, unknown> }>(
    '/units',
    {
      schema: {
        tags: ['catalog'],
        summary:
          'Recherche d’unités d’archives : texte intégral, filtres, facettes, tri, curseur (docs/search.md)',
        querystring: { type: 'object', additionalProperties: true },
      },
    },
    async (req) => {
      const tenant = await tenantOf(req, tenancy, 'archive.read')
      return search.search(tenant.id, parseSearchParams(req.query))
    },
  )

  app.get<{ Params: { id: string } }>(
    '/units/:id',
    { schema: { tags: ['catalog'], summary: 'Une unité d’archives : métadonnées, objets, règles' } },
    async (req) => {
      const tenant = await tenantOf(req, tenancy, 'archive.read')
      return catalog.getUnit(tenant.id, req.params.id)
    },
  )

  app.get<{ Params: { id: string } }>(
    '/objects/:id',
    { schema: { tags: ['catalog'], summary: 'Un objet (numérique ou physique)' } },
    async (req) => {
      const tenant = await tenantOf(req, tenancy, 'archive.read')
      return catalog.getObject(tenant.id, req.params.id)
    },
  )

  app.get<{ Params: { id: string } }>(
    '/objects/:id/content',
    {
      schema: {
        tags: ['catalog'],
        summary: 'Télécharge un objet numérique (empreinte vérifiée ; plages HTTP acceptées)',
      },
    },
    async (req, reply) => {
      const tenant = await tenantOf(req, tenancy, 'archive.read')
      const o = await catalog.getObject(tenant.id, req.params.id)
      if (!o.blobId || !o.digest || o.size === null) {
        throw new AppError(
          'OBJECT_NOT_BINARY',
          'invalid',
          `L'objet ${o.id} est un objet physique : rien à télécharger`,
          { objectId: o.id },
        )
      }
      const range = parseRange(req.headers.range, o.size)
      const opened = await storage.open(blobKeyFor(tenant.id, o.operationId, o.id), {
        sha512: o.digest,
        size: o.size,
        ...(range ? { range } : {}),
        onBadCopy: markRepairOnBadCopy(blobs, db.kysely, tenant.id, o.blobId),
      })
      const name = o.filename ?? `${o.id}`
      reply
        .header('content-type', o.mimeType ?? 'application/octet-stream')
        .header('accept-ranges', 'bytes')
        .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(name)}`)
        .header('digest', `sha-512=${Buffer.from(o.digest, 'hex').toString('base64')}`)
      if (range) {
        reply
          .code(206)
          .header('content-range', `bytes ${range.start}-${range.end}/${o.size}`)
          .header('content-length', range.end - range.start + 1)
      } else {
        reply.header('content-length', o.size)
      }
      return reply.send(opened.body)
    },
  )
}
