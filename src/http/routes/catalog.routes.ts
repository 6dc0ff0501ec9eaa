import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Container } from '../../main/container.js'
import { explainMissingUnit } from '../../main/departure.js'
import { blobKeyFor } from '../../modules/ingest/index.js'
import { markRepairOnBadCopy } from '../../modules/storage/index.js'
import { parseSearchParams } from '../../modules/search/index.js'
import { AppError } from '../../platform/errors.js'
import { principalOf, tenantOf } from '../auth.js'
import type { AccessContext } from '../../modules/access/index.js'

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

/** The caller's access context: tenant (X-Tenant-Id), principal and contract (X-Access-Contract-Id). */
export async function accessOf(req: FastifyRequest, c: Container): Promise<AccessContext> {
  const tenant = await tenantOf(req, c.tenancy, 'archive.read')
  const raw = req.headers['x-access-contract-id']
  const contract = Array.isArray(raw) ? raw[0] : raw
  return c.access.context(principalOf(req), tenant.id, contract || null)
}

export async function catalogRoutes(app: FastifyInstance, opts: { c: Container }): Promise<void> {
  const { catalog, storage, blobs, db, access, search } = opts.c

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
      const ctx = await accessOf(req, opts.c)
      const r = await search.search(ctx.tenantId, parseSearchParams(req.query), access.visibilityOf(ctx))
      // One event per query, not per hit.
      access.record(ctx, 'UNIT_SEARCH', null, { query: req.query, total: r.total })
      return r
    },
  )

  app.get<{ Params: { id: string } }>(
    '/units/:id',
    { schema: { tags: ['catalog'], summary: 'Une unité d’archives : métadonnées, objets, règles' } },
    async (req) => {
      const ctx = await accessOf(req, opts.c)
      // A unit that left says how and when (its tombstone), still as UNIT_NOT_FOUND.
      const a = await access.checkUnit(ctx, req.params.id).catch(async (err: unknown) => {
        throw await explainMissingUnit(opts.c, ctx, req.params.id, err)
      })
      const u = await catalog.getUnit(ctx.tenantId, req.params.id)
      access.record(ctx, 'UNIT_CONSULT', u.id, a.derogationId ? { derogationId: a.derogationId } : {})
      return u
    },
  )

  app.get<{ Params: { id: string } }>(
    '/objects/:id',
    { schema: { tags: ['catalog'], summary: 'Un objet (numérique ou physique)' } },
    async (req) => {
      const ctx = await accessOf(req, opts.c)
      const o = await catalog.getObject(ctx.tenantId, req.params.id)
      await access.checkObject(ctx, o)
      return o
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
      const ctx = await accessOf(req, opts.c)
      const tenant = { id: ctx.tenantId }
      const o = await catalog.getObject(tenant.id, req.params.id)
      const granted = await access.checkObject(ctx, o)
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
      access.record(ctx, 'OBJECT_DOWNLOAD', o.id, {
        usage: o.usage,
        size: o.size,
        ...(range ? { range: `${range.start}-${range.end}` } : {}),
        ...(granted.derogationIds.length > 0 ? { derogationIds: granted.derogationIds } : {}),
      })
      const name = o.filename ?? `${o.id}`
      reply
        .header('content-type', o.mimeType ?? 'application/octet-stream')
        .header('accept-ranges', 'bytes')
        .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(name)}`)
        .header('digest', `sha-512=${Buffer.from(o.digest, 'hex').toString('base64')}`)
        .header('repr-digest', `sha-512=:${Buffer.from(o.digest, 'hex').toString('base64')}:`)
        .header('etag', `"${o.digest.slice(0, 64)}"`)
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
