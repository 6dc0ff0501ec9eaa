import type { Kysely, Migration } from 'kysely'
import type { DialectName } from '../create-db.js'

// Frozen in time: the catalogue (units, object groups, objects) and ingest records.
export const catalog = (d: DialectName): Migration => {
  const json = d === 'postgres' ? 'jsonb' : 'text'
  const big = d === 'postgres' ? 'bigint' : 'integer'
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('ingest')
        .addColumn('operation_id', 'text', (c) => c.primaryKey().references('operation.id'))
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('file_name', 'text')
        .addColumn('contract_id', 'text')
        .addColumn('seda_version', 'text')
        .addColumn('message_identifier', 'text')
        .addColumn('units', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('objects', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('physical_objects', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('bytes', big, (c) => c.notNull().defaultTo(0))
        .addColumn('reply_code', 'text')
        .addColumn('atr', 'text')
        .addColumn('manifest_blob_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .execute()
      await db.schema
        .createIndex('ingest_tenant_created')
        .on('ingest')
        .columns(['tenant_id', 'created_at'])
        .execute()

      await db.schema
        .createTable('object_group')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('operation_id', 'text', (c) => c.notNull())
        .addColumn('seda_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('object_group_tenant').on('object_group').column('tenant_id').execute()

      await db.schema
        .createTable('archive_unit')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('operation_id', 'text', (c) => c.notNull())
        .addColumn('seda_id', 'text')
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('description_level', 'text')
        .addColumn('start_date', 'text')
        .addColumn('end_date', 'text')
        .addColumn('originating_agency', 'text')
        .addColumn('submission_agency', 'text')
        .addColumn('object_group_id', 'text', (c) => c.references('object_group.id'))
        .addColumn('content', json, (c) => c.notNull())
        .addColumn('management', json)
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('archive_unit_tenant_op')
        .on('archive_unit')
        .columns(['tenant_id', 'operation_id'])
        .execute()
      await db.schema.createIndex('archive_unit_group').on('archive_unit').column('object_group_id').execute()

      await db.schema
        .createTable('unit_parent')
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('unit_id', 'text', (c) => c.notNull().references('archive_unit.id'))
        .addColumn('parent_id', 'text', (c) => c.notNull().references('archive_unit.id'))
        .addPrimaryKeyConstraint('unit_parent_pk', ['unit_id', 'parent_id'])
        .execute()
      await db.schema.createIndex('unit_parent_parent').on('unit_parent').columns(['parent_id']).execute()

      await db.schema
        .createTable('data_object')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('group_id', 'text', (c) => c.notNull().references('object_group.id'))
        .addColumn('operation_id', 'text', (c) => c.notNull())
        .addColumn('seda_id', 'text')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('usage', 'text')
        .addColumn('blob_id', 'text', (c) => c.references('blob.id'))
        .addColumn('size', big)
        .addColumn('sha512', 'text')
        .addColumn('declared_algorithm', 'text')
        .addColumn('declared_digest', 'text')
        .addColumn('format_puid', 'text')
        .addColumn('format_name', 'text')
        .addColumn('mime_type', 'text')
        .addColumn('filename', 'text')
        .addColumn('physical_id', 'text')
        .addColumn('metadata', json)
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('data_object_group').on('data_object').column('group_id').execute()
      await db.schema
        .createIndex('data_object_tenant')
        .on('data_object')
        .columns(['tenant_id', 'kind'])
        .execute()

      await db.schema
        .createTable('unit_rule')
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('unit_id', 'text', (c) => c.notNull().references('archive_unit.id'))
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('rule_id', 'text')
        .addColumn('start_date', 'text')
        .addColumn('end_date', 'text')
        .addColumn('final_action', 'text')
        .addColumn('data', json)
        .execute()
      await db.schema.createIndex('unit_rule_unit').on('unit_rule').column('unit_id').execute()
      await db.schema
        .createIndex('unit_rule_rule')
        .on('unit_rule')
        .columns(['tenant_id', 'rule_id'])
        .execute()
    },
  }
}
