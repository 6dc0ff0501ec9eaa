import type { Kysely, Migration } from 'kysely'
import type { DialectName } from '../create-db.js'

// Frozen in time: manual legal holds, elimination analyses and requests (bordereaux) with their frozen
// units, the documents produced (bordereau, notification, certificate) and the tombstones kept forever
// for destroyed units (elimination module).
export const elimination = (d: DialectName): Migration => {
  const json = d === 'postgres' ? 'jsonb' : 'text'
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('legal_hold')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('unit_id', 'text', (c) => c.notNull())
        .addColumn('include_descendants', 'integer', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('start_date', 'text', (c) => c.notNull())
        .addColumn('end_date', 'text')
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('lifted_at', 'text')
        .addColumn('lifted_by', 'text')
        .addColumn('lift_reason', 'text')
        .execute()
      await db.schema
        .createIndex('legal_hold_unit')
        .on('legal_hold')
        .columns(['tenant_id', 'unit_id'])
        .execute()

      await db.schema
        .createTable('elimination_analysis')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('filters', json, (c) => c.notNull())
        .addColumn('as_of', 'text', (c) => c.notNull())
        .addColumn('result', json)
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .execute()

      await db.schema
        .createTable('elimination_request')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('analysis_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('observations', 'text')
        .addColumn('validity_days', 'integer', (c) => c.notNull())
        .addColumn('units', 'integer', (c) => c.notNull())
        .addColumn('objects', 'integer', (c) => c.notNull())
        .addColumn('bytes', 'bigint', (c) => c.notNull())
        .addColumn('start_date', 'text')
        .addColumn('end_date', 'text')
        .addColumn('seal', 'text')
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('submitted_by', 'text')
        .addColumn('submitted_at', 'text')
        .addColumn('visa_id', 'text')
        .addColumn('visa_decision', 'text')
        .addColumn('visa_by', 'text')
        .addColumn('visa_at', 'text')
        .addColumn('visa_comment', 'text')
        .addColumn('expires_at', 'text')
        .addColumn('executed_by', 'text')
        .addColumn('executed_at', 'text')
        .addColumn('execution_operation_id', 'text')
        .addColumn('result', json)
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('elimination_request_tenant')
        .on('elimination_request')
        .columns(['tenant_id', 'status'])
        .execute()

      await db.schema
        .createTable('elimination_request_unit')
        .addColumn('request_id', 'text', (c) => c.notNull().references('elimination_request.id'))
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('unit_id', 'text', (c) => c.notNull())
        .addColumn('seda_id', 'text')
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('state_digest', 'text', (c) => c.notNull())
        .addColumn('snapshot', json, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addPrimaryKeyConstraint('elimination_request_unit_pk', ['request_id', 'unit_id'])
        .execute()
      await db.schema
        .createIndex('elimination_request_unit_unit')
        .on('elimination_request_unit')
        .columns(['tenant_id', 'unit_id'])
        .execute()

      await db.schema
        .createTable('elimination_document')
        .addColumn('request_id', 'text', (c) => c.notNull().references('elimination_request.id'))
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('blob_id', 'text', (c) => c.notNull())
        .addColumn('storage_key', 'text', (c) => c.notNull())
        .addColumn('media_type', 'text', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('sha512', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('elimination_document_pk', ['request_id', 'name'])
        .execute()

      await db.schema
        .createTable('elimination_tombstone')
        .addColumn('unit_id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('seda_id', 'text')
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('start_date', 'text')
        .addColumn('end_date', 'text')
        .addColumn('originating_agency', 'text')
        .addColumn('rules', json, (c) => c.notNull())
        .addColumn('objects', json, (c) => c.notNull())
        .addColumn('request_id', 'text', (c) => c.notNull())
        .addColumn('visa_id', 'text', (c) => c.notNull())
        .addColumn('operation_id', 'text', (c) => c.notNull())
        .addColumn('destroyed_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('elimination_tombstone_request')
        .on('elimination_tombstone')
        .columns(['tenant_id', 'request_id'])
        .execute()
    },
  }
}
