import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Permission, Principal, Tenant, TenancyService } from '../modules/tenancy/index.js'
import { TenancyErrors } from '../modules/tenancy/index.js'
import { AppError } from '../platform/errors.js'

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null
  }
  interface FastifyContextConfig {
    /** A route that needs no authentication. */
    public?: boolean
  }
}

/** Reads `Authorization: Bearer <session token | API key>`; public routes opt out with `config.public`. */
export function authHook(tenancy: TenancyService) {
  return async (req: FastifyRequest, _reply: FastifyReply) => {
    req.principal = null
    const cfg = req.routeOptions.config as { public?: boolean } | undefined
    const header = req.headers.authorization
    if (header) {
      const m = /^Bearer\s+(\S+)$/i.exec(header)
      if (!m)
        throw new AppError(
          'AUTH_INVALID_TOKEN',
          'unauthenticated',
          'En-tête Authorization invalide : « Bearer <jeton> » attendu',
        )
      req.principal = await tenancy.authenticate(m[1]!)
    } else if (!cfg?.public) {
      throw TenancyErrors.missing()
    }
  }
}

export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw TenancyErrors.missing()
  return req.principal
}

/** The tenant named by `X-Tenant-Id`, checked against the principal's rights for `permission`. */
export async function tenantOf(
  req: FastifyRequest,
  tenancy: TenancyService,
  permission: Permission,
): Promise<Tenant> {
  const raw = req.headers['x-tenant-id']
  const id = Array.isArray(raw) ? raw[0] : raw
  if (!id) {
    throw new AppError(
      'TENANT_REQUIRED',
      'invalid',
      'En-tête X-Tenant-Id manquant : précisez le service d’archives',
      {
        header: 'X-Tenant-Id',
      },
    )
  }
  return tenancy.requireAccess(principalOf(req), id, permission)
}
