import { ALL_TENANTS, type Permission, type Principal, type Role } from './tenancy.types.js'

/** Role → permissions, in one table. */
const PERMISSIONS: Record<Role, readonly Permission[]> = {
  'platform-admin': [
    'tenant.read',
    'tenant.create',
    'principal.manage',
    'referential.read',
    'referential.write',
    'logbook.read',
    'ingest.submit',
    'archive.read',
    'archive.manage',
    'control.visa',
    'platform.admin',
  ],
  archivist: [
    'tenant.read',
    'principal.manage',
    'referential.read',
    'referential.write',
    'logbook.read',
    'ingest.submit',
    'archive.read',
    'archive.manage',
  ],
  // Over the tenants its own tenant controls (the communes of the département): read and give the visa.
  'control-authority': ['tenant.read', 'referential.read', 'logbook.read', 'archive.read', 'control.visa'],
  producer: ['tenant.read', 'referential.read', 'logbook.read', 'ingest.submit', 'archive.read'],
  reader: ['tenant.read', 'archive.read'],
}

export function permissionsOf(role: Role): readonly Permission[] {
  return PERMISSIONS[role]
}

/**
 * The roles a principal holds on a tenant: its own grants on that tenant, platform-wide grants, and
 * control-authority grants held on the tenant that controls it.
 */
export function effectiveRoles(
  principal: Principal,
  tenant: { id: string; controlledBy: string | null },
): Role[] {
  const roles = new Set<Role>()
  for (const g of principal.grants) {
    if (g.tenantId === ALL_TENANTS || g.tenantId === tenant.id) roles.add(g.role)
    else if (
      g.role === 'control-authority' &&
      tenant.controlledBy !== null &&
      g.tenantId === tenant.controlledBy
    ) {
      roles.add('control-authority')
    }
  }
  return [...roles]
}

export function can(
  principal: Principal,
  tenant: { id: string; controlledBy: string | null },
  p: Permission,
): boolean {
  return effectiveRoles(principal, tenant).some((r) => PERMISSIONS[r].includes(p))
}

export function isPlatformAdmin(principal: Principal): boolean {
  return principal.grants.some((g) => g.tenantId === ALL_TENANTS && g.role === 'platform-admin')
}
