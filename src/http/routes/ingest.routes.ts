import { createWriteStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { Transform, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import multipart from '@fastify/multipart'
import type { Container } from '../../main/container.js'
import { AppError } from '../../platform/errors.js'
import { principalOf, tenantOf } from '../auth.js'

const PACKAGE_TYPES = [
  'application/zip',
  'application/x-zip-compressed',
  'application/x-tar',
  'application/gzip',
  'application/x-gzip',
  'application/octet-stream',
]

/** Default cap on one uploaded package (the container reader enforces the finer limits). */
export const MAX_UPLOAD_BYTES = 100 * 1024 ** 3

function byteLimit(max: number): Transform & { bytes(): number } {
  let n = 0
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      n += chunk.length
      if (n > max) {
        cb(
          new AppError(
            'INGEST_UPLOAD_TOO_LARGE',
            'invalid',
            `Paquet trop volumineux (plus de ${max} octets)`,
            { max },
          ),
        )
        return
      }
      cb(null, chunk)
    },
  })
  return Object.assign(t, { bytes: () => n })
}

export async function ingestRoutes(app: FastifyInstance, opts: { c: Container }): Promise<void> {
  const { tenancy, ingest, ids } = opts.c
  // The package is streamed to disk as it arrives, never held in memory.
  app.addContentTypeParser(PACKAGE_TYPES, { bodyLimit: MAX_UPLOAD_BYTES }, (_req, payload, done) =>
    done(null, payload),
  )
  await app.register(multipart, { limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 5 } })

  app.post<{ Headers: { 'x-contract-id'?: string } }>(
    '/ingests',
    {
      schema: {
        tags: ['ingest'],
        summary:
          'Verse un paquet SEDA (zip, tar, tar.gz) : corps brut (application/zip, application/x-tar, application/gzip) ou formulaire multipart (champ « file ») ; répond 202 et l’identifiant d’opération',
      },
    },
    async (req: FastifyRequest<{ Headers: { 'x-contract-id'?: string } }>, reply) => {
      const tenant = await tenantOf(req, tenancy, 'ingest.submit')
      const operationId = ids.next()
      const path = ingest.uploadPath(operationId)
      await mkdir(dirname(path), { recursive: true })
      let source: Readable
      let fileName = 'paquet'
      let contract = req.headers['x-contract-id'] ?? null
      if (req.isMultipart()) {
        const part = await req.file()
        if (!part)
          throw new AppError(
            'INGEST_NO_FILE',
            'invalid',
            'Formulaire sans fichier : joignez le paquet dans le champ « file »',
          )
        source = part.file
        fileName = part.filename || fileName
        const c = part.fields['contract'] as { value?: unknown } | undefined
        if (!contract && typeof c?.value === 'string' && c.value) contract = c.value
      } else {
        const type = String(req.headers['content-type'] ?? '')
          .split(';')[0]!
          .trim()
          .toLowerCase()
        if (!PACKAGE_TYPES.includes(type)) {
          throw new AppError(
            'UNSUPPORTED_MEDIA_TYPE',
            'invalid',
            `Type de contenu non pris en charge pour un versement : ${type || 'aucun'} (attendu : ${PACKAGE_TYPES.slice(0, 4).join(', ')} ou multipart/form-data)`,
            { contentType: type },
          )
        }
        source = req.body as Readable
        if (!source || typeof (source as Readable).pipe !== 'function') {
          throw new AppError(
            'INGEST_NO_FILE',
            'invalid',
            'Corps de requête vide : envoyez le paquet (zip, tar ou tar.gz)',
          )
        }
        const name = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(
          String(req.headers['content-disposition'] ?? ''),
        )
        if (name?.[1]) fileName = decodeURIComponent(name[1])
      }
      try {
        const counter = byteLimit(MAX_UPLOAD_BYTES)
        await pipeline(source, counter, createWriteStream(path, { flags: 'wx' }))
        if ((source as { truncated?: boolean }).truncated) {
          throw new AppError('INGEST_UPLOAD_TOO_LARGE', 'invalid', 'Paquet trop volumineux')
        }
        if (counter.bytes() === 0) {
          throw new AppError(
            'INGEST_NO_FILE',
            'invalid',
            'Paquet vide : envoyez le paquet (zip, tar ou tar.gz)',
          )
        }
      } catch (err) {
        await rm(path, { force: true })
        throw err
      }
      try {
        await ingest.submit(
          {
            tenantId: tenant.id,
            packagePath: path,
            fileName,
            contractId: contract,
            agent: principalOf(req).id,
          },
          operationId,
        )
      } catch (err) {
        await rm(path, { force: true })
        throw err
      }
      return reply
        .code(202)
        .header('location', `/api/v1/operations/${operationId}`)
        .send({
          operationId,
          status: 'PENDING',
          operation: `/api/v1/operations/${operationId}`,
          atr: `/api/v1/ingests/${operationId}/atr`,
        })
    },
  )

  app.get<{ Params: { id: string } }>(
    '/ingests/:id',
    { schema: { tags: ['ingest'], summary: 'Résultat d’une entrée (statut, comptes, événements)' } },
    async (req) => {
      const tenant = await tenantOf(req, tenancy, 'logbook.read')
      return ingest.result(tenant.id, req.params.id)
    },
  )

  app.get<{ Params: { id: string } }>(
    '/ingests/:id/atr',
    {
      schema: {
        tags: ['ingest'],
        summary: 'Accusé de réception (ArchiveTransferReply) d’une entrée, en XML SEDA',
      },
    },
    async (req, reply) => {
      const tenant = await tenantOf(req, tenancy, 'logbook.read')
      const atr = await ingest.atrOf(tenant.id, req.params.id)
      return reply.type('application/xml; charset=utf-8').send(atr)
    },
  )
}
