/**
 * Search benchmark (issue 6 item 6): a tenant of BENCH_UNITS (default 1,000,000) archive units with
 * realistic French metadata, loaded in bulk (bypassing ingest, but filling the same tables — units,
 * parent links, object groups and objects, lifecycle — and the same index through
 * SearchService.indexRows), then:
 *  - full-text queries with two filters and facets: p50 / p95 / max;
 *  - the children of a 10,000-child unit, every page of 200 (keyset cursor): p50 / p95 / max;
 *  - the descendants (branch) of one fonds, first pages;
 * beside a physical baseline measured in the same run: a bare FTS5 / tsvector count of the same words
 * (no join, no filter, no facet).
 * Run: node --import tsx bench/search.ts            (SQLite, in SAEH_BENCH_DIR or the temp folder)
 *      BENCH_PG_URL=postgres://… node --import tsx bench/search.ts   (PostgreSQL, an empty database)
 * Options: BENCH_UNITS, BENCH_QUERIES (default 100), BENCH_KEEP=1 (keep the database), BENCH_HOME=dir
 * (reuse the instance of an earlier BENCH_KEEP run: measurements only), BENCH_EXACT=1 (exact totals and
 * relevance over the whole matching set: `exactTotal=true` and no rank cap — the behaviour before the caps).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { loadConfig } from '../src/config/config.js'
import { buildContainer } from '../src/main/container.js'
import { initInstance } from '../src/main/instance.js'
import { SYSTEM_PRINCIPAL } from '../src/modules/tenancy/index.js'
import { silentLogger } from '../src/platform/log.js'
import { toJson } from '../src/platform/db/create-db.js'
import { parseSearchParams, SearchService, type IndexSource } from '../src/modules/search/index.js'

const N = Number(process.env.BENCH_UNITS ?? 1_000_000)
const QUERIES = Number(process.env.BENCH_QUERIES ?? 100)
const TENANT = 'bench'
const pgUrl = process.env.BENCH_PG_URL
const home =
  process.env.BENCH_HOME ??
  (await mkdtemp(join(process.env.SAEH_BENCH_DIR ?? tmpdir(), 'saeh-search-bench-')))
const c = await buildContainer(
  loadConfig({ SAEH_HOME: home, ...(pgUrl ? { SAEH_DATABASE_URL: pgUrl } : {}) }),
  { log: silentLogger() },
)
const reuse = !!(await c.db.kysely
  .selectFrom('tenant')
  .select('id')
  .where('id', '=', TENANT)
  .executeTakeFirst())
if (!reuse) {
  await initInstance(c)
  await c.tenancy.createTenant(SYSTEM_PRINCIPAL, {
    id: TENANT,
    name: 'Archives départementales (banc d’essai)',
  })
}

// ── deterministic generator ───────────────────────────────────────────────────────────────────────
let seed = 42
const rnd = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff
  return seed / 0x7fffffff
}
const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!
const COMMUNES = [
  'Saint-Malo',
  'Rennes',
  'Vitré',
  'Fougères',
  'Dinard',
  'Redon',
  'Combourg',
  'Dol-de-Bretagne',
  'Cancale',
  'Bécherel',
  'Montfort-sur-Meu',
  'Janzé',
  'Liffré',
  'Bain-de-Bretagne',
  'Guichen',
  'Châteaugiron',
  'Saint-Aubin-du-Cormier',
  'Pléchâtel',
  'Paimpont',
  'Médréac',
  'Irodouër',
  'Saint-Méen-le-Grand',
  'La Guerche-de-Bretagne',
  'Retiers',
  'Louvigné-du-Désert',
  'Antrain',
  'Tinténiac',
  'Hédé-Bazouges',
  'Saint-Briac-sur-Mer',
  'Pleurtuit',
  'Cesson-Sévigné',
  'Bruz',
  'Betton',
  'Pacé',
  'Mordelles',
  'Chartres-de-Bretagne',
  'Vern-sur-Seiche',
  'Noyal-sur-Vilaine',
  'Acigné',
  'Thorigné-Fouillard',
  'Plélan-le-Grand',
  'Maure-de-Bretagne',
  'Guipry-Messac',
  'Sixt-sur-Aff',
  'Pipriac',
  'Lohéac',
  'Goven',
  'Laillé',
  'Orgères',
  'Corps-Nuds',
]
const SUBJECTS = [
  'travaux de voirie',
  'écoles publiques',
  'assainissement',
  'éclairage public',
  'cimetière communal',
  'restauration de l’église',
  'foires et marchés',
  'fêtes patronales',
  'adduction d’eau potable',
  'bâtiments communaux',
  'police rurale',
  'personnel communal',
  'chemins vicinaux',
  'bureau de bienfaisance',
  'presbytère',
  'lavoir',
  'salle des fêtes',
  'monument aux morts',
  'remembrement',
  'ordures ménagères',
]
const MONTHS = [
  'janvier',
  'février',
  'mars',
  'avril',
  'mai',
  'juin',
  'juillet',
  'août',
  'septembre',
  'octobre',
  'novembre',
  'décembre',
]
const PRODUCERS = Array.from({ length: 24 }, (_, i) => `FRAD035-P${String(i + 1).padStart(3, '0')}`)
const FORMATS = ['fmt/18', 'fmt/354', 'fmt/43', 'fmt/353', 'x-fmt/111', 'fmt/101', 'fmt/412']
const FIRST = [
  'Jean',
  'Marie',
  'Pierre',
  'Anne',
  'Joseph',
  'Françoise',
  'Yves',
  'Jeanne',
  'Louis',
  'Anne-Marie',
]
const LAST = [
  'Le Gall',
  'Hervé',
  'Le Goff',
  'Lemoine',
  'Rouxel',
  'Guillou',
  'Morvan',
  'Gautier',
  'Lebreton',
  'Houssais',
]

function itemTitle(commune: string, y: number): { title: string; description?: string; keywords: string[] } {
  const s = pick(SUBJECTS)
  const d = `${1 + Math.floor(rnd() * 28)} ${pick(MONTHS)} ${y}`
  switch (Math.floor(rnd() * 10)) {
    case 0:
    case 1:
      return {
        title: `Délibération du conseil municipal du ${d} — ${s}`,
        keywords: ['délibération', s, commune],
      }
    case 2:
      return {
        title: `Permis de construire n° ${Math.floor(rnd() * 9000) + 100} — ${commune}, lieu-dit ${pick(LAST)}`,
        keywords: ['urbanisme', commune],
      }
    case 3:
      return {
        title: `Registre des naissances de ${commune} (${y})`,
        description: `Actes de naissance, dont ${pick(FIRST)} ${pick(LAST)}`,
        keywords: ['état civil', commune],
      }
    case 4:
      return {
        title: `Correspondance du maire de ${commune} avec la préfecture : ${s}`,
        keywords: ['correspondance', s],
      }
    case 5:
      return { title: `Budget primitif de l’exercice ${y}`, keywords: ['finances communales', commune] }
    case 6:
      return {
        title: `Procès-verbal d’élection du conseil municipal de ${commune} (${d})`,
        keywords: ['élections', commune],
      }
    case 7:
      return {
        title: `Plan cadastral, section ${String.fromCharCode(65 + Math.floor(rnd() * 8))}, ${commune}`,
        keywords: ['cadastre', commune],
      }
    case 8:
      return {
        title: `Marché public de travaux : ${s} (${y})`,
        description: `Dossier de consultation, offres et procès-verbaux d’ouverture des plis, ${commune}`,
        keywords: ['marchés publics', s],
      }
    default:
      return {
        title: `Dossier de ${pick(FIRST)} ${pick(LAST)}, agent communal de ${commune}`,
        keywords: ['personnel communal', commune],
      }
  }
}

interface Gen {
  id: string
  title: string
  level: string
  producer: string
  start: string | null
  end: string | null
  parent: string | null
  content: Record<string, unknown>
  objects: { kind: 'binary' | 'physical'; puid: string | null }[]
}

const iso = (y: number, m: number, d: number) =>
  `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`
function unit(id: string, level: string, parent: string | null, producer: string, commune: string): Gen {
  const y = 1790 + Math.floor(rnd() * 237)
  const m = 1 + Math.floor(rnd() * 12)
  const t = itemTitle(commune, y)
  const r = rnd()
  return {
    id,
    title: t.title,
    level,
    producer,
    start: rnd() < 0.97 ? iso(y, m, 1 + Math.floor(rnd() * 28)) : null,
    end: rnd() < 0.9 ? iso(Math.min(2026, y + Math.floor(rnd() * 3)), m, 28) : null,
    parent,
    content: {
      DescriptionLevel: level,
      Title: t.title,
      ...(t.description ? { Description: t.description } : {}),
      Keyword: t.keywords.map((k) => ({ KeywordContent: k, KeywordType: 'subject' })),
      OriginatingAgencyArchiveUnitIdentifier: [`${commune.slice(0, 3).toUpperCase()}-${y}-${id.slice(-6)}`],
    },
    objects:
      r < 0.6
        ? [{ kind: 'binary', puid: pick(FORMATS) }]
        : r < 0.75
          ? [{ kind: 'physical', puid: null }]
          : [],
  }
}

/** The tree: 100 fonds × 100 series × items, plus one fonds with 10,000 direct children. */
function* generate(): Generator<Gen> {
  let k = 0
  const id = () => `u${String(++k).padStart(8, '0')}`
  const bigId = id()
  yield {
    ...unit(bigId, 'Fonds', null, PRODUCERS[0]!, 'Rennes'),
    title: 'Fonds de la mairie de Rennes — série O (10 000 dossiers)',
  }
  for (let i = 0; i < 10_000; i++) yield unit(id(), 'File', bigId, PRODUCERS[0]!, 'Rennes')
  const rest = N - 10_001
  const fonds = 100
  const series = 100
  const items = Math.max(0, Math.floor((rest - fonds - fonds * series) / (fonds * series)))
  let left = rest
  for (let f = 0; f < fonds && left > 0; f++) {
    const commune = COMMUNES[f % COMMUNES.length]!
    const producer = PRODUCERS[f % PRODUCERS.length]!
    const fid = id()
    left--
    yield {
      ...unit(fid, 'Fonds', null, producer, commune),
      title: `Archives communales de ${commune} (fonds ${f + 1})`,
    }
    for (let s = 0; s < series && left > 0; s++) {
      const sid = id()
      left--
      const subj = pick(SUBJECTS)
      yield { ...unit(sid, 'Series', fid, producer, commune), title: `${commune} — ${subj} (série ${s + 1})` }
      const count = f === fonds - 1 && s === series - 1 ? left : Math.min(items, left)
      for (let i = 0; i < count; i++) {
        left--
        yield unit(id(), rnd() < 0.5 ? 'File' : 'Item', sid, producer, commune)
      }
    }
  }
}

