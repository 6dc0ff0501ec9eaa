import type { Kysely, Migration } from 'kysely'
import type { DialectName } from '../create-db.js'

// Frozen in time: the schema file (RNG or XSD) attached to an archive profile, kept apart from the
// profile's JSON so that re-importing the profiles referential keeps it.
export const profileSchema = (_d: DialectName): Migration => ({
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('profile_schema')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
      .addColumn('profile_id', 'text', (c) => c.notNull())
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('file_name', 'text')
      .addColumn('content', 'text', (c) => c.notNull())
      .addColumn('sha512', 'text', (c) => c.notNull())
      .addColumn('attached_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('profile_schema_pk', ['tenant_id', 'profile_id'])
      .execute()
  },
})
