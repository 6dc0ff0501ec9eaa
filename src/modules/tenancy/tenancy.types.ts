export const ROLES = ['platform-admin', 'archivist', 'control-authority', 'producer', 'reader'] as const
export type Role = (typeof ROLES)[number]

/** Tenant id used in role assignments that hold on every tenant (platform-admin). */
export const ALL_TENANTS = '*'

export interface Tenant {
  readonly id: string
  readonly name: string
  /** The tenant (a departmental archive) that exercises the scientific and technical control over this one. */
  readonly controlledBy: string | null
  readonly createdAt: string
}

export interface RoleGrant {
  readonly tenantId: string
  readonly role: Role
}

export interface Principal {
  readonly id: string
  readonly kind: 'user' | 'apikey' | 'system'
  /** The user name, or the API key's label. */
  readonly name: string
  readonly grants: readonly RoleGrant[]
}

/** A user or API key as listed to those who manage a tenant: never a secret, never a hash. */
export interface PrincipalSummary {
  readonly id: string
  readonly kind: 'user' | 'apikey'
  /** The user name, or the API key's label. */
  readonly name: string
  readonly role: Role
  /** API keys: the public start of the key (`saeh_<prefix>_…`), to recognise it. */
  readonly keyPrefix: string | null
  readonly createdAt: string
  readonly revokedAt: string | null
}

/** What a principal may do. Roles map to permissions in one table (tenancy.policy.ts). */
export type Permission =
  | 'tenant.read'
  | 'tenant.create'
  | 'principal.manage'
  | 'referential.read'
  | 'referential.write'
  | 'logbook.read'
  | 'ingest.submit'
  | 'archive.read'
  | 'archive.manage'
  | 'control.visa'
  | 'platform.admin'

/** The CLI acts as the platform administrator on the instance it opens (INTERFACES §3). */
export const SYSTEM_PRINCIPAL: Principal = {
  id: 'system',
  kind: 'system',
  name: 'system',
  grants: [{ tenantId: ALL_TENANTS, role: 'platform-admin' }],
}
