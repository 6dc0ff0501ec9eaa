/**
 * A small typed client of the SAEH HTTP API (/api/v1). Every call sends the session token and the
 * current tenant; every failure becomes an ApiError carrying the API's `{error:{code,message,details}}`.
 */
import type { Principal, PrincipalSummary, Tenant } from '../../modules/tenancy/tenancy.types.js'

export type { Principal, PrincipalSummary, Tenant }

export interface ApiErrorBody {
  readonly code: string
  readonly message: string
  readonly details?: unknown
}

/** A refused or failed call. `status` 0 means the server could not be reached. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
  }
}

export interface LoginResult {
  readonly token: string
  readonly expiresAt: string
  readonly principal: Principal
  readonly tenants: Tenant[]
}

export interface Page<T> {
  readonly total: number
  readonly results: T[]
}

export interface OperationEvent {
  readonly type: string
  readonly outcome: 'OK' | 'KO' | 'WARNING' | 'FATAL' | string
  readonly detail?: string
  readonly message: string
  readonly objectId?: string | null
  readonly createdAt?: string
}

export interface OperationSummary {
  readonly id: string
  readonly tenantId: string
  readonly type: string
  readonly status: string
  readonly agent: string
  readonly summary: Record<string, unknown>
  readonly createdAt: string
  readonly updatedAt: string
}

export interface Operation {
  readonly operationId: string
  readonly type: string
  readonly status: string
  readonly createdAt?: string
  readonly updatedAt?: string
  readonly units?: number
  readonly objects?: number
  readonly physicalObjects?: number
  readonly bytes?: number
  readonly messageIdentifier?: string
  readonly atr?: string
  readonly events: OperationEvent[]
}

export interface ObjectInfo {
  readonly id: string
  readonly kind: 'binary' | 'physical' | string
  readonly usage: string | null
  readonly size: number | null
  readonly format: string | null
  readonly formatName: string | null
  readonly mimeType: string | null
  readonly filename: string | null
  readonly digest: string | null
  readonly digestAlgorithm: string | null
  readonly physicalId: string | null
}

export interface UnitSummary {
  readonly id: string
  readonly title: string
  readonly descriptionLevel: string
  readonly parentIds: string[]
  readonly startDate: string | null
  readonly endDate: string | null
  readonly operationId: string
  readonly objects: ObjectInfo[]
}

export interface XmlNode {
  readonly name: string
  readonly text?: string
  readonly attributes?: Record<string, string>
  readonly children?: XmlNode[]
}

export interface UnitRule {
  readonly category: string
  readonly ruleId: string
  readonly startDate: string | null
  readonly endDate: string | null
  readonly finalAction: string | null
  readonly inherited: boolean
  readonly origin: string
}

export interface Unit extends UnitSummary {
  readonly sedaId: string
  readonly originatingAgency: string | null
  readonly submissionAgency: string | null
  readonly content: XmlNode | null
  readonly rules: UnitRule[]
  readonly createdAt: string
}

export interface CreatedUser {
  readonly id: string
  readonly username: string
  readonly grants: Principal['grants']
  readonly password?: string
}

export interface CreatedApiKey {
  readonly id: string
  readonly key: string
  readonly label: string
  readonly grants: Principal['grants']
}

export interface ReferentialImportResult {
  readonly kind: string
  readonly created: number
  readonly updated: number
  readonly deleted: number
  readonly unchanged: number
  readonly total: number
  readonly operationId: string
}

/** One line of a refused referential file, as the API reports it. */
export interface ReferentialLineError {
  readonly line?: number
  readonly column?: number
  readonly field?: string
  readonly code?: string
  readonly message: string
}

/** The referential kinds of the API (src/modules/referential/referential.types.ts, kept in step). */
export const REFERENTIAL_KINDS = [
  'rules',
  'agencies',
  'ingest-contracts',
  'access-contracts',
  'management-contracts',
  'profiles',
  'archive-unit-profiles',
] as const

export interface Credentials {
  readonly token: string | null
  readonly tenantId: string | null
}

type Query = Record<string, string | number | undefined>

function qs(q: Query | undefined): string {
  if (!q) return ''
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v))
  const s = p.toString()
  return s ? `?${s}` : ''
}

async function errorOf(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as { error?: ApiErrorBody }
    if (body.error?.code)
      return new ApiError(res.status, body.error.code, body.error.message, body.error.details)
  } catch {
    // not JSON: fall through
  }
  return new ApiError(res.status, res.status >= 500 ? 'INTERNAL' : 'HTTP_ERROR', res.statusText)
}

export class ApiClient {
  constructor(
    private readonly creds: () => Credentials,
    /** Called on every 401 so that the application can return to the sign-in page. */
    private readonly onUnauthenticated: (e: ApiError) => void,
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const { token, tenantId } = this.creds()
    return {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(tenantId ? { 'x-tenant-id': tenantId } : {}),
      ...extra,
    }
  }

