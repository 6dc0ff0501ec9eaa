import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { DatabaseConfig } from '../../src/config/config.js'
import { createDb, type Db } from '../../src/platform/db/create-db.js'
import { migrateToLatest } from '../../src/platform/db/migrate.js'

export type TestDialect = 'sqlite' | 'postgres'

/** The dialects this run tests: SQLite always, PostgreSQL when SAEH_TEST_DATABASE_URL is set. */
export function testDialects(): TestDialect[] {
  return process.env.SAEH_TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite']
}

export const POSTGRES_SKIP_REASON = 'PostgreSQL tests skipped: SAEH_TEST_DATABASE_URL is not set'

export interface TestDatabase {
  readonly config: DatabaseConfig
  readonly dir: string
  /** Drops the database (PostgreSQL) and removes the temporary folder. */
  destroy(): Promise<void>
}

/** A fresh, empty database: a SQLite file in a temporary folder, or a new PostgreSQL database. */
export async function createTestDatabase(dialect: TestDialect): Promise<TestDatabase> {
  const dir = await mkdtemp(join(tmpdir(), 'saeh-test-'))
  if (dialect === 'sqlite') {
    return {
      config: { dialect: 'sqlite', file: join(dir, 'saeh.db') },
      dir,
      destroy: () => rm(dir, { recursive: true, force: true }),
    }
  }
  const adminUrl = process.env.SAEH_TEST_DATABASE_URL
  if (!adminUrl) throw new Error(POSTGRES_SKIP_REASON)
  const name = `saeh_t_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const u = new URL(adminUrl)
  u.pathname = `/${name}`
  return {
    config: { dialect: 'postgres', url: u.toString(), poolSize: 5 },
    dir,
    async destroy() {
      const c = new pg.Client({ connectionString: adminUrl })
      await c.connect()
      await c.query(`drop database if exists ${name} with (force)`)
      await c.end()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** A migrated database handle for module tests; `close()` also destroys it. */
export async function openTestDb(
  dialect: TestDialect,
): Promise<{ db: Db; dir: string; close(): Promise<void> }> {
  const t = await createTestDatabase(dialect)
  const db = createDb(t.config)
  await migrateToLatest(db)
  return {
    db,
    dir: t.dir,
    async close() {
      await db.close()
      await t.destroy()
    },
  }
}