// ── bulk load ─────────────────────────────────────────────────────────────────────────────────────
const now = '2026-11-28T12:00:00.000Z'
const k = c.db.kysely
const t0 = Date.now()
let loaded = 0
let batch: Gen[] = []
let indexMs = 0
async function flush(): Promise<void> {
  const b = batch
  batch = []
  await k.transaction().execute(async (trx) => {
    for (let i = 0; i < b.length; i += 250) {
      const part = b.slice(i, i + 250)
      const groups = part.filter((u) => u.objects.length > 0)
      if (groups.length > 0) {
        await trx
          .insertInto('object_group')
          .values(
            groups.map((u) => ({
              id: `g${u.id}`,
              tenant_id: TENANT,
              operation_id: 'bulk',
              seda_id: null,
              created_at: now,
            })),
          )
          .execute()
        await trx
          .insertInto('data_object')
          .values(
            groups.flatMap((u) =>
              u.objects.map((o, j) => ({
                id: `o${u.id}-${j}`,
                tenant_id: TENANT,
                group_id: `g${u.id}`,
                operation_id: 'bulk',
                seda_id: null,
                kind: o.kind,
                usage: o.kind === 'binary' ? 'BinaryMaster_1' : 'PhysicalMaster_1',
                blob_id: null,
                size: o.kind === 'binary' ? 100_000 : null,
                sha512: null,
                declared_algorithm: null,
                declared_digest: null,
                format_puid: o.puid,
                format_name: null,
                mime_type: null,
                filename: null,
                physical_id: o.kind === 'physical' ? `BOITE-${u.id}` : null,
                metadata: null,
                created_at: now,
              })),
            ),
          )
          .execute()
      }
      await trx
        .insertInto('archive_unit')
        .values(
          part.map((u) => ({
            id: u.id,
            tenant_id: TENANT,
            operation_id: 'bulk',
            seda_id: u.id,
            title: u.title,
            description_level: u.level,
            start_date: u.start,
            end_date: u.end,
            originating_agency: u.producer,
            submission_agency: u.producer,
            object_group_id: u.objects.length > 0 ? `g${u.id}` : null,
            content: toJson(u.content),
            management: null,
            created_at: now,
            updated_at: now,
          })),
        )
        .execute()
      const links = part.filter((u) => u.parent)
      if (links.length > 0) {
        await trx
          .insertInto('unit_parent')
          .values(links.map((u) => ({ tenant_id: TENANT, unit_id: u.id, parent_id: u.parent! })))
          .execute()
      }
      await trx
        .insertInto('unit_lifecycle')
        .values(
          part.map((u) => {
            const r = rnd()
            const from = u.end
              ? `${Number(u.end.slice(0, 4)) + pick([25, 50, 75, 100])}${u.end.slice(4)}`
              : null
            return {
              unit_id: u.id,
              tenant_id: TENANT,
              appraisal_end_date: u.end ? `${Number(u.end.slice(0, 4)) + 10}${u.end.slice(4)}` : null,
              appraisal_rules: 1,
              appraisal_incomplete: 0,
              final_action: r < 0.5 ? 'Keep' : r < 0.9 ? 'Destroy' : null,
              held: 0,
              hold_end_date: null,
              hold_rule_ids: '[]',
              communicability:
                r < 0.55 ? 'immediate' : r < 0.95 && from ? 'date' : r < 0.98 ? 'never' : 'unknown',
              communicable_from: r >= 0.55 && r < 0.95 ? from : null,
              access_rule_ids: '[]',
              legal_basis: null,
              computed_at: now,
            }
          }),
        )
        .execute()
    }
    const ti = Date.now()
    const sources: IndexSource[] = b.map((u) => ({
      unitId: u.id,
      tenantId: TENANT,
      title: u.title,
      level: u.level,
      producer: u.producer,
      startDate: u.start,
      endDate: u.end,
      operationId: 'bulk',
      createdAt: now,
      content: u.content,
      hasDigital: u.objects.some((o) => o.kind === 'binary'),
      hasPhysical: u.objects.some((o) => o.kind === 'physical'),
      formats: u.objects.map((o) => o.puid).filter((p): p is string => p !== null),
      isRoot: u.parent === null,
      parentIds: u.parent ? [u.parent] : [],
    }))
    await c.search.indexRows(trx, sources)
    indexMs += Date.now() - ti
  })
}
for (const u of reuse ? [] : generate()) {
  batch.push(u)
  if (batch.length >= 5000) {
    await flush()
    loaded += 5000
    if (loaded % 100_000 === 0) {
      const s = (Date.now() - t0) / 1000
      process.stderr.write(`  ${loaded} units, ${s.toFixed(0)} s (${Math.round(loaded / s)} units/s)\n`)
    }
  }
}
loaded += batch.length
if (batch.length > 0) await flush()
const loadS = (Date.now() - t0) / 1000
if (!reuse) await sql`analyze`.execute(k)
const total = Number(
  (
    await k
      .selectFrom('unit_search')
      .select((e) => e.fn.countAll().as('n'))
      .where('tenant_id', '=', TENANT)
      .executeTakeFirstOrThrow()
  ).n,
)
console.log(
  reuse
    ? `${c.db.dialect}: reusing ${home} (${total} units)`
    : `${c.db.dialect}: loaded ${total} units in ${loadS.toFixed(0)} s (${Math.round(total / loadS)} units/s; of which index ${(indexMs / 1000).toFixed(0)} s)`,
)

