import { SYSTEM_PRINCIPAL } from '../modules/tenancy/index.js'
import { ensureBuiltinAuthority } from '../modules/seal/index.js'
import type { Container } from './container.js'

export const DEFAULT_TENANT = 'default'

export interface InitReport {
  readonly createdTenant: boolean
  /** Set only on the very first initialisation: the generated password is shown once. */
  readonly admin: { username: string; password: string } | null
}

/**
 * Makes the instance ready to use (idempotent): the `default` tenant with the shipped default
 * referentials, and the platform administrator `admin` with a generated password.
 */
export async function initInstance(c: Container): Promise<InitReport> {
  // A storage offer that is down at start is an error naming the offer, before anything is written.
  await c.storage.checkOffers()
  await c.storage.sweepTemp()
  let createdTenant = false
  if (!(await c.tenancy.findTenant(DEFAULT_TENANT))) {
    await c.tenancy.createTenant(SYSTEM_PRINCIPAL, {
      id: DEFAULT_TENANT,
      name: "Service d'archives (par défaut)",
    })
    await c.referential.loadDefaults(DEFAULT_TENANT, SYSTEM_PRINCIPAL.id)
    createdTenant = true
  }
  // The built-in time-stamping authority (CA and TSA keys under SAEH_HOME/tsa), unless an external one is set.
  if (!c.config.seal.tsaUrl) await ensureBuiltinAuthority(c.config.home, c.clock.now())
  const admin = await c.tenancy.ensureAdmin(SYSTEM_PRINCIPAL)
  return { createdTenant, admin }
}
