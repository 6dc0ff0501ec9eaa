import { createHash } from 'node:crypto'
import { sql, type RawBuilder } from 'kysely'
import { AppError } from '../../platform/errors.js'
import type { Clock } from '../../platform/clock.js'
import { fromJson, type Db, type Executor } from '../../platform/db/create-db.js'
import type { UnitSummary } from '../catalog/index.js'
import { bodyOf, fold, indexText, titleKey } from './text.js'
import {
  appraisalTags,
  communicableTags,
  dateTags,
  lifeTag,
  lifeTagsOf,
  tag,
  tagsOf,
  type LifeSource,
} from './tags.js'
import { SearchErrors, MAX_PAGE, DEFAULT_PAGE } from './query.js'
import type {
  AncestorEntry,
  DateRange,
  FacetBucket,
  SearchFacets,
  SearchFilters,
  SearchInput,
  SearchResult,
  TextTerm,
  Visibility,
} from './search.types.js'

/** What the index needs of a unit (ingest and the benchmark's bulk loader build these). */
export interface IndexSource {
  readonly unitId: string
  readonly tenantId: string
  readonly title: string
  readonly level: string | null
  readonly producer: string | null
  readonly startDate: string | null
  readonly endDate: string | null
  readonly operationId: string
  readonly createdAt: string
  /** The unit's descriptive metadata (SEDA Content as stored): every string value is indexed. */
  readonly content: unknown
  readonly hasDigital: boolean
  readonly hasPhysical: boolean
  readonly formats: readonly string[]
  readonly isRoot: boolean
  /** The unit's parents (`unit_parent`): its rows in the children index. */
  readonly parentIds: readonly string[]
}

export interface SearchDeps {
  readonly db: Db
  readonly clock: Clock
  readonly catalog: { summaries(tenantId: string, ids: readonly string[]): Promise<UnitSummary[]> }
  /** Largest matching set read in one pass (default SMALL_SET); tests lower it to cover both paths. */
  readonly onePassLimit?: number
  /** Facets of a larger matching set are counted over its first `facetCap` units (default FACET_CAP). */
  readonly facetCap?: number
  /** Totals are counted up to `totalCap` units unless `exactTotal` (default TOTAL_CAP). */
  readonly totalCap?: number
  /** Relevance ranks the first `rankCap` matching units of a larger set (default RANK_CAP). */
  readonly rankCap?: number
}

const FACET_TOP = 50
/** Facets of a larger matching set are counted over its first FACET_CAP units (and said so). */
export const FACET_CAP = 10_000
/**
 * Totals are counted up to TOTAL_CAP units (like Elasticsearch's `track_total_hits`): past it the answer
 * says `total: TOTAL_CAP, totalIsLowerBound: true`; `exactTotal=true` counts everything.
 */
export const TOTAL_CAP = 10_000
/**
 * Relevance over a bounded candidate set: a matching set larger than RANK_CAP is ranked (bm25 on SQLite,
 * ts_rank_cd on PostgreSQL) over its first RANK_CAP units in rid order; the answer says `rankedOver`.
 */
export const RANK_CAP = 10_000
/**
 * A text query matching at least this many units (SQLite) is paged by title, date or creation by walking
 * that sort's index and keeping the matching units, rather than by sorting the whole matching set: a page
 * of p units costs about p × (tenant's units / matching units) index entries, 5,000 for 50 at 1M units.
 */
const WALK_MIN = 10_000
const SORT_INDEX = { title: 'unit_search_title', date: 'unit_search_date', created: 'unit_search_created' }
/** A matching set up to this size is read in one pass (page, total and facets together). */
const SMALL_SET = 5000

interface FacetRow {
  lv: string | null
  fa: string | null
  hd: number
  hp: number
  fm: string
  cm: string
}
/** Relevance weights: a hit in the title counts ten times a hit elsewhere (SQLite bm25). */
const TITLE_WEIGHT = 10
/**
 * A lifecycle group of tags covered by more tokens than this is left to SQL (on the lifecycle copy in
 * unit_search): FTS5 reads one doclist per OR-ed token, and such wide covers (communicable today, an
 * appraisal end before next year) keep most units anyway, so the join filters them for less.
 */
const COVER_MAX = 8

/** Where a query reads a unit's lifecycle: its unit_lifecycle row (`l`, joined) or the copy in unit_search. */
interface LifeCols {
  readonly fa: RawBuilder<unknown>
  readonly comm: RawBuilder<unknown>
  readonly from: RawBuilder<unknown>
  readonly ae: RawBuilder<unknown>
  /** True when the unit has no lifecycle row. */
  readonly absent: RawBuilder<unknown>
  /** Whether `l` must be joined. */
  readonly joined: boolean
}
/** The unit_lifecycle row, joined as `l` (while some unit of the tenant is stale; single-unit checks). */
const LIFE_JOINED: LifeCols = {
  fa: sql`l.final_action`,
  comm: sql`l.communicability`,
  from: sql`l.communicable_from`,
  ae: sql`l.appraisal_end_date`,
  absent: sql`l.unit_id is null`,
  joined: true,
}
/**
 * The lifecycle copied into unit_search at indexing: exact while no unit of the tenant is stale
 * (unit_search_stale, kept by triggers on unit_lifecycle), and read without a join.
 */
const LIFE_COPY: LifeCols = {
  fa: sql`s.life_fa`,
  comm: sql`s.life_comm`,
  from: sql`s.life_from`,
  ae: sql`s.life_ae`,
  absent: sql`s.life_comm is null`,
  joined: false,
}

export const SearchNotFound = (id: string) =>
  new AppError('UNIT_NOT_FOUND', 'not_found', `Unité d'archives inconnue : ${id}`, { unitId: id })

function nextDay(d: string): string {
  const t = new Date(`${d}T00:00:00Z`)
  t.setUTCDate(t.getUTCDate() + 1)
  return t.toISOString().slice(0, 10)
}

interface Cursor {
  k: string | number
  r: number
  h: string
  /** Bounded relevance: the last rid of the candidate set, so that every page ranks the same set. */
  b?: number
}

interface Internal {
  /** Roots of the tenant only (tree browsing). */
  readonly root?: boolean
  /** Relevance over the whole matching set (selectUnitIds: every matching unit, not the first RANK_CAP). */
  readonly exactRank?: boolean
}

/**
 * Search over a tenant's catalogue: the index (filled by ingest in its transaction), full-text queries
 * with filters, facets, sorts and keyset cursors, and tree browsing. SQLite: FTS5; PostgreSQL: tsvector
 * with the `saeh_fr` configuration (docs/search.md). Every query is tenant-scoped and takes an optional
 * Visibility (access contracts).
 */
/** Queue of the periodic reindexing of stale units (lifecycle rewritten since indexing). */
export const SEARCH_STALE_QUEUE = 'search.reindex-stale'

export class SearchService {
  private unaccent: boolean | undefined

  constructor(private readonly deps: SearchDeps) {}

  private get k() {
    return this.deps.db.kysely
  }
  private get onePass() {
    return this.deps.onePassLimit ?? SMALL_SET
  }
  private get pg() {
    return this.deps.db.dialect === 'postgres'
  }

  private async pgUnaccent(ex: Executor = this.k): Promise<boolean> {
    if (this.unaccent === undefined) {
      const r = await ex
        .selectFrom('meta')
        .select('value')
        .where('key', '=', 'search.unaccent')
        .executeTakeFirst()
      this.unaccent = r?.value === '1'
    }
    return this.unaccent
  }

  // ── indexing ──────────────────────────────────────────────────────────────────────────────────

