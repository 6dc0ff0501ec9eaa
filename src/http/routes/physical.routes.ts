import type { FastifyInstance } from 'fastify'
import type { Container } from '../../main/container.js'
import { boxLabelsPdf, shelfListPdf } from '../../modules/physical/index.js'
import { AppError } from '../../platform/errors.js'
import { principalOf, tenantOf } from '../auth.js'

type Body = Record<string, unknown> | undefined
type Q = Record<string, string | undefined>

const MAX_FORM_BYTES = 20 * 1024 * 1024

/**
 * Physical archives (docs/physical.md): locations, boxes, physical transfer forms, inventories, labels.
 * Every handler names the tenant by X-Tenant-Id; the module checks the permission.
 */
export async function physicalRoutes(app: FastifyInstance, opts: { c: Container }): Promise<void> {
  const { tenancy, physical } = opts.c
  const tags = ['physical']
  // The transfer form as CSV (scoped to this plugin).
  app.addContentTypeParser(
    ['text/csv', 'text/plain'],
    { parseAs: 'string', bodyLimit: MAX_FORM_BYTES },
    (_req, body, done) => done(null, body),
  )
  const tenant = async (req: Parameters<typeof principalOf>[0]) =>
    (await tenantOf(req, tenancy, 'tenant.read')).id

  // ── locations ──
  app.get(
    '/locations',
    { schema: { tags, summary: 'Arbre des emplacements, avec occupation' } },
    async (req) => physical.listLocations(principalOf(req), await tenant(req)),
  )
  app.put<{ Body: Body }>(
    '/locations/levels',
    { schema: { tags, summary: 'Noms des niveaux de l’arbre (par défaut site → … → tablette)' } },
    async (req) => ({ levels: await physical.setLevelNames(principalOf(req), await tenant(req), req.body) }),
  )
  app.post<{ Body: Body }>(
    '/locations',
    { schema: { tags, summary: 'Crée un emplacement (une tablette a une longueur en mètres linéaires)' } },
    async (req, reply) =>
      reply.code(201).send(await physical.createLocation(principalOf(req), await tenant(req), req.body)),
  )
  app.get<{ Querystring: Q }>(
    '/locations/free-space',
    {
      schema: {
        tags,
        summary:
          'Où ranger N mètres linéaires (ou N boîtes d’un type) : places libres, les plus proches d’abord',
      },
    },
    async (req) => physical.freeSpace(principalOf(req), await tenant(req), req.query),
  )
  app.get<{ Params: { id: string } }>(
    '/locations/:id',
    { schema: { tags, summary: 'Un emplacement : occupation, enfants, boîtes' } },
    async (req) => physical.getLocation(principalOf(req), await tenant(req), req.params.id),
  )
  app.patch<{ Params: { id: string }; Body: Body }>(
    '/locations/:id',
    { schema: { tags, summary: 'Modifie un emplacement (nom, longueur, propriétés)' } },
    async (req) => physical.updateLocation(principalOf(req), await tenant(req), req.params.id, req.body),
  )

  // ── boxes ──
  app.get('/boxes/types', { schema: { tags, summary: 'Types de boîtes' } }, async (req) => ({
    results: await physical.listBoxTypes(principalOf(req), await tenant(req)),
  }))
  app.post<{ Body: Body }>(
    '/boxes/types',
    { schema: { tags, summary: 'Crée un type de boîte (dimensions en mm, encombrement linéaire)' } },
    async (req, reply) =>
      reply.code(201).send(await physical.createBoxType(principalOf(req), await tenant(req), req.body)),
  )
  app.post<{ Body: Body }>(
    '/boxes/moves',
    {
      schema: {
        tags,
        summary: 'Déplace une ou plusieurs boîtes sur une tablette (refusé si elle est pleine)',
      },
    },
    async (req) => physical.moveBoxes(principalOf(req), await tenant(req), req.body),
  )
  app.get(
    '/boxes/statistics',
    { schema: { tags, summary: 'Mètres linéaires par producteur, par emplacement, par sort final' } },
    async (req) => physical.statistics(principalOf(req), await tenant(req)),
  )
  app.get<{ Querystring: Q }>(
    '/boxes',
    {
      schema: { tags, summary: 'Boîtes (filtres location, status, q : début du code-barres ou de la cote)' },
    },
    async (req) => {
      const q = req.query
      const num = (v: string | undefined) => (v === undefined || !/^\d{1,7}$/.test(v) ? undefined : Number(v))
      return physical.listBoxes(principalOf(req), await tenant(req), {
        ...(q.location ? { location: q.location } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.q ? { q: q.q } : {}),
        ...(num(q.limit) !== undefined ? { limit: num(q.limit)! } : {}),
        ...(num(q.offset) !== undefined ? { offset: num(q.offset)! } : {}),
      })
    },
  )
  app.post<{ Body: Body }>(
    '/boxes',
    {
      schema: { tags, summary: 'Enregistre une boîte (code-barres unique), éventuellement sur une tablette' },
    },
    async (req, reply) =>
      reply.code(201).send(await physical.createBox(principalOf(req), await tenant(req), req.body)),
  )
  app.get<{ Params: { id: string } }>(
    '/boxes/:id',
    { schema: { tags, summary: 'Une boîte (identifiant ou code-barres) : contenu, place, historique' } },
    async (req) => physical.getBox(principalOf(req), await tenant(req), req.params.id),
  )
  app.patch<{ Params: { id: string }; Body: Body }>(
    '/boxes/:id',
    { schema: { tags, summary: 'Modifie une boîte (cote, intitulé, type)' } },
    async (req) => physical.updateBox(principalOf(req), await tenant(req), req.params.id, req.body),
  )

  app.post<{ Params: { id: string }; Body: Body }>(
    '/locations/:id/move',
    {
      schema: {
        tags,
        summary:
          'Déplace un emplacement et ce qu’il contient sous un autre parent ({ parentId }, null : racine)',
      },
    },
    async (req) => physical.moveLocation(principalOf(req), await tenant(req), req.params.id, req.body),
  )
  app.delete<{ Params: { id: string } }>(
    '/locations/:id',
    { schema: { tags, summary: 'Supprime un emplacement vide (et ses descendants vides)' } },
    async (req) => physical.deleteLocation(principalOf(req), await tenant(req), req.params.id),
  )
  app.post<{ Body: unknown; Querystring: Q }>(
    '/locations/import',
    {
      schema: {
        tags,
        summary:
          'Import d’un arbre d’emplacements en CSV (text/csv : path, name, length_m, fire_rated…) ; tout est vérifié avant de rien créer',
      },
    },
    async (req, reply) => {
      if (typeof req.body !== 'string')
        throw new AppError(
          'LOCATION_IMPORT_INVALID',
          'invalid',
          'Import d’emplacements : corps text/csv attendu',
          {
            errors: [{ row: 0, column: '', message: 'corps text/csv attendu' }],
            total: 1,
          },
        )
      return reply
        .code(201)
        .send(
          await physical.importLocations(
            principalOf(req),
            await tenant(req),
            req.body,
            req.query.fileName ?? null,
          ),
        )
    },
  )

  // ── physical transfer form ──
  app.post<{ Body: unknown; Querystring: Q }>(
    '/physical-transfers',
    {
      schema: {
        tags,
        summary:
          'Bordereau de versement papier : CSV (text/csv) ou JSON { rows: [...] } ; tout est vérifié avant de rien créer',
      },
    },
    async (req, reply) => {
      const actor = principalOf(req)
      const t = await tenant(req)
      const r =
        typeof req.body === 'string'
          ? await physical.transferCsv(actor, t, req.body, req.query.fileName ?? null)
          : await physical.transferJson(actor, t, req.body)
      return reply.code(201).send(r)
    },
  )

  // ── inventories ──
  app.post<{ Body: Body }>(
    '/inventories',
    { schema: { tags, summary: 'Ouvre un récolement sur des emplacements (toutes leurs tablettes)' } },
    async (req, reply) =>
      reply.code(201).send(await physical.startInventory(principalOf(req), await tenant(req), req.body)),
  )
  app.get(
    '/inventories',
    { schema: { tags, summary: 'Les récolements, les plus récents d’abord' } },
    async (req) => ({
      results: await physical.listInventories(principalOf(req), await tenant(req)),
    }),
  )
  app.get<{ Params: { id: string } }>(
    '/inventories/:id',
    { schema: { tags, summary: 'Un récolement et son rapport (provisoire tant qu’il est ouvert)' } },
    async (req) => physical.getInventory(principalOf(req), await tenant(req), req.params.id),
  )
  app.post<{ Params: { id: string }; Body: Body }>(
    '/inventories/:id/scans',
    { schema: { tags, summary: 'Codes-barres relevés (ou cochés) sur une tablette' } },
    async (req) => physical.scan(principalOf(req), await tenant(req), req.params.id, req.body),
  )
  app.post<{ Params: { id: string } }>(
    '/inventories/:id/close',
    { schema: { tags, summary: 'Clôt le récolement : manquantes, mal rangées, inattendues' } },
    async (req) => physical.closeInventory(principalOf(req), await tenant(req), req.params.id),
  )

  // ── labels ──
  app.get<{ Querystring: Q }>(
    '/labels/boxes.pdf',
    {
      schema: {
        tags,
        summary: 'Planche d’étiquettes PDF (boxes=a,b,… ou location=…; symbology=code128|qrcode)',
      },
    },
    async (req, reply) => {
      const q = req.query
      const symbology = q.symbology ?? 'code128'
      if (symbology !== 'code128' && symbology !== 'qrcode')
        throw new AppError('PHYSICAL_INVALID', 'invalid', 'symbology : code128 ou qrcode', {
          field: 'symbology',
        })
      const boxes = await physical.labelBoxes(principalOf(req), await tenant(req), {
        ...(q.boxes ? { boxes: q.boxes.split(',').filter((x) => x !== '') } : {}),
        ...(q.location ? { location: q.location } : {}),
      })
      return reply
        .header('content-type', 'application/pdf')
        .header('content-disposition', 'inline; filename="etiquettes.pdf"')
        .send(await boxLabelsPdf(boxes, symbology))
    },
  )
  const shelfList = async (req: Parameters<typeof principalOf>[0] & { query: Q }) => {
    if (!req.query.location)
      throw new AppError('PHYSICAL_INVALID', 'invalid', 'location : valeur obligatoire', {
        field: 'location',
      })
    return physical.shelfList(principalOf(req), await tenant(req), req.query.location)
  }
  app.get<{ Querystring: Q }>(
    '/labels/shelf-list',
    {
      schema: {
        tags,
        summary:
          'Liste topographique (JSON) : par tablette, ses boîtes, celles qui sont sorties et leur sortie',
      },
    },
    async (req) => shelfList(req),
  )
  app.get<{ Querystring: Q }>(
    '/labels/shelf-list.pdf',
    { schema: { tags, summary: 'Liste topographique PDF des tablettes sous un emplacement (location=…)' } },
    async (req, reply) => {
      const list = await shelfList(req)
      return reply
        .header('content-type', 'application/pdf')
        .header('content-disposition', 'inline; filename="liste-topographique.pdf"')
        .send(await shelfListPdf(list, opts.c.clock.now().toISOString()))
    },
  )
}
