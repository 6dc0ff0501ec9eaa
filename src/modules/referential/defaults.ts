import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ReferentialKind } from './referential.types.js'

/** Where the default referentials shipped with SAEH live (src/assets/referentials). */
export const DEFAULT_REFERENTIALS_DIR = fileURLToPath(new URL('../../assets/referentials/', import.meta.url))

/**
 * The shipped defaults, in the order they are loaded: what is pointed to comes before what points to it
 * (agencies before the access contract that names them).
 */
export const DEFAULT_FILES: ReadonlyArray<{ readonly kind: ReferentialKind; readonly file: string }> = [
  { kind: 'agencies', file: 'agencies.csv' },
  { kind: 'rules', file: 'rules.csv' },
  { kind: 'ingest-contracts', file: 'ingest-contracts.json' },
  { kind: 'access-contracts', file: 'access-contracts.json' },
]

export async function readDefaultFiles(
  dir: string = DEFAULT_REFERENTIALS_DIR,
): Promise<Array<{ kind: ReferentialKind; file: string; bytes: Buffer }>> {
  return Promise.all(
    DEFAULT_FILES.map(async ({ kind, file }) => ({ kind, file, bytes: await readFile(join(dir, file)) })),
  )
}
