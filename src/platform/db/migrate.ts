import { Migrator, type Migration, type MigrationProvider } from 'kysely'
import { AppError } from '../errors.js'
import type { Db, DialectName } from './create-db.js'
import { foundation } from './migrations/2026-11-28T15-00_foundation.js'
import { catalog } from './migrations/2026-11-28T16-00_catalog.js'
import { agencyExtra } from './migrations/2026-11-29T09-00_agency-extra.js'
import { profileSchema } from './migrations/2026-11-29T10-00_profile-schema.js'
import { rules } from './migrations/2026-11-30T09-00_rules.js'
import { seal } from './migrations/2026-11-30T10-00_seal.js'
import { fixity } from './migrations/2026-11-30T11-00_fixity.js'
import { elimination } from './migrations/2026-11-30T12-00_elimination.js'
import { lifecycle } from './migrations/2026-11-30T13-00_lifecycle.js'
import { access } from './migrations/2026-11-30T16-00_access.js'
import { physical } from './migrations/2026-11-30T17-00_physical.js'
import { search } from './migrations/2026-11-30T15-00_search.js'
import { physical2 } from './migrations/2026-12-01T09-00_physical2.js'
import { search2 } from './migrations/2026-12-01T10-00_search2.js'
import { search3 } from './migrations/2026-12-02T09-00_search3.js'

/** Every migration, in order. Names are frozen: they are recorded in the database. */
function allMigrations(d: DialectName): Record<string, Migration> {
  return {
    '2026-11-28T15-00_foundation': foundation(d),
    '2026-11-28T16-00_catalog': catalog(d),
    '2026-11-29T09-00_agency-extra': agencyExtra(d),
    '2026-11-29T10-00_profile-schema': profileSchema(d),
    '2026-11-30T09-00_rules': rules(d),
    '2026-11-30T10-00_seal': seal(d),
    '2026-11-30T11-00_fixity': fixity(d),
    '2026-11-30T12-00_elimination': elimination(d),
    '2026-11-30T13-00_lifecycle': lifecycle(d),
    '2026-11-30T16-00_access': access(d),
    '2026-11-30T17-00_physical': physical(d),
    '2026-11-30T15-00_search': search(d),
    '2026-12-01T09-00_physical2': physical2(d),
    '2026-12-01T10-00_search2': search2(d),
    '2026-12-02T09-00_search3': search3(d),
  }
}

class CodeMigrationProvider implements MigrationProvider {
  constructor(private readonly dialect: DialectName) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return allMigrations(this.dialect)
  }
}

export interface MigrationReport {
  readonly applied: readonly string[]
}

/** Applies pending migrations; refuses to run on a database newer than this code. */
export async function migrateToLatest(db: Db): Promise<MigrationReport> {
  const migrator = new Migrator({
    db: db.kysely,
    provider: new CodeMigrationProvider(db.dialect),
    migrationTableName: 'saeh_migration',
    migrationLockTableName: 'saeh_migration_lock',
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName
    throw new AppError(
      'DB_MIGRATION_FAILED',
      'internal',
      `Database migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`,
      { migration: failed },
      { cause: error },
    )
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) }
}
