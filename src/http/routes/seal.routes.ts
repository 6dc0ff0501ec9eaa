import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import type { FastifyInstance } from 'fastify'
import yazl from 'yazl'
import type { Container } from '../../main/container.js'
import { isPlatformAdmin } from '../../modules/tenancy/index.js'
import { AppError } from '../../platform/errors.js'
import { principalOf, tenantOf } from '../auth.js'

async function listFiles(root: string, dir = root): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...(await listFiles(root, p)))
    else out.push(relative(root, p))
  }
  return out.sort()
}

/** Logbook seals (POST /logbook/seals) and evidence bundles (GET /evidence/{id}, a zip). */
export async function sealRoutes(app: FastifyInstance, opts: { c: Container }): Promise<void> {
  const { tenancy, seals, evidence } = opts.c

  app.post(
    '/logbook/seals',
    {
      schema: {
        tags: ['logbook'],
        summary: 'Scelle maintenant les événements non scellés (administrateurs)',
      },
    },
    async (req, reply) => {
      const p = principalOf(req)
      if (!isPlatformAdmin(p)) {
        throw new AppError('FORBIDDEN', 'forbidden', 'Réservé aux administrateurs de la plate-forme', {})
      }
      const r = await seals.seal(p.id)
      return reply.code(r.sealed ? 201 : 200).send(r)
    },
  )

  app.get(
    '/logbook/seals',
    {
      schema: {
        tags: ['logbook'],
        summary:
          'Les sceaux du journal (racine de Merkle, horodatage) : ceux qui couvrent le service (X-Tenant-Id) ou tous',
      },
    },
    async (req) => {
      // A tenant sees the seals covering its chain and only its own range; a platform administrator
      // without X-Tenant-Id sees every seal and every range.
      let chain: string | null = null
      if (req.headers['x-tenant-id']) chain = (await tenantOf(req, tenancy, 'logbook.read')).id
      else if (!isPlatformAdmin(principalOf(req)))
        throw new AppError('TENANT_REQUIRED', 'invalid', 'En-tête X-Tenant-Id manquant', {
          header: 'X-Tenant-Id',
        })
      const results = []
      for (const s of await seals.list()) {
        const doc = JSON.parse(s.document) as { ranges?: { chain: string; fromSeq: number; toSeq: number }[] }
        const ranges = (doc.ranges ?? [])
          .filter((r) => chain === null || r.chain === chain)
          .map((r) => ({ chain: r.chain, fromSeq: r.fromSeq, toSeq: r.toSeq }))
        if (chain !== null && ranges.length === 0) continue
        results.push({
          id: s.id,
          number: s.number,
          createdAt: s.createdAt,
          genTime: s.genTime,
          merkleRoot: s.merkleRoot,
          digest: s.digest,
          ...(chain === null ? { events: s.events } : {}),
          ranges,
        })
      }
      results.reverse()
      return { total: results.length, results }
    },
  )

  app.get<{ Params: { id: string } }>(
    '/evidence/:id',
    {
      schema: {
        tags: ['logbook'],
        summary: 'Paquet de preuve (zip) d’une unité ou d’un objet, vérifiable hors ligne (X-Tenant-Id)',
      },
    },
    async (req, reply) => {
      const tenant = await tenantOf(req, tenancy, 'archive.read')
      await tenancy.requireAccess(principalOf(req), tenant.id, 'logbook.read')
      const dir = await mkdtemp(join(tmpdir(), 'saeh-evidence-'))
      const cleanup = () => void rm(dir, { recursive: true, force: true })
      try {
        const out = join(dir, 'evidence')
        await evidence.write(tenant.id, req.params.id, out, principalOf(req).id)
        // Streamed (an object may be large): yazl reads each file as it goes; the folder is removed
        // once the response is over, sent or aborted.
        const zip = new yazl.ZipFile()
        for (const f of await listFiles(out)) {
          const mode = f.endsWith('.sh') || f.endsWith('.mjs') ? 0o100755 : 0o100644
          zip.addFile(join(out, f), `evidence-${req.params.id}/${f}`, { mode })
        }
        zip.end()
        reply.raw.once('close', cleanup)
        return reply
          .type('application/zip')
          .header(
            'content-disposition',
            `attachment; filename="evidence-${req.params.id.replace(/[^A-Za-z0-9._-]/g, '_')}.zip"`,
          )
          .send(zip.outputStream)
      } catch (e) {
        cleanup()
        throw e
      }
    },
  )
}
