import { sql } from 'kysely'
import { fromJson, type Executor } from '../../platform/db/create-db.js'
import type { BagWriter } from './bagit.js'

/**
 * The parts of the bag meant for people and for other systems: the referentials in their Vitam file
 * formats, and a readable index (French) of what the bag holds.
 */

const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v)
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}
const csvLine = (cells: readonly unknown[]) => cells.map(csvCell).join(',') + '\n'

export async function writeReferentials(ex: Executor, bag: BagWriter, tenantId: string): Promise<string[]> {
  const written: string[] = []
  const rules = await ex
    .selectFrom('rule')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('rule_id')
    .execute()
  if (rules.length > 0) {
    const f = await bag.open('data/referentials/rules.csv')
    await f.write(
      csvLine(['RuleId', 'RuleType', 'RuleValue', 'RuleDescription', 'RuleDuration', 'RuleMeasurement']),
    )
    for (const r of rules)
      await f.write(csvLine([r.rule_id, r.rule_type, r.value, r.description, r.duration, r.measurement]))
    await f.close()
    written.push('data/referentials/rules.csv')
  }
  const agencies = await ex
    .selectFrom('agency')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('identifier')
    .execute()
  if (agencies.length > 0) {
    const extras = agencies.map(
      (a) => (a.extra ? fromJson<Record<string, string> | null>(a.extra) : null) ?? {},
    )
    const extraCols = [...new Set(extras.flatMap((e) => Object.keys(e)))].sort()
    const f = await bag.open('data/referentials/agencies.csv')
    await f.write(csvLine(['Identifier', 'Name', 'Description', ...extraCols]))
    for (const [i, a] of agencies.entries())
      await f.write(
        csvLine([a.identifier, a.name, a.description, ...extraCols.map((c) => extras[i]![c] ?? '')]),
      )
    await f.close()
    written.push('data/referentials/agencies.csv')
  }
  const kinds = await ex
    .selectFrom('referential_entry')
    .select('kind')
    .distinct()
    .where('tenant_id', '=', tenantId)
    .orderBy('kind')
    .execute()
  for (const { kind } of kinds) {
    if (!/^[a-z][a-z0-9-]{0,60}$/.test(kind)) continue
    const rows = await ex
      .selectFrom('referential_entry')
      .select('body')
      .where('tenant_id', '=', tenantId)
      .where('kind', '=', kind)
      .orderBy('identifier')
      .execute()
    const path = `data/referentials/${kind}.json`
    const f = await bag.open(path)
    await f.write('[\n')
    for (const [i, r] of rows.entries())
      await f.write(`${i ? ',\n' : ''}  ${JSON.stringify(fromJson(r.body))}`)
    await f.write('\n]\n')
    await f.close()
    written.push(path)
  }
  return written
}

