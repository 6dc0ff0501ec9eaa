import type { Kysely, Migration } from 'kysely'
import type { DialectName } from '../create-db.js'

// Frozen in time: fixity audits (existence and integrity of every copy on every offer), their
// anomalies, the last result per object and offer, and the objects left with no good copy.
export const fixity = (d: DialectName): Migration => {
  const json = d === 'postgres' ? 'jsonb' : 'text'
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('fixity_audit')
        .addColumn('id', 'text', (c) => c.primaryKey().references('operation.id'))
        .addColumn('tenant_id', 'text', (c) => c.references('tenant.id'))
        .addColumn('producer', 'text')
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('trigger', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('agent', 'text')
        .addColumn('cursor_tenant', 'text')
        .addColumn('cursor_object', 'text')
        .addColumn('totals', json, (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text')
        .addColumn('finished_at', 'text')
        .execute()
      await db.schema
        .createIndex('fixity_audit_tenant_created')
        .on('fixity_audit')
        .columns(['tenant_id', 'created_at'])
        .execute()

      await db.schema
        .createTable('fixity_anomaly')
        .addColumn('audit_id', 'text', (c) => c.notNull().references('fixity_audit.id'))
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('object_id', 'text', (c) => c.notNull())
        .addColumn('offer_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('detail', 'text')
        .addColumn('repair', 'text', (c) => c.notNull())
        .addColumn('repaired_from', 'text')
        .addColumn('detected_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('fixity_anomaly_pk', ['audit_id', 'object_id', 'offer_id'])
        .execute()
      await db.schema
        .createIndex('fixity_anomaly_object')
        .on('fixity_anomaly')
        .columns(['tenant_id', 'object_id'])
        .execute()

      await db.schema
        .createTable('object_fixity')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('object_id', 'text', (c) => c.notNull())
        .addColumn('offer_id', 'text', (c) => c.notNull())
        .addColumn('audit_id', 'text', (c) => c.notNull())
        .addColumn('audit_type', 'text', (c) => c.notNull())
        .addColumn('checked_at', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('digest', 'text')
        .addColumn('detail', 'text')
        .addPrimaryKeyConstraint('object_fixity_pk', ['object_id', 'offer_id'])
        .execute()
      await db.schema
        .createIndex('object_fixity_tenant')
        .on('object_fixity')
        .columns(['tenant_id', 'object_id'])
        .execute()

      await db.schema
        .createTable('fixity_lost')
        .addColumn('object_id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('audit_id', 'text', (c) => c.notNull())
        .addColumn('detected_at', 'text', (c) => c.notNull())
        .addColumn('detail', 'text')
        .execute()
      await db.schema.createIndex('fixity_lost_tenant').on('fixity_lost').column('tenant_id').execute()
    },
  }
}
