import type { Kysely, Migration } from 'kysely'
import type { DialectName } from '../create-db.js'

// Frozen in time: never import from src/modules here, never edit once released; add a new migration.
/**
 * Agencies keep the additional columns of Vitam's agencies CSV (EntityType, FromDate, Functions…, the
 * EAC-CPF fields Vitam accepts beside Identifier, Name, Description) as one JSON object.
 */
export const agencyExtra = (d: DialectName): Migration => {
  const json = d === 'postgres' ? 'jsonb' : 'text'
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      await db.schema.alterTable('agency').addColumn('extra', json).execute()
    },
  }
}
