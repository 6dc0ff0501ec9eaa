import type { Kysely, Migration } from 'kysely'
import type { DialectName } from '../create-db.js'

// Frozen in time: the access and requests modules. `access_contract_binding` binds a principal (user or
// API key) to the access contracts it reads under in a tenant; `access_request` (+ `access_request_unit`)
// holds communication, reading-room consultation and loan requests; `derogation` (+ `derogation_unit`)
// the derogations granted to a requester for some units until an expiry; `dip` the DIP exports.
export const access = (d: DialectName): Migration => {
  const json = d === 'postgres' ? 'jsonb' : 'text'
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('access_contract_binding')
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('principal_id', 'text', (c) => c.notNull())
        .addColumn('contract_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('access_contract_binding_pk', ['tenant_id', 'principal_id', 'contract_id'])
        .execute()

      await db.schema
        .createTable('access_request')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('requester_id', 'text', (c) => c.notNull())
        .addColumn('requester_name', 'text', (c) => c.notNull())
        .addColumn('service', 'text')
        .addColumn('motive', 'text')
        .addColumn('due_date', 'text')
        .addColumn('decided_by', 'text')
        .addColumn('decision_reason', 'text')
        .addColumn('derogation_id', 'text')
        .addColumn('history', json, (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('access_request_tenant_state')
        .on('access_request')
        .columns(['tenant_id', 'state'])
        .execute()
      await db.schema
        .createTable('access_request_unit')
        .addColumn('request_id', 'text', (c) => c.notNull().references('access_request.id'))
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('unit_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('access_request_unit_pk', ['request_id', 'unit_id'])
        .execute()
      await db.schema
        .createIndex('access_request_unit_unit')
        .on('access_request_unit')
        .columns(['tenant_id', 'unit_id'])
        .execute()

      await db.schema
        .createTable('derogation')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('request_id', 'text', (c) => c.notNull())
        .addColumn('principal_id', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('decided_by', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('derogation_unit')
        .addColumn('derogation_id', 'text', (c) => c.notNull().references('derogation.id'))
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('principal_id', 'text', (c) => c.notNull())
        .addColumn('unit_id', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('derogation_unit_pk', ['derogation_id', 'unit_id'])
        .execute()
      await db.schema
        .createIndex('derogation_unit_lookup')
        .on('derogation_unit')
        .columns(['tenant_id', 'principal_id', 'unit_id'])
        .execute()

      await db.schema
        .createTable('dip')
        .addColumn('operation_id', 'text', (c) => c.primaryKey().references('operation.id'))
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('seda_version', 'text', (c) => c.notNull())
        .addColumn('request', json, (c) => c.notNull())
        .addColumn('units', 'integer', (c) => c.notNull())
        .addColumn('objects_total', 'integer', (c) => c.notNull())
        .addColumn('objects_done', 'integer', (c) => c.notNull())
        .addColumn('bytes', 'bigint', (c) => c.notNull())
        .addColumn('package_size', 'bigint')
        .addColumn('package_sha512', 'text')
        .addColumn('error', json)
        .addColumn('agent', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('dip_tenant_created')
        .on('dip')
        .columns(['tenant_id', 'created_at'])
        .execute()
    },
  }
}
