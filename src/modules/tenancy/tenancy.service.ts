import type { Clock } from '../../platform/clock.js'
import type { IdSource } from '../../platform/ids.js'
import type { Db, Executor } from '../../platform/db/create-db.js'
import type { AuditService } from '../audit/index.js'
import { TenancyErrors } from './tenancy.errors.js'
import { can, effectiveRoles, isPlatformAdmin } from './tenancy.policy.js'
import {
  ALL_TENANTS,
  ROLES,
  type Permission,
  type Principal,
  type PrincipalSummary,
  type Role,
  type RoleGrant,
  type Tenant,
} from './tenancy.types.js'
import {
  DUMMY_HASH,
  generatePassword,
  hashPassword,
  newSecret,
  tokenHash,
  verifyPassword,
} from './passwords.js'

const TENANT_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/
const USERNAME = /^[a-zA-Z0-9][a-zA-Z0-9._@-]{1,63}$/
const MIN_PASSWORD = 12

export interface TenancyDeps {
  readonly db: Db
  readonly audit: AuditService
  readonly clock: Clock
  readonly ids: IdSource
  readonly sessionTtlSeconds: number
}

function toTenant(r: { id: string; name: string; controlled_by: string | null; created_at: string }): Tenant {
  return { id: r.id, name: r.name, controlledBy: r.controlled_by, createdAt: r.created_at }
}

function checkRole(role: string): Role {
  if (!(ROLES as readonly string[]).includes(role)) {
    throw TenancyErrors.invalid('role', `rôle inconnu ; rôles possibles : ${ROLES.join(', ')}`, role)
  }
  return role as Role
}

export class TenancyService {
  constructor(private readonly deps: TenancyDeps) {}

  private get kysely() {
    return this.deps.db.kysely
  }

  private now(): string {
    return this.deps.clock.now().toISOString()
  }

  // ── tenants ────────────────────────────────────────────────────────────────────────────────────

  async createTenant(
    actor: Principal,
    input: { id: string; name: string; controlledBy?: string | null },
  ): Promise<Tenant> {
    if (!isPlatformAdmin(actor)) throw TenancyErrors.forbidden('tenant.create', null)
    const id = input.id.trim()
    if (!TENANT_ID.test(id)) {
      throw TenancyErrors.invalid(
        'id',
        'identifiant invalide : minuscules, chiffres, « - » et « _ », 63 caractères au plus',
        input.id,
      )
    }
    if (id === ALL_TENANTS) throw TenancyErrors.invalid('id', 'identifiant réservé', id)
    const name = input.name.trim()
    if (name === '' || name.length > 200)
      throw TenancyErrors.invalid('name', 'nom vide ou trop long', input.name)
    const controlledBy = input.controlledBy?.trim() || null
    const { result } = await this.deps.audit.inOperation(
      { tenantId: null, type: 'TENANT_CREATE', agent: actor.id },
      async (trx, op) => {
        if (await trx.selectFrom('tenant').select('id').where('id', '=', id).executeTakeFirst()) {
          throw TenancyErrors.tenantExists(id)
        }
        if (controlledBy !== null) {
          const ctl = await trx
            .selectFrom('tenant')
            .selectAll()
            .where('id', '=', controlledBy)
            .executeTakeFirst()
          if (!ctl) throw TenancyErrors.tenantNotFound(controlledBy)
          if (ctl.controlled_by !== null) {
            throw TenancyErrors.invalid(
              'controlledBy',
              `${controlledBy} est lui-même contrôlé par ${ctl.controlled_by} : l'autorité de contrôle doit être un service d'archives départemental`,
              controlledBy,
            )
          }
        }
        const row = { id, name, controlled_by: controlledBy, created_at: this.now() }
        await trx.insertInto('tenant').values(row).execute()
        // The tenant's own chain starts with its creation, so that it can be exported and verified alone.
        await this.deps.audit.record(trx, {
          operationId: op.id,
          tenantId: id,
          type: 'TENANT_CREATE',
          outcome: 'OK',
          agent: actor.id,
          message: `Création du service ${id} (${name})`,
          data: { name, controlledBy },
        })
        return {
          result: toTenant(row),
          events: [
            {
              type: 'TENANT_CREATE',
              outcome: 'OK',
              agent: actor.id,
              objectId: id,
              message: `Création du service ${id} (${name})${controlledBy ? `, contrôlé par ${controlledBy}` : ''}`,
              data: { name, controlledBy },
            },
          ],
        }
      },
    )
    return result
  }

