import type { Kysely, Migration } from 'kysely'
import type { DialectName } from '../create-db.js'

// Frozen in time: physical archives (physical module): the location tree and its level names, box
// types, boxes with their content and movement history, inventory campaigns (récolement) and scans.
// Lengths are integer millimetres.
export const physical = (d: DialectName): Migration => {
  const json = d === 'postgres' ? 'jsonb' : 'text'
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('location_scheme')
        .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenant.id'))
        .addColumn('level_names', json, (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute()

      await db.schema
        .createTable('location')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('parent_id', 'text', (c) => c.references('location.id'))
        .addColumn('depth', 'integer', (c) => c.notNull())
        .addColumn('code', 'text', (c) => c.notNull())
        .addColumn('name', 'text')
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('is_shelf', 'integer', (c) => c.notNull())
        .addColumn('length_mm', 'integer')
        .addColumn('fire_rated', 'integer', (c) => c.notNull())
        .addColumn('climate_controlled', 'integer', (c) => c.notNull())
        .addColumn('reserved', 'integer', (c) => c.notNull())
        .addColumn('blocked', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('location_tenant_path', ['tenant_id', 'path'])
        .execute()
      await db.schema
        .createIndex('location_parent')
        .on('location')
        .columns(['tenant_id', 'parent_id'])
        .execute()

      await db.schema
        .createTable('box_type')
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('width_mm', 'integer', (c) => c.notNull())
        .addColumn('height_mm', 'integer', (c) => c.notNull())
        .addColumn('depth_mm', 'integer', (c) => c.notNull())
        .addColumn('footprint_mm', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('box_type_pk', ['tenant_id', 'id'])
        .execute()

      await db.schema
        .createTable('box')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('barcode', 'text', (c) => c.notNull())
        .addColumn('cote', 'text')
        .addColumn('title', 'text')
        .addColumn('producer', 'text')
        .addColumn('box_type_id', 'text')
        .addColumn('footprint_mm', 'integer')
        .addColumn('location_id', 'text', (c) => c.references('location.id'))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('operation_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('box_tenant_barcode', ['tenant_id', 'barcode'])
        .execute()
      await db.schema.createIndex('box_location').on('box').columns(['tenant_id', 'location_id']).execute()

      await db.schema
        .createTable('box_content')
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('object_id', 'text', (c) => c.notNull())
        .addColumn('box_id', 'text', (c) => c.notNull().references('box.id'))
        .addColumn('unit_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('box_content_pk', ['tenant_id', 'object_id'])
        .execute()
      await db.schema.createIndex('box_content_box').on('box_content').column('box_id').execute()

      await db.schema
        .createTable('box_movement')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('box_id', 'text', (c) => c.notNull().references('box.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('from_location_id', 'text')
        .addColumn('to_location_id', 'text')
        .addColumn('from_path', 'text')
        .addColumn('to_path', 'text')
        .addColumn('operation_id', 'text', (c) => c.notNull())
        .addColumn('agent', 'text', (c) => c.notNull())
        .addColumn('note', 'text')
        .addColumn('at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('box_movement_box')
        .on('box_movement')
        .columns(['tenant_id', 'box_id', 'at'])
        .execute()
      await db.schema
        .createIndex('box_movement_op')
        .on('box_movement')
        .columns(['tenant_id', 'operation_id'])
        .execute()

      await db.schema
        .createTable('inventory')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
        .addColumn('label', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('shelf_ids', json, (c) => c.notNull())
        .addColumn('report', json)
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('closed_by', 'text')
        .addColumn('closed_at', 'text')
        .execute()

      await db.schema
        .createTable('inventory_scan')
        .addColumn('inventory_id', 'text', (c) => c.notNull().references('inventory.id'))
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('shelf_id', 'text', (c) => c.notNull())
        .addColumn('barcode', 'text', (c) => c.notNull())
        .addColumn('agent', 'text', (c) => c.notNull())
        .addColumn('scanned_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('inventory_scan_pk', ['inventory_id', 'shelf_id', 'barcode'])
        .execute()
    },
  }
}
