import type { FastifyInstance } from 'fastify'
import type { Container } from '../../main/container.js'
import { DEFAULT_PAGE, MAX_PAGE, SearchErrors } from '../../modules/search/index.js'
import { accessOf } from './catalog.routes.js'

type PageQuery = Record<string, unknown>

/** `limit` and `cursor` only: anything else is SEARCH_UNKNOWN_FIELD, a page over MAX_PAGE SEARCH_PAGE_TOO_LARGE. */
function pageOf(q: PageQuery): { limit: number; cursor?: string } {
  let limit = DEFAULT_PAGE
  let cursor: string | undefined
  for (const [k, v] of Object.entries(q)) {
    if (typeof v !== 'string') throw SearchErrors.badValue(k, String(v), 'valeur simple attendue')
    if (k === 'limit') {
      if (!/^\d{1,9}$/.test(v)) throw SearchErrors.badValue(k, v, 'entier positif attendu')
      limit = Number(v)
      if (limit > MAX_PAGE) throw SearchErrors.pageTooLarge(limit)
      if (limit < 1) throw SearchErrors.badValue(k, v, 'au moins 1')
    } else if (k === 'cursor') {
      if (!/^[A-Za-z0-9_-]{1,2000}$/.test(v)) throw SearchErrors.badCursor('format')
      cursor = v
    } else throw SearchErrors.unknownField(k)
  }
  return { limit, ...(cursor ? { cursor } : {}) }
}

const pageSchema = { type: 'object', additionalProperties: true } as const

/** Tree browsing: roots of the tenant, children, descendants and ancestors of a unit (docs/search.md §5). */
export async function searchRoutes(app: FastifyInstance, opts: { c: Container }): Promise<void> {
  const { access, search } = opts.c

  app.get<{ Querystring: PageQuery }>(
    '/tree/roots',
    {
      schema: {
        tags: ['catalog'],
        summary: 'Unités racines du service (sans parent), par titre',
        querystring: pageSchema,
      },
    },
    async (req) => {
      const ctx = await accessOf(req, opts.c)
      return search.roots(ctx.tenantId, pageOf(req.query), access.visibilityOf(ctx))
    },
  )

  app.get<{ Params: { id: string }; Querystring: PageQuery }>(
    '/units/:id/children',
    {
      schema: {
        tags: ['catalog'],
        summary: 'Enfants directs d’une unité, par titre',
        querystring: pageSchema,
      },
    },
    async (req) => {
      const ctx = await accessOf(req, opts.c)
      return search.children(ctx.tenantId, req.params.id, pageOf(req.query), access.visibilityOf(ctx))
    },
  )

  app.get<{ Params: { id: string }; Querystring: PageQuery }>(
    '/units/:id/branch',
    {
      schema: {
        tags: ['catalog'],
        summary: 'Descendants d’une unité (toute profondeur), par titre',
        querystring: pageSchema,
      },
    },
    async (req) => {
      const ctx = await accessOf(req, opts.c)
      return search.branch(ctx.tenantId, req.params.id, pageOf(req.query), access.visibilityOf(ctx))
    },
  )

  app.get<{ Params: { id: string } }>(
    '/units/:id/ancestors',
    { schema: { tags: ['catalog'], summary: 'Ancêtres d’une unité, du plus proche au plus lointain' } },
    async (req) => {
      const ctx = await accessOf(req, opts.c)
      return { ancestors: await search.ancestors(ctx.tenantId, req.params.id, access.visibilityOf(ctx)) }
    },
  )
}
