import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { createTestContainer } from '../../../test/helpers/container.js'
import { testDialects, POSTGRES_SKIP_REASON } from '../../../test/helpers/db.js'
import { writeSipZip } from '../../../test/helpers/sip.js'
import { initInstance } from '../../main/instance.js'
import { buildHttpApp } from '../../http/app.js'
import { toJson } from '../../platform/db/create-db.js'
import { search2 } from '../../platform/db/migrations/2026-12-01T10-00_search2.js'
import { sql } from 'kysely'
import { isAppError } from '../../platform/errors.js'
import { SYSTEM_PRINCIPAL } from '../tenancy/index.js'
import type { Container } from '../../main/container.js'
import { registerJobHandlers } from '../../main/jobs.js'
import { Worker } from '../../jobs/runner.js'
import { silentLogger } from '../../platform/log.js'
import {
  parseSearchParams,
  SEARCH_STALE_QUEUE,
  SearchService,
  type SearchResult,
  type Visibility,
} from './index.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`search on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

interface U {
  title: string
  level?: string
  producer?: string
  start?: string
  end?: string
  parents?: string[]
  content?: Record<string, unknown>
  objects?: { kind: 'binary' | 'physical'; puid?: string }[]
  life?: { finalAction?: string | null; comm: string; from?: string; appraisalEnd?: string }
  op?: string
}

