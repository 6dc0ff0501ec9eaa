import { sql, type Kysely, type Migration } from 'kysely'
import type { DialectName } from '../create-db.js'

// Frozen in time: the search index (search module). `unit_search` holds one denormalised row per unit
// (filters, sort keys, facet columns), `unit_search_format` the format PUIDs of the unit's objects. The
// text index is an FTS5 contentless table `unit_fts` (rowid = unit_search.rid) on SQLite, a tsvector
// column with a GIN index on PostgreSQL (text search configuration `saeh_fr`: french + unaccent when the
// extension can be created; `meta.search.unaccent` records which).
export const search = (d: DialectName): Migration => ({
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>) {
    let t = db.schema.createTable('unit_search')
    t =
      d === 'postgres'
        ? t.addColumn('rid', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
        : t.addColumn('rid', 'integer', (c) => c.primaryKey())
    await t
      .addColumn('unit_id', 'text', (c) => c.notNull().unique().references('archive_unit.id'))
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
      .addColumn('title_key', 'text', (c) => c.notNull())
      .addColumn('level', 'text')
      .addColumn('producer', 'text')
      .addColumn('start_date', 'text')
      .addColumn('end_date', 'text')
      .addColumn('sort_date', 'text', (c) => c.notNull())
      .addColumn('operation_id', 'text', (c) => c.notNull())
      .addColumn('has_digital', 'integer', (c) => c.notNull())
      .addColumn('has_physical', 'integer', (c) => c.notNull())
      .addColumn('is_root', 'integer', (c) => c.notNull())
      // the objects' format PUIDs, sorted, comma-separated ('' when none): the format facet's column
      .addColumn('formats', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute()
    if (d === 'postgres') await sql`alter table unit_search add column tsv tsvector not null`.execute(db)
    for (const [name, cols] of [
      ['unit_search_title', ['tenant_id', 'title_key', 'rid']],
      ['unit_search_date', ['tenant_id', 'sort_date', 'rid']],
      ['unit_search_created', ['tenant_id', 'created_at', 'rid']],
      ['unit_search_producer', ['tenant_id', 'producer']],
      ['unit_search_level', ['tenant_id', 'level']],
      ['unit_search_operation', ['tenant_id', 'operation_id']],
      ['unit_search_root', ['tenant_id', 'is_root', 'title_key', 'rid']],
    ] as const) {
      await db.schema
        .createIndex(name)
        .on('unit_search')
        .columns([...cols])
        .execute()
    }
    await db.schema
      .createTable('unit_search_format')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
      .addColumn('rid', d === 'postgres' ? 'bigint' : 'integer', (c) =>
        c.notNull().references('unit_search.rid').onDelete('cascade'),
      )
      .addColumn('puid', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('unit_search_format_pk', ['rid', 'puid'])
      .execute()
    await db.schema
      .createIndex('unit_search_format_puid')
      .on('unit_search_format')
      .columns(['tenant_id', 'puid', 'rid'])
      .execute()
    // Children pages: the parent's links, by tenant.
    await db.schema
      .createIndex('unit_parent_tenant_parent')
      .on('unit_parent')
      .columns(['tenant_id', 'parent_id', 'unit_id'])
      .execute()

    if (d === 'sqlite') {
      await sql`create virtual table unit_fts using fts5(title, body, content='', contentless_delete=1,
        tokenize='unicode61 remove_diacritics 2')`.execute(db)
      return
    }
    await sql`create index unit_search_tsv on unit_search using gin (tsv)`.execute(db)
    // unaccent is a trusted extension (PostgreSQL 13+); it may still be missing or refused: fall back to
    // the plain french configuration, with accents folded by the application (docs/search.md).
    const avail = await sql<{
      n: number
    }>`select count(*)::int as n from pg_available_extensions where name = 'unaccent'`.execute(db)
    let unaccent = false
    if ((avail.rows[0]?.n ?? 0) > 0) {
      await sql`savepoint saeh_unaccent`.execute(db)
      try {
        await sql`create extension if not exists unaccent`.execute(db)
        await sql`release savepoint saeh_unaccent`.execute(db)
        unaccent = true
      } catch {
        await sql`rollback to savepoint saeh_unaccent`.execute(db)
      }
    }
    await sql`create text search configuration saeh_fr (copy = pg_catalog.french)`.execute(db)
    if (unaccent) {
      await sql`alter text search configuration saeh_fr alter mapping for hword, hword_part, word
        with unaccent, french_stem`.execute(db)
    }
    await db
      .insertInto('meta')
      .values({ key: 'search.unaccent', value: unaccent ? '1' : '0' })
      .execute()
  },
})
