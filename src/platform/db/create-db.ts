import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import {
  Kysely,
  PostgresDialect,
  SqliteDialect,
  SqliteDriver,
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type Transaction,
} from 'kysely'
import pg from 'pg'
import type { DatabaseConfig } from '../../config/config.js'
import type { Schema } from './schema.js'

export type DialectName = 'sqlite' | 'postgres'

export interface Db {
  readonly kysely: Kysely<Schema>
  readonly dialect: DialectName
  close(): Promise<void>
}

/** A Kysely handle that is either the database or an open transaction on it. */
export type Executor = Kysely<Schema> | Transaction<Schema>

// pg returns int8 and numeric as strings; our counters and sizes fit in a double.
pg.types.setTypeParser(20, (v) => Number(v))

/**
 * SQLite transactions start with BEGIN IMMEDIATE: the write lock is taken at once, so a transaction
 * that reads then writes never fails with SQLITE_BUSY_SNAPSHOT when another process (the CLI beside
 * the server) wrote in between; busy_timeout makes it wait instead.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'))
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: ConstructorParameters<typeof SqliteDialect>[0]
  constructor(config: ConstructorParameters<typeof SqliteDialect>[0]) {
    super(config)
    this.#config = config
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config)
  }
}

export function createDb(cfg: DatabaseConfig): Db {
  if (cfg.dialect === 'sqlite') {
    mkdirSync(dirname(cfg.file), { recursive: true })
    const sqlite = new Database(cfg.file)
    sqlite.pragma('journal_mode = WAL') // readers do not block the single writer
    sqlite.pragma('foreign_keys = ON')
    sqlite.pragma('busy_timeout = 10000') // api, worker and CLI processes share one file
    sqlite.pragma('synchronous = FULL') // a commit is on disk when it returns
    // Reads of large catalogues (search joins a million-row index by rowid): a 64 MiB page cache and the
    // file mapped (pages shared with the OS cache, not copied) halve the time of random lookups.
    sqlite.pragma('cache_size = -65536')
    sqlite.pragma('mmap_size = 2147418112') // the most this build allows (SQLITE_MAX_MMAP_SIZE)
    const kysely = new Kysely<Schema>({ dialect: new ImmediateSqliteDialect({ database: sqlite }) })
    return { dialect: 'sqlite', kysely, close: () => kysely.destroy() }
  }
  const pool = new pg.Pool({ connectionString: cfg.url, max: cfg.poolSize })
  // An idle connection closed by the server (restart, failover, administrator) is an 'error' event of the
  // pool: without a listener it would crash the process. The pool drops that client and opens another.
  pool.on('error', (err) => {
    process.emitWarning(
      `PostgreSQL : connexion inactive perdue (${err.message}) ; le pool en ouvre une autre`,
    )
  })
  const kysely = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) })
  return { dialect: 'postgres', kysely, close: () => kysely.destroy() }
}

/** JSON columns are jsonb on PostgreSQL and text on SQLite: always write a string, read either. */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null)
}

export function fromJson<T>(value: unknown): T {
  if (typeof value === 'string') return JSON.parse(value) as T
  return value as T
}
