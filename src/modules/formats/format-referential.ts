import type { Db } from '../../platform/db/create-db.js'
import { AppError } from '../../platform/errors.js'
import type { AuditService } from '../audit/index.js'
import { FormatIdentifier } from './identifier.js'
import { parseSignatureFile } from './signature-file.js'

export interface FormatImportResult {
  readonly operationId: string
  readonly version: number | null
  readonly total: number
  readonly created: number
  readonly updated: number
  readonly deleted: number
}

/**
 * The platform-wide format referential (`format` table, used to check contracts' FormatType lists),
 * replaced as a whole from a DROID signature file, as Vitam imports its format referential. A bad
 * file is refused whole (FORMAT_SIGNATURE_FILE_INVALID, naming line and column) and changes nothing.
 */
export async function importFormatReferential(
  deps: { db: Db; audit: AuditService },
  bytes: Uint8Array,
  agent: string,
): Promise<FormatImportResult> {
  let xml: string
  try {
    xml = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new AppError(
      'FORMAT_SIGNATURE_FILE_INVALID',
      'invalid',
      'Fichier de signatures illisible : il doit être en UTF-8',
      {},
    )
  }
  const parsed = parseSignatureFile(xml, 'fichier de signatures')
  const formats = new FormatIdentifier(parsed).formats()
  const version = parsed.def.version ?? null
  const { result, operation } = await deps.audit.inOperation(
    { tenantId: null, type: 'IMPORT_FORMATS', agent },
    async (trx) => {
      const existing = new Map((await trx.selectFrom('format').selectAll().execute()).map((r) => [r.puid, r]))
      let created = 0
      let updated = 0
      const seen = new Set<string>()
      for (const f of formats) {
        seen.add(f.puid)
        const row = {
          puid: f.puid,
          name: f.name,
          version: f.version ?? null,
          mime_types: f.mimeTypes.join(',') || null,
          extensions: f.extensions.join(',') || null,
        }
        const old = existing.get(f.puid)
        if (!old) {
          await trx.insertInto('format').values(row).execute()
          created++
        } else if (
          old.name !== row.name ||
          old.version !== row.version ||
          old.mime_types !== row.mime_types ||
          old.extensions !== row.extensions
        ) {
          await trx.updateTable('format').set(row).where('puid', '=', f.puid).execute()
          updated++
        }
      }
      const gone = [...existing.keys()].filter((p) => !seen.has(p))
      for (let i = 0; i < gone.length; i += 500)
        await trx
          .deleteFrom('format')
          .where('puid', 'in', gone.slice(i, i + 500))
          .execute()
      return {
        result: { version, total: formats.length, created, updated, deleted: gone.length },
        events: [
          {
            type: 'STP_REFERENTIAL_FORMAT_IMPORT',
            outcome: 'OK',
            agent,
            message: `Référentiel des formats (signatures DROID v${version ?? '?'}) : ${formats.length} formats, ${created} créés, ${updated} modifiés, ${gone.length} supprimés`,
            data: { version, total: formats.length, created, updated, deleted: gone.length },
          },
        ],
      }
    },
  )
  return { operationId: operation.id, ...result }
}
