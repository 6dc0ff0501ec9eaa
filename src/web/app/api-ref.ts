/** The referentials screen's calls beyond api.ts: attaching a profile's RNG/XSD schema. */
import type { ApiClient } from './api.js'
import { profileSchemaPath } from './api-admin.js'

export interface AttachedSchema {
  readonly profileId: string
  readonly format: 'RNG' | 'XSD'
  readonly sha512: string
  readonly operationId: string
}

/** The file names the upload accepts (the server decides the format from the root element). */
export const SCHEMA_EXTENSIONS = ['.rng', '.xsd'] as const

export function isSchemaFileName(name: string): boolean {
  const n = name.toLowerCase()
  return SCHEMA_EXTENSIONS.some((e) => n.endsWith(e))
}

/** PUT /referentials/profiles/{id}/schema: the file's bytes as sent, `application/xml`. */
export async function attachProfileSchema(
  api: ApiClient,
  profileId: string,
  file: Blob,
): Promise<AttachedSchema> {
  const res = await api.send('PUT', profileSchemaPath(profileId), { body: file, type: 'application/xml' })
  return (await res.json()) as AttachedSchema
}
