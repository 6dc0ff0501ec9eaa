import { join } from 'node:path'
import { loadConfig } from '../../config/config.js'
import { buildContainer, type Container, type ContainerOptions } from '../../main/container.js'
import { silentLogger } from '../../platform/log.js'
import type { Clock } from '../../platform/clock.js'
import { SYSTEM_PRINCIPAL, type Principal } from '../tenancy/index.js'
import { createTestDatabase, type TestDialect } from '../../../test/helpers/db.js'
import { writeSipZip, type SipOptions } from '../../../test/helpers/sip.js'

/** A clock the test sets (each reading moves 1 ms, for ordering). */
export function settableClock(start: string): Clock & { set(iso: string): void } {
  let t = Date.parse(start)
  return {
    now: () => new Date(t++),
    set(iso: string) {
      t = Date.parse(iso)
    },
  }
}

export const DESTROY_RULES =
  '<AppraisalRule><Rule>APP-COM-0005</Rule><StartDate>2024-01-12</StartDate><FinalAction>Destroy</FinalAction></AppraisalRule>'

export interface ElimWorld {
  readonly c: Container
  readonly dir: string
  readonly env: Record<string, string>
  readonly clock: ReturnType<typeof settableClock>
  /** commune archivist, AD control authority, AD archivist, other AD's control authority, reader, producer */
  readonly who: Record<
    'archivist' | 'control' | 'adArchivist' | 'otherControl' | 'reader' | 'producer' | 'communeControl',
    Principal
  >
  ingest(o?: SipOptions): Promise<{ operationId: string; root: string; item: string }>
  close(): Promise<void>
}

/**
 * Two départements (ad33 controls c-begles; ad40 controls nobody here), the commune's default
 * referentials, and one user per role the elimination flow involves.
 */
export async function elimWorld(
  dialect: TestDialect,
  env: Record<string, string> = {},
  opts: ContainerOptions = {},
): Promise<ElimWorld> {
  const t = await createTestDatabase(dialect)
  const home = join(t.dir, 'home')
  const dbUrl = t.config.dialect === 'sqlite' ? `sqlite://${t.config.file}` : t.config.url
  const instanceEnv = { SAEH_HOME: home, SAEH_DATABASE_URL: dbUrl, ...env }
  const clock = settableClock('2024-02-01T10:00:00.000Z')
  const c = await buildContainer(loadConfig(instanceEnv), { log: silentLogger(), clock, ...opts })
  // As `init` does: every offer reachable, S3 buckets created.
  await c.storage.checkOffers()
  const sys = SYSTEM_PRINCIPAL
  await c.tenancy.createTenant(sys, { id: 'ad33', name: 'Archives départementales de la Gironde' })
  await c.tenancy.createTenant(sys, { id: 'ad40', name: 'Archives départementales des Landes' })
  await c.tenancy.createTenant(sys, { id: 'c-begles', name: 'Commune de Bègles', controlledBy: 'ad33' })
  await c.referential.loadDefaults('c-begles', 'system')
  const user = async (username: string, tenantId: string, role: string) => {
    await c.tenancy.createUser(sys, { username, tenantId, role })
    return c.tenancy.principalByName(username)
  }
  const who = {
    archivist: await user('arch-begles', 'c-begles', 'archivist'),
    producer: await user('prod-begles', 'c-begles', 'producer'),
    reader: await user('reader-begles', 'c-begles', 'reader'),
    communeControl: await user('ca-begles', 'c-begles', 'control-authority'),
    control: await user('ca-ad33', 'ad33', 'control-authority'),
    adArchivist: await user('arch-ad33', 'ad33', 'archivist'),
    otherControl: await user('ca-ad40', 'ad40', 'control-authority'),
  }
  let n = 0
  return {
    c,
    dir: t.dir,
    env: instanceEnv,
    clock,
    who,
    async ingest(o: SipOptions = {}) {
      const path = await writeSipZip(join(t.dir, `sip-${++n}.zip`), { rules: DESTROY_RULES, ...o })
      const r = await c.ingest.ingestFile({
        tenantId: 'c-begles',
        packagePath: path,
        fileName: 'versement.zip',
        contractId: null,
        agent: 'test',
      })
      if (r.status !== 'OK')
        throw new Error(`ingest ${r.status}: ${JSON.stringify(r.events.filter((e) => e.outcome !== 'OK'))}`)
      const units = (await c.catalog.listUnits('c-begles', { operationId: r.operationId })).results
      return {
        operationId: r.operationId,
        root: units.find((u) => u.parentIds.length === 0)!.id,
        item: units.find((u) => u.parentIds.length > 0)!.id,
      }
    },
    async close() {
      await c.close()
      await t.destroy()
    },
  }
}
