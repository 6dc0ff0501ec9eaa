import { sql, type Kysely, type Migration } from 'kysely'
import type { DialectName } from '../create-db.js'
import { bodyOf, indexText } from '../../../modules/search/text.js'
import { lifeTagsOf, tagsOf } from '../../../modules/search/tags.js'

// Search at a million units (search module, docs/search.md §1 and §7):
// - SQLite: the FTS5 table `unit_fts` gains a third column `tags` (filter values as tokens, so that FTS5
//   intersects them with the words). A contentless FTS5 table cannot be altered nor read back, so it is
//   recreated and refilled here from `unit_search` and `archive_unit` (the index is derived data; the
//   refill uses the search module's own folding and tag functions so that it matches the queries).
//   The tags include lifecycle values (final action, communicability, appraisal end), also kept in
//   `unit_search.life_*`: triggers on `unit_lifecycle` list in `unit_search_stale` the indexed units
//   whose lifecycle differs from them, and lifecycle tags are not used for a tenant with stale units.
// - Both: `unit_search_child` (parent, child's title key, child's rid): children pages read the next
//   page straight from its index, in title order, whatever the number of children.
export const search2 = (d: DialectName): Migration => ({
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>) {
    const int = d === 'postgres' ? 'bigint' : 'integer'
    await db.schema
      .createTable('unit_search_child')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenant.id'))
      .addColumn('parent_id', 'text', (c) => c.notNull())
      .addColumn('title_key', 'text', (c) => c.notNull())
      .addColumn('rid', int, (c) => c.notNull().references('unit_search.rid').onDelete('cascade'))
      .addPrimaryKeyConstraint('unit_search_child_pk', ['rid', 'parent_id'])
      .execute()
    await db.schema
      .createIndex('unit_search_child_page')
      .on('unit_search_child')
      .columns(['tenant_id', 'parent_id', 'title_key', 'rid'])
      .execute()
    await sql`insert into unit_search_child (tenant_id, parent_id, title_key, rid)
      select s.tenant_id, p.parent_id, s.title_key, s.rid from unit_parent p
      join unit_search s on s.unit_id = p.unit_id and s.tenant_id = p.tenant_id`.execute(db)
    if (d !== 'sqlite') return

    await db.schema
      .createTable('unit_search_stale')
      .addColumn('rid', 'integer', (c) => c.primaryKey().references('unit_search.rid').onDelete('cascade'))
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .execute()
    await db.schema
      .createIndex('unit_search_stale_tenant')
      .on('unit_search_stale')
      .column('tenant_id')
      .execute()
    // the lifecycle values the tags were made from (null communicability: no row)
    for (const c of ['life_fa', 'life_comm', 'life_from', 'life_ae']) {
      await sql.raw(`alter table unit_search add column ${c} text`).execute(db)
    }
    await sql`update unit_search set
        life_fa = (select final_action from unit_lifecycle l where l.unit_id = unit_search.unit_id),
        life_comm = (select communicability from unit_lifecycle l where l.unit_id = unit_search.unit_id),
        life_from = (select communicable_from from unit_lifecycle l where l.unit_id = unit_search.unit_id),
        life_ae = (select appraisal_end_date from unit_lifecycle l where l.unit_id = unit_search.unit_id)`.execute(
      db,
    )
    // a row written with other values than those indexed makes the unit stale; written back with the
    // same values (a recompute deletes and inserts), it is not stale any more
    const same = (r: string) =>
      `life_fa is ${r}.final_action and life_comm is ${r}.communicability and life_from is ${r}.communicable_from and life_ae is ${r}.appraisal_end_date`
    for (const ev of ['insert', 'update'] as const) {
      await sql
        .raw(
          `create trigger unit_lifecycle_search_stale_${ev} after ${ev} on unit_lifecycle begin
          insert or ignore into unit_search_stale (rid, tenant_id)
            select rid, tenant_id from unit_search where unit_id = new.unit_id and not (${same('new')});
          delete from unit_search_stale where rid in
            (select rid from unit_search where unit_id = new.unit_id and ${same('new')});
        end`,
        )
        .execute(db)
    }
    await sql
      .raw(
        `create trigger unit_lifecycle_search_stale_delete after delete on unit_lifecycle begin
        insert or ignore into unit_search_stale (rid, tenant_id)
          select rid, tenant_id from unit_search where unit_id = old.unit_id;
      end`,
      )
      .execute(db)

    await sql`drop table unit_fts`.execute(db)
    await sql`create virtual table unit_fts using fts5(title, body, tags, content='', contentless_delete=1,
      tokenize='unicode61 remove_diacritics 2')`.execute(db)
    let after = -1
    for (;;) {
      const rows = await sql<{
        rid: number
        tenant_id: string
        producer: string | null
        level: string | null
        start_date: string | null
        end_date: string | null
        has_digital: number
        has_physical: number
        formats: string
        title: string
        content: string | null
        l_unit: string | null
        final_action: string | null
        communicability: string | null
        communicable_from: string | null
        appraisal_end_date: string | null
      }>`select s.rid, s.tenant_id, s.producer, s.level, s.start_date, s.end_date, s.has_digital,
          s.has_physical, s.formats, u.title, u.content, l.unit_id as l_unit, l.final_action,
          l.communicability, l.communicable_from, l.appraisal_end_date
        from unit_search s join archive_unit u on u.id = s.unit_id
        left join unit_lifecycle l on l.unit_id = s.unit_id
        where s.rid > ${after} order by s.rid limit 500`.execute(db)
      if (rows.rows.length === 0) break
      const values = rows.rows.map((r) => {
        let content: unknown = null
        try {
          content = r.content === null ? null : JSON.parse(r.content)
        } catch {
          content = null
        }
        const tags = tagsOf({
          tenantId: r.tenant_id,
          producer: r.producer,
          level: r.level,
          startDate: r.start_date,
          endDate: r.end_date,
          hasDigital: Number(r.has_digital) === 1,
          hasPhysical: Number(r.has_physical) === 1,
          formats: r.formats === '' ? [] : r.formats.split(','),
        })
        const life = lifeTagsOf(
          r.l_unit === null
            ? undefined
            : {
                finalAction: r.final_action,
                communicability: r.communicability,
                communicableFrom: r.communicable_from,
                appraisalEnd: r.appraisal_end_date,
              },
        )
        return sql`(${r.rid}, ${indexText(r.title)}, ${indexText(bodyOf(r.title, content))}, ${`${tags} ${life}`})`
      })
      await sql`insert into unit_fts (rowid, title, body, tags) values ${sql.join(values)}`.execute(db)
      after = Number(rows.rows[rows.rows.length - 1]!.rid)
    }
  },
})
