import type { Kysely, Migration } from 'kysely'
import type { DialectName } from '../create-db.js'

// Frozen in time: never import from src/modules here, never edit once released; add a new migration.
export const foundation = (d: DialectName): Migration => {
  const json = d === 'postgres' ? 'jsonb' : 'text'
  const big = d === 'postgres' ? 'bigint' : 'integer'
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('meta')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute()

      await db.schema
        .createTable('tenant')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('controlled_by', 'text', (c) => c.references('tenant.id'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()

      await db.schema
        .createTable('principal')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('username', 'text', (c) => c.unique())
        .addColumn('password_hash', 'text')
        .addColumn('key_prefix', 'text', (c) => c.unique())
        .addColumn('key_hash', 'text')
        .addColumn('label', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .execute()

      await db.schema
        .createTable('principal_role')
        .addColumn('principal_id', 'text', (c) => c.notNull().references('principal.id'))
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('principal_role_pk', ['principal_id', 'tenant_id', 'role'])
        .execute()
      await db.schema.createIndex('principal_role_tenant').on('principal_role').column('tenant_id').execute()

      await db.schema
        .createTable('session')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('principal_id', 'text', (c) => c.notNull().references('principal.id'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute()

      await db.schema
        .createTable('operation')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.references('tenant.id'))
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('agent', 'text')
        .addColumn('summary', json)
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('operation_tenant_created')
        .on('operation')
        .columns(['tenant_id', 'created_at'])
        .execute()

      await db.schema
        .createTable('logbook_chain')
        .addColumn('chain', 'text', (c) => c.primaryKey())
        .addColumn('last_seq', big, (c) => c.notNull())
        .addColumn('last_hash', 'text', (c) => c.notNull())
        .execute()

      await db.schema
        .createTable('logbook_event')
        .addColumn('chain', 'text', (c) => c.notNull())
        .addColumn('seq', big, (c) => c.notNull())
        .addColumn('operation_id', 'text', (c) => c.notNull())
        .addColumn('tenant_id', 'text')
        .addColumn('event_type', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('detail', 'text')
        .addColumn('message', 'text')
        .addColumn('agent', 'text')
        .addColumn('object_id', 'text')
        .addColumn('data', json)
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('logbook_event_pk', ['chain', 'seq'])
        .execute()
      await db.schema
        .createIndex('logbook_event_operation')
        .on('logbook_event')
        .column('operation_id')
        .execute()
      await db.schema.createIndex('logbook_event_object').on('logbook_event').column('object_id').execute()

      await db.schema
        .createTable('job')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('queue', 'text', (c) => c.notNull())
        .addColumn('payload', json)
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('run_at', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('max_attempts', 'integer', (c) => c.notNull())
        .addColumn('backoff_ms', 'integer', (c) => c.notNull())
        .addColumn('locked_by', 'text')
        .addColumn('locked_until', 'text')
        .addColumn('last_error', 'text')
        .addColumn('schedule_key', 'text', (c) => c.unique())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .execute()
      await db.schema.createIndex('job_claim').on('job').columns(['state', 'run_at']).execute()

      await db.schema
        .createTable('schedule')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('queue', 'text', (c) => c.notNull())
        .addColumn('payload', json)
        .addColumn('interval_ms', big, (c) => c.notNull())
        .addColumn('next_run_at', 'text', (c) => c.notNull())
        .execute()

      await db.schema
        .createTable('blob')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('size', big, (c) => c.notNull())
        .addColumn('sha512', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('blob_tenant').on('blob').column('tenant_id').execute()

      await db.schema
        .createTable('blob_copy')
        .addColumn('blob_id', 'text', (c) => c.notNull().references('blob.id'))
        .addColumn('offer_id', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('checked_at', 'text', (c) => c.notNull())
        .addColumn('note', 'text')
        .addPrimaryKeyConstraint('blob_copy_pk', ['blob_id', 'offer_id'])
        .execute()

      await db.schema
        .createTable('rule')
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('rule_id', 'text', (c) => c.notNull())
        .addColumn('rule_type', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('duration', 'text')
        .addColumn('measurement', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('rule_pk', ['tenant_id', 'rule_id'])
        .execute()

      await db.schema
        .createTable('agency')
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('identifier', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('agency_pk', ['tenant_id', 'identifier'])
        .execute()

      await db.schema
        .createTable('referential_entry')
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('identifier', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('body', json, (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('referential_entry_pk', ['tenant_id', 'kind', 'identifier'])
        .execute()

      await db.schema
        .createTable('format')
        .addColumn('puid', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('version', 'text')
        .addColumn('mime_types', 'text')
        .addColumn('extensions', 'text')
        .execute()
    },
  }
}
