import type { Kysely, Migration } from 'kysely'
import type { DialectName } from '../create-db.js'

// Frozen in time: the logbook seals (Merkle root + RFC 3161 token) and the event ranges each covers.
export const seal = (d: DialectName): Migration => ({
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>) {
    const big = d === 'postgres' ? 'bigint' : 'integer'
    await db.schema
      .createTable('logbook_seal')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('number', big, (c) => c.notNull().unique())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('document', 'text', (c) => c.notNull())
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('token', 'text', (c) => c.notNull())
      .addColumn('token_digest', 'text', (c) => c.notNull())
      .addColumn('gen_time', 'text', (c) => c.notNull())
      .addColumn('events', big, (c) => c.notNull())
      .addColumn('merkle_root', 'text', (c) => c.notNull())
      .addColumn('storage_prefix', 'text', (c) => c.notNull())
      .execute()
    await db.schema
      .createTable('logbook_seal_range')
      .addColumn('seal_id', 'text', (c) => c.notNull().references('logbook_seal.id'))
      .addColumn('chain', 'text', (c) => c.notNull())
      .addColumn('from_seq', big, (c) => c.notNull())
      .addColumn('to_seq', big, (c) => c.notNull())
      .addPrimaryKeyConstraint('logbook_seal_range_pk', ['seal_id', 'chain'])
      .execute()
    await db.schema
      .createIndex('logbook_seal_range_chain')
      .on('logbook_seal_range')
      .columns(['chain', 'to_seq'])
      .execute()
  },
})
