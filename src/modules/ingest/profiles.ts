import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { writeFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AppError } from '../../platform/errors.js'
import type { Db } from '../../platform/db/create-db.js'
import type { AuditService } from '../audit/index.js'
import type { ReferentialService } from '../referential/index.js'
import { checkXmlSafety } from '../seda/index.js'

/**
 * Archive profiles' schemas (SEDA "profils d'archivage"): an RNG or XSD file attached to a profile of
 * the tenant's referential, against which a manifest that declares the profile is validated at ingest
 * (CHECK_HEADER.CHECK_ARCHIVEPROFILE). Validation runs Debian's `xmllint` offline (`--nonet`), in a
 * child process with a timeout: libxml2 is the reference RelaxNG and XSD validator here.
 */
export type SchemaFormat = 'RNG' | 'XSD'

function run(args: string[], timeoutMs = 120_000): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('xmllint', args, { timeout: timeoutMs, maxBuffer: 4 << 20 }, (err, _out, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(
          new AppError(
            'XMLLINT_MISSING',
            'unavailable',
            'xmllint (paquet Debian libxml2-utils) est nécessaire pour valider les profils d’archivage',
          ),
        )
        return
      }
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr: String(stderr) })
    })
  })
}

function formatOf(xml: string): SchemaFormat | null {
  const root = /<\s*([A-Za-z_][\w.-]*:)?(grammar|schema)\b[^>]*>/.exec(
    xml.replace(/<\?[\s\S]*?\?>|<!--[\s\S]*?-->/g, ''),
  )
  if (!root) return null
  const tag = root[0]
  if (root[2] === 'grammar' && tag.includes('http://relaxng.org/ns/structure/1.0')) return 'RNG'
  if (root[2] === 'schema' && tag.includes('http://www.w3.org/2001/XMLSchema')) return 'XSD'
  return null
}

const firstLines = (stderr: string) =>
  stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !/validates$|fails to validate$/.test(l))
    .slice(0, 3)
    .map((l) => l.replace(/^.*?:(\d+):/, 'ligne $1 :').trim())
    .join(' ; ')

export class ProfileSchemas {
  constructor(private readonly deps: { db: Db; audit: AuditService; referential: ReferentialService }) {}

  /** Attaches (or replaces) the schema of a profile; the file must be a schema xmllint compiles. */
  async attach(
    tenantId: string,
    profileId: string,
    bytes: Uint8Array,
    fileName: string | null,
    agent: string,
  ) {
    const profile = (await this.deps.referential.list(tenantId, 'profiles')).find(
      (p) => p.identifier === profileId,
    )
    if (!profile)
      throw new AppError(
        'REFERENTIAL_ENTRY_NOT_FOUND',
        'not_found',
        `Profil d'archivage inconnu : ${profileId}`,
        { profileId },
      )
    const safe = await checkXmlSafety(bytes)
    if (!safe.ok)
      throw new AppError('PROFILE_SCHEMA_INVALID', 'invalid', `Schéma refusé : ${safe.issue.message}`, {
        ...safe.issue,
      })
    const xml = Buffer.from(bytes).toString('utf8')
    const format = formatOf(xml)
    if (!format) {
      throw new AppError(
        'PROFILE_SCHEMA_INVALID',
        'invalid',
        'Le fichier n’est ni un schéma RelaxNG (grammar) ni un schéma XSD (schema)',
        { fileName },
      )
    }
    const declared = (profile.body as { Format?: string }).Format
    if (declared && declared.toUpperCase() !== format) {
      throw new AppError(
        'PROFILE_SCHEMA_INVALID',
        'invalid',
        `Le profil ${profileId} est déclaré au format ${declared}, le fichier est un schéma ${format}`,
        { declared, format },
      )
    }
    const dir = await mkdtemp(join(tmpdir(), 'saeh-profile-'))
    try {
      const schemaPath = join(dir, format === 'RNG' ? 'profile.rng' : 'profile.xsd')
      await writeFile(schemaPath, xml)
      await writeFile(join(dir, 'probe.xml'), '<probe/>')
      const r = await run([
        '--noout',
        '--nonet',
        format === 'RNG' ? '--relaxng' : '--schema',
        schemaPath,
        join(dir, 'probe.xml'),
      ])
      if (
        /failed to compile|parser error|Schemas parser error|Relax-NG parser error|Did not compile/i.test(
          r.stderr,
        )
      ) {
        throw new AppError(
          'PROFILE_SCHEMA_INVALID',
          'invalid',
          `Schéma ${format} invalide : ${firstLines(r.stderr)}`,
          { format },
        )
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
    const sha512 = createHash('sha512').update(bytes).digest('hex')
    const { operation } = await this.deps.audit.inOperation(
      { tenantId, type: 'UPDATE_PROFILE_SCHEMA', agent },
      async (trx) => {
        await trx
          .deleteFrom('profile_schema')
          .where('tenant_id', '=', tenantId)
          .where('profile_id', '=', profileId)
          .execute()
        await trx
          .insertInto('profile_schema')
          .values({
            tenant_id: tenantId,
            profile_id: profileId,
            format,
            file_name: fileName,
            content: xml,
            sha512,
            attached_at: new Date().toISOString(),
          })
          .execute()
        return {
          result: null,
          events: [
            {
              type: 'STP_UPDATE_PROFILE_SCHEMA',
              outcome: 'OK',
              agent,
              objectId: profileId,
              message: `Schéma ${format} attaché au profil ${profileId}${fileName ? ` (${fileName})` : ''}`,
              data: { format, sha512, size: bytes.length },
            },
          ],
        }
      },
    )
    return { profileId, format, sha512, operationId: operation.id }
  }

  async schemaOf(
    tenantId: string,
    profileId: string,
  ): Promise<{ format: SchemaFormat; content: string } | undefined> {
    const r = await this.deps.db.kysely
      .selectFrom('profile_schema')
      .select(['format', 'content'])
      .where('tenant_id', '=', tenantId)
      .where('profile_id', '=', profileId)
      .executeTakeFirst()
    return r
  }

  /** Validates a manifest against a profile's schema; null when it conforms, else the reasons. */
  async validate(
    schema: { format: SchemaFormat; content: string },
    manifestPath: string,
  ): Promise<string | null> {
    const dir = await mkdtemp(join(tmpdir(), 'saeh-profile-'))
    try {
      const schemaPath = join(dir, schema.format === 'RNG' ? 'profile.rng' : 'profile.xsd')
      await writeFile(schemaPath, schema.content)
      const r = await run([
        '--noout',
        '--nonet',
        '--stream',
        schema.format === 'RNG' ? '--relaxng' : '--schema',
        schemaPath,
        manifestPath,
      ])
      return r.code === 0 ? null : firstLines(r.stderr) || `code ${r.code}`
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }
}
