import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { createTestDatabase, type TestDatabase, type TestDialect } from './db.js'

/** The `saeh` command, run as a child process by the CLI tests. */
export const SAEH_BIN = join(import.meta.dirname, '../../bin/saeh.js')

export interface RunOptions {
  /** Text given on standard input (none by default). */
  readonly input?: string
  /** Milliseconds before the child is killed (default 120 s). */
  readonly timeout?: number
}

/** Runs `saeh args…` with only PATH and `env` in its environment; `json()` parses its standard output. */
export function runSaeh(
  env: Readonly<Record<string, string>>,
  args: readonly string[],
  opts: RunOptions = {},
) {
  const r = spawnSync(process.execPath, [SAEH_BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    ...(opts.input === undefined ? {} : { input: opts.input }),
    encoding: 'utf8',
    timeout: opts.timeout ?? 120_000,
  })
  return { code: r.status, out: r.stdout, err: r.stderr, json: () => JSON.parse(r.stdout) }
}

export type CliResult = ReturnType<typeof runSaeh>

/** A unit as `saeh unit search --json` lists it (the fields the tests use). */
export interface CliUnit {
  readonly id: string
  readonly parentIds: string[]
  readonly objects: { id: string; kind: string }[]
}

/** A fresh database and SAEH_HOME for driving the real `saeh` command; `destroy()` removes both. */
export interface CliInstance {
  readonly db: TestDatabase
  /** Temporary folder of the instance (its SAEH_HOME is `home/` inside): put test files here. */
  readonly dir: string
  /** SAEH_HOME and SAEH_DATABASE_URL of the instance. */
  readonly env: Readonly<Record<string, string>>
  run(args: readonly string[], opts?: RunOptions): CliResult
  /** `saeh ingest FILE` (which must succeed), then the units of that entry (`saeh unit search`). */
  ingest(file: string, tenant?: string): { operationId: string; units: CliUnit[] }
  destroy(): Promise<void>
}

/** Creates the database (not initialised: run `init` through `run` where the test needs it). */
export async function createCliInstance(
  dialect: TestDialect,
  defaults: RunOptions = {},
): Promise<CliInstance> {
  const t = await createTestDatabase(dialect)
  const env = {
    SAEH_HOME: join(t.dir, 'home'),
    SAEH_DATABASE_URL: t.config.dialect === 'sqlite' ? `sqlite://${t.config.file}` : t.config.url,
  }
  const run = (args: readonly string[], opts: RunOptions = {}) => runSaeh(env, args, { ...defaults, ...opts })
  return {
    db: t,
    dir: t.dir,
    env,
    run,
    ingest(file, tenant = 'default') {
      const r = run(['ingest', file, '--tenant', tenant, '--json'])
      if (r.code !== 0) throw new Error(`saeh ingest ${file} exited with ${r.code}: ${r.out}${r.err}`)
      const operationId = r.json().operationId as string
      const s = run(['unit', 'search', '--tenant', tenant, '--operation', operationId, '--json'])
      if (s.code !== 0) throw new Error(`saeh unit search exited with ${s.code}: ${s.out}${s.err}`)
      return { operationId, units: s.json().results as CliUnit[] }
    },
    destroy: () => t.destroy(),
  }
}
