export { TenancyService, type TenancyDeps } from './tenancy.service.js'
export { TenancyErrors } from './tenancy.errors.js'
export { can, effectiveRoles, isPlatformAdmin, permissionsOf } from './tenancy.policy.js'
export {
  ROLES,
  ALL_TENANTS,
  SYSTEM_PRINCIPAL,
  type Role,
  type RoleGrant,
  type Tenant,
  type Principal,
  type PrincipalSummary,
  type Permission,
} from './tenancy.types.js'
export { generatePassword } from './passwords.js'