  /** (Re)indexes units of a tenant from the catalogue, inside the caller's transaction. */
  async indexUnits(trx: Executor, tenantId: string, unitIds: readonly string[]): Promise<number> {
    let n = 0
    for (let i = 0; i < unitIds.length; i += 400) {
      const ids = unitIds.slice(i, i + 400)
      const units = await trx
        .selectFrom('archive_unit')
        .select([
          'id',
          'title',
          'description_level',
          'originating_agency',
          'start_date',
          'end_date',
          'operation_id',
          'created_at',
          'content',
          'object_group_id',
        ])
        .where('tenant_id', '=', tenantId)
        .where('id', 'in', ids)
        .execute()
      if (units.length === 0) continue
      // rids follow the order given (ingest: manifest order), the tie-breaker of every sort
      const pos = new Map(ids.map((id, k) => [id, k]))
      units.sort((a, b) => pos.get(a.id)! - pos.get(b.id)!)
      const parentsOf = new Map<string, string[]>()
      for (const r of await trx
        .selectFrom('unit_parent')
        .select(['unit_id', 'parent_id'])
        .where('tenant_id', '=', tenantId)
        .where('unit_id', 'in', ids)
        .execute()) {
        parentsOf.set(r.unit_id, [...(parentsOf.get(r.unit_id) ?? []), r.parent_id])
      }
      const groups = [...new Set(units.map((u) => u.object_group_id).filter((g): g is string => g !== null))]
      const objs =
        groups.length === 0
          ? []
          : await trx
              .selectFrom('data_object')
              .select(['group_id', 'kind', 'format_puid'])
              .where('tenant_id', '=', tenantId)
              .where('group_id', 'in', groups)
              .execute()
      const byGroup = new Map<string, typeof objs>()
      for (const o of objs) byGroup.set(o.group_id, [...(byGroup.get(o.group_id) ?? []), o])
      n += await this.indexRows(
        trx,
        units.map((u) => {
          const os = (u.object_group_id && byGroup.get(u.object_group_id)) || []
          return {
            unitId: u.id,
            tenantId,
            title: u.title,
            level: u.description_level,
            producer: u.originating_agency,
            startDate: u.start_date,
            endDate: u.end_date,
            operationId: u.operation_id,
            createdAt: u.created_at,
            content: fromJson(u.content),
            hasDigital: os.some((o) => o.kind === 'binary'),
            hasPhysical: os.some((o) => o.kind === 'physical'),
            formats: [...new Set(os.map((o) => o.format_puid).filter((p): p is string => !!p))],
            isRoot: !parentsOf.has(u.id),
            parentIds: parentsOf.get(u.id) ?? [],
          }
        }),
      )
    }
    return n
  }

  /** (Re)indexes every unit of a tenant (tenant import, repair). */
  async reindexTenant(trx: Executor, tenantId: string): Promise<number> {
    const ids = await trx.selectFrom('archive_unit').select('id').where('tenant_id', '=', tenantId).execute()
    return this.indexUnits(
      trx,
      tenantId,
      ids.map((r) => r.id),
    )
  }

