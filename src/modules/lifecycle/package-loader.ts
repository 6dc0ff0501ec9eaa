import type { XmlElement } from '../seda/index.js'
import { fromJson, type Executor } from '../../platform/db/create-db.js'
import type { PackageObject, PackageRule, PackageUnit } from './package-writer.js'
import { CHUNK } from './selection.js'

/** Units (content, declared rules, parents) and objects of a selection, in a stable order. */
export async function loadPackage(
  trx: Executor,
  tenantId: string,
  ids: readonly string[],
): Promise<{ units: PackageUnit[]; objects: PackageObject[]; producers: string[] }> {
  const set = new Set(ids)
  const producers = new Set<string>()
  const units: PackageUnit[] = []
  const objects: PackageObject[] = []
  const groups = new Set<string>()
  for (let i = 0; i < ids.length; i += CHUNK) {
    const slice = ids.slice(i, i + CHUNK)
    const rows = await trx
      .selectFrom('archive_unit')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', slice)
      .execute()
    const parents = await trx
      .selectFrom('unit_parent')
      .select(['unit_id', 'parent_id'])
      .where('tenant_id', '=', tenantId)
      .where('unit_id', 'in', slice)
      .orderBy('parent_id')
      .execute()
    const rules = await trx
      .selectFrom('unit_rule')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('unit_id', 'in', slice)
      .execute()
    for (const r of rows) {
      if (r.object_group_id) groups.add(r.object_group_id)
      if (r.originating_agency) producers.add(r.originating_agency)
      units.push({
        key: r.id,
        content: r.content === null ? null : fromJson<XmlElement | null>(r.content),
        title: r.title,
        rules: rules
          .filter((x) => x.unit_id === r.id)
          .map(
            (x): PackageRule => ({
              category: x.category,
              ruleId: x.rule_id,
              startDate: x.start_date,
              finalAction: x.final_action,
              data: {
                ...((x.data === null ? {} : fromJson<Record<string, unknown>>(x.data)) ?? {}),
                ...(x.category === 'HoldRule' && x.end_date ? { holdEndDate: x.end_date } : {}),
              },
            }),
          ),
        parentKeys: parents.filter((p) => p.unit_id === r.id && set.has(p.parent_id)).map((p) => p.parent_id),
        groupKey: r.object_group_id,
      })
    }
  }
  units.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  const gl = [...groups].sort()
  for (let i = 0; i < gl.length; i += CHUNK) {
    for (const o of await trx
      .selectFrom('data_object')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('group_id', 'in', gl.slice(i, i + CHUNK))
      .orderBy('id')
      .execute()) {
      const meta = fromJson<{ elements?: XmlElement[] } | null>(o.metadata) ?? {}
      objects.push({
        key: o.id,
        groupKey: o.group_id,
        kind: o.kind,
        usage: o.usage,
        size: o.size === null ? null : Number(o.size),
        sha512: o.sha512,
        filename: o.filename,
        formatPuid: o.format_puid,
        formatName: o.format_name,
        mimeType: o.mime_type,
        physicalId: o.physical_id,
        elements: meta.elements ?? [],
      })
    }
  }
  return { units, objects, producers: [...producers].sort() }
}