for (const dialect of testDialects()) {
  describe(`search (${dialect})`, () => {
    let inst: Awaited<ReturnType<typeof createTestContainer>>
    let c: Container
    const ids: Record<string, string> = {}
    let adminPassword = ''
    let n = 0

    /** Inserts units as ingest does (units, links, objects, lifecycle), then indexes them in the same transaction. */
    async function units(defs: Record<string, U>, tenant = 'default'): Promise<void> {
      const now = new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString()
      await c.db.kysely.transaction().execute(async (trx) => {
        for (const [name, u] of Object.entries(defs)) {
          const id = `${tenant}-${name}-${++n}`
          ids[name] = id
          let group: string | null = null
          if (u.objects) {
            group = `g-${id}`
            await trx
              .insertInto('object_group')
              .values({
                id: group,
                tenant_id: tenant,
                operation_id: u.op ?? 'op-1',
                seda_id: null,
                created_at: now,
              })
              .execute()
            let k = 0
            for (const o of u.objects) {
              await trx
                .insertInto('data_object')
                .values({
                  id: `o-${id}-${k++}`,
                  tenant_id: tenant,
                  group_id: group,
                  operation_id: u.op ?? 'op-1',
                  seda_id: null,
                  kind: o.kind,
                  usage: o.kind === 'binary' ? 'BinaryMaster_1' : 'PhysicalMaster_1',
                  blob_id: null,
                  size: null,
                  sha512: null,
                  declared_algorithm: null,
                  declared_digest: null,
                  format_puid: o.puid ?? null,
                  format_name: null,
                  mime_type: null,
                  filename: null,
                  physical_id: null,
                  metadata: null,
                  created_at: now,
                })
                .execute()
            }
          }
          await trx
            .insertInto('archive_unit')
            .values({
              id,
              tenant_id: tenant,
              operation_id: u.op ?? 'op-1',
              seda_id: name,
              title: u.title,
              description_level: u.level ?? 'Item',
              start_date: u.start ?? null,
              end_date: u.end ?? null,
              originating_agency: u.producer ?? null,
              submission_agency: null,
              object_group_id: group,
              content: toJson({ Title: u.title, ...(u.content ?? {}) }),
              management: null,
              created_at: now,
              updated_at: now,
            })
            .execute()
          for (const p of u.parents ?? []) {
            await trx
              .insertInto('unit_parent')
              .values({ tenant_id: tenant, unit_id: id, parent_id: ids[p]! })
              .execute()
          }
          if (u.life) {
            await trx
              .insertInto('unit_lifecycle')
              .values({
                unit_id: id,
                tenant_id: tenant,
                appraisal_end_date: u.life.appraisalEnd ?? null,
                appraisal_rules: 0,
                appraisal_incomplete: 0,
                final_action: u.life.finalAction ?? null,
                held: 0,
                hold_end_date: null,
                hold_rule_ids: toJson([]),
                communicability: u.life.comm,
                communicable_from: u.life.from ?? null,
                access_rule_ids: toJson([]),
                legal_basis: null,
                computed_at: now,
              })
              .execute()
          }
        }
        await c.search.indexUnits(
          trx,
          tenant,
          Object.keys(defs).map((k) => ids[k]!),
        )
      })
    }

    const search = (params: Record<string, string>, tenant = 'default', vis?: Visibility) =>
      c.search.search(tenant, parseSearchParams(params), vis)
    const names = (r: SearchResult) =>
      r.results.map((u) => Object.keys(ids).find((k) => ids[k] === u.id) ?? `?${u.id}`).sort()
    async function found(params: Record<string, string>, tenant = 'default', vis?: Visibility) {
      const r = await search(params, tenant, vis)
      assert.equal(r.total, r.results.length, 'one page expected here')
      return names(r)
    }
    async function fails(f: () => Promise<unknown> | unknown, code: string, reason?: string): Promise<void> {
      await assert.rejects(
        async () => f(),
        (e: unknown) => {
          assert.ok(isAppError(e), String(e))
          assert.equal(e.code, code, e.message)
          if (reason) assert.equal(e.details?.reason, reason)
          return true
        },
      )
    }

    before(async () => {
      inst = await createTestContainer(dialect)
      c = inst.c
      adminPassword = (await initInstance(c)).admin!.password
      await c.tenancy.createTenant(SYSTEM_PRINCIPAL, { id: 'other', name: 'Autre service' })
      await units({
        R: {
          title: 'Fonds de la commune de Saint-Malo',
          level: 'Fonds',
          producer: 'PROD-A',
          life: { comm: 'immediate' },
        },
        S1: {
          title: 'DELIBERATION du conseil municipal du 12 mars 1987 — travaux de voirie',
          level: 'File',
          producer: 'PROD-A',
          start: '1987-03-12',
          end: '1987-03-12',
          parents: ['R'],
          objects: [{ kind: 'binary', puid: 'fmt/18' }],
          life: { finalAction: 'Keep', comm: 'immediate' },
        },
        S2: {
          title: 'Deliberations budgétaires 1990',
          level: 'File',
          producer: 'PROD-A',
          start: '1990-01-01',
          end: '1990-12-31',
          parents: ['R'],
          objects: [{ kind: 'physical' }],
          life: { finalAction: 'Destroy', comm: 'date', from: '2090-01-01', appraisalEnd: '2030-01-01' },
        },
        S3: {
          title: 'Registre des naissances',
          producer: 'PROD-B',
          start: '1890-01-01',
          parents: ['R'],
          objects: [{ kind: 'binary', puid: 'fmt/354' }],
          content: {
            Description: 'Actes de la paroisse Saint-Étienne',
            Keyword: [{ KeywordContent: 'état civil' }],
          },
          life: { comm: 'never' },
        },
        S3a: {
          title: 'Acte de naissance de Jean Dupont',
          producer: 'PROD-B',
          parents: ['S3'],
          content: { Description: 'Journaux et travaux' },
          life: { comm: 'date', from: '2000-01-01' },
          op: 'op-2',
        },
        R2: { title: 'Archives de l’école Jules Ferry', level: 'Fonds', producer: 'PROD-C' },
      })
      await units(
        {
          X1: {
            title: 'Délibération secrète du conseil municipal',
            level: 'File',
            producer: 'PROD-A',
            life: { comm: 'immediate' },
          },
          X2: { title: 'Registre des naissances de l’autre service', producer: 'PROD-B', parents: ['X1'] },
        },
        'other',
      )
    })
    after(() => inst.close())

    it('folds accents, case and plurals: « délibération » finds DELIBERATION and Deliberations', async () => {
      assert.deepEqual(await found({ q: 'délibération' }), ['S1', 'S2'])
      assert.deepEqual(await found({ q: 'DÉLIBÉRATIONS' }), ['S1', 'S2'])
      assert.deepEqual(await found({ q: 'Deliberation' }, 'other'), ['X1'])
    })

    it('searches descriptions, keywords and every descriptive element', async () => {
      assert.deepEqual(await found({ q: 'paroisse' }), ['S3'])
      assert.deepEqual(await found({ q: 'etat civil' }), ['S3'])
      assert.deepEqual(await found({ q: 'journaux' }), ['S3a'])
      assert.deepEqual(await found({ q: 'travaux' }), ['S1', 'S3a'])
    })

    it('phrases, prefixes and exclusions', async () => {
      assert.deepEqual(await found({ q: '"conseil municipal"' }), ['S1'])
      assert.deepEqual(await found({ q: '"municipal conseil"' }), [])
      assert.deepEqual(await found({ q: 'budg*' }), ['S2'])
      assert.deepEqual(await found({ q: 'naiss*' }), ['S3', 'S3a'])
      assert.deepEqual(await found({ q: '"conseil muni"*' }), ['S1'])
      assert.deepEqual(await found({ q: 'deliberation -budgetaires' }), ['S1'])
      assert.deepEqual(await found({ q: 'naissance -"jean dupont"' }), ['S3'])
      assert.deepEqual(await found({ q: 'saint-malo' }), ['R'])
      // words that are operators elsewhere are plain words here
      assert.deepEqual(await found({ q: 'conseil OR budgetaires' }), [])
      assert.deepEqual(await found({ q: 'drop table' }), [])
    })

    it('filters, alone and combined with text', async () => {
      assert.deepEqual(await found({ producer: 'PROD-B' }), ['S3', 'S3a'])
      assert.deepEqual(await found({ producer: 'PROD-B,PROD-C' }), ['R2', 'S3', 'S3a'])
      assert.deepEqual(await found({ level: 'File' }), ['S1', 'S2'])
      assert.deepEqual(await found({ date: '1987' }), ['S1'])
      assert.deepEqual(await found({ date: '1987-03-12' }), ['S1'])
      assert.deepEqual(await found({ date: '1987-04' }), [])
      assert.deepEqual(await found({ date: '1985..1995' }), ['S1', 'S2'])
      assert.deepEqual(await found({ date: '1990-06..' }), ['S2'])
      assert.deepEqual(await found({ date: '..1900' }), ['S3'])
      assert.deepEqual(await found({ appraisalEnd: '2029..2031' }), ['S2'])
      assert.deepEqual(await found({ finalAction: 'Keep' }), ['S1'])
      assert.deepEqual(await found({ finalAction: 'Keep,Destroy' }), ['S1', 'S2'])
      assert.deepEqual(await found({ finalAction: 'none' }), ['R', 'R2', 'S3', 'S3a'])
      assert.deepEqual(await found({ communicable: 'yes' }), ['R', 'S1', 'S3a'])
      assert.deepEqual(await found({ communicable: 'no' }), ['R2', 'S2', 'S3'])
      assert.deepEqual(await found({ communicable: '2095-01-01' }), ['R', 'S1', 'S2', 'S3a'])
      assert.deepEqual(await found({ communicable: '1990-01-01' }), ['R', 'S1'])
      assert.deepEqual(await found({ kind: 'digital' }), ['S1', 'S3'])
      assert.deepEqual(await found({ kind: 'physical' }), ['S2'])
      assert.deepEqual(await found({ format: 'fmt/18' }), ['S1'])
      assert.deepEqual(await found({ format: 'fmt/18,fmt/354' }), ['S1', 'S3'])
      assert.deepEqual(await found({ operation: 'op-2' }), ['S3a'])
      assert.deepEqual(await found({ parent: ids.R! }), ['S1', 'S2', 'S3'])
      assert.deepEqual(await found({ parentId: ids.S3! }), ['S3a'])
      assert.deepEqual(await found({ branch: ids.R! }), ['S1', 'S2', 'S3', 'S3a'])
      // two filters and text, and filters written in the query
      assert.deepEqual(await found({ q: 'deliberation', level: 'File', kind: 'digital' }), ['S1'])
      assert.deepEqual(await found({ q: 'level:File deliberation date:1990' }), ['S2'])
      assert.deepEqual(await found({ q: 'naissance producer:"PROD-B" communicable:yes' }), ['S3a'])
      // another tenant's unit as parent or branch: nothing, never its children
      assert.deepEqual(await found({ parent: ids.X1! }), [])
      assert.deepEqual(await found({ branch: ids.X1! }), [])
    })

    it('counts facets over the whole matching set', async () => {
      const r = await search({ q: 'deliberation', limit: '1' })
      assert.equal(r.total, 2)
      assert.equal(r.results.length, 1)
      const f = r.facets!
      assert.deepEqual(f.producer, [{ value: 'PROD-A', count: 2 }])
      assert.deepEqual(f.level, [{ value: 'File', count: 2 }])
      assert.deepEqual(f.finalAction, [
        { value: 'Destroy', count: 1 },
        { value: 'Keep', count: 1 },
      ])
      assert.deepEqual(f.kind, [
        { value: 'digital', count: 1 },
        { value: 'physical', count: 1 },
      ])
      assert.deepEqual(f.format, [{ value: 'fmt/18', count: 1 }])
      assert.deepEqual(f.communicability, [
        { value: 'communicable', count: 1 },
        { value: 'notYet', count: 1 },
      ])
      const all = await search({})
      assert.equal(all.total, 6)
      assert.deepEqual(all.facets!.producer, [
        { value: 'PROD-A', count: 3 },
        { value: 'PROD-B', count: 2 },
        { value: 'PROD-C', count: 1 },
      ])
      assert.deepEqual(all.facets!.communicability, [
        { value: 'communicable', count: 3 },
        { value: 'never', count: 1 },
        { value: 'notYet', count: 1 },
        { value: 'unknown', count: 1 },
      ])
      assert.deepEqual(all.facets!.kind, [
        { value: 'none', count: 3 },
        { value: 'digital', count: 2 },
        { value: 'physical', count: 1 },
      ])
      const none = await search({ facets: 'false' })
      assert.equal(none.facets, undefined)
      assert.equal(none.total, 6)
    })

    it('gives the same pages, totals and facets in one pass and in two (large matching sets)', async () => {
      const twoPass = new SearchService({ db: c.db, clock: c.clock, catalog: c.catalog, onePassLimit: 1 })
      for (const params of [
        { q: 'deliberation', limit: '1' },
        { q: 'naiss*', sort: 'title', limit: '1' },
        { sort: 'title', limit: '2' },
        { sort: '-created', limit: '4', offset: '1' },
        { producer: 'PROD-A,PROD-B', kind: 'digital', limit: '1' },
      ] as Record<string, string>[]) {
        let cursor: string | undefined
        let pages = 0
        do {
          const p: Record<string, string> = { ...params, ...(cursor ? { cursor } : {}) }
          if (cursor) delete p.offset
          const a = await search(p)
          const b = await twoPass.search('default', parseSearchParams(p))
          assert.deepEqual(b, a, JSON.stringify(p))
          cursor = a.nextCursor ?? undefined
          pages++
        } while (cursor && pages < 10)
      }
    })

    it('answers text + filters through the index tags exactly as the SQL filters do', async () => {
      // tenant 'tg': every unit has the word « commun », with every filter value varied
      await c.tenancy.createTenant(SYSTEM_PRINCIPAL, { id: 'tg', name: 'Étiquettes' })
      const lives: U['life'][] = [
        { finalAction: 'Keep', comm: 'immediate', appraisalEnd: '2026-11-28' },
        { finalAction: 'Destroy', comm: 'date', from: '2026-11-28', appraisalEnd: '2026-11-29' },
        { finalAction: 'Destroy', comm: 'date', from: '2026-11-29', appraisalEnd: '1999-12-31' },
        { finalAction: null, comm: 'date', from: '1890-02-28', appraisalEnd: '2000-01-01' },
        { finalAction: 'Conflict', comm: 'never' },
        { finalAction: 'Keep', comm: 'unknown', appraisalEnd: '2030-06-15' },
        undefined,
      ]
      const defs: Record<string, U> = {}
      for (let i = 0; i < 14; i++) {
        const l = lives[i % lives.length]
        defs[`T${i}`] = {
          title: `Dossier commun ${i}`,
          level: i % 3 === 0 ? 'File' : 'Item',
          ...(i % 4 === 3 ? {} : { producer: `TP-${i % 3} é` }),
          ...(i % 5 === 4 ? {} : { start: `${1890 + i * 9}-0${1 + (i % 9)}-1${i % 10}` }),
          ...(i % 2 === 0 ? { end: `${1900 + i * 10}-12-31` } : {}),
          ...(i % 3 === 1 ? { objects: [{ kind: 'binary', puid: i % 2 ? 'fmt/18' : 'x-fmt/111' }] } : {}),
          ...(i % 3 === 2 ? { objects: [{ kind: 'physical' }] } : {}),
          ...(l ? { life: l } : {}),
        }
      }
      await units(defs, 'tg')
      const filters: Record<string, string>[] = [
        { producer: 'TP-1 é' },
        { producer: 'TP-0 é,TP-2 é', level: 'File' },
        { kind: 'digital' },
        { kind: 'physical', level: 'Item' },
        { format: 'fmt/18' },
        { format: 'fmt/18,x-fmt/111' },
        { date: '1900..1950' },
        { date: '1955' },
        { date: '1895-03..1996-02' },
        { date: '1000..2999' },
        { date: '..1920' },
        { finalAction: 'Keep' },
        { finalAction: 'Destroy,none' },
        { communicable: 'yes' },
        { communicable: 'no' },
        { communicable: '2026-11-28' },
        { communicable: '1890-02-28' },
        { communicable: '1890-02-27' },
        { appraisalEnd: '2026-11-28' },
        { appraisalEnd: '..2026' },
        { appraisalEnd: '1999-12..2000-01' },
        { appraisalEnd: '2027..' },
        { finalAction: 'Keep', communicable: 'yes' },
      ]
      const check = async (vis?: Visibility) => {
        const text = new Set(await found({ q: 'commun' }, 'tg', vis))
        if (!vis) assert.ok(text.size > 0)
        for (const f of filters) {
          const sqlOnly = (await found(f, 'tg', vis)).filter((x) => text.has(x))
          assert.deepEqual(await found({ q: 'commun', ...f }, 'tg', vis), sqlOnly, JSON.stringify(f))
          const r = await search({ q: 'commun', ...f }, 'tg', vis)
          assert.equal(r.total, sqlOnly.length)
        }
      }
      await check()
      assert.deepEqual(await found({ q: 'commun', finalAction: 'Keep' }, 'tg'), ['T0', 'T12', 'T5', 'T7'])
      assert.deepEqual(await found({ q: 'commun', communicable: '2026-11-28' }, 'tg'), [
        'T0',
        'T1',
        'T10',
        'T3',
        'T7',
        'T8',
      ])
      await check({ communicableOnly: true })
      await check({ producers: ['TP-1 é'], communicableOnly: true })
      await check({ producers: [] })
      // a lifecycle row rewritten after indexing (as a hold or a referential change does): the unit is
      // stale, the lifecycle tags are set aside for the tenant and the answers stay exact
      await c.db.kysely
        .updateTable('unit_lifecycle')
        .set({ final_action: 'Keep', communicability: 'immediate', communicable_from: null })
        .where('unit_id', '=', ids.T1!)
        .execute()
      const staleRows = async () =>
        (await c.db.kysely.selectFrom('unit_search_stale').select('rid').execute()).length
      assert.equal(await staleRows(), 1)
      assert.deepEqual(await found({ q: 'commun', finalAction: 'Keep' }, 'tg'), [
        'T0',
        'T1',
        'T12',
        'T5',
        'T7',
      ])
      await check()
      // the periodic job's pass (every tenant with stale units)
      const redone = await c.db.kysely.transaction().execute((trx) => c.search.reindexAllStale(trx))
      assert.equal(redone, 1)
      assert.equal(await staleRows(), 0)
      // the worker's job: two more units made stale, repaired by the queued job (chunks in their own
      // transactions until none is left), then the answers are exact again
      for (const u of ['T3', 'T4']) {
        await c.db.kysely
          .updateTable('unit_lifecycle')
          .set({ appraisal_end_date: '2001-02-03' })
          .where('unit_id', '=', ids[u]!)
          .execute()
      }
      assert.equal(await staleRows(), 2)
      await c.db.kysely.transaction().execute((trx) => c.queue.enqueue(trx, SEARCH_STALE_QUEUE, {}))
      const worker = registerJobHandlers(
        new Worker({ db: c.db, queue: c.queue, log: silentLogger() }, { concurrency: 1 }),
        c,
      )
      assert.equal(await worker.drain(5), 1)
      assert.equal(await staleRows(), 0)
      await check()
      // a recompute writes the rows back (delete, insert): unchanged values leave the unit fresh
      await c.db.kysely.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom('unit_lifecycle')
          .selectAll()
          .where('unit_id', '=', ids.T2!)
          .executeTakeFirstOrThrow()
        await trx.deleteFrom('unit_lifecycle').where('unit_id', '=', ids.T2!).execute()
        await trx.insertInto('unit_lifecycle').values(row).execute()
      })
      assert.equal(await staleRows(), 0)
      assert.deepEqual(await found({ q: 'commun', finalAction: 'Keep' }, 'tg'), [
        'T0',
        'T1',
        'T12',
        'T5',
        'T7',
      ])
      await check()
      await check({ communicableOnly: true })
    })

    it('filters by location (subtree) and box, and says when facets are counted over part of the set', async () => {
      await c.tenancy.createTenant(SYSTEM_PRINCIPAL, { id: 'ph', name: 'Magasins' })
      await units(
        {
          P1: { title: 'Plan de la ville', objects: [{ kind: 'physical' }] },
          P2: { title: 'Plan du port', objects: [{ kind: 'physical' }] },
          P3: { title: 'Plan des remparts', objects: [{ kind: 'physical' }] },
          P4: { title: 'Plan numérique', objects: [{ kind: 'binary', puid: 'fmt/18' }] },
        },
        'ph',
      )
      const now = '2026-01-01T00:00:00.000Z'
      const loc = (id: string, parent: string | null, path: string, depth: number, tenant = 'ph') => ({
        id,
        tenant_id: tenant,
        parent_id: parent,
        depth,
        code: path.split('/').pop()!,
        name: null,
        path,
        is_shelf: depth === 2 ? 1 : 0,
        length_mm: null,
        fire_rated: 0,
        climate_controlled: 0,
        reserved: 0,
        blocked: 0,
        created_at: now,
        updated_at: now,
      })
      await c.db.kysely
        .insertInto('location')
        .values([
          loc('L-A', null, 'A', 0),
          loc('L-A1', 'L-A', 'A/1', 1),
          loc('L-A1x', 'L-A1', 'A/1/x', 2),
          loc('L-B', null, 'B', 0),
          loc('L-O', null, 'A', 0, 'other'),
        ])
        .execute()
      const box = (id: string, barcode: string, location: string | null, tenant = 'ph') => ({
        id,
        tenant_id: tenant,
        barcode,
        cote: null,
        title: null,
        producer: null,
        box_type_id: null,
        footprint_mm: null,
        location_id: location,
        status: 'active' as const,
        operation_id: 'op-1',
        created_at: now,
        updated_at: now,
      })
      await c.db.kysely
        .insertInto('box')
        .values([
          box('B-1', 'BC0001', 'L-A1x'),
          box('B-2', 'BC0002', 'L-B'),
          box('B-3', 'BC0003', 'L-A'),
          box('B-O', 'BC0001', 'L-O', 'other'),
        ])
        .execute()
      const content = (object: string, b: string, unit: string | null, tenant = 'ph') => ({
        tenant_id: tenant,
        object_id: object,
        box_id: b,
        unit_id: unit,
        created_at: now,
      })
      const obj = (u: string) => `o-${ids[u]}-0`
      await c.db.kysely
        .insertInto('box_content')
        .values([
          content(obj('P1'), 'B-1', ids.P1!),
          content(obj('P2'), 'B-2', ids.P2!),
          // an object filed without its unit: found through its object group
          content(obj('P3'), 'B-3', null),
          content(obj('P4'), 'B-O', ids.P4!, 'other'),
        ])
        .execute()
      assert.deepEqual(await found({ location: 'L-A' }, 'ph'), ['P1', 'P3'])
      assert.deepEqual(await found({ location: 'A' }, 'ph'), ['P1', 'P3'])
      assert.deepEqual(await found({ location: 'A/1' }, 'ph'), ['P1'])
      assert.deepEqual(await found({ location: 'L-B' }, 'ph'), ['P2'])
      assert.deepEqual(await found({ q: 'plan location:A/1/x' }, 'ph'), ['P1'])
      assert.deepEqual(await found({ box: 'BC0002' }, 'ph'), ['P2'])
      assert.deepEqual(await found({ box: 'B-3', q: 'remparts' }, 'ph'), ['P3'])
      // another tenant's location, box or barcode matches nothing here
      assert.deepEqual(await found({ location: 'L-O' }, 'ph'), [])
      assert.deepEqual(await found({ box: 'B-O' }, 'ph'), [])
      assert.deepEqual(await found({ box: 'BC0001' }, 'ph'), ['P1'])
      assert.deepEqual(await found({ location: 'nowhere' }, 'ph'), [])
      for (const bad of ['A;drop', 'x'.repeat(201), 'a"b', 'L\u0000']) {
        await fails(() => parseSearchParams({ location: bad }), 'SEARCH_BAD_VALUE')
        await fails(() => parseSearchParams({ box: bad }), 'SEARCH_BAD_VALUE')
      }

      // facets over the first 2 units of 4, and said so; exact (and said so) when the set is small
      const capped = new SearchService({
        db: c.db,
        clock: c.clock,
        catalog: c.catalog,
        facetCap: 2,
        onePassLimit: 1,
      })
      for (const params of [{ q: 'plan' }, {}, { kind: 'physical' }] as Record<string, string>[]) {
        const full = await search(params, 'ph')
        const part = await capped.search('ph', parseSearchParams(params))
        assert.equal(full.facetsApproximate, false)
        assert.equal(full.facetsCountedOver, full.total)
        assert.equal(part.total, full.total)
        assert.deepEqual(part.results, full.results)
        assert.equal(part.facetsApproximate, true)
        assert.equal(part.facetsCountedOver, 2)
        assert.equal(
          part.facets!.kind.reduce((n, b) => n + b.count, 0),
          2,
          JSON.stringify(part.facets!.kind),
        )
      }
      const small = await capped.search('ph', parseSearchParams({ q: 'remparts' }))
      assert.deepEqual([small.facetsApproximate, small.facetsCountedOver], [false, 1])
    })

    it('caps the total and ranks a bounded candidate set past the caps; identical below them', async () => {
      // tenant 'cap': 30 units with « commun »; the later ones repeat it (better bm25), odd ones dated 1950
      await c.tenancy.createTenant(SYSTEM_PRINCIPAL, { id: 'cap', name: 'Plafonds' })
      const defs: Record<string, U> = {}
      for (let i = 0; i < 30; i++) {
        defs[`C${String(i).padStart(2, '0')}`] = {
          title: `Dossier ${'commun '.repeat(1 + Math.floor(i / 10))}numéro ${i}`,
          level: i % 3 === 0 ? 'File' : 'Item',
          ...(i % 2 === 1 ? { start: '1950-01-01', end: '1950-12-31' } : {}),
          life: { finalAction: 'Keep', comm: 'immediate' },
          op: i % 3 === 2 ? 'op-2' : 'op-1',
        }
      }
      await units(defs, 'cap')
      const order = Object.keys(defs)
      const svc = (o: { totalCap?: number; rankCap?: number; onePassLimit?: number; facetCap?: number }) =>
        new SearchService({ db: c.db, clock: c.clock, catalog: c.catalog, ...o })
      const exact = svc({ totalCap: Number.MAX_SAFE_INTEGER, rankCap: Number.MAX_SAFE_INTEGER })
      const idName = (id: string) => Object.keys(ids).find((k) => ids[k] === id)!
      /** Every page through the cursors: names in order, and the first page. */
      async function pages(s: SearchService, params: Record<string, string>) {
        const got: string[] = []
        let cursor: string | undefined
        let first: SearchResult | undefined
        for (let n = 0; n < 50; n++) {
          const r = await s.search('cap', parseSearchParams({ ...params, ...(cursor ? { cursor } : {}) }))
          first ??= r
          got.push(...r.results.map((u) => idName(u.id)))
          cursor = r.nextCursor ?? undefined
          if (!cursor) break
        }
        assert.equal(new Set(got).size, got.length, `no duplicates: ${got.join(',')}`)
        return { got, first: first! }
      }
      const queries: Record<string, string>[] = [
        { q: 'commun', limit: '4' },
        { q: 'commun', finalAction: 'Keep', limit: '7' },
        { q: 'commun', date: '1950', limit: '3' },
        { q: 'commun', sort: 'title', limit: '5' },
        { q: 'commun', sort: '-date', level: 'Item', limit: '6' },
        { sort: 'created', limit: '8' },
        { level: 'File', limit: '2', facets: 'false' },
      ]
      // below the caps: the same answers as exact counting and exact relevance (pages, cursors, facets)
      const roomy = svc({ totalCap: 30, rankCap: 30, onePassLimit: 2 })
      const roomyExact = svc({
        totalCap: Number.MAX_SAFE_INTEGER,
        rankCap: Number.MAX_SAFE_INTEGER,
        onePassLimit: 2,
      })
      for (const p of queries) {
        for (const [a, b] of [
          [roomy, roomyExact],
          [c.search, exact],
        ] as const) {
          let cursor: string | undefined
          do {
            const q = { ...p, ...(cursor ? { cursor } : {}) }
            const x = await a.search('cap', parseSearchParams(q))
            const y = await b.search('cap', parseSearchParams(q))
            assert.deepEqual(x, y, JSON.stringify(q))
            assert.equal(x.totalIsLowerBound, undefined)
            assert.equal(x.rankedOver, undefined)
            cursor = x.nextCursor ?? undefined
          } while (cursor)
        }
      }

      // past the total cap: total = cap, said so (facets too); exactTotal=true counts everything
      const tight = svc({ totalCap: 10, rankCap: 12, onePassLimit: 2, facetCap: 10 })
      for (const p of queries) {
        const full = await exact.search('cap', parseSearchParams({ ...p, facets: 'false' }))
        const r = await tight.search('cap', parseSearchParams(p))
        if (full.total > 10) {
          assert.equal(r.total, 10, JSON.stringify(p))
          assert.equal(r.totalIsLowerBound, true)
          if (r.facets) {
            // facets over the first facetCap units, not the whole set
            assert.equal(r.facetsApproximate, true)
            assert.equal(r.facetsCountedOver, 10)
          }
        } else {
          assert.equal(r.total, full.total)
          assert.equal(r.totalIsLowerBound, undefined)
        }
        const e = await tight.search('cap', parseSearchParams({ ...p, exactTotal: 'true' }))
        assert.equal(e.total, full.total, JSON.stringify(p))
        assert.equal(e.totalIsLowerBound, undefined)
        // sorts other than relevance: every page is the true page of the whole set
        if (p.sort) {
          const a = await pages(tight, p)
          const b = await pages(exact, p)
          assert.deepEqual(a.got, b.got, JSON.stringify(p))
          assert.equal(a.first.rankedOver, undefined)
        }
      }

      // relevance past the rank cap: the first 12 matching units (rid order), ranked by relevance
      for (const p of [
        { q: 'commun', limit: '4' },
        { q: 'commun', finalAction: 'Keep', limit: '5' },
        { q: 'commun', date: '1950', limit: '3' },
        // a filter the index tags do not cover: the candidates are the first 12 of the filtered set
        { q: 'commun', operation: 'op-1', limit: '4' },
      ] as Record<string, string>[]) {
        const all = await pages(exact, { ...p, limit: '200' })
        const t = await pages(tight, p)
        // (both dialects: SQLite bm25, PostgreSQL ts_rank_cd over the first 12 by rid)
        const firstByRid = order.filter((n) => all.got.includes(n)).slice(0, 12)
        assert.ok(all.got.length > 12, JSON.stringify(p))
        assert.equal(t.first.rankedOver, 12, JSON.stringify(p))
        assert.deepEqual(
          t.got,
          all.got.filter((n) => firstByRid.includes(n)),
          `${JSON.stringify(p)}: bm25 order of the first 12`,
        )
        // a total cap above the rank cap: the count reads the bound in the same pass (bare); same pages
        const wide = await pages(svc({ totalCap: 15, rankCap: 12, onePassLimit: 2, facetCap: 10 }), p)
        assert.deepEqual(wide.got, t.got, JSON.stringify(p))
        assert.deepEqual(
          [wide.first.rankedOver, wide.first.totalIsLowerBound, wide.first.total],
          [12, all.got.length > 15 ? true : undefined, Math.min(all.got.length, 15)],
        )
        // exactTotal counts the whole set but ranks the same bounded candidates (both dialects)
        const counted = await pages(tight, { ...p, exactTotal: 'true' })
        assert.deepEqual(counted.got, t.got, JSON.stringify(p))
        assert.deepEqual(
          [counted.first.rankedOver, counted.first.total, counted.first.totalIsLowerBound],
          [12, all.got.length, undefined],
        )
        // the exact ranking puts later (better) units first: the bounded one does not invent them
        assert.notDeepEqual(t.got.slice(0, 3), all.got.slice(0, 3))
        // exactRank for selections: every matching unit
        const sel = await tight.selectUnitIds('cap', parseSearchParams(p))
        assert.equal(sel.ids.length, all.got.length)
      }

      // a bounded cursor keeps its candidate set when better units arrive between pages
      {
        const p1 = await tight.search('cap', parseSearchParams({ q: 'commun', limit: '4' }))
        await units({ Z1: { title: 'commun commun commun commun commun' } }, 'cap')
        const rest = await pages(tight, { q: 'commun', limit: '4', cursor: p1.nextCursor! })
        // (bm25 weights move with every insert, so SQLite relevance pages may overlap: docs/search.md §3;
        // ts_rank_cd depends on the unit alone)
        const first12 = order.slice(0, 12)
        assert.ok(rest.got.length > 0)
        assert.ok(
          rest.got.every((x) => first12.includes(x)),
          rest.got.join(','),
        )
        // hostile cursors: a forged bound is refused
        const forged = JSON.parse(Buffer.from(p1.nextCursor!, 'base64url').toString()) as Record<
          string,
          unknown
        >
        for (const b of ['x', 1.5, null, { a: 1 }]) {
          const cur = Buffer.from(JSON.stringify({ ...forged, b })).toString('base64url')
          await fails(
            () => tight.search('cap', parseSearchParams({ q: 'commun', cursor: cur })),
            'SEARCH_BAD_CURSOR',
          )
        }
      }
      for (const bad of ['yes', '1', 'TRUE', '']) {
        await fails(() => parseSearchParams({ q: 'commun', exactTotal: bad }), 'SEARCH_BAD_VALUE')
      }
      await fails(() => parseSearchParams({ exactTotal: ['true', 'true'] }), 'SEARCH_BAD_VALUE')
    })

    it('rebuilds the index of existing units in the search2 migration (same answers)', async () => {
      if (dialect !== 'sqlite') return
      const queries: [Record<string, string>, string][] = [
        [{ q: 'commun', finalAction: 'Keep' }, 'tg'],
        [{ q: 'commun', communicable: 'yes', level: 'Item' }, 'tg'],
        [{ q: 'commun', date: '1900..1950', kind: 'digital' }, 'tg'],
        [{ q: 'plan', sort: 'title' }, 'ph'],
        [{ q: 'deliberation' }, 'default'],
        [{ parent: ids.R! }, 'default'],
      ]
      const before = await Promise.all(queries.map(([p, t]) => search(p, t)))
      const k = c.db.kysely
      for (const ev of ['insert', 'update', 'delete']) {
        await sql.raw(`drop trigger unit_lifecycle_search_stale_${ev}`).execute(k)
      }
      await sql`drop table unit_search_stale`.execute(k)
      await sql`drop table unit_search_child`.execute(k)
      for (const col of ['life_fa', 'life_comm', 'life_from', 'life_ae']) {
        await sql.raw(`alter table unit_search drop column ${col}`).execute(k)
      }
      await search2('sqlite').up(k)
      const after = await Promise.all(queries.map(([p, t]) => search(p, t)))
      assert.deepEqual(after, before)
      assert.ok(before.every((r) => r.total > 0))
    })

    it('rebuilds a tenant’s index from the catalogue (saeh reindex): same answers, missing units back', async () => {
      const queries: Record<string, string>[] = [
        { q: 'commun' },
        { q: 'commun', finalAction: 'Keep' },
        { q: 'commun', communicable: 'yes', level: 'Item' },
        { q: 'commun', date: '1900..1950', kind: 'digital' },
        { sort: 'title' },
        { sort: '-date' },
      ]
      const answers = async () =>
        (await Promise.all(queries.map((p) => search(p, 'tg')))).map((r) => ({
          ids: r.results.map((u) => u.id),
          total: r.total,
          facets: r.facets,
        }))
      type Answer = Awaited<ReturnType<typeof answers>>[number]
      const asSets = (as: Answer[]) => as.map((x) => ({ ...x, ids: [...x.ids].sort() }))
      const without = (as: Answer[], gone: string[]) => as.map((x) => x.ids.filter((i) => !gone.includes(i)))
      const before = await answers()
      assert.equal(before[0]!.total, 14)
      assert.ok(before.every((x) => x.total > 0))
      assert.ok(before[1]!.ids.includes(ids.T5!))
      const others = async () =>
        (
          await c.db.kysely
            .selectFrom('unit_search')
            .select(['rid', 'unit_id'])
            .where('tenant_id', '!=', 'tg')
            .orderBy('rid')
            .execute()
        ).map((r) => `${r.rid} ${r.unit_id}`)
      const othersBefore = await others()
      const stale = async () =>
        (
          await c.db.kysely
            .selectFrom('unit_search_stale')
            .select('rid')
            .where('tenant_id', '=', 'tg')
            .execute()
        ).length

      // two units missing from the index: the rebuild puts them back (after the others, by creation)
      const gone = [ids.T2!, ids.T9!]
      await c.db.kysely.transaction().execute((trx) => c.search.removeFromIndex(trx, gone))
      assert.equal((await search({ q: 'commun' }, 'tg')).total, 12)
      const chunks: number[] = []
      assert.deepEqual(await c.search.rebuildTenant('tg', { chunk: 5, onChunk: (n) => chunks.push(n) }), {
        units: 14,
        missing: 2,
      })
      assert.deepEqual(chunks, [5, 10, 12, 14])
      const rebuilt = await answers()
      assert.deepEqual(asSets(rebuilt), asSets(before))
      // the units that stayed indexed keep their order, ties included
      assert.deepEqual(without(rebuilt, gone), without(before, gone))
      assert.deepEqual(await others(), othersBefore)

      // a stale unit (its lifecycle changed since it was indexed) comes out exact
      await c.db.kysely
        .updateTable('unit_lifecycle')
        .set({ final_action: 'Destroy' })
        .where('unit_id', '=', ids.T5!)
        .execute()
      assert.equal(await stale(), 1)
      assert.deepEqual(await c.search.rebuildTenant('tg'), { units: 14, missing: 0 })
      assert.equal(await stale(), 0)
      const keep = (await answers())[1]!
      assert.deepEqual(
        keep.ids,
        rebuilt[1]!.ids.filter((i) => i !== ids.T5!),
      )
      await c.db.kysely
        .updateTable('unit_lifecycle')
        .set({ final_action: 'Keep' })
        .where('unit_id', '=', ids.T5!)
        .execute()
      assert.deepEqual(await c.search.rebuildTenant('tg'), { units: 14, missing: 0 })
      assert.deepEqual(await answers(), rebuilt)
      assert.deepEqual(await c.search.rebuildTenant('nobody'), { units: 0, missing: 0 })
    })

    it('keeps the INTERFACES §3 shape and ranks title hits first', async () => {
      const r = await search({ q: 'travaux' })
      assert.equal(r.results[0]!.id, ids.S1)
      const u = r.results[0]!
      assert.equal(u.title, 'DELIBERATION du conseil municipal du 12 mars 1987 — travaux de voirie')
      assert.equal(u.descriptionLevel, 'File')
      assert.deepEqual(u.parentIds, [ids.R])
      assert.equal(u.objects.length, 1)
      assert.equal(u.objects[0]!.format, 'fmt/18')
      assert.equal(u.originatingAgency, 'PROD-A')
      assert.equal(r.nextCursor, null)
    })

    it('sorts and pages with stable cursors, also while units are inserted', async () => {
      const byTitle = ['S3a', 'R2', 'S1', 'S2', 'R', 'S3']
      for (const [sort, expect] of [
        ['title', byTitle],
        ['-title', [...byTitle].reverse()],
        ['date', ['S3', 'S1', 'S2', 'R', 'R2', 'S3a']],
        ['created', ['R', 'S1', 'S2', 'S3', 'S3a', 'R2']],
      ] as const) {
        const seen: string[] = []
        let cursor: string | undefined
        do {
          const r = await search({ sort, limit: '4', facets: 'false', ...(cursor ? { cursor } : {}) })
          seen.push(...r.results.map((u) => Object.keys(ids).find((k) => ids[k] === u.id)!))
          cursor = r.nextCursor ?? undefined
        } while (cursor)
        if (sort === 'date') assert.deepEqual(seen.slice(0, 3), expect.slice(0, 3), sort)
        else assert.deepEqual(seen, expect, sort)
      }
      // page 1 by title, then insert before and after the cursor, then page on
      const p1 = await search({ sort: 'title', limit: '3', facets: 'false' })
      assert.deepEqual(
        p1.results.map((u) => u.id),
        byTitle.slice(0, 3).map((k) => ids[k]),
      )
      await units({ A0: { title: 'Aaa inséré avant' }, Z0: { title: 'Zzz inséré après' } })
      const rest: string[] = []
      let cursor = p1.nextCursor ?? undefined
      while (cursor) {
        const r = await search({ sort: 'title', limit: '3', facets: 'false', cursor })
        rest.push(...r.results.map((u) => u.id))
        cursor = r.nextCursor ?? undefined
      }
      assert.deepEqual(rest, [...byTitle.slice(3).map((k) => ids[k]), ids.Z0])
      // created order: units inserted after page 1 come at the end, none repeated
      const c1 = await search({ sort: 'created', limit: '2', facets: 'false' })
      await units({ N1: { title: 'Nouvelle unité' } })
      const c2 = await search({ sort: 'created', limit: '200', facets: 'false', cursor: c1.nextCursor! })
      const all = [...c1.results, ...c2.results].map((u) => u.id)
      assert.equal(new Set(all).size, all.length)
      assert.equal(all[all.length - 1], ids.N1)
      assert.equal(all.length, 9)
      // relevance pages too
      const r1 = await search({ q: 'naissance', limit: '1' })
      const r2 = await search({ q: 'naissance', limit: '1', cursor: r1.nextCursor! })
      assert.equal(r2.nextCursor, null)
      assert.deepEqual([r1.results[0]!.id, r2.results[0]!.id].sort(), [ids.S3, ids.S3a].sort())
    })

    it('browses the tree: roots, children, branch, ancestors', async () => {
      const roots = await c.search.roots('default', { limit: 200 })
      assert.ok(roots.results.some((u) => u.id === ids.R) && roots.results.some((u) => u.id === ids.R2))
      assert.ok(!roots.results.some((u) => u.id === ids.S1 || u.id === ids.X1))
      const p1 = await c.search.children('default', ids.R!, { limit: 2 })
      assert.equal(p1.total, 3)
      assert.deepEqual(
        p1.results.map((u) => u.id),
        [ids.S1, ids.S2],
      )
      const p2 = await c.search.children('default', ids.R!, { limit: 2, cursor: p1.nextCursor! })
      assert.deepEqual(
        p2.results.map((u) => u.id),
        [ids.S3],
      )
      assert.equal(p2.nextCursor, null)
      const b = await c.search.branch('default', ids.R!, { limit: 200 })
      assert.equal(b.total, 4)
      const a = await c.search.ancestors('default', ids.S3a!)
      assert.deepEqual(
        a.map((x) => [x.id, x.depth]),
        [
          [ids.S3, 1],
          [ids.R, 2],
        ],
      )
      assert.deepEqual(await c.search.ancestors('default', ids.R!), [])
      // another tenant's unit does not exist here
      await fails(() => c.search.children('default', ids.X1!, { limit: 10 }), 'UNIT_NOT_FOUND')
      await fails(() => c.search.ancestors('default', ids.X2!), 'UNIT_NOT_FOUND')
      await fails(() => c.search.branch('other', ids.R!, { limit: 10 }), 'UNIT_NOT_FOUND')
      await fails(() => c.search.children('default', ids.R!, { limit: 500 }), 'SEARCH_PAGE_TOO_LARGE')
      // a cursor of the children of R is not one of the children of S3
      await fails(
        () => c.search.children('default', ids.S3!, { limit: 2, cursor: p1.nextCursor! }),
        'SEARCH_BAD_CURSOR',
        'other_search',
      )
    })

    it('applies a visibility predicate (access contracts) to results, totals, facets and the tree', async () => {
      assert.deepEqual(await found({ q: 'naissance' }, 'default', { producers: ['PROD-A'] }), [])
      assert.deepEqual(await found({ q: 'naissance' }, 'default', { producers: ['PROD-B'] }), ['S3', 'S3a'])
      assert.deepEqual(await found({ producer: 'PROD-A' }, 'default', { branchRoots: [ids.S3!] }), [])
      assert.deepEqual(await found({ q: 'naiss*' }, 'default', { branchRoots: [ids.S3!] }), ['S3', 'S3a'])
      assert.deepEqual(await found({ q: 'naiss*' }, 'default', { communicableOnly: true }), ['S3a'])
      assert.deepEqual(await found({}, 'default', { producers: [] }), [])
      assert.deepEqual(await found({}, 'default', { branchRoots: [] }), [])
      const r = await search({ q: 'deliberation' }, 'default', { communicableOnly: true })
      assert.equal(r.total, 1)
      assert.deepEqual(r.facets!.finalAction, [{ value: 'Keep', count: 1 }])
      await fails(
        () => c.search.children('default', ids.S3!, { limit: 5 }, { producers: ['PROD-A'] }),
        'UNIT_NOT_FOUND',
      )
      const anc = await c.search.ancestors('default', ids.S3a!, { branchRoots: [ids.S3!] })
      assert.deepEqual(
        anc.map((x) => x.id),
        [ids.S3],
      )
    })

    it('never leaks another tenant’s units', async () => {
      for (const params of [
        {},
        { q: 'conseil' },
        { q: 'naiss*' },
        { q: 'registre' },
        { producer: 'PROD-A,PROD-B' },
        { level: 'File' },
        { communicable: 'yes' },
        { finalAction: 'none' },
        { sort: 'title', limit: '200' },
      ] as Record<string, string>[]) {
        const mine = await search(params)
        for (const u of mine.results)
          assert.ok(u.id.startsWith('default-'), `${JSON.stringify(params)} ${u.id}`)
        assert.ok(mine.facets!.producer.reduce((s, b) => s + b.count, 0) === mine.total)
        const theirs = await search(params, 'other')
        for (const u of theirs.results)
          assert.ok(u.id.startsWith('other-'), `${JSON.stringify(params)} ${u.id}`)
      }
      assert.deepEqual(await found({ q: 'registre' }, 'other'), ['X2'])
      // a cursor of one tenant does not page another's
      const p = await search({ sort: 'title', limit: '1' })
      await fails(
        () => search({ sort: 'title', limit: '1', cursor: p.nextCursor! }, 'other'),
        'SEARCH_BAD_CURSOR',
      )
    })

    it('refuses malformed queries, unknown fields and injection attempts with stable codes', async () => {
      const before = await c.db.kysely
        .selectFrom('archive_unit')
        .select((e) => e.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
      const cases: [Record<string, string>, string, string?][] = [
        [{ q: "'; drop table archive_unit; --" }, 'SEARCH_QUERY_SYNTAX', 'forbidden_character'],
        [{ q: 'NEAR(conseil municipal)' }, 'SEARCH_QUERY_SYNTAX', 'forbidden_character'],
        [{ q: '"conseil municipal' }, 'SEARCH_QUERY_SYNTAX', 'unbalanced_quote'],
        [{ q: 'conseil "municipal' }, 'SEARCH_QUERY_SYNTAX', 'unbalanced_quote'],
        [{ q: 'con"seil' }, 'SEARCH_QUERY_SYNTAX'],
        [{ q: 'title:conseil' }, 'SEARCH_UNKNOWN_FIELD'],
        [{ q: '{title}: conseil' }, 'SEARCH_QUERY_SYNTAX', 'bad_field'],
        [{ q: '{title} conseil' }, 'SEARCH_QUERY_SYNTAX', 'forbidden_character'],
        [{ q: 'conseil^2' }, 'SEARCH_QUERY_SYNTAX', 'forbidden_character'],
        [{ q: 'con*seil' }, 'SEARCH_QUERY_SYNTAX', 'forbidden_character'],
        [{ q: '*' }, 'SEARCH_QUERY_SYNTAX', 'empty_term'],
        [{ q: 'a*' }, 'SEARCH_QUERY_SYNTAX', 'short_prefix'],
        [{ q: 'conseil & municipal | !x' }, 'SEARCH_QUERY_SYNTAX', 'forbidden_character'],
        [{ q: 'deliberation <-> conseil' }, 'SEARCH_QUERY_SYNTAX', 'forbidden_character'],
        [{ q: '-deliberation' }, 'SEARCH_QUERY_SYNTAX', 'only_exclusions'],
        [{ q: '- deliberation' }, 'SEARCH_QUERY_SYNTAX', 'empty_term'],
        [{ q: '-level:File' }, 'SEARCH_QUERY_SYNTAX', 'negated_filter'],
        [{ q: '""' }, 'SEARCH_QUERY_SYNTAX', 'empty_phrase'],
        [{ q: 'x'.repeat(1001) }, 'SEARCH_QUERY_TOO_LONG'],
        [
          { q: Array.from({ length: 40 }, (_, i) => `mot${i}`).join(' ') },
          'SEARCH_QUERY_SYNTAX',
          'too_many_terms',
        ],
        [{ title: 'conseil' }, 'SEARCH_UNKNOWN_FIELD'],
        [{ 'producer; drop table unit_search': 'x' }, 'SEARCH_UNKNOWN_FIELD'],
        [{ limit: '201' }, 'SEARCH_PAGE_TOO_LARGE'],
        [{ limit: '100000000' }, 'SEARCH_PAGE_TOO_LARGE'],
        [{ limit: '0' }, 'SEARCH_BAD_VALUE'],
        [{ limit: '-5' }, 'SEARCH_BAD_VALUE'],
        [{ limit: 'abc' }, 'SEARCH_BAD_VALUE'],
        [{ offset: '5000' }, 'SEARCH_DEEP_PAGING'],
        [{ level: 'Bogus' }, 'SEARCH_BAD_VALUE'],
        [{ level: "File' or 1=1 --" }, 'SEARCH_BAD_VALUE'],
        [{ date: '1987-13' }, 'SEARCH_BAD_VALUE'],
        [{ date: '1987-02-30' }, 'SEARCH_BAD_VALUE'],
        [{ date: '1990..1980' }, 'SEARCH_BAD_VALUE'],
        [{ date: '..' }, 'SEARCH_BAD_VALUE'],
        [{ date: '1980..1985..1990' }, 'SEARCH_BAD_VALUE'],
        [{ communicable: 'maybe' }, 'SEARCH_BAD_VALUE'],
        [{ kind: 'both' }, 'SEARCH_BAD_VALUE'],
        [{ format: 'pdf' }, 'SEARCH_BAD_VALUE'],
        [{ finalAction: 'Burn' }, 'SEARCH_BAD_VALUE'],
        [{ parent: 'x y' }, 'SEARCH_BAD_VALUE'],
        [{ parent: 'a', branch: 'b' }, 'SEARCH_BAD_VALUE'],
        [{ sort: 'random' }, 'SEARCH_BAD_VALUE'],
        [{ sort: 'relevance' }, 'SEARCH_BAD_VALUE'],
        [{ facets: 'yes' }, 'SEARCH_BAD_VALUE'],
        [{ q: 'level:File', level: 'Item' }, 'SEARCH_BAD_VALUE'],
        [{ cursor: 'not a cursor!' }, 'SEARCH_BAD_CURSOR'],
        [{ cursor: 'eyJrIjoxfQ' }, 'SEARCH_BAD_CURSOR'],
        [{ cursor: Buffer.from('{"k":"a","r":1,"h":"forged"}').toString('base64url') }, 'SEARCH_BAD_CURSOR'],
      ]
      for (const [params, code, reason] of cases) {
        await fails(() => search(params), code, reason)
      }
      const after = await c.db.kysely
        .selectFrom('archive_unit')
        .select((e) => e.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
      assert.equal(Number(after.n), Number(before.n))
      assert.ok((await search({ q: 'deliberation' })).total > 0)
    })

    it('indexes an ingested package in the ingest transaction, and finds it', async () => {
      const sip = await writeSipZip(join(inst.dir, 'search-sip.zip'), {
        unitTitle: 'Procès-verbaux des séances du conseil communautaire',
        files: [
          {
            name: 'pv.pdf',
            bytes: Buffer.from('%PDF-1.4\n%%EOF\n'),
            title: 'Délibération du 3 février 2024 sur les écoles',
          },
        ],
      })
      const r = await c.ingest.ingestFile({
        tenantId: 'default',
        packagePath: sip,
        fileName: 'x.zip',
        contractId: null,
        agent: 'test',
      })
      assert.equal(r.status, 'OK', JSON.stringify(r.events.filter((e) => e.outcome !== 'OK')))
      const s = await search({ q: 'seances communautaire' })
      assert.equal(s.total, 1)
      assert.equal(s.results[0]!.title, 'Procès-verbaux des séances du conseil communautaire')
      assert.equal(s.results[0]!.descriptionLevel, 'File')
      const item = await search({ q: 'deliberation ecoles', kind: 'digital' })
      assert.equal(item.total, 1)
      assert.equal(item.results[0]!.parentIds[0], s.results[0]!.id)
      assert.ok(item.results[0]!.objects.length === 1)
      const byOp = await search({ operation: r.operationId })
      assert.equal(byOp.total, 2)
      // the ingest's rules are materialised and filterable
      assert.equal((await search({ operation: r.operationId, finalAction: 'Keep' })).total, 2)
      // through the lifecycle tags too: an ingest leaves no stale unit (rules first, then the index)
      assert.equal((await search({ q: 'seances deliberation*', finalAction: 'Keep' })).total, 0)
      const lifeFilters: Record<string, string>[] = [
        { finalAction: 'Keep' },
        { communicable: 'yes' },
        { communicable: 'no' },
      ]
      for (const f of lifeFilters) {
        const bySql = (await search({ operation: r.operationId, ...f })).total
        assert.equal((await search({ q: 'communautaire OR deliberation*', ...f })).total, 0)
        const hit = new Set<string>()
        for (const q of ['seances', 'ecoles'])
          for (const u of (await search({ q, operation: r.operationId, ...f })).results) hit.add(u.id)
        assert.equal(hit.size, bySql, JSON.stringify(f))
      }
      assert.equal((await c.db.kysely.selectFrom('unit_search_stale').select('rid').execute()).length, 0)
      assert.equal((await search({ q: 'seances' }, 'other')).total, 0)
    })

    it('answers GET /units, the tree routes, and 400/404 with stable codes over HTTP', async () => {
      const app: FastifyInstance = await buildHttpApp(c)
      try {
        const login = await app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { username: 'admin', password: adminPassword },
        })
        assert.equal(login.statusCode, 200)
        const h = { authorization: `Bearer ${login.json().token}`, 'x-tenant-id': 'default' }
        const get = (url: string, headers: Record<string, string> = h) =>
          app.inject({ method: 'GET', url, headers })
        let res = await get(`/api/v1/units?q=${encodeURIComponent('délibération')}&level=File&limit=1`)
        assert.equal(res.statusCode, 200, res.body)
        const body = res.json()
        assert.equal(body.total, 2)
        assert.equal(body.results.length, 1)
        assert.ok(Array.isArray(body.results[0].parentIds) && Array.isArray(body.results[0].objects))
        assert.ok(body.facets.producer.length > 0)
        res = await get(
          `/api/v1/units?q=${encodeURIComponent('délibération')}&level=File&limit=1&cursor=${body.nextCursor}`,
        )
        assert.equal(res.statusCode, 200)
        assert.equal(res.json().results.length, 1)
        assert.notEqual(res.json().results[0].id, body.results[0].id)
        // exactTotal: same answer below the cap (no lower-bound flag either way); the cursor stays valid
        res = await get(
          `/api/v1/units?q=${encodeURIComponent('délibération')}&level=File&limit=1&exactTotal=true&cursor=${body.nextCursor}`,
        )
        assert.equal(res.statusCode, 200, res.body)
        assert.equal(res.json().total, 2)
        assert.equal(res.json().totalIsLowerBound, undefined)
        assert.equal('totalIsLowerBound' in body, false)
        for (const [url, status, code] of [
          [`/api/v1/units?q=${encodeURIComponent("'; drop table archive_unit")}`, 400, 'SEARCH_QUERY_SYNTAX'],
          ['/api/v1/units?q=%22open', 400, 'SEARCH_QUERY_SYNTAX'],
          ['/api/v1/units?bogus=1', 400, 'SEARCH_UNKNOWN_FIELD'],
          ['/api/v1/units?exactTotal=yes', 400, 'SEARCH_BAD_VALUE'],
          ['/api/v1/units?exactTotal=true&exactTotal=false', 400, 'SEARCH_BAD_VALUE'],
          ['/api/v1/units?limit=5000', 400, 'SEARCH_PAGE_TOO_LARGE'],
          ['/api/v1/units?level=File&level=Item', 400, 'SEARCH_BAD_VALUE'],
          ['/api/v1/units?offset=100000', 400, 'SEARCH_DEEP_PAGING'],
          [`/api/v1/units/${ids.R}/children?limit=500`, 400, 'SEARCH_PAGE_TOO_LARGE'],
          [`/api/v1/units/${ids.R}/children?sort=title`, 400, 'SEARCH_UNKNOWN_FIELD'],
          [`/api/v1/units/${ids.X1}/children`, 404, 'UNIT_NOT_FOUND'],
          [`/api/v1/units/${ids.X2}/ancestors`, 404, 'UNIT_NOT_FOUND'],
        ] as const) {
          const r = await get(url)
          assert.equal(r.statusCode, status, `${url} ${r.body}`)
          assert.equal(r.json().error.code, code, url)
          assert.ok(!r.body.includes('    at '), 'no stack trace')
        }
        res = await get(`/api/v1/units/${ids.R}/children?limit=2`)
        assert.equal(res.statusCode, 200)
        assert.equal(res.json().total, 3)
        res = await get(`/api/v1/units/${ids.R}/children?limit=2&cursor=${res.json().nextCursor}`)
        assert.equal(res.json().results.length, 1)
        res = await get(`/api/v1/units/${ids.S3a}/ancestors`)
        assert.deepEqual(
          res.json().ancestors.map((a: { id: string }) => a.id),
          [ids.S3, ids.R],
        )
        res = await get(`/api/v1/units/${ids.R}/branch`)
        assert.equal(res.json().total, 4)
        res = await get('/api/v1/tree/roots')
        assert.ok(res.json().results.some((u: { id: string }) => u.id === ids.R))
        // the other tenant's header sees only its own units
        res = await get(`/api/v1/units?q=deliberation`, { ...h, 'x-tenant-id': 'other' })
        assert.equal(res.statusCode, 200)
        assert.deepEqual(
          res.json().results.map((u: { id: string }) => u.id),
          [ids.X1],
        )
      } finally {
        await app.close()
      }
    })
  })
}
