import type { Kysely, Migration } from 'kysely'
import type { DialectName } from '../create-db.js'

// Frozen in time: the materialised management rules (rules module). `unit_effective_rule` holds every
// rule in force on a unit (declared or inherited, with its origin), `unit_effective_property` the
// category properties (FinalAction, ClassificationLevel…) with their origin, and `unit_lifecycle` one
// summary row per unit for the elimination, search, holds and access queries.
export const rules = (d: DialectName): Migration => {
  const json = d === 'postgres' ? 'jsonb' : 'text'
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      // Metadata a rules preset adds to a rule of the tenant's referential (legal basis, start basis,
      // never flag, default final action, to-validate flag): the Vitam CSV has no column for them.
      await db.schema
        .createTable('rule_extra')
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('rule_id', 'text', (c) => c.notNull())
        .addColumn('preset', 'text', (c) => c.notNull())
        .addColumn('data', json, (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('rule_extra_pk', ['tenant_id', 'rule_id'])
        .execute()
      await db.schema
        .createTable('unit_effective_rule')
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('unit_id', 'text', (c) => c.notNull().references('archive_unit.id'))
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('rule_id', 'text', (c) => c.notNull())
        .addColumn('origin_unit_id', 'text', (c) => c.notNull())
        .addColumn('inherited', 'integer', (c) => c.notNull())
        .addColumn('start_date', 'text')
        .addColumn('end_date', 'text')
        .addColumn('final_action', 'text')
        .addColumn('path', json)
        .addColumn('data', json)
        .addPrimaryKeyConstraint('unit_effective_rule_pk', [
          'unit_id',
          'category',
          'rule_id',
          'origin_unit_id',
        ])
        .execute()
      await db.schema
        .createIndex('unit_effective_rule_rule')
        .on('unit_effective_rule')
        .columns(['tenant_id', 'rule_id'])
        .execute()
      await db.schema
        .createIndex('unit_effective_rule_end')
        .on('unit_effective_rule')
        .columns(['tenant_id', 'category', 'end_date'])
        .execute()

      await db.schema
        .createTable('unit_effective_property')
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('unit_id', 'text', (c) => c.notNull().references('archive_unit.id'))
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('origin_unit_id', 'text', (c) => c.notNull())
        .addColumn('inherited', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('unit_effective_property_pk', [
          'unit_id',
          'category',
          'name',
          'value',
          'origin_unit_id',
        ])
        .execute()

      await db.schema
        .createTable('unit_lifecycle')
        .addColumn('unit_id', 'text', (c) => c.primaryKey().references('archive_unit.id'))
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('appraisal_end_date', 'text')
        .addColumn('appraisal_rules', 'integer', (c) => c.notNull())
        .addColumn('appraisal_incomplete', 'integer', (c) => c.notNull())
        .addColumn('final_action', 'text')
        .addColumn('held', 'integer', (c) => c.notNull())
        .addColumn('hold_end_date', 'text')
        .addColumn('hold_rule_ids', json, (c) => c.notNull())
        .addColumn('communicability', 'text', (c) => c.notNull())
        .addColumn('communicable_from', 'text')
        .addColumn('access_rule_ids', json, (c) => c.notNull())
        .addColumn('legal_basis', 'text')
        .addColumn('computed_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('unit_lifecycle_appraisal')
        .on('unit_lifecycle')
        .columns(['tenant_id', 'appraisal_end_date'])
        .execute()
      await db.schema
        .createIndex('unit_lifecycle_communicable')
        .on('unit_lifecycle')
        .columns(['tenant_id', 'communicable_from'])
        .execute()
      await db.schema
        .createIndex('unit_lifecycle_held')
        .on('unit_lifecycle')
        .columns(['tenant_id', 'held'])
        .execute()
    },
  }
}
