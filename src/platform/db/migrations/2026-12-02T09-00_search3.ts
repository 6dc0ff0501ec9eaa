import { sql, type Kysely, type Migration } from 'kysely'
import type { DialectName } from '../create-db.js'

// PostgreSQL gets the lifecycle copy SQLite has had since `search2` (docs/search.md §1): the columns
// `unit_search.life_fa`, `life_comm`, `life_from`, `life_ae` (the lifecycle values the unit was indexed
// with), the table `unit_search_stale` and a trigger on `unit_lifecycle` that lists in it the indexed
// units whose lifecycle row was deleted or written with other values (and takes them off when written
// back with the indexed values). While a tenant has no stale unit, its queries read filters and facets
// from the copy without joining `unit_lifecycle` (a lookup by text key per matching unit: at a million
// units, most of the time of a text query with a lifecycle filter). Nothing to do on SQLite.
export const search3 = (d: DialectName): Migration => ({
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>) {
    if (d !== 'postgres') return
    await db.schema
      .createTable('unit_search_stale')
      .addColumn('rid', 'bigint', (c) => c.primaryKey().references('unit_search.rid').onDelete('cascade'))
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .execute()
    await db.schema
      .createIndex('unit_search_stale_tenant')
      .on('unit_search_stale')
      .column('tenant_id')
      .execute()
    for (const c of ['life_fa', 'life_comm', 'life_from', 'life_ae']) {
      await sql.raw(`alter table unit_search add column ${c} text`).execute(db)
    }
    await sql`update unit_search s set life_fa = l.final_action, life_comm = l.communicability,
        life_from = l.communicable_from, life_ae = l.appraisal_end_date
      from unit_lifecycle l where l.unit_id = s.unit_id`.execute(db)
    const same = (r: string) =>
      `s.life_fa is not distinct from ${r}.final_action and s.life_comm is not distinct from ${r}.communicability
        and s.life_from is not distinct from ${r}.communicable_from
        and s.life_ae is not distinct from ${r}.appraisal_end_date`
    await sql
      .raw(
        `create function saeh_unit_lifecycle_search_stale() returns trigger language plpgsql as $$
        begin
          if tg_op = 'DELETE' then
            insert into unit_search_stale (rid, tenant_id)
              select s.rid, s.tenant_id from unit_search s where s.unit_id = old.unit_id
              on conflict do nothing;
            return null;
          end if;
          insert into unit_search_stale (rid, tenant_id)
            select s.rid, s.tenant_id from unit_search s where s.unit_id = new.unit_id and not (${same('new')})
            on conflict do nothing;
          delete from unit_search_stale where rid in
            (select s.rid from unit_search s where s.unit_id = new.unit_id and ${same('new')});
          return null;
        end $$`,
      )
      .execute(db)
    await sql`create trigger unit_lifecycle_search_stale after insert or update or delete on unit_lifecycle
      for each row execute function saeh_unit_lifecycle_search_stale()`.execute(db)
  },
})
