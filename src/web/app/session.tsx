/**
 * The signed-in session: token, principal, tenants and the current tenant, kept in sessionStorage so
 * that a reload keeps the user signed in (and closing the tab forgets it). Permissions are computed with
 * the server's own policy table (src/modules/tenancy/tenancy.policy.ts) — the server still decides.
 */
import { createContext, useContext } from 'react'
import { can, isPlatformAdmin } from '../../modules/tenancy/tenancy.policy.js'
import type { Permission } from '../../modules/tenancy/tenancy.types.js'
import type { ApiClient, Principal, Tenant } from './api.js'

export interface SessionData {
  readonly token: string
  readonly principal: Principal
  readonly tenants: Tenant[]
  readonly tenantId: string | null
}

const KEY = 'saeh.session'

export function loadSession(): SessionData | null {
  try {
    const raw = sessionStorage.getItem(KEY)
    return raw ? (JSON.parse(raw) as SessionData) : null
  } catch {
    return null
  }
}

export function saveSession(s: SessionData | null): void {
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s))
  else sessionStorage.removeItem(KEY)
}

/** The tenant to open first: the first one the principal holds a grant on, else the first listed. */
export function defaultTenant(principal: Principal, tenants: Tenant[]): string | null {
  const own = tenants.find((t) => principal.grants.some((g) => g.tenantId === t.id))
  return own?.id ?? tenants[0]?.id ?? null
}

export interface Session {
  readonly data: SessionData
  readonly api: ApiClient
  readonly tenant: Tenant | null
  /** May the principal do `p` in the current tenant? */
  can(p: Permission): boolean
  readonly platformAdmin: boolean
  setTenant(id: string): void
  /** Reloads the tenants list (after a tenant is created). */
  refreshTenants(): Promise<void>
  logout(): void
}

export function makeSession(
  data: SessionData,
  api: ApiClient,
  setTenant: (id: string) => void,
  setTenants: (tenants: Tenant[]) => void,
  logout: () => void,
): Session {
  const tenant = data.tenants.find((t) => t.id === data.tenantId) ?? null
  return {
    data,
    api,
    tenant,
    can: (p) => (tenant ? can(data.principal, tenant, p) : false),
    platformAdmin: isPlatformAdmin(data.principal),
    setTenant,
    refreshTenants: async () => setTenants((await api.me()).tenants),
    logout,
  }
}

export const SessionContext = createContext<Session | null>(null)

export function useSession(): Session {
  const s = useContext(SessionContext)
  if (!s) throw new Error('useSession outside a signed-in page')
  return s
}