const esc = (s: unknown) =>
  String(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')

export interface IndexFacts {
  readonly tenantId: string
  readonly tenantName: string
  readonly date: string
  readonly counts: ReadonlyMap<string, number>
  readonly octets: number
  readonly files: number
}

/** data/index.html and data/README.txt: units by title with their files, counts, the logbook range. */
export async function writeReadableIndex(ex: Executor, bag: BagWriter, facts: IndexFacts): Promise<void> {
  const t = facts.tenantId
  const range = await sql<{
    first: number | null
    last: number | null
    from: string | null
    to: string | null
  }>`
    select min(seq) as first, max(seq) as last, min(created_at) as "from", max(created_at) as "to"
      from logbook_event where chain = ${t}`.execute(ex)
  const lb = range.rows[0] ?? { first: null, last: null, from: null, to: null }
  const n = (table: string) => facts.counts.get(table) ?? 0
  const lines = [
    `Export du service d'archives « ${facts.tenantName} » (${t}) — SAEH`,
    `Date de l'export : ${facts.date}`,
    '',
    'Ce dossier est un sac BagIt (RFC 8493). Vérifiez-le avec tout outil BagIt, ou à la main :',
    '  sha512sum -c manifest-sha512.txt   (dans le dossier du sac ; idem tagmanifest-sha512.txt)',
    '',
    'Contenu :',
    `  unités d'archives   : ${n('archive_unit')}`,
    `  objets              : ${n('data_object')}`,
    `  versements          : ${n('ingest')}`,
    `  opérations          : ${n('operation')}`,
    `  événements du journal : ${n('logbook_event')}` +
      (lb.first !== null ? ` (n° ${lb.first} à ${lb.last}, du ${lb.from} au ${lb.to})` : ''),
    '',
    'Organisation :',
    '  data/ingests/<opération>/manifest.xml  bordereaux SEDA des versements, tels que reçus',
    "  data/objects/<objet>                   fichiers numériques (nommés par l'identifiant de l'objet)",
    '  data/db/<table>.jsonl                  toutes les données du service, une ligne JSON par enregistrement',
    '  data/storage.jsonl                     correspondance binaire → clé de stockage → fichier du sac',
    '  data/referentials/                     référentiels aux formats Vitam (règles et services en CSV, contrats en JSON)',
    '  data/index.html                        index lisible des unités et de leurs fichiers',
    '',
    `Charge utile : ${facts.files} fichiers, ${facts.octets} octets (hors index et README).`,
    '',
  ]
  const readme = await bag.open('data/README.txt')
  await readme.write(lines.join('\n'))
  await readme.close()

  const html = await bag.open('data/index.html')
  await html.write(
    `<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8"><title>Export ${esc(t)}</title></head><body>\n` +
      `<h1>Export du service d’archives « ${esc(facts.tenantName)} » (${esc(t)})</h1>\n` +
      `<p>Date de l’export : ${esc(facts.date)}. Unités : ${n('archive_unit')}, objets : ${n('data_object')}, ` +
      `versements : ${n('ingest')}, événements du journal : ${n('logbook_event')}` +
      (lb.first !== null
        ? ` (n° ${esc(lb.first)} à ${esc(lb.last)}, du ${esc(lb.from)} au ${esc(lb.to)})`
        : '') +
      `.</p>\n<p>Voir <a href="README.txt">README.txt</a>.</p>\n<h2>Unités d’archives</h2>\n<ul>\n`,
  )
  const page = 500
  for (let offset = 0; ; offset += page) {
    const units = await ex
      .selectFrom('archive_unit')
      .select(['id', 'title', 'start_date', 'end_date', 'object_group_id', 'operation_id'])
      .where('tenant_id', '=', t)
      .orderBy('title')
      .orderBy('id')
      .limit(page)
      .offset(offset)
      .execute()
    const groups = units.map((u) => u.object_group_id).filter((g): g is string => g !== null)
    const objects =
      groups.length === 0
        ? []
        : await ex
            .selectFrom('data_object')
            .select(['id', 'group_id', 'kind', 'filename', 'size', 'usage', 'physical_id', 'blob_id'])
            .where('tenant_id', '=', t)
            .where('group_id', 'in', groups)
            .orderBy('id')
            .execute()
    for (const u of units) {
      const dates = [u.start_date, u.end_date].filter(Boolean).join(' – ')
      await html.write(
        `<li><strong>${esc(u.title)}</strong>${dates ? ` (${esc(dates)})` : ''} <small>${esc(u.id)}, versement ` +
          `<a href="ingests/${esc(u.operation_id)}/manifest.xml">${esc(u.operation_id)}</a></small>`,
      )
      const mine = objects.filter((o) => o.group_id === u.object_group_id)
      if (mine.length > 0) {
        await html.write('<ul>')
        for (const o of mine) {
          await html.write(
            o.kind === 'binary' && o.blob_id
              ? `<li><a href="objects/${esc(o.id)}">${esc(o.filename ?? o.id)}</a> (${esc(o.usage)}, ${esc(o.size)} octets)</li>`
              : `<li>objet physique ${esc(o.physical_id ?? o.id)} (${esc(o.usage)})</li>`,
          )
        }
        await html.write('</ul>')
      }
      await html.write('</li>\n')
    }
    if (units.length < page) break
  }
  await html.write('</ul>\n</body></html>\n')
  await html.close()
}