  async findTenant(id: string, trx: Executor = this.kysely): Promise<Tenant | undefined> {
    const r = await trx.selectFrom('tenant').selectAll().where('id', '=', id).executeTakeFirst()
    return r && toTenant(r)
  }

  /**
   * The tenant, if the principal holds `permission` on it. A tenant the principal cannot reach at all
   * answers TENANT_NOT_FOUND (its existence is not revealed); a reachable one without the permission
   * answers FORBIDDEN.
   */
  async requireAccess(actor: Principal, tenantId: string, permission: Permission): Promise<Tenant> {
    const tenant = await this.findTenant(tenantId)
    if (!tenant || effectiveRoles(actor, tenant).length === 0) throw TenancyErrors.tenantNotFound(tenantId)
    if (!can(actor, tenant, permission)) throw TenancyErrors.forbidden(permission, tenantId)
    return tenant
  }

  async listTenants(actor: Principal): Promise<Tenant[]> {
    const rows = await this.kysely.selectFrom('tenant').selectAll().orderBy('id').execute()
    return rows.map(toTenant).filter((t) => effectiveRoles(actor, t).length > 0)
  }

  // ── principals ─────────────────────────────────────────────────────────────────────────────────

  private async authorizeGrant(actor: Principal, tenantId: string, role: Role): Promise<string> {
    if (role === 'platform-admin') {
      if (!isPlatformAdmin(actor)) throw TenancyErrors.forbidden('platform.admin', null)
      return ALL_TENANTS
    }
    await this.requireAccess(actor, tenantId, 'principal.manage')
    return tenantId
  }

