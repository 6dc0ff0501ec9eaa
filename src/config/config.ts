import { resolve, join } from 'node:path'
import { AppError } from '../platform/errors.js'

/**
 * SAEH's configuration, read once from the environment (INTERFACES.md §2), every error reported at
 * once with the variable's name, then frozen. Nothing else in the code reads `process.env`.
 */
export type DatabaseConfig =
  | { readonly dialect: 'sqlite'; readonly file: string }
  | { readonly dialect: 'postgres'; readonly url: string; readonly poolSize: number }

export type OfferConfig =
  | { readonly id: string; readonly kind: 'fs'; readonly root: string }
  | {
      readonly id: string
      readonly kind: 's3'
      readonly bucket: string
      readonly endpoint: string | undefined
      readonly region: string
      readonly forcePathStyle: boolean
    }

export interface Config {
  readonly home: string
  readonly database: DatabaseConfig
  readonly offers: readonly OfferConfig[]
  readonly port: number
  readonly host: string
  readonly logLevel: string
  readonly sessionTtlSeconds: number
  readonly loginRateLimitPerMinute: number
  readonly workerConcurrency: number
  /** Hours between scheduled platform-wide fixity audits (0: none). */
  readonly auditExistenceHours: number
  readonly auditIntegrityHours: number
  /** Logbook seals: external TSA (undefined = the built-in authority), its CA certificates, period. */
  readonly seal: {
    readonly tsaUrl: string | undefined
    readonly tsaCaFile: string | undefined
    readonly intervalMinutes: number
  }
  /** Largest DIP export, in bytes of binaries (SAEH_DIP_MAX_BYTES). */
  readonly dipMaxBytes: number
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

export interface ConfigIssue {
  readonly variable: string
  readonly message: string
}

function intVar(
  env: Record<string, string | undefined>,
  name: string,
  def: number,
  min: number,
  max: number,
  issues: ConfigIssue[],
): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return def
  if (!/^\d+$/.test(raw.trim())) {
    issues.push({ variable: name, message: `expected a whole number, got ${JSON.stringify(raw)}` })
    return def
  }
  const n = Number(raw.trim())
  if (n < min || n > max)
    issues.push({ variable: name, message: `must be between ${min} and ${max}, got ${n}` })
  return n
}

export function parseDatabaseUrl(
  raw: string,
  variable: string,
  issues: ConfigIssue[],
): DatabaseConfig | undefined {
  if (raw.startsWith('sqlite://')) {
    const file = raw.slice('sqlite://'.length)
    if (file === '' || file === '/') {
      issues.push({ variable, message: 'sqlite URL needs a file path, e.g. sqlite:///var/lib/saeh/saeh.db' })
      return undefined
    }
    return { dialect: 'sqlite', file: resolve(file) }
  }
  if (raw.startsWith('postgres://') || raw.startsWith('postgresql://')) {
    try {
      const u = new URL(raw)
      if (!u.hostname) throw new Error('no host')
      const pool = Number(u.searchParams.get('pool') ?? '10')
      return { dialect: 'postgres', url: raw, poolSize: Number.isInteger(pool) && pool > 0 ? pool : 10 }
    } catch {
      issues.push({ variable, message: `not a valid PostgreSQL URL: ${JSON.stringify(raw)}` })
      return undefined
    }
  }
  issues.push({
    variable,
    message: `unsupported database URL ${JSON.stringify(raw)}: use sqlite:///path/file.db or postgres://user@host:port/db`,
  })
  return undefined
}

export function parseOffers(raw: string, variable: string, issues: ConfigIssue[]): OfferConfig[] {
  const offers: OfferConfig[] = []
  const parts = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  if (parts.length === 0) issues.push({ variable, message: 'at least one storage offer is needed' })
  parts.forEach((part, i) => {
    if (part.startsWith('fs://')) {
      const root = part.slice('fs://'.length)
      if (!root.startsWith('/')) {
        issues.push({
          variable,
          message: `offer ${i + 1}: fs offer needs an absolute path (fs:///path), got ${part}`,
        })
        return
      }
      offers.push({ id: `fs-${i + 1}`, kind: 'fs', root: resolve(root) })
      return
    }
    if (part.startsWith('s3://')) {
      let u: URL
      try {
        u = new URL(part)
      } catch {
        issues.push({ variable, message: `offer ${i + 1}: not a valid s3 URL: ${part}` })
        return
      }
      const bucket = u.hostname
      if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
        issues.push({ variable, message: `offer ${i + 1}: invalid bucket name ${JSON.stringify(bucket)}` })
        return
      }
      const endpoint = u.searchParams.get('endpoint') ?? undefined
      if (endpoint !== undefined) {
        try {
          new URL(endpoint)
        } catch {
          issues.push({ variable, message: `offer ${i + 1}: invalid endpoint ${JSON.stringify(endpoint)}` })
          return
        }
      }
      offers.push({
        id: `s3-${i + 1}`,
        kind: 's3',
        bucket,
        endpoint,
        region: u.searchParams.get('region') ?? 'us-east-1',
        forcePathStyle: u.searchParams.get('pathStyle') !== 'false',
      })
      return
    }
    issues.push({
      variable,
      message: `offer ${i + 1}: unsupported offer ${JSON.stringify(part)} (use fs:///path or s3://bucket?endpoint=…)`,
    })
  })
  const ids = new Set<string>()
  for (const o of offers) {
    const key = o.kind === 'fs' ? `fs:${o.root}` : `s3:${o.endpoint ?? ''}/${o.bucket}`
    if (ids.has(key)) issues.push({ variable, message: `the same offer is listed twice: ${key}` })
    ids.add(key)
  }
  return offers
}

