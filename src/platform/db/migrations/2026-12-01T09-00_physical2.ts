import type { Kysely, Migration } from 'kysely'
import type { DialectName } from '../create-db.js'

// Frozen in time: never import from src/modules here, never edit once released; add a new migration.
/**
 * Physical archives, second part: a box's outings (consultation, loan) are rows of `box_movement` of
 * kind `out` / `returned` naming the request; a box is out while its `out` row for a request has no
 * `returned` row.
 */
export const physical2 = (_d: DialectName): Migration => ({
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>) {
    await db.schema.alterTable('box_movement').addColumn('request_id', 'text').execute()
    await db.schema
      .createIndex('box_movement_request')
      .on('box_movement')
      .columns(['tenant_id', 'request_id'])
      .execute()
  },
})