// ── measurements ──────────────────────────────────────────────────────────────────────────────────
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!
}
async function time<T>(f: () => Promise<T>): Promise<[number, T]> {
  const t = process.hrtime.bigint()
  const r = await f()
  return [Number(process.hrtime.bigint() - t) / 1e6, r]
}
const fmt = (ms: number) => `${ms.toFixed(1)} ms`

/** BENCH_EXACT=1: exact totals and exact relevance (the opt-out), for a before/after comparison. */
const exact = !!process.env.BENCH_EXACT
const search = exact
  ? new SearchService({ db: c.db, clock: c.clock, catalog: c.catalog, rankCap: Number.MAX_SAFE_INTEGER })
  : c.search
const opt: Record<string, string> = exact ? { exactTotal: 'true' } : {}
console.log(exact ? 'mode: exact totals, exact relevance' : 'mode: capped totals, bounded relevance')
const TEXTS = [
  'délibération voirie',
  'conseil municipal',
  '"conseil municipal"',
  'ecole*',
  'permis construire',
  'registre naissances',
  'cadastral section',
  'budget -primitif',
  'procès-verbal élection',
  'marché toiture',
  'assainissement',
  'lavoir',
  'monument morts',
  'correspondance préfecture',
  'fêtes patronales',
  'presbytère',
  'Rennes',
  'Saint-Malo',
  'bienfaisance',
  'agent communal',
]
const FILTERS: Record<string, string>[] = [
  { producer: PRODUCERS[3]!, level: 'File' },
  { date: '1950..1980', kind: 'digital' },
  { communicable: 'yes', finalAction: 'Keep' },
  { level: 'Item', format: 'fmt/18' },
  { date: '1800..1850', producer: `${PRODUCERS[5]},${PRODUCERS[6]}` },
  { appraisalEnd: '..2026', finalAction: 'Destroy' },
]
const times: number[] = []
const totals: number[] = []
const byPair = FILTERS.map(() => ({ ms: [] as number[], hits: [] as number[] }))
const rows: string[] = []
for (let i = 0; i < QUERIES + 5; i++) {
  const params = { q: TEXTS[i % TEXTS.length]!, ...FILTERS[i % FILTERS.length]!, limit: '50', ...opt }
  const [ms, r] = await time(() => search.search(TENANT, parseSearchParams(params)))
  if (i >= 5) {
    times.push(ms)
    totals.push(r.total)
    byPair[i % FILTERS.length]!.ms.push(ms)
    byPair[i % FILTERS.length]!.hits.push(r.total)
  }
  if (i < 3 || ms > 1000) console.log(`  ${JSON.stringify(params)} → ${r.total} in ${fmt(ms)}`)
}
// physical baseline: the bare text index, same words, no join, no filter, no facet
const base: number[] = []
for (let i = 0; i < 40; i++) {
  const words = TEXTS[i % TEXTS.length]!.replace(/["*-]/g, ' ').trim()
  const [ms] = await time(async () =>
    c.db.dialect === 'postgres'
      ? sql`select count(*) from unit_search where tsv @@ plainto_tsquery('saeh_fr', ${words})`.execute(k)
      : sql`select count(*) from unit_fts where unit_fts match ${words
          .split(/\s+/)
          .map((w) => `"${w.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase()}"`)
          .join(' ')}`.execute(k),
  )
  base.push(ms)
}
rows.push(
  `| full text + 2 filters + facets (${times.length} queries, median ${pct(totals, 50)} hits) | ${fmt(pct(times, 50))} | ${fmt(pct(times, 95))} | ${fmt(Math.max(...times))} | bare text count p50 ${fmt(pct(base, 50))} (×${(pct(times, 50) / pct(base, 50)).toFixed(1)}) |`,
)
for (const [j, p] of byPair.entries()) {
  rows.push(
    `| — with ${Object.keys(FILTERS[j]!).join(' + ')} (${p.ms.length} queries, median ${pct(p.hits, 50)} hits, max ${Math.max(...p.hits)}) | ${fmt(pct(p.ms, 50))} | ${fmt(pct(p.ms, 95))} | ${fmt(Math.max(...p.ms))} | |`,
  )
}
// text alone, facets on big matching sets
const big: number[] = []
for (const q of ['conseil', 'municipal', 'delib*']) {
  const [ms, r] = await time(() => search.search(TENANT, parseSearchParams({ q, ...opt })))
  big.push(ms)
  console.log(`  {"q":"${q}"} (no filter) → ${r.total} in ${fmt(ms)}`)
}
rows.push(
  `| full text alone + facets, large matching sets (3 queries) | ${fmt(pct(big, 50))} | — | ${fmt(Math.max(...big))} | |`,
)
const [allMs, all] = await time(() => search.search(TENANT, parseSearchParams({ ...opt })))
rows.push(`| no criteria (${all.total} units) + facets | ${fmt(allMs)} | — | — | |`)
// the large set of the brief, by each sort: first page, then the next page through its cursor
for (const sort of ['relevance', 'date', '-date', 'title']) {
  const params = { q: '"conseil municipal"', communicable: 'yes', finalAction: 'Keep', sort, ...opt }
  const first: number[] = []
  const next: number[] = []
  let r1
  for (let i = 0; i < 5; i++) {
    const [ms, r] = await time(() => search.search(TENANT, parseSearchParams(params)))
    first.push(ms)
    r1 = r
    const [ms2] = await time(() =>
      search.search(TENANT, parseSearchParams({ ...params, cursor: r.nextCursor! })),
    )
    next.push(ms2)
  }
  rows.push(
    `| "conseil municipal" + communicable:yes finalAction:Keep, sort ${sort} (total ${r1!.total}${r1!.totalIsLowerBound ? '+' : ''}${r1!.rankedOver ? `, rankedOver ${r1!.rankedOver}` : ''}), 5× page 1 / page 2 | ${fmt(pct(first, 50))} / ${fmt(pct(next, 50))} | — | ${fmt(Math.max(...first))} / ${fmt(Math.max(...next))} | |`,
  )
}

// tree: every page of the 10,000-child unit
const bigRoot = 'u00000001'
const pages: number[] = []
let cursor: string | undefined
let seen = 0
do {
  const [ms, r] = await time(() =>
    c.search.children(TENANT, bigRoot, { limit: 200, ...(cursor ? { cursor } : {}) }),
  )
  pages.push(ms)
  seen += r.results.length
  cursor = r.nextCursor ?? undefined
} while (cursor)
if (seen !== 10_000) throw new Error(`children pages returned ${seen} units, not 10,000`)
rows.push(
  `| children of the 10,000-child unit, ${pages.length} pages of 200 | ${fmt(pct(pages, 50))} | ${fmt(pct(pages, 95))} | ${fmt(Math.max(...pages))} | |`,
)
const small: number[] = []
cursor = undefined
for (let i = 0; i < 20; i++) {
  const [ms, r] = await time(() =>
    c.search.children(TENANT, bigRoot, { limit: 50, ...(cursor ? { cursor } : {}) }),
  )
  small.push(ms)
  cursor = r.nextCursor ?? undefined
}
rows.push(
  `| same, first 20 pages of 50 | ${fmt(pct(small, 50))} | ${fmt(pct(small, 95))} | ${fmt(Math.max(...small))} | |`,
)
const fondsId = (
  await k
    .selectFrom('unit_search')
    .select('unit_id')
    .where('tenant_id', '=', TENANT)
    .where('is_root', '=', 1)
    .where('unit_id', '!=', bigRoot)
    .limit(1)
    .executeTakeFirstOrThrow()
).unit_id
const br: number[] = []
cursor = undefined
let branchTotal = 0
for (let i = 0; i < 5; i++) {
  const [ms, r] = await time(() =>
    c.search.branch(TENANT, fondsId, { limit: 200, ...(cursor ? { cursor } : {}) }),
  )
  br.push(ms)
  branchTotal = r.total
  cursor = r.nextCursor ?? undefined
}
rows.push(
  `| branch (descendants) of a fonds (${branchTotal} units), 5 pages of 200 | ${fmt(pct(br, 50))} | — | ${fmt(Math.max(...br))} | |`,
)
const [rootsMs] = await time(() => c.search.roots(TENANT, { limit: 200 }))
rows.push(`| roots of the tenant | ${fmt(rootsMs)} | — | — | |`)

console.log(
  `\n${c.db.dialect}, ${total} units, load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)}`,
)
console.log('| measure | p50 | p95 | max | baseline |')
console.log('| ------- | --- | --- | --- | -------- |')
for (const r of rows) console.log(r)

await c.close()
if (!process.env.BENCH_KEEP) await rm(home, { recursive: true, force: true })
else console.log(`kept ${home}`)