  private async raw(
    method: string,
    path: string,
    body?: BodyInit,
    type?: string,
    extra: Record<string, string> = {},
  ): Promise<Response> {
    let res: Response
    try {
      res = await fetch(`/api/v1${path}`, {
        method,
        headers: this.headers({ ...(type ? { 'content-type': type } : {}), ...extra }),
        ...(body !== undefined ? { body } : {}),
      })
    } catch {
      throw new ApiError(0, 'NETWORK', 'network')
    }
    if (!res.ok) {
      const e = await errorOf(res)
      if (res.status === 401 && path !== '/auth/login') this.onUnauthenticated(e)
      throw e
    }
    return res
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.raw(
      method,
      path,
      body === undefined ? undefined : JSON.stringify(body),
      body === undefined ? undefined : 'application/json',
    )
    return (res.status === 204 ? null : await res.json()) as T
  }

  login(username: string, password: string): Promise<LoginResult> {
    return this.json('POST', '/auth/login', { username, password })
  }
  logout(): Promise<void> {
    return this.json('POST', '/auth/logout')
  }
  me(): Promise<{ principal: Principal; tenants: Tenant[] }> {
    return this.json('GET', '/auth/me')
  }
  tenants(): Promise<Page<Tenant>> {
    return this.json('GET', '/tenants')
  }
  createTenant(input: { id: string; name: string; controlledBy?: string }): Promise<Tenant> {
    return this.json('POST', '/tenants', input)
  }
  users(): Promise<Page<PrincipalSummary>> {
    return this.json('GET', '/users')
  }
  apiKeys(): Promise<Page<PrincipalSummary>> {
    return this.json('GET', '/apikeys')
  }
  createUser(input: { username: string; role: string; password?: string }): Promise<CreatedUser> {
    return this.json('POST', '/users', input)
  }
  createApiKey(input: { role: string; label?: string }): Promise<CreatedApiKey> {
    return this.json('POST', '/apikeys', input)
  }
  revokeApiKey(id: string): Promise<void> {
    return this.json('DELETE', `/apikeys/${encodeURIComponent(id)}`)
  }
  operations(q: { type?: string; limit?: number; offset?: number }): Promise<Page<OperationSummary>> {
    return this.json('GET', `/logbook/operations${qs(q)}`)
  }
  operation(id: string): Promise<Operation> {
    return this.json('GET', `/operations/${encodeURIComponent(id)}`)
  }
  units(q: { q?: string; parentId?: string; operationId?: string; limit?: number; offset?: number }) {
    return this.json<Page<UnitSummary>>('GET', `/units${qs(q)}`)
  }
  unit(id: string): Promise<Unit> {
    return this.json('GET', `/units/${encodeURIComponent(id)}`)
  }
  referential(kind: string): Promise<Page<Record<string, unknown>>> {
    return this.json('GET', `/referentials/${encodeURIComponent(kind)}`)
  }
  async importReferential(kind: string, file: File): Promise<ReferentialImportResult> {
    const type = file.name.toLowerCase().endsWith('.json') ? 'application/json' : 'text/csv'
    const res = await this.raw('POST', `/referentials/${encodeURIComponent(kind)}`, file, type)
    return (await res.json()) as ReferentialImportResult
  }
  /** A request whose body is text of a given type (a CSV form…), answered in JSON. */
  async sendText<T>(method: string, path: string, body: string, type: string): Promise<T> {
    const res = await this.raw(method, path, body, type)
    return (res.status === 204 ? null : await res.json()) as T
  }
  /** Any call with its own body type or `accept` header; the raw Response (JSON, CSV, binary, …). */
  send(method: string, path: string, opts: { body?: BodyInit; type?: string; accept?: string } = {}) {
    return this.raw(method, path, opts.body, opts.type, opts.accept ? { accept: opts.accept } : {})
  }
  /** Any binary resource of the API (ATR, object content) as a Blob, with the session's headers. */
  async blob(path: string): Promise<Blob> {
    const res = await this.raw('GET', path)
    return res.blob()
  }

  /**
   * Sends a package as multipart/form-data with XMLHttpRequest, whose upload events give the progress
   * (fetch has none for request bodies). Resolves with the operation id once the server answers 202.
   */
  upload(
    file: File,
    onProgress: (sent: number, total: number) => void,
    signal?: AbortSignal,
  ): Promise<{ operationId: string }> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest()
      xhr.open('POST', '/api/v1/ingests')
      for (const [k, v] of Object.entries(this.headers())) xhr.setRequestHeader(k, v)
      xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size)
      xhr.onerror = () => reject(new ApiError(0, 'NETWORK', 'network'))
      xhr.onabort = () => reject(new ApiError(0, 'ABORTED', 'aborted'))
      xhr.onload = () => {
        let body: { operationId?: string; error?: ApiErrorBody } = {}
        try {
          body = JSON.parse(xhr.responseText) as typeof body
        } catch {
          // not JSON
        }
        if (xhr.status === 202 && body.operationId) return resolve({ operationId: body.operationId })
        const e = body.error
          ? new ApiError(xhr.status, body.error.code, body.error.message, body.error.details)
          : new ApiError(xhr.status, 'HTTP_ERROR', xhr.statusText)
        if (xhr.status === 401) this.onUnauthenticated(e)
        reject(e)
      }
      signal?.addEventListener('abort', () => xhr.abort())
      const form = new FormData()
      form.append('file', file, file.name)
      xhr.send(form)
    })
  }
}
