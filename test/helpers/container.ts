import { join } from 'node:path'
import { loadConfig } from '../../src/config/config.js'
import { buildContainer, type Container } from '../../src/main/container.js'
import { silentLogger } from '../../src/platform/log.js'
import { createTestDatabase, type TestDialect } from './db.js'

/** A whole SAEH instance on a fresh database and temporary offers; `close()` removes everything. */
export async function createTestContainer(
  dialect: TestDialect,
  env: Record<string, string> = {},
): Promise<{ c: Container; dir: string; env: Record<string, string>; close(): Promise<void> }> {
  const t = await createTestDatabase(dialect)
  const home = join(t.dir, 'home')
  const dbUrl = t.config.dialect === 'sqlite' ? `sqlite://${t.config.file}` : t.config.url
  const instanceEnv = { SAEH_HOME: home, SAEH_DATABASE_URL: dbUrl, ...env }
  const config = loadConfig(instanceEnv)
  const c = await buildContainer(config, { log: silentLogger() })
  return {
    c,
    dir: t.dir,
    env: instanceEnv,
    async close() {
      await c.close()
      await t.destroy()
    },
  }
}