  /** The users (or API keys) holding a role on a tenant, for those who manage its principals. */
  async listPrincipals(
    actor: Principal,
    tenantId: string,
    kind: 'user' | 'apikey',
  ): Promise<PrincipalSummary[]> {
    await this.requireAccess(actor, tenantId, 'principal.manage')
    const rows = await this.kysely
      .selectFrom('principal_role')
      .innerJoin('principal', 'principal.id', 'principal_role.principal_id')
      .select([
        'principal.id',
        'principal.kind',
        'principal.username',
        'principal.label',
        'principal.key_prefix',
        'principal.created_at',
        'principal.revoked_at',
        'principal_role.role',
      ])
      .where('principal_role.tenant_id', '=', tenantId)
      .where('principal.kind', '=', kind)
      .orderBy('principal.created_at')
      .orderBy('principal.id')
      .execute()
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      name: (r.kind === 'user' ? r.username : r.label) ?? r.id,
      role: r.role as Role,
      keyPrefix: r.key_prefix,
      createdAt: r.created_at,
      revokedAt: r.revoked_at,
    }))
  }

  async createUser(
    actor: Principal,
    input: { username: string; password?: string; tenantId: string; role: string },
  ): Promise<{ id: string; username: string; password: string; generated: boolean; grants: RoleGrant[] }> {
    const role = checkRole(input.role)
    const username = input.username.trim()
    if (!USERNAME.test(username)) {
      throw TenancyErrors.invalid(
        'username',
        'nom d’utilisateur invalide (2 à 64 caractères : lettres, chiffres, . _ @ -)',
        input.username,
      )
    }
    const generated = input.password === undefined
    const password = input.password ?? generatePassword()
    if (password.length < MIN_PASSWORD) {
      throw TenancyErrors.invalid(
        'password',
        `le mot de passe doit compter au moins ${MIN_PASSWORD} caractères`,
      )
    }
    const tenantId = await this.authorizeGrant(actor, input.tenantId, role)
    const passwordHash = await hashPassword(password)
    const id = this.deps.ids.next()
    await this.deps.audit.inOperation(
      { tenantId: tenantId === ALL_TENANTS ? null : tenantId, type: 'PRINCIPAL_CREATE', agent: actor.id },
      async (trx) => {
        if (
          await trx.selectFrom('principal').select('id').where('username', '=', username).executeTakeFirst()
        ) {
          throw TenancyErrors.userExists(username)
        }
        await trx
          .insertInto('principal')
          .values({
            id,
            kind: 'user',
            username,
            password_hash: passwordHash,
            key_prefix: null,
            key_hash: null,
            label: null,
            created_at: this.now(),
            revoked_at: null,
          })
          .execute()
        await trx
          .insertInto('principal_role')
          .values({ principal_id: id, tenant_id: tenantId, role })
          .execute()
        return {
          result: null,
          events: [
            {
              type: 'PRINCIPAL_CREATE',
              outcome: 'OK',
              agent: actor.id,
              objectId: id,
              message: `Création de l'utilisateur ${username} (${role})`,
              data: { username, role, tenantId },
            },
          ],
        }
      },
    )
    return { id, username, password, generated, grants: [{ tenantId, role }] }
  }

  async createApiKey(
    actor: Principal,
    input: { tenantId: string; role: string; label?: string },
  ): Promise<{ id: string; key: string; label: string; grants: RoleGrant[] }> {
    const role = checkRole(input.role)
    const tenantId = await this.authorizeGrant(actor, input.tenantId, role)
    const prefix = newSecret(9)
    const secret = newSecret(32)
    const key = `saeh_${prefix}_${secret}`
    const id = this.deps.ids.next()
    const label = (input.label ?? `clé ${role} ${input.tenantId}`).trim().slice(0, 200)
    await this.deps.audit.inOperation(
      { tenantId: tenantId === ALL_TENANTS ? null : tenantId, type: 'APIKEY_CREATE', agent: actor.id },
      async (trx) => {
        await trx
          .insertInto('principal')
          .values({
            id,
            kind: 'apikey',
            username: null,
            password_hash: null,
            key_prefix: prefix,
            key_hash: tokenHash(key),
            label,
            created_at: this.now(),
            revoked_at: null,
          })
          .execute()
        await trx
          .insertInto('principal_role')
          .values({ principal_id: id, tenant_id: tenantId, role })
          .execute()
        return {
          result: null,
          events: [
            {
              type: 'APIKEY_CREATE',
              outcome: 'OK',
              agent: actor.id,
              objectId: id,
              message: `Création de la clé d'API « ${label} » (${role})`,
              data: { label, role, tenantId, prefix },
            },
          ],
        }
      },
    )
    return { id, key, label, grants: [{ tenantId, role }] }
  }

  async revokeApiKey(actor: Principal, tenantId: string, keyId: string): Promise<void> {
    await this.requireAccess(actor, tenantId, 'principal.manage')
    await this.deps.audit.inOperation({ tenantId, type: 'APIKEY_REVOKE', agent: actor.id }, async (trx) => {
      const key = await trx
        .selectFrom('principal')
        .innerJoin('principal_role', 'principal_role.principal_id', 'principal.id')
        .select(['principal.id', 'principal.revoked_at', 'principal.label'])
        .where('principal.id', '=', keyId)
        .where('principal.kind', '=', 'apikey')
        .where('principal_role.tenant_id', '=', tenantId)
        .executeTakeFirst()
      if (!key) throw TenancyErrors.principalNotFound(keyId)
      if (key.revoked_at === null) {
        await trx.updateTable('principal').set({ revoked_at: this.now() }).where('id', '=', keyId).execute()
      }
      return {
        result: null,
        events: [
          {
            type: 'APIKEY_REVOKE',
            outcome: 'OK',
            agent: actor.id,
            objectId: keyId,
            message: `Révocation de la clé d'API « ${key.label ?? keyId} »`,
          },
        ],
      }
    })
    await this.kysely.deleteFrom('session').where('principal_id', '=', keyId).execute()
  }

  private async grantsOf(principalId: string): Promise<RoleGrant[]> {
    const rows = await this.kysely
      .selectFrom('principal_role')
      .select(['tenant_id', 'role'])
      .where('principal_id', '=', principalId)
      .orderBy('tenant_id')
      .execute()
    return rows.map((r) => ({ tenantId: r.tenant_id, role: r.role as Role }))
  }

  // ── authentication ─────────────────────────────────────────────────────────────────────────────

  async login(
    username: string,
    password: string,
  ): Promise<{ token: string; expiresAt: string; principal: Principal }> {
    const user = await this.kysely
      .selectFrom('principal')
      .select(['id', 'username', 'password_hash', 'revoked_at'])
      .where('username', '=', username)
      .where('kind', '=', 'user')
      .executeTakeFirst()
    const ok = await verifyPassword(password, user?.password_hash ?? DUMMY_HASH)
    if (!user || !ok || user.revoked_at !== null) throw TenancyErrors.badCredentials()
    const token = `saehs_${newSecret(32)}`
    const created = this.deps.clock.now()
    const expiresAt = new Date(created.getTime() + this.deps.sessionTtlSeconds * 1000).toISOString()
    await this.kysely
      .insertInto('session')
      .values({
        token_hash: tokenHash(token),
        principal_id: user.id,
        created_at: created.toISOString(),
        expires_at: expiresAt,
      })
      .execute()
    return {
      token,
      expiresAt,
      principal: {
        id: user.id,
        kind: 'user',
        name: user.username ?? user.id,
        grants: await this.grantsOf(user.id),
      },
    }
  }

  async logout(token: string): Promise<void> {
    await this.kysely.deleteFrom('session').where('token_hash', '=', tokenHash(token)).execute()
  }

  /** Resolves a bearer credential: a session token (`saehs_…`) or an API key (`saeh_…`). */
  async authenticate(credential: string): Promise<Principal> {
    if (credential.startsWith('saehs_')) {
      const s = await this.kysely
        .selectFrom('session')
        .innerJoin('principal', 'principal.id', 'session.principal_id')
        .select(['principal.id', 'principal.username', 'principal.revoked_at', 'session.expires_at'])
        .where('session.token_hash', '=', tokenHash(credential))
        .executeTakeFirst()
      if (!s || s.revoked_at !== null) throw TenancyErrors.badToken()
      if (s.expires_at <= this.now()) {
        await this.logout(credential)
        throw TenancyErrors.expired()
      }
      return { id: s.id, kind: 'user', name: s.username ?? s.id, grants: await this.grantsOf(s.id) }
    }
    const m = /^saeh_([A-Za-z0-9_-]{12})_([A-Za-z0-9_-]{43})$/.exec(credential)
    if (!m) throw TenancyErrors.badToken()
    const k = await this.kysely
      .selectFrom('principal')
      .select(['id', 'label', 'key_hash', 'revoked_at'])
      .where('key_prefix', '=', m[1]!)
      .where('kind', '=', 'apikey')
      .executeTakeFirst()
    if (!k || k.key_hash !== tokenHash(credential)) throw TenancyErrors.badToken()
    if (k.revoked_at !== null) throw TenancyErrors.revoked()
    return { id: k.id, kind: 'apikey', name: k.label ?? k.id, grants: await this.grantsOf(k.id) }
  }

  /** Acts as a named user (the CLI's `--as USER`). */
  async principalByName(username: string): Promise<Principal> {
    const u = await this.kysely
      .selectFrom('principal')
      .select(['id', 'username', 'revoked_at'])
      .where('username', '=', username)
      .executeTakeFirst()
    if (!u || u.revoked_at !== null) throw TenancyErrors.principalNotFound(username)
    return { id: u.id, kind: 'user', name: u.username ?? u.id, grants: await this.grantsOf(u.id) }
  }

  /** Creates the platform administrator `admin` if no platform administrator exists; returns its password once. */
  async ensureAdmin(actor: Principal): Promise<{ username: string; password: string } | null> {
    const existing = await this.kysely
      .selectFrom('principal_role')
      .select('principal_id')
      .where('tenant_id', '=', ALL_TENANTS)
      .where('role', '=', 'platform-admin')
      .executeTakeFirst()
    if (existing) return null
    const u = await this.createUser(actor, {
      username: 'admin',
      tenantId: ALL_TENANTS,
      role: 'platform-admin',
    })
    return { username: u.username, password: u.password }
  }
}