const KNOWN = new Set([
  'SAEH_HOME',
  'SAEH_DATABASE_URL',
  'SAEH_OFFERS',
  'SAEH_PORT',
  'SAEH_HOST',
  'SAEH_LOG_LEVEL',
  'SAEH_SESSION_TTL_SECONDS',
  'SAEH_LOGIN_RATE_LIMIT',
  'SAEH_WORKER_CONCURRENCY',
  'SAEH_AUDIT_EXISTENCE_HOURS',
  'SAEH_AUDIT_INTEGRITY_HOURS',
  'SAEH_TSA_URL',
  'SAEH_TSA_CA_FILE',
  'SAEH_SEAL_INTERVAL_MINUTES',
  'SAEH_TEST_DATABASE_URL',
  'SAEH_TEST_S3_ENDPOINT',
  'SAEH_TEST_S3_ACCESS_KEY',
  'SAEH_TEST_S3_SECRET_KEY',
  'SAEH_TEST_CONCURRENCY',
  'SAEH_CORPUS',
])

export function loadConfig(
  env: Record<string, string | undefined>,
  overrides: { home?: string } = {},
): Config {
  const issues: ConfigIssue[] = []
  for (const name of Object.keys(env)) {
    if (name.startsWith('SAEH_') && !KNOWN.has(name)) {
      issues.push({ variable: name, message: 'unknown setting (check its spelling; see INTERFACES.md §2)' })
    }
  }
  const home = resolve(overrides.home ?? (env.SAEH_HOME || './saeh-data'))
  const database =
    env.SAEH_DATABASE_URL !== undefined && env.SAEH_DATABASE_URL !== ''
      ? parseDatabaseUrl(env.SAEH_DATABASE_URL, 'SAEH_DATABASE_URL', issues)
      : ({ dialect: 'sqlite', file: join(home, 'saeh.db') } as const)
  const offers =
    env.SAEH_OFFERS !== undefined && env.SAEH_OFFERS !== ''
      ? parseOffers(env.SAEH_OFFERS, 'SAEH_OFFERS', issues)
      : [
          { id: 'fs-1', kind: 'fs' as const, root: join(home, 'offers', 'a') },
          { id: 'fs-2', kind: 'fs' as const, root: join(home, 'offers', 'b') },
        ]
  const port = intVar(env, 'SAEH_PORT', 8080, 0, 65535, issues)
  const logLevel = env.SAEH_LOG_LEVEL || 'info'
  if (!LOG_LEVELS.includes(logLevel)) {
    issues.push({
      variable: 'SAEH_LOG_LEVEL',
      message: `must be one of ${LOG_LEVELS.join(', ')}, got ${logLevel}`,
    })
  }
  const tsaUrl = env.SAEH_TSA_URL || undefined
  if (tsaUrl !== undefined) {
    let ok = false
    try {
      ok = ['http:', 'https:'].includes(new URL(tsaUrl).protocol)
    } catch {
      ok = false
    }
    if (!ok)
      issues.push({
        variable: 'SAEH_TSA_URL',
        message: `expected an http(s) URL, got ${JSON.stringify(tsaUrl)}`,
      })
  }
  const tsaCaFile = env.SAEH_TSA_CA_FILE ? resolve(env.SAEH_TSA_CA_FILE) : undefined
  if (tsaUrl !== undefined && tsaCaFile === undefined) {
    issues.push({
      variable: 'SAEH_TSA_CA_FILE',
      message: 'required with SAEH_TSA_URL: the PEM certificate(s) of the CA that tokens must chain to',
    })
  }
  const config: Config = {
    home,
    database: database ?? { dialect: 'sqlite', file: join(home, 'saeh.db') },
    offers,
    port,
    host: env.SAEH_HOST || '0.0.0.0',
    logLevel,
    sessionTtlSeconds: intVar(env, 'SAEH_SESSION_TTL_SECONDS', 8 * 3600, 60, 30 * 24 * 3600, issues),
    loginRateLimitPerMinute: intVar(env, 'SAEH_LOGIN_RATE_LIMIT', 10, 1, 10_000, issues),
    workerConcurrency: intVar(env, 'SAEH_WORKER_CONCURRENCY', 2, 1, 64, issues),
    auditExistenceHours: intVar(env, 'SAEH_AUDIT_EXISTENCE_HOURS', 24, 0, 24 * 366, issues),
    auditIntegrityHours: intVar(env, 'SAEH_AUDIT_INTEGRITY_HOURS', 7 * 24, 0, 24 * 366, issues),
    seal: {
      tsaUrl,
      tsaCaFile,
      intervalMinutes: intVar(env, 'SAEH_SEAL_INTERVAL_MINUTES', 60, 1, 24 * 60, issues),
    },
    dipMaxBytes: intVar(env, 'SAEH_DIP_MAX_BYTES', 10 * 1024 ** 3, 1, Number.MAX_SAFE_INTEGER, issues),
  }
  if (issues.length > 0) {
    throw new AppError(
      'CONFIG_INVALID',
      'invalid',
      `Configuration invalide (invalid configuration):\n${issues.map((i) => `- ${i.variable}: ${i.message}`).join('\n')}`,
      { issues },
    )
  }
  return deepFreeze(config)
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v)
    Object.freeze(o)
  }
  return o
}