  /**
   * Rebuilds a tenant's search index from the catalogue (operators' repair: `saeh search reindex`), in
   * chunks of `chunk` units, each in its own transaction, so that searches and ingests go on meanwhile and
   * a unit is never missing between its old and new rows. First the indexed units in index order (rids
   * are the tie-breaker of every sort: the order is kept), up to the last rid indexed when it started
   * (reindexed units get new rids after it), then the catalogue's units the index lacks. Stale units come
   * out exact (their lifecycle copy and tags are rewritten).
   */
  async rebuildTenant(
    tenantId: string,
    opts: { chunk?: number; onChunk?: (done: number) => void } = {},
  ): Promise<{ units: number; missing: number }> {
    const chunk = Math.max(1, opts.chunk ?? 2_000)
    const k = this.deps.db.kysely
    const last = await k
      .selectFrom('unit_search')
      .select((e) => e.fn.max('rid').as('rid'))
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst()
    const bound = Number(last?.rid ?? 0)
    let after = 0
    let units = 0
    for (;;) {
      const rows = await k
        .selectFrom('unit_search')
        .select(['rid', 'unit_id'])
        .where('tenant_id', '=', tenantId)
        .where('rid', '>', after)
        .where('rid', '<=', bound)
        .orderBy('rid')
        .limit(chunk)
        .execute()
      if (rows.length === 0) break
      after = Number(rows.at(-1)!.rid)
      const ids = rows.map((r) => r.unit_id)
      units += await k.transaction().execute((trx) => this.indexUnits(trx, tenantId, ids))
      opts.onChunk?.(units)
    }
    let missing = 0
    for (;;) {
      const rows = await k
        .selectFrom('archive_unit as u')
        .select('u.id')
        .where('u.tenant_id', '=', tenantId)
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('unit_search as s').select('s.rid').whereRef('s.unit_id', '=', 'u.id'))),
        )
        .orderBy('u.created_at')
        .orderBy('u.id')
        .limit(chunk)
        .execute()
      if (rows.length === 0) break
      const n = await k.transaction().execute((trx) =>
        this.indexUnits(
          trx,
          tenantId,
          rows.map((r) => r.id),
        ),
      )
      // (a unit deleted between the two reads is not indexed: nothing more to do for it)
      if (n === 0) break
      missing += n
      units += n
      opts.onChunk?.(units)
    }
    // SQLite: rewriting many rows leaves FTS5 with many segments and deletion markers (at a million
    // units, a text query then took 4× longer); merging them into one takes seconds (8 s at 1M).
    if (!this.pg && units > 0) await sql`insert into unit_fts (unit_fts) values ('optimize')`.execute(k)
    return { units, missing }
  }

  /** Writes index rows (replacing those of the same units); the bulk path of the benchmark. */
  async indexRows(trx: Executor, rows: readonly IndexSource[]): Promise<number> {
    if (rows.length === 0) return 0
    const unaccent = this.pg ? await this.pgUnaccent(trx) : false
    for (let i = 0; i < rows.length; i += 200) {
      const chunk = rows.slice(i, i + 200)
      await this.removeFromIndex(
        trx,
        chunk.map((r) => r.unitId),
      )
      const prepared = chunk.map((r) => ({ r, body: bodyOf(r.title, r.content) }))
      const life = await this.lifeOf(
        trx,
        chunk.map((r) => r.unitId),
      )
      const values = prepared.map(({ r, body }) => {
        const l = life.get(r.unitId)
        const base = [
          r.unitId,
          r.tenantId,
          titleKey(r.title),
          r.level,
          r.producer,
          r.startDate,
          r.endDate,
          r.startDate ?? r.endDate ?? '9999',
          r.operationId,
          r.hasDigital ? 1 : 0,
          r.hasPhysical ? 1 : 0,
          r.isRoot ? 1 : 0,
          [...new Set(r.formats)].sort().join(','),
          r.createdAt,
        ].map((v) => sql`${v}`)
        // the lifecycle copy (both dialects; the stale set says when it differs from unit_lifecycle)
        base.push(
          ...[l?.finalAction, l?.communicability, l?.communicableFrom, l?.appraisalEnd].map(
            (v) => sql`${v ?? null}`,
          ),
        )
        if (this.pg) {
          const t = unaccent ? r.title : fold(r.title)
          const b = unaccent ? body : fold(body)
          base.push(
            sql`setweight(to_tsvector('saeh_fr'::regconfig, ${t}), 'A') || setweight(to_tsvector('saeh_fr'::regconfig, ${b}), 'B')`,
          )
        }
        return sql`(${sql.join(base)})`
      })
      const cols = sql.raw(
        'unit_id, tenant_id, title_key, level, producer, start_date, end_date, sort_date, operation_id, ' +
          `has_digital, has_physical, is_root, formats, created_at, life_fa, life_comm, life_from, life_ae${this.pg ? ', tsv' : ''}`,
      )
      const inserted = await sql<{ rid: number; unit_id: string }>`insert into unit_search (${cols})
        values ${sql.join(values)} returning rid, unit_id`.execute(trx)
      const ridOf = new Map(inserted.rows.map((x) => [x.unit_id, Number(x.rid)]))
      if (!this.pg) {
        const fts = prepared.map(({ r, body }) => {
          const tags = `${tagsOf(r)} ${lifeTagsOf(life.get(r.unitId))}`
          return sql`(${ridOf.get(r.unitId)!}, ${indexText(r.title)}, ${indexText(body)}, ${tags})`
        })
        await sql`insert into unit_fts (rowid, title, body, tags) values ${sql.join(fts)}`.execute(trx)
      }
      const links = prepared.flatMap(({ r }) =>
        [...new Set(r.parentIds)].map((p) => ({
          tenant_id: r.tenantId,
          parent_id: p,
          title_key: titleKey(r.title),
          rid: ridOf.get(r.unitId)!,
        })),
      )
      for (let j = 0; j < links.length; j += 500) {
        await trx
          .insertInto('unit_search_child')
          .values(links.slice(j, j + 500))
          .execute()
      }
      const fmts = prepared.flatMap(({ r }) =>
        r.formats.map((p) => ({ tenant_id: r.tenantId, rid: ridOf.get(r.unitId)!, puid: p })),
      )
      if (fmts.length > 0) await trx.insertInto('unit_search_format').values(fmts).execute()
    }
    return rows.length
  }

  /** The units' lifecycle rows (rules module), for their lifecycle tags. */
  private async lifeOf(trx: Executor, unitIds: readonly string[]): Promise<Map<string, LifeSource>> {
    const rows = await trx
      .selectFrom('unit_lifecycle')
      .select(['unit_id', 'final_action', 'communicability', 'communicable_from', 'appraisal_end_date'])
      .where('unit_id', 'in', unitIds)
      .execute()
    return new Map(
      rows.map((l) => [
        l.unit_id,
        {
          finalAction: l.final_action,
          communicability: l.communicability,
          communicableFrom: l.communicable_from,
          appraisalEnd: l.appraisal_end_date,
        },
      ]),
    )
  }

  /**
   * Reindexes up to `max` units of the tenant whose lifecycle was rewritten since they were indexed
   * (holds, rules referential changes): until then, the tenant's queries join unit_lifecycle (and, on
   * SQLite, do not prune lifecycle filters by tags).
   */
  async reindexStale(trx: Executor, tenantId: string, max = 10_000): Promise<number> {
    const ids = await trx
      .selectFrom('unit_search_stale as t')
      .innerJoin('unit_search as s', 's.rid', 't.rid')
      .select('s.unit_id')
      .where('t.tenant_id', '=', tenantId)
      .limit(max)
      .execute()
    return this.indexUnits(
      trx,
      tenantId,
      ids.map((r) => r.unit_id),
    )
  }

  /**
   * The periodic job (`SEARCH_STALE_QUEUE`): reindexes the stale units of every tenant, at most
   * `perTenant` each per run, so that lifecycle filters get their tags back after holds or rules changes.
   */
  async reindexAllStale(trx: Executor, perTenant = 2_000): Promise<number> {
    const tenants = await trx.selectFrom('unit_search_stale').select('tenant_id').distinct().execute()
    let n = 0
    for (const t of tenants) n += await this.reindexStale(trx, t.tenant_id, perTenant)
    return n
  }

  /** Removes units from the index (before deleting them, or to reindex). */
  async removeFromIndex(trx: Executor, unitIds: readonly string[]): Promise<void> {
    if (unitIds.length === 0) return
    const old = await trx.selectFrom('unit_search').select('rid').where('unit_id', 'in', unitIds).execute()
    if (old.length === 0) return
    const rids = old.map((o) => Number(o.rid))
    await trx.deleteFrom('unit_search_format').where('rid', 'in', rids).execute()
    await trx.deleteFrom('unit_search_child').where('rid', 'in', rids).execute()
    await trx.deleteFrom('unit_search_stale').where('rid', 'in', rids).execute()
    if (!this.pg) await sql`delete from unit_fts where rowid in (${sql.join(rids)})`.execute(trx)
    await trx.deleteFrom('unit_search').where('rid', 'in', rids).execute()
  }

  // ── query building ────────────────────────────────────────────────────────────────────────────

  /** SQLite FTS5 expression: every term a quoted string of folded words, so no FTS5 syntax can pass. */
  private ftsMatch(terms: readonly TextTerm[], tags: readonly (readonly string[])[]): string {
    const q = (t: TextTerm) => {
      const ws = t.words.map((w) => indexText(w)).filter((w) => w !== '')
      return `"${ws.join(' ')}"${t.kind === 'prefix' ? '*' : ''}`
    }
    const pos = terms.filter((t) => !t.negated).map(q)
    const neg = terms.filter((t) => t.negated).map(q)
    const text = `{title body} : (${[`(${pos.join(' AND ')})`, ...neg.map((x) => `NOT ${x}`)].join(' ')})`
    if (tags.length === 0) return text
    // each group of tags is ORed, groups are ANDed; tags are [a-z0-9] (tags.ts), quoted all the same
    const t = tags.map((g) => `(${g.map((x) => `"${x}"`).join(' OR ')})`).join(' AND ')
    return `(${text}) AND ({tags} : (${t}))`
  }

  /**
   * The filters FTS5 answers through the `tags` column (SQLite, text queries): one OR-group of tags per
   * filter, and the filters whose SQL predicate becomes useless (exact tags).
   */
  private tagGroups(
    tenantId: string,
    f: SearchFilters,
    v: Visibility | undefined,
    lifeJoined: boolean,
  ): { groups: string[][]; exact: Set<string> } {
    const groups: string[][] = [[tag.tenant(tenantId)]]
    const exact = new Set<string>()
    if (f.producer) {
      groups.push(f.producer.map(tag.producer))
      exact.add('producer')
    }
    if (v?.producers && v.producers.length > 0) {
      groups.push(v.producers.map(tag.producer))
      exact.add('visibility.producers')
    }
    if (f.level) {
      groups.push(f.level.map(tag.level))
      exact.add('level')
    }
    if (f.kind) {
      groups.push([f.kind === 'digital' ? tag.digital : tag.physical])
      exact.add('kind')
    }
    if (f.format) {
      groups.push(f.format.map(tag.format))
      exact.add('format')
    }
    const d = f.date ? dateTags(f.date.from, f.date.to) : undefined
    if (d && d.length <= COVER_MAX) groups.push(d)
    const life: [string, string[]][] = []
    if (f.finalAction) {
      life.push(['finalAction', f.finalAction.map((a) => lifeTag.finalAction(a === 'none' ? null : a))])
    }
    if (f.appraisalEnd) life.push(['appraisalEnd', appraisalTags(f.appraisalEnd.from, f.appraisalEnd.to)])
    if (f.communicable?.yes) life.push(['communicable', communicableTags(f.communicable.at ?? this.today())])
    if (v?.communicableOnly && !v.derogationFor) {
      life.push(['visibility.communicable', communicableTags(this.today())])
    }
    // lifecycle tags (exact covers, tags.ts) replace the SQL predicates only while every lifecycle row
    // of the tenant is as indexed, and only when their cover is narrow (COVER_MAX)
    if (!lifeJoined) {
      for (const [name, g] of life) {
        if (g.length > COVER_MAX) continue
        groups.push(g.length > 0 ? g : ['qnever'])
        exact.add(name)
      }
    }
    return { groups, exact }
  }

  /**
   * Where this tenant's queries read the lifecycle: the copy in unit_search while no unit is stale,
   * otherwise the unit_lifecycle row.
   */
  private async lifeCols(tenantId: string): Promise<LifeCols> {
    const stale = await this.k
      .selectFrom('unit_search_stale')
      .select('rid')
      .where('tenant_id', '=', tenantId)
      .limit(1)
      .executeTakeFirst()
    return stale ? LIFE_JOINED : LIFE_COPY
  }

  private async tsQuery(terms: readonly TextTerm[]): Promise<RawBuilder<unknown>> {
    const unaccent = await this.pgUnaccent()
    const cfg = sql`'saeh_fr'::regconfig`
    const one = (t: TextTerm): RawBuilder<unknown> => {
      const ws = (unaccent ? t.raw : t.words).map((w) => (unaccent ? w : fold(w)))
      if (t.kind === 'prefix') {
        const parts = ws.map((w, i) => (i === ws.length - 1 ? `${w}:*` : w))
        return sql`to_tsquery(${cfg}, ${parts.join(' <-> ')})`
      }
      if (ws.length > 1) return sql`phraseto_tsquery(${cfg}, ${ws.join(' ')})`
      return sql`plainto_tsquery(${cfg}, ${ws[0] ?? ''})`
    }
    const parts = terms.map((t) => (t.negated ? sql`(!! ${one(t)})` : one(t)))
    return sql`(${sql.join(parts, sql` && `)})`
  }

  private commNow(at: string, life: LifeCols = LIFE_JOINED): RawBuilder<unknown> {
    return sql`(${life.comm} = 'immediate' or (${life.comm} = 'date' and ${life.from} <= ${at}))`
  }

  private today(): string {
    return this.deps.clock.now().toISOString().slice(0, 10)
  }

  private rangeOn(
    col: RawBuilder<unknown>,
    colEnd: RawBuilder<unknown>,
    r: DateRange,
  ): RawBuilder<unknown>[] {
    const w: RawBuilder<unknown>[] = []
    if (r.to) w.push(sql`${col} < ${nextDay(r.to)}`)
    if (r.from) w.push(sql`${colEnd} >= ${r.from}`)
    if (w.length === 0) w.push(sql`${col} is not null`)
    return w
  }

  private descendants(tenantId: string, roots: readonly string[]): RawBuilder<unknown> {
    return sql`(with recursive d(id) as (
        select unit_id from unit_parent where tenant_id = ${tenantId} and parent_id in (${sql.join([...roots])})
        union select p.unit_id from unit_parent p join d on p.parent_id = d.id where p.tenant_id = ${tenantId}
      ) select id from d)`
  }

  /**
   * `s` is a descendant of one of the roots. PostgreSQL: the walk's result as an array (`= any`), since
   * the planner estimates a recursive walk at a large share of the table and would hash-join all of
   * unit_search (0.7 s at 1M units for a 9,800-unit branch, 70 ms as an array).
   */
  private inDescendants(tenantId: string, roots: readonly string[]): RawBuilder<unknown> {
    return this.pg
      ? sql`s.unit_id = any(array${this.descendants(tenantId, roots)})`
      : sql`s.unit_id in ${this.descendants(tenantId, roots)}`
  }

  private visibilityWhere(
    tenantId: string,
    v: Visibility | undefined,
    tagged: ReadonlySet<string> = new Set(),
    life: LifeCols = LIFE_JOINED,
  ): RawBuilder<unknown>[] {
    const w: RawBuilder<unknown>[] = []
    if (!v) return w
    if (v.producers && !tagged.has('visibility.producers')) {
      w.push(v.producers.length === 0 ? sql`1 = 0` : sql`s.producer in (${sql.join([...v.producers])})`)
    }
    if (v.branchRoots) {
      w.push(
        v.branchRoots.length === 0
          ? sql`1 = 0`
          : sql`(s.unit_id in (${sql.join([...v.branchRoots])}) or ${this.inDescendants(tenantId, v.branchRoots)})`,
      )
    }
    if (v.excludedBranchRoots && v.excludedBranchRoots.length > 0) {
      const ex = [...v.excludedBranchRoots]
      w.push(sql`not (s.unit_id in (${sql.join(ex)}) or ${this.inDescendants(tenantId, ex)})`)
    }
    if (v.communicableOnly && !tagged.has('visibility.communicable')) {
      const d = v.derogationFor
      w.push(
        d
          ? sql`(${this.commNow(this.today(), life)} or s.unit_id in (select unit_id from derogation_unit
              where tenant_id = ${tenantId} and principal_id = ${d.principalId} and expires_at > ${d.now}))`
          : this.commNow(this.today(), life),
      )
    }
    return w
  }

  private filterWhere(
    tenantId: string,
    f: SearchFilters,
    internal: Internal,
    tagged: ReadonlySet<string> = new Set(),
    life: LifeCols = LIFE_JOINED,
  ): RawBuilder<unknown>[] {
    const w: RawBuilder<unknown>[] = []
    if (f.producer && !tagged.has('producer')) w.push(sql`s.producer in (${sql.join([...f.producer])})`)
    if (f.level && !tagged.has('level')) w.push(sql`s.level in (${sql.join([...f.level])})`)
    if (f.operation) w.push(sql`s.operation_id = ${f.operation}`)
    if (f.kind && !tagged.has('kind')) {
      w.push(f.kind === 'digital' ? sql`s.has_digital = 1` : sql`s.has_physical = 1`)
    }
    if (f.date) {
      w.push(
        ...this.rangeOn(
          sql`coalesce(s.start_date, s.end_date)`,
          sql`coalesce(s.end_date, s.start_date)`,
          f.date,
        ),
      )
    }
    if (f.appraisalEnd && !tagged.has('appraisalEnd')) {
      w.push(...this.rangeOn(life.ae, life.ae, f.appraisalEnd))
    }
    if (f.finalAction && !tagged.has('finalAction')) {
      const vals = f.finalAction.filter((x) => x !== 'none')
      const parts: RawBuilder<unknown>[] = []
      if (vals.length > 0) parts.push(sql`${life.fa} in (${sql.join(vals)})`)
      if (f.finalAction.includes('none')) parts.push(sql`${life.fa} is null`)
      w.push(sql`(${sql.join(parts, sql` or `)})`)
    }
    if (f.communicable && !tagged.has('communicable')) {
      const c = this.commNow(f.communicable.at ?? this.today(), life)
      w.push(f.communicable.yes ? c : sql`(${life.absent} or not ${c})`)
    }
    if (f.format && !tagged.has('format')) {
      w.push(sql`s.rid in (select rid from unit_search_format where tenant_id = ${tenantId}
        and puid in (${sql.join([...f.format])}))`)
    }
    if (f.parent) {
      w.push(sql`s.unit_id in (select unit_id from unit_parent where tenant_id = ${tenantId}
        and parent_id = ${f.parent})`)
    }
    if (f.branch) w.push(this.inDescendants(tenantId, [f.branch]))
    if (f.location) {
      w.push(
        sql`s.unit_id in ${this.unitsInBoxes(
          tenantId,
          sql`b.location_id in (with recursive loc(id) as (
          select id from location where tenant_id = ${tenantId} and (id = ${f.location} or path = ${f.location})
          union select c.id from location c join loc on c.parent_id = loc.id where c.tenant_id = ${tenantId}
        ) select id from loc)`,
        )}`,
      )
    }
    if (f.box) {
      w.push(sql`s.unit_id in ${this.unitsInBoxes(tenantId, sql`(b.id = ${f.box} or b.barcode = ${f.box})`)}`)
    }
    if (internal.root) w.push(sql`s.is_root = 1`)
    return w
  }

  /** Units whose objects are in the boxes `boxWhere` selects (`b`: box), by the unit link or the object. */
  private unitsInBoxes(tenantId: string, boxWhere: RawBuilder<unknown>): RawBuilder<unknown> {
    return sql`(select bc.unit_id from box_content bc join box b on b.id = bc.box_id
        where bc.tenant_id = ${tenantId} and b.tenant_id = ${tenantId} and bc.unit_id is not null and ${boxWhere}
      union select u.id from box_content bc join box b on b.id = bc.box_id
        join data_object o on o.id = bc.object_id and o.tenant_id = ${tenantId}
        join archive_unit u on u.object_group_id = o.group_id and u.tenant_id = ${tenantId}
        where bc.tenant_id = ${tenantId} and b.tenant_id = ${tenantId} and bc.unit_id is null and ${boxWhere})`
  }

  private sortKey(sort: SearchInput['sort']): { key: RawBuilder<unknown>; desc: boolean } {
    const desc = sort.startsWith('-')
    switch (sort.replace(/^-/, '')) {
      case 'relevance':
        return { key: sql`score`, desc: false }
      case 'title':
        return { key: sql`s.title_key`, desc }
      case 'date':
        return { key: sql`s.sort_date`, desc }
      default:
        return { key: sql`s.created_at`, desc }
    }
  }

  private cursorHash(
    tenantId: string,
    input: SearchInput,
    v: Visibility | undefined,
    internal: Internal,
  ): string {
    return createHash('sha256')
      .update(
        JSON.stringify([
          tenantId,
          input.terms,
          input.filters,
          input.sort,
          v ?? null,
          { root: internal.root },
        ]),
      )
      .digest('base64url')
      .slice(0, 16)
  }

  private decodeCursor(c: string, hash: string): Cursor {
    let v: unknown
    try {
      v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'))
    } catch {
      throw SearchErrors.badCursor('format')
    }
    const o = v as Partial<Cursor>
    if (
      !o ||
      typeof o !== 'object' ||
      (typeof o.k !== 'string' && typeof o.k !== 'number') ||
      typeof o.r !== 'number' ||
      !Number.isSafeInteger(o.r) ||
      typeof o.h !== 'string' ||
      (o.b !== undefined && (typeof o.b !== 'number' || !Number.isSafeInteger(o.b)))
    ) {
      throw SearchErrors.badCursor('format')
    }
    if (o.h !== hash) throw SearchErrors.badCursor('other_search')
    return o as Cursor
  }

  // ── search ────────────────────────────────────────────────────────────────────────────────────

  /**
   * One page of a search. `visibility` (access contract) restricts on top of the tenant; results, total,
   * facets and cursors all respect it. Stable keyset cursors: a cursor resumes after the last unit of
   * the page, whatever was inserted since (title, date and created sorts; relevance on PostgreSQL).
   */
  async search(
    tenantId: string,
    input: SearchInput,
    visibility?: Visibility,
    internal: Internal = {},
  ): Promise<SearchResult> {
    const limit = Math.min(Math.max(input.limit || DEFAULT_PAGE, 1), MAX_PAGE)
    const positive = input.terms.some((t) => !t.negated)
    const hash = this.cursorHash(tenantId, input, visibility, internal)
    const cursor = input.cursor ? this.decodeCursor(input.cursor, hash) : undefined
    if (input.sort === 'relevance' && !positive)
      throw SearchErrors.badValue('sort', 'relevance', 'texte requis')

    const f = input.filters
    const life = await this.lifeCols(tenantId)
    let from: RawBuilder<unknown>
    let drivenBy: 'parent' | 'branch' | undefined
    let score: RawBuilder<unknown> = sql`0`
    /** SQLite text queries: the MATCH expression (words and tags), alone enough when no residual. */
    let match: string | undefined
    let tagged: ReadonlySet<string> = new Set()
    let ridCol: RawBuilder<unknown> = sql`s.rid`
    let titleCol: RawBuilder<unknown> = sql`s.title_key`
    const where: RawBuilder<unknown>[] = [sql`s.tenant_id = ${tenantId}`]
    /** SQLite text queries: where the MATCH of words and tags sits in `where` (rankWhere swaps it). */
    let tagIn = -1
    /** Predicates that only tie the driving table to unit_search (not filters). */
    let joins = 1
    if (positive) {
      if (this.pg) {
        const q = await this.tsQuery(input.terms)
        from = sql`unit_search s`
        where.push(sql`s.tsv @@ ${q}`)
        score = sql`(- ts_rank_cd(s.tsv, ${q}))`
      } else {
        const t = this.tagGroups(tenantId, f, visibility, life.joined)
        tagged = t.exact
        match = this.ftsMatch(input.terms, t.groups)
        from = sql`unit_fts join unit_search s on s.rid = unit_fts.rowid`
        // relevance: the queries that compute bm25 swap this MATCH for the words' one (rankWhere)
        if (input.sort === 'relevance') score = sql`bm25(unit_fts, ${TITLE_WEIGHT}, 1.0, 0.0)`
        tagIn = where.length
        where.push(sql`unit_fts match ${match}`)
      }
      joins++
    } else if (f.parent) {
      // children: read in title order from the children index (parent, title key, rid); CROSS JOIN
      // fixes SQLite's join order
      from = sql`unit_search_child tp cross join unit_search s`
      where.push(sql`tp.tenant_id = ${tenantId}`, sql`tp.parent_id = ${f.parent}`, sql`s.rid = tp.rid`)
      ridCol = sql`tp.rid`
      titleCol = sql`tp.title_key`
      drivenBy = 'parent'
      joins += 3
    } else if (f.branch && !this.pg) {
      // (PostgreSQL: the branch is a predicate, inDescendants)
      from = sql`${this.descendants(tenantId, [f.branch])} tb cross join unit_search s`
      where.push(sql`s.unit_id = tb.id`)
      drivenBy = 'branch'
      joins++
    } else {
      from = sql`unit_search s`
    }
    const needLife =
      life.joined &&
      ((!!f.finalAction && !tagged.has('finalAction')) ||
        (!!f.appraisalEnd && !tagged.has('appraisalEnd')) ||
        (!!f.communicable && !tagged.has('communicable')) ||
        (!!visibility?.communicableOnly && !tagged.has('visibility.communicable')))
    /** The source with the lifecycle (facets need it): joined, or the copy already in unit_search. */
    const withLife = life.joined ? sql`${from} left join unit_lifecycle l on l.unit_id = s.unit_id` : from
    const filters = drivenBy ? { ...f, [drivenBy]: undefined } : f
    where.push(...this.filterWhere(tenantId, filters, internal, tagged, life))
    where.push(...this.visibilityWhere(tenantId, visibility, tagged, life))
    /** No SQL predicate beyond the text index (SQLite) or the children index: counts need no join. */
    const bare = where.length === joins
    const W = sql.join(where, sql` and `)
    /**
     * The predicates of a query computing bm25 (SQLite relevance): bm25 weighs every phrase of its MATCH
     * over the whole index, and the tags' long lists would cost more than the query. So it runs on a
     * MATCH of the words alone, and a second cursor on the same index (words and tags) filters its rows;
     * bm25 is computed for those only. With `bound`, both stop at that rid: the candidates are the first
     * rankCap units of the matching set (when the MATCH is the whole filter, the second cursor also stops
     * after rankCap rows: FTS5 is faster so than with a rowid range over many OR-ed tags).
     */
    const rankWhere = (bound?: number): RawBuilder<unknown> => {
      // PostgreSQL: the bounded candidate set is the matching units up to the bound's rid
      if (this.pg && bound !== undefined && input.sort === 'relevance') return sql`${W} and s.rid <= ${bound}`
      if (match === undefined || input.sort !== 'relevance') return W
      const w = [...where]
      const words = sql`unit_fts match ${this.ftsMatch(input.terms, [])}`
      w.splice(
        tagIn,
        1,
        ...(bound === undefined
          ? [
              words,
              sql`+unit_fts.rowid in (select f2.rowid from unit_fts f2 where f2.unit_fts match ${match})`,
            ]
          : [
              words,
              sql`unit_fts.rowid <= ${bound}`,
              // (the words-and-tags set is a superset when SQL predicates remain: no limit then)
              bare
                ? sql`+unit_fts.rowid in (select rid from (select f2.rowid as rid from unit_fts f2
                  where f2.unit_fts match ${match} order by f2.rowid limit ${rankCap}) c where rid <= ${bound})`
                : sql`+unit_fts.rowid in (select f2.rowid from unit_fts f2
                  where f2.unit_fts match ${match} and f2.rowid <= ${bound})`,
            ]),
      )
      return sql.join(w, sql` and `)
    }
    from = needLife ? withLife : from

    const { key, desc } = this.sortKey(input.sort)
    let keyset: RawBuilder<unknown> = sql`1 = 1`
    if (cursor) {
      const cv = input.sort === 'relevance' && this.pg ? sql`${cursor.k}::real` : sql`${cursor.k}`
      keyset = desc
        ? sql`(${key}, s.rid) < (${cv}, ${cursor.r})`
        : sql`(${key}, s.rid) > (${cv}, ${cursor.r})`
    }
    const dir = sql.raw(desc ? 'desc' : 'asc')
    type PageRow = { rid: number; unit_id: string; producer: string | null; k: string | number }
    let pageRows: PageRow[] | undefined
    let total: number | undefined
    let facets: SearchFacets | undefined
    let countedOver: number | undefined

    const totalCap = input.exactTotal ? undefined : (this.deps.totalCap ?? TOTAL_CAP)
    let totalIsLowerBound = false
    const rankCap = this.deps.rankCap ?? RANK_CAP
    /** The total, counting at most totalCap + 1 units (then the total is totalCap, a lower bound). */
    const count = async (): Promise<number> => {
      const lim = totalCap !== undefined ? sql`limit ${totalCap + 1}` : sql``
      let c
      if (bare && match !== undefined) {
        c = await sql<{ n: number }>`select count(*) as n from (select 1 from unit_fts
          where unit_fts match ${match} ${lim}) x`.execute(this.k)
      } else if (bare && drivenBy === 'parent') {
        c = await sql<{ n: number }>`select count(*) as n from (select 1 from unit_search_child
          where tenant_id = ${tenantId} and parent_id = ${f.parent!} ${lim}) x`.execute(this.k)
      } else {
        c = await sql<{
          n: number
        }>`select count(*) as n from (select 1 from ${from} where ${W} ${lim}) x`.execute(this.k)
      }
      const n = Number(c.rows[0]?.n ?? 0)
      totalIsLowerBound = totalCap !== undefined && n > totalCap
      return totalIsLowerBound ? totalCap! : n
    }

    /** Bounded relevance: the last rid of the first rankCap matching units, when more match. */
    let rankBound: number | undefined
    if ((match !== undefined || (this.pg && positive)) && totalCap !== undefined && !internal.exactRank) {
      // A text query: one statement reads the first L matching units once, in rid order (SQLite: words
      // and tags from FTS5, the rest by rowid from unit_search; PostgreSQL: the GIN index or the rid
      // order, as the planner finds cheaper) and answers total, facets, rank bound and page from that set.
      const r = await this.textPass({
        from: withLife,
        W,
        life,
        words: this.ftsMatch(input.terms, []),
        score,
        key: input.sort === 'relevance' ? undefined : key,
        desc,
        limit,
        offset: cursor ? 0 : input.offset,
        cursor,
        facets: input.facets,
        totalCap,
        facetCap: this.deps.facetCap ?? FACET_CAP,
        rankCap,
      })
      total = Math.min(r.n, totalCap)
      totalIsLowerBound = r.n > totalCap
      if (r.facets) {
        facets = r.facets.facets
        countedOver = r.facets.total
      }
      if (input.sort === 'relevance') rankBound = cursor ? cursor.b : r.n > rankCap ? r.bound : undefined
      if (r.page) pageRows = r.page
    }
    if (input.facets && total === undefined) {
      // A text query answered by the index alone: its exact count first (FTS5 only, no join). Small
      // sets are read in one pass (page, total and facets together); larger ones get a page query and
      // facets counted over their first FACET_CAP units.
      // the count first (FTS5 alone when bare): a large set skips the one pass that would fail
      total = await count()
      if (total <= this.onePass) {
        const all = await sql<PageRow & FacetRow>`
          select s.rid, s.unit_id, s.producer, s.lv, s.fa, s.hd, s.hp, s.fm, s.cm, ${key} as k
          from (select ${ridCol} as rid, s.unit_id, s.producer, s.level as lv, ${life.fa} as fa,
              s.has_digital as hd, s.has_physical as hp, s.formats as fm, ${this.commCase(life)} as cm,
              ${titleCol} as title_key, s.sort_date, s.created_at, ${score} as score
            from ${withLife} where ${rankWhere()}) s
          order by ${key} ${dir}, s.rid ${dir} limit ${this.onePass + 1}`.execute(this.k)
        const complete = all.rows.length <= this.onePass
        let start: number | undefined = cursor ? undefined : input.offset
        if (cursor) {
          const i = all.rows.findIndex(
            (r) => Number(r.rid) === cursor.r && (typeof r.k === 'string' ? r.k : Number(r.k)) === cursor.k,
          )
          if (i >= 0) start = i + 1
        }
        if (start !== undefined && (complete || start + limit + 1 <= all.rows.length)) {
          pageRows = all.rows.slice(start, start + limit + 1)
        }
        if (complete) {
          total = all.rows.length
          facets = this.foldFacets(all.rows.map((r) => ({ ...r, p: r.producer, n: 1 }))).facets
          countedOver = total
        }
      }
      if (!facets) {
        total ??= await count()
        const cap = this.deps.facetCap ?? FACET_CAP
        const r = await this.facets(withLife, W, life, total > cap || totalIsLowerBound ? cap : undefined)
        facets = r.facets
        countedOver = r.total
      }
    }
    if (
      !pageRows &&
      rankBound === undefined &&
      (match !== undefined || (this.pg && positive)) &&
      input.sort === 'relevance' &&
      !internal.exactRank
    ) {
      // (exactTotal, or a cursor the single statement could not serve)
      if (cursor) rankBound = cursor.b
      else if (total === undefined || totalIsLowerBound || total > rankCap) {
        // the rankCap-th matching rid, and whether one more matches (FTS5 reads its doclists in rid order)
        const r = await (
          this.pg
            ? sql<{ rid: number }>`select s.rid from ${from} where ${W}
              order by s.rid limit 2 offset ${rankCap - 1}`
            : bare
              ? sql<{ rid: number }>`select rowid as rid from unit_fts where unit_fts match ${match!}
              order by rowid limit 2 offset ${rankCap - 1}`
              : sql<{ rid: number }>`select unit_fts.rowid as rid from ${from} where ${W}
              order by unit_fts.rowid limit 2 offset ${rankCap - 1}`
        ).execute(this.k)
        if (r.rows.length === 2) rankBound = Number(r.rows[0]!.rid)
      }
    }
    if (!pageRows) {
      if (bare && match !== undefined && input.sort === 'relevance') {
        // relevance straight from FTS5 (no join but for the page's units)
        const inSet =
          rankBound === undefined
            ? sql`+rowid in (select f2.rowid from unit_fts f2 where f2.unit_fts match ${match})`
            : sql`rowid <= ${rankBound} and +rowid in (select rid from (select f2.rowid as rid from unit_fts f2
                where f2.unit_fts match ${match} order by f2.rowid limit ${rankCap}) c where rid <= ${rankBound})`
        const page = await sql<PageRow>`
          select f.rid, s.unit_id, s.producer, f.score as k
          from (select rid, score from (select rowid as rid, ${score} as score from unit_fts
              where unit_fts match ${this.ftsMatch(input.terms, [])} and ${inSet}) x
            where ${cursor ? sql`(score, rid) > (${cursor.k}, ${cursor.r})` : sql`1 = 1`}
            order by score, rid limit ${limit + 1} offset ${cursor ? 0 : input.offset}) f
          join unit_search s on s.rid = f.rid
          order by f.score, f.rid`.execute(this.k)
        pageRows = page.rows
      } else if (
        match !== undefined &&
        input.sort !== 'relevance' &&
        total !== undefined &&
        (totalIsLowerBound || total >= WALK_MIN)
      ) {
        // a large matching set sorted by title, date or creation: walk the sort's index in order and
        // keep the units in the matching set (materialized once), instead of sorting the whole set
        const idx = sql.raw(SORT_INDEX[input.sort.replace(/^-/, '') as keyof typeof SORT_INDEX])
        const w = [...where]
        w.splice(tagIn, 1, sql`s.rid in (select rowid from unit_fts where unit_fts match ${match})`)
        const src = needLife
          ? sql`unit_search s indexed by ${idx} left join unit_lifecycle l on l.unit_id = s.unit_id`
          : sql`unit_search s indexed by ${idx}`
        const page = await sql<PageRow>`select s.rid, s.unit_id, s.producer, ${key} as k from ${src}
          where ${sql.join(w, sql` and `)} and ${keyset}
          order by ${key} ${dir}, s.rid ${dir} limit ${limit + 1} offset ${cursor ? 0 : input.offset}`.execute(
          this.k,
        )
        pageRows = page.rows
      } else {
        const WR = rankWhere(rankBound)
        // `score` is computed in the inner select so that the outer order and keyset can name it.
        const page = await sql<PageRow>`
          select s.rid, s.unit_id, s.producer, ${key} as k
          from (select ${ridCol} as rid, s.unit_id, s.producer, ${titleCol} as title_key, s.sort_date,
              s.created_at, ${score} as score
            from ${from} where ${WR}) s
          where ${keyset}
          order by ${key} ${dir}, s.rid ${dir} limit ${limit + 1} offset ${cursor ? 0 : input.offset}`.execute(
          this.k,
        )
        pageRows = page.rows
      }
    }
    total ??= await count()
    const rows = pageRows.slice(0, limit)
    const last = rows[rows.length - 1]
    const nextCursor =
      pageRows.length > limit && last
        ? Buffer.from(
            JSON.stringify({
              k: typeof last.k === 'string' ? last.k : Number(last.k),
              r: Number(last.rid),
              h: hash,
              ...(rankBound !== undefined ? { b: rankBound } : {}),
            }),
          ).toString('base64url')
        : null
    const summaries = await this.deps.catalog.summaries(
      tenantId,
      rows.map((r) => r.unit_id),
    )
    const producerOf = new Map(rows.map((r) => [r.unit_id, r.producer]))
    return {
      total,
      ...(totalIsLowerBound ? { totalIsLowerBound } : {}),
      ...(rankBound !== undefined ? { rankedOver: this.deps.rankCap ?? RANK_CAP } : {}),
      results: summaries.map((u) => ({ ...u, originatingAgency: producerOf.get(u.id) ?? null })),
      ...(facets
        ? {
            facets,
            facetsApproximate: (countedOver ?? total) < total || totalIsLowerBound,
            facetsCountedOver: countedOver ?? total,
          }
        : {}),
      nextCursor,
    }
  }

  /**
   * The first page of a SQLite text query in one statement: the first L matching units in index order
   * (L = the largest of the caps, plus one) are read once into a materialized set `c`; from it come the
   * count (n, at most L), the facets over its first facetCap units, the rankCap-th rid (the bound of
   * relevance) and the page: by bm25 over the words for the first rankCap units, or by the sort key when
   * `c` is the whole matching set (n < L; otherwise `page` is undefined and the caller reads it).
   */
  private async textPass(q: {
    from: RawBuilder<unknown>
    W: RawBuilder<unknown>
    life: LifeCols
    words: string
    score: RawBuilder<unknown>
    key: RawBuilder<unknown> | undefined
    desc: boolean
    limit: number
    offset: number
    /** A later page: the keyset after the cursor's unit, and relevance over the cursor's bound. */
    cursor: Cursor | undefined
    facets: boolean
    totalCap: number
    facetCap: number
    rankCap: number
  }): Promise<{
    n: number
    bound: number | undefined
    facets: { total: number; facets: SearchFacets } | undefined
    page: { rid: number; unit_id: string; producer: string | null; k: string | number }[] | undefined
  }> {
    const L = Math.max(q.totalCap, q.facetCap, q.rankCap) + 1
    const facetCols = q.facets
      ? sql`, s.producer as p, s.level as lv, ${q.life.fa} as fa, s.has_digital as hd, s.has_physical as hp,
          s.formats as fm, ${this.commCase(q.life)} as cm`
      : sql``
    const dir = sql.raw(q.desc ? 'desc' : 'asc')
    const cur = q.cursor
    /** The units relevance ranks: the first rankCap, or those up to the cursor's bound (or all of c). */
    const rankSet =
      cur === undefined ? sql`c.o <= ${q.rankCap}` : cur.b !== undefined ? sql`c.rid <= ${cur.b}` : sql`1 = 1`
    const after = (k: RawBuilder<unknown>, rid: RawBuilder<unknown>, desc: boolean, real = false) => {
      if (cur === undefined) return sql`1 = 1`
      const ck = real ? sql`${cur.k}::real` : sql`${cur.k}`
      return desc ? sql`(${k}, ${rid}) < (${ck}, ${cur.r})` : sql`(${k}, ${rid}) > (${ck}, ${cur.r})`
    }
    /** Relevance: the ranked units' scores (SQLite: bm25 on the words only, under the set's last rid). */
    const scored = this.pg
      ? sql`select c.rid as rid, ${q.score} as score from c join unit_search s on s.rid = c.rid where ${rankSet}`
      : sql`select rowid as rid, ${q.score} as score from unit_fts where unit_fts match ${q.words}
          and rowid <= (select max(c.rid) from c where ${rankSet})
          and +rowid in (select c.rid from c where ${rankSet})`
    // PostgreSQL: one text type for the key column of the union (a score goes through text exactly)
    const kOut = (k: RawBuilder<unknown>) => (this.pg ? sql`cast(${k} as text)` : k)
    const page =
      q.key === undefined
        ? sql`select 'r' as t, f.rid as n, row_number() over (order by f.score, f.rid) as m, s.unit_id as a,
              s.producer as b, ${kOut(sql`f.score`)} as c, cast(null as integer) as d,
              cast(null as integer) as e, cast(null as text) as f, cast(null as text) as g
            from (select rid, score from (${scored}) y where ${after(sql`score`, sql`rid`, false, this.pg)}
              order by score, rid limit ${q.limit + 1} offset ${q.offset}) f
            join unit_search s on s.rid = f.rid`
        : sql`select * from (select 'r' as t, rid as n, row_number() over (order by k ${dir}, rid ${dir}) as m,
              uid as a, prod as b, ${kOut(sql`k`)} as c, cast(null as integer) as d,
              cast(null as integer) as e, cast(null as text) as f, cast(null as text) as g
            from c where ${after(sql`k`, sql`rid`, q.desc)}
            order by k ${dir}, rid ${dir} limit ${q.limit + 1} offset ${q.offset}) pg`
    const facetRows = q.facets
      ? sql`union all select 'f', count(*), null, p, lv, fa, hd, hp, fm, cm from c where o <= ${q.facetCap}
          group by p, lv, fa, hd, hp, fm, cm`
      : sql``
    type Row = {
      t: string
      n: number | string
      m: number | string | null
      a: unknown
      b: unknown
      c: unknown
      d: unknown
      e: unknown
      f: unknown
      g: unknown
    }
    const order = this.pg ? sql`s.rid` : sql`unit_fts.rowid`
    const r = await sql<Row>`with x as (select s.rid as rid, s.unit_id as uid, s.producer as prod,
          ${q.key ?? sql`null`} as k ${facetCols}
        from ${q.from} where ${q.W} order by ${order} limit ${L}),
      c as materialized (select x.*, row_number() over (order by rid) as o from x)
      select 'n' as t, count(*) as n, max(rid) as m, cast(null as text) as a, cast(null as text) as b,
        cast(null as text) as c, cast(null as integer) as d, cast(null as integer) as e,
        cast(null as text) as f, cast(null as text) as g from c
      union all select 'b', rid, null, null, null, null, null, null, null, null from c where o = ${q.rankCap}
      ${facetRows}
      union all ${page}`.execute(this.k)
    let n = 0
    let maxRid = 0
    let bound: number | undefined
    const groups: (FacetRow & { p: string | null; n: number })[] = []
    const rows: { rid: number; unit_id: string; producer: string | null; k: string | number; pos: number }[] =
      []
    for (const x of r.rows) {
      if (x.t === 'n') {
        n = Number(x.n)
        maxRid = Number(x.m ?? 0)
      } else if (x.t === 'b') bound = Number(x.n)
      else if (x.t === 'f') {
        groups.push({
          n: Number(x.n),
          p: x.a as string | null,
          lv: x.b as string | null,
          fa: x.c as string | null,
          hd: Number(x.d),
          hp: Number(x.e),
          fm: x.f as string,
          cm: x.g as string,
        })
      } else {
        rows.push({
          rid: Number(x.n),
          unit_id: x.a as string,
          producer: x.b as string | null,
          // a PostgreSQL score comes back as text (the union's key column)
          k: q.key === undefined ? Number(x.c) : (x.c as string | number),
          pos: Number(x.m),
        })
      }
    }
    rows.sort((a, b) => a.pos - b.pos)
    return {
      n,
      bound,
      facets: q.facets ? this.foldFacets(groups) : undefined,
      // c is the whole matching set (n < L), or holds the whole ranked set: the page is exact
      page:
        n < L || (q.key === undefined && (cur === undefined || (cur.b !== undefined && cur.b <= maxRid)))
          ? rows
          : undefined,
    }
  }

  /**
   * Facet counts over the matching set in one pass: a GROUP BY over the small columns (producer ×
   * level × final action × kind × formats × communicability), folded here into one list per facet.
   * With `cap`, over the first `cap` matching units only (index order).
   */
  private async facets(
    from: RawBuilder<unknown>,
    W: RawBuilder<unknown>,
    life: LifeCols,
    cap?: number,
  ): Promise<{ total: number; facets: SearchFacets }> {
    const g = await sql<FacetRow & { p: string | null; n: number }>`select p, lv, fa, hd, hp, fm, cm,
        count(*) as n from (select s.producer as p, s.level as lv, ${life.fa} as fa, s.has_digital as hd,
          s.has_physical as hp, s.formats as fm, ${this.commCase(life)} as cm
          from ${from} where ${W} ${cap !== undefined ? sql`limit ${cap}` : sql``}) x
        group by 1, 2, 3, 4, 5, 6, 7`.execute(this.k)
    return this.foldFacets(g.rows)
  }

  /** The communicability facet's bucket of a unit (l = its unit_lifecycle row, maybe absent). */
  private commCase(life: LifeCols): RawBuilder<unknown> {
    return sql`(case when ${life.absent} then 'unknown'
      when ${this.commNow(this.today(), life)} then 'communicable'
      when ${life.comm} = 'date' then 'notYet' else ${life.comm} end)`
  }

  private foldFacets(rows: readonly (FacetRow & { p: string | null; n: number })[]): {
    total: number
    facets: SearchFacets
  } {
    const acc = {
      producer: new Map<string, number>(),
      level: new Map<string, number>(),
      finalAction: new Map<string, number>(),
      kind: new Map<string, number>(),
      communicability: new Map<string, number>(),
      format: new Map<string, number>(),
    }
    const add = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n)
    let total = 0
    for (const r of rows) {
      const n = Number(r.n)
      total += n
      add(acc.producer, r.p ?? 'none', n)
      add(acc.level, r.lv ?? 'none', n)
      add(acc.finalAction, r.fa ?? 'none', n)
      if (Number(r.hd) === 1) add(acc.kind, 'digital', n)
      if (Number(r.hp) === 1) add(acc.kind, 'physical', n)
      if (Number(r.hd) !== 1 && Number(r.hp) !== 1) add(acc.kind, 'none', n)
      add(acc.communicability, r.cm, n)
      if (r.fm) for (const p of r.fm.split(',')) add(acc.format, p, n)
    }
    const buckets = (m: Map<string, number>): FacetBucket[] =>
      [...m]
        .map(([value, count]) => ({ value, count }))
        .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
        .slice(0, FACET_TOP)
    return {
      total,
      facets: {
        producer: buckets(acc.producer),
        level: buckets(acc.level),
        finalAction: buckets(acc.finalAction),
        format: buckets(acc.format),
        kind: buckets(acc.kind),
        communicability: buckets(acc.communicability),
      },
    }
  }

  /** Every matching unit id (for a DIP or a bulk action), following cursors; at most `max`. */
  async selectUnitIds(
    tenantId: string,
    input: SearchInput,
    visibility?: Visibility,
    max = 100_000,
  ): Promise<{ ids: string[]; truncated: boolean }> {
    const ids: string[] = []
    let cursor: string | undefined = input.cursor
    for (;;) {
      const r = await this.search(
        tenantId,
        {
          ...input,
          limit: MAX_PAGE,
          offset: 0,
          facets: false,
          ...(cursor ? { cursor } : {}),
        },
        visibility,
        { exactRank: true },
      )
      for (const u of r.results) {
        if (ids.length >= max) return { ids, truncated: true }
        ids.push(u.id)
      }
      if (!r.nextCursor) return { ids, truncated: false }
      cursor = r.nextCursor
    }
  }

  // ── tree ──────────────────────────────────────────────────────────────────────────────────────

  /** Whether the unit exists in the tenant and passes the visibility. */
  async isVisible(tenantId: string, unitId: string, visibility?: Visibility): Promise<boolean> {
    const where = [
      sql`s.tenant_id = ${tenantId}`,
      sql`s.unit_id = ${unitId}`,
      ...this.visibilityWhere(tenantId, visibility),
    ]
    const r = await sql<{ unit_id: string }>`select s.unit_id from unit_search s
      left join unit_lifecycle l on l.unit_id = s.unit_id where ${sql.join(where, sql` and `)}`.execute(
      this.k,
    )
    return r.rows.length > 0
  }

  private async requireVisible(tenantId: string, unitId: string, visibility?: Visibility): Promise<void> {
    if (!(await this.isVisible(tenantId, unitId, visibility))) throw SearchNotFound(unitId)
  }

  /** Direct children of a unit, by title, paged with a cursor. */
  async children(
    tenantId: string,
    unitId: string,
    page: { limit: number; cursor?: string },
    visibility?: Visibility,
  ): Promise<SearchResult> {
    await this.requireVisible(tenantId, unitId, visibility)
    return this.search(tenantId, this.treeInput({ parent: unitId }, page), visibility)
  }

  /** Descendants of a unit (any depth), by title, paged with a cursor. */
  async branch(
    tenantId: string,
    unitId: string,
    page: { limit: number; cursor?: string },
    visibility?: Visibility,
  ): Promise<SearchResult> {
    await this.requireVisible(tenantId, unitId, visibility)
    return this.search(tenantId, this.treeInput({ branch: unitId }, page), visibility)
  }

  /** Units of the tenant without a parent, by title, paged with a cursor. */
  async roots(
    tenantId: string,
    page: { limit: number; cursor?: string },
    visibility?: Visibility,
  ): Promise<SearchResult> {
    return this.search(tenantId, this.treeInput({}, page), visibility, { root: true })
  }

  private treeInput(filters: SearchFilters, page: { limit: number; cursor?: string }): SearchInput {
    if (page.limit > MAX_PAGE) throw SearchErrors.pageTooLarge(page.limit)
    return {
      terms: [],
      filters,
      sort: 'title',
      limit: page.limit,
      offset: 0,
      ...(page.cursor ? { cursor: page.cursor } : {}),
      facets: false,
    }
  }

  /** Every ancestor of a unit (the graph may have several parents), nearest first; invisible ones left out. */
  async ancestors(tenantId: string, unitId: string, visibility?: Visibility): Promise<AncestorEntry[]> {
    await this.requireVisible(tenantId, unitId, visibility)
    const r = await sql<{ id: string; depth: number }>`with recursive a(id, depth) as (
        select parent_id, 1 from unit_parent where tenant_id = ${tenantId} and unit_id = ${unitId}
        union select p.parent_id, a.depth + 1 from unit_parent p join a on p.unit_id = a.id
          where p.tenant_id = ${tenantId} and a.depth < 200
      ) select id, min(depth) as depth from a group by id order by 2, 1`.execute(this.k)
    if (r.rows.length === 0) return []
    const ids = r.rows.map((x) => x.id)
    const where = [
      sql`s.tenant_id = ${tenantId}`,
      sql`s.unit_id in (${sql.join(ids)})`,
      ...this.visibilityWhere(tenantId, visibility),
    ]
    const vis = new Set(
      (
        await sql<{ unit_id: string }>`select s.unit_id from unit_search s
          left join unit_lifecycle l on l.unit_id = s.unit_id where ${sql.join(where, sql` and `)}`.execute(
          this.k,
        )
      ).rows.map((x) => x.unit_id),
    )
    const depth = new Map(r.rows.map((x) => [x.id, Number(x.depth)]))
    const sums = await this.deps.catalog.summaries(
      tenantId,
      ids.filter((i) => vis.has(i)),
    )
    return sums.map((u) => ({
      id: u.id,
      title: u.title,
      descriptionLevel: u.descriptionLevel,
      parentIds: u.parentIds,
      depth: depth.get(u.id)!,
    }))
  }
}
