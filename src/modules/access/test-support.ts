/**
 * Test support (imported by the access tests only): a whole instance on a fixed clock, with a tenant
 * holding communicable, non-communicable, physical and other-producer units, two readers, an archivist,
 * and a second tenant.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { loadConfig } from '../../config/config.js'
import { buildContainer, type Container } from '../../main/container.js'
import { initInstance } from '../../main/instance.js'
import { silentLogger } from '../../platform/log.js'
import { createTestDatabase, type TestDialect } from '../../../test/helpers/db.js'
import { fixedClock } from '../../../test/helpers/fixed.js'
import { writeSipZip, type SipOptions } from '../../../test/helpers/sip.js'
import { SYSTEM_PRINCIPAL } from '../tenancy/index.js'
import type { UnitSummary } from '../catalog/index.js'

export const OPEN_RULES =
  '<AppraisalRule><Rule>APP-COM-0001</Rule><StartDate>2024-01-12</StartDate><FinalAction>Keep</FinalAction></AppraisalRule><AccessRule><Rule>ACC-00001</Rule><StartDate>2024-01-12</StartDate></AccessRule>'
export const NEVER_RULES =
  '<AppraisalRule><Rule>APP-COM-0001</Rule><StartDate>2024-01-12</StartDate><FinalAction>Keep</FinalAction></AppraisalRule><AccessRule><Rule>ACC-00036</Rule><StartDate>2024-01-12</StartDate></AccessRule>'

export interface Ingested {
  readonly op: string
  readonly root: UnitSummary
  readonly item: UnitSummary
  readonly physical: { id: string } | undefined
  readonly unitIds: string[]
}

export interface Fixture {
  readonly c: Container
  readonly dir: string
  readonly clock: ReturnType<typeof fixedClock>
  readonly adminPassword: string
  /** Communicable (ACC-00001), AD99, with a physical unit. */
  readonly open: Ingested
  /** Not communicable before 2049-01-12 (ACC-00003), AD99. */
  readonly closed: Ingested
  /** Never communicable (ACC-00036), AD99. */
  readonly never: Ingested
  /** Communicable, producer AD98. */
  readonly ad98: Ingested
  /** In tenant `other`. */
  readonly foreign: Ingested
  readonly users: Record<
    'archivist' | 'reader' | 'reader98' | 'readerBranch' | 'otherReader',
    { id: string; password: string }
  >
  ingest(tenant: string, o?: SipOptions): Promise<Ingested>
  close(): Promise<void>
}

export async function accessFixture(
  dialect: TestDialect,
  env: Record<string, string> = {},
): Promise<Fixture> {
  const t = await createTestDatabase(dialect)
  const home = join(t.dir, 'home')
  const dbUrl = t.config.dialect === 'sqlite' ? `sqlite://${t.config.file}` : t.config.url
  const config = loadConfig({ SAEH_HOME: home, SAEH_DATABASE_URL: dbUrl, ...env })
  const clock = fixedClock('2026-01-15T09:00:00.000Z')
  // The buffer flushes only when told to (or at close): the tests see what is pending.
  const c = await buildContainer(config, {
    log: silentLogger(),
    clock,
    accessLog: { flushMs: 3_600_000, maxEvents: 100_000 },
  })
  const init = await initInstance(c)
  await c.tenancy.createTenant(SYSTEM_PRINCIPAL, { id: 'other', name: 'Autre service' })
  await c.referential.loadDefaults('other', 'test')
  let n = 0
  const ingest = async (tenant: string, o: SipOptions = {}): Promise<Ingested> => {
    const p = await writeSipZip(join(t.dir, `sip-${++n}.zip`), o)
    const r = await c.ingest.ingestFile({ tenantId: tenant, packagePath: p, fileName: 's.zip', agent: 't' })
    assert.equal(r.status, 'OK', JSON.stringify(r.events.filter((e) => e.outcome !== 'OK')))
    const units = (await c.catalog.listUnits(tenant, { operationId: r.operationId })).results
    return {
      op: r.operationId,
      root: units.find((u) => u.parentIds.length === 0)!,
      item: units.find((u) => u.parentIds.length > 0 && u.objects.some((x) => x.kind === 'binary'))!,
      physical: units.find((u) => u.objects.some((x) => x.kind === 'physical')),
      unitIds: units.map((u) => u.id),
    }
  }
  const open = await ingest('default', { rules: OPEN_RULES, physical: { id: 'P1', physicalId: 'BOITE-1' } })
  const closed = await ingest('default', { physical: { id: 'P2', physicalId: 'BOITE-2' } })
  const never = await ingest('default', { rules: NEVER_RULES })
  const ad98 = await ingest('default', { rules: OPEN_RULES, agency: 'AD98' })
  const foreign = await ingest('other', { rules: OPEN_RULES })
  const contracts = [
    {
      Identifier: 'AC-DEFAUT',
      Name: 'Défaut',
      Status: 'ACTIVE',
      EveryOriginatingAgency: true,
      EveryDataObjectVersion: true,
      WritingPermission: true,
      AccessLog: 'ACTIVE',
    },
    {
      Identifier: 'AC-AD98',
      Name: 'Producteur AD98, diffusion seulement',
      Status: 'ACTIVE',
      EveryOriginatingAgency: false,
      OriginatingAgencies: ['AD98'],
      EveryDataObjectVersion: false,
      DataObjectVersion: ['Dissemination'],
    },
    {
      Identifier: 'AC-BRANCHE',
      Name: 'Une branche',
      Status: 'ACTIVE',
      EveryOriginatingAgency: true,
      EveryDataObjectVersion: true,
      RootUnits: [open.root.id],
    },
    {
      Identifier: 'AC-INACTIF',
      Name: 'Inactif',
      Status: 'INACTIVE',
      EveryOriginatingAgency: true,
      EveryDataObjectVersion: true,
    },
  ]
  await c.referential.import('default', 'access-contracts', Buffer.from(JSON.stringify(contracts)), 'test')
  const mk = async (username: string, tenantId: string, role: string) => {
    const u = await c.tenancy.createUser(SYSTEM_PRINCIPAL, { username, tenantId, role })
    return { id: u.id, password: u.password }
  }
  const users = {
    archivist: await mk('archiviste', 'default', 'archivist'),
    reader: await mk('lecteur', 'default', 'reader'),
    reader98: await mk('lecteur98', 'default', 'reader'),
    readerBranch: await mk('lecteurbranche', 'default', 'reader'),
    otherReader: await mk('lecteurautre', 'other', 'reader'),
  }
  await c.access.bind(SYSTEM_PRINCIPAL, 'default', users.reader98.id, ['AC-AD98'])
  await c.access.bind(SYSTEM_PRINCIPAL, 'default', users.readerBranch.id, ['AC-BRANCHE'])
  return {
    c,
    dir: t.dir,
    clock,
    adminPassword: init.admin!.password,
    open,
    closed,
    never,
    ad98,
    foreign,
    users,
    ingest,
    async close() {
      await c.close()
      await t.destroy()
    },
  }
}
