import type { Kysely, Migration } from 'kysely'
import type { DialectName } from '../create-db.js'

// Frozen in time: the lifecycle module. `transfer` is one outgoing transfer or restitution (its state
// machine and the package it produced), `unit_tombstone` what remains of a unit that left the tenant,
// `lifecycle_change` the before/after state of a reclassification or mass rules update (for revert).
export const lifecycle = (d: DialectName): Migration => {
  const json = d === 'postgres' ? 'jsonb' : 'text'
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('transfer')
        .addColumn('operation_id', 'text', (c) => c.primaryKey().references('operation.id'))
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('seda_version', 'text', (c) => c.notNull())
        .addColumn('message_identifier', 'text', (c) => c.notNull())
        .addColumn('target_tenant', 'text')
        .addColumn('target_operation_id', 'text')
        .addColumn('archival_agency', 'text')
        .addColumn('originating_agency', 'text')
        .addColumn('unit_ids', json, (c) => c.notNull())
        .addColumn('units', 'integer', (c) => c.notNull())
        .addColumn('objects', 'integer', (c) => c.notNull())
        .addColumn('physical_objects', 'integer', (c) => c.notNull())
        .addColumn('bytes', 'bigint', (c) => c.notNull())
        .addColumn('package_blob_id', 'text')
        .addColumn('package_size', 'bigint')
        .addColumn('package_sha512', 'text')
        .addColumn('reply_code', 'text')
        .addColumn('reasons', json)
        .addColumn('request', json)
        .addColumn('agent', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('transfer_tenant_created')
        .on('transfer')
        .columns(['tenant_id', 'created_at'])
        .execute()

      await db.schema
        .createTable('unit_tombstone')
        .addColumn('unit_id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('seda_id', 'text')
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('originating_agency', 'text')
        .addColumn('ingest_operation_id', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('operation_id', 'text', (c) => c.notNull())
        .addColumn('destination', 'text')
        .addColumn('destination_operation_id', 'text')
        .addColumn('objects', 'integer', (c) => c.notNull())
        .addColumn('physical_objects', 'integer', (c) => c.notNull())
        .addColumn('bytes', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('unit_tombstone_tenant_op')
        .on('unit_tombstone')
        .columns(['tenant_id', 'operation_id'])
        .execute()

      await db.schema
        .createTable('lifecycle_change')
        .addColumn('operation_id', 'text', (c) => c.primaryKey().references('operation.id'))
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('unit_ids', json, (c) => c.notNull())
        .addColumn('before', json, (c) => c.notNull())
        .addColumn('after', json, (c) => c.notNull())
        .addColumn('reverted_by', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
    },
  }
}
