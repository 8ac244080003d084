import type { InvalidationBus } from '../../cache/invalidation-bus.ts'
import { currentTenantId } from '../../context/index.ts'
import { withTenant, type Database, type TenantTx } from '../../db/index.ts'
import { AppError, notFound } from '../../errors/index.ts'
import { decodeCursor, page } from '../../http/pagination.ts'
import type { Logger } from '../../observability/logger.ts'
import { SecurityLog } from '../../observability/security-log.ts'
import type { ApiKeyPrincipal, ApiKeyVerifier } from '../access/principal.ts'
import { recordAudit } from '../audit/index.ts'
import { effectiveConfig } from '../plans/index.ts'
import { assertCanGrant, findAssignableRole, type HeldPermissions, type RoleRecord } from '../rbac/index.ts'
import * as repository from './api-keys.repository.ts'
import type { ApiKeyRow } from './api-keys.repository.ts'
import { displayPrefix, generateKey } from './key-format.ts'
import { KeyVerifier } from './key-verifier.ts'

// A fresh 32-bit key id collides with one of the tenant's keys only by rare chance; drawing
// again a few times makes a failure practically impossible.
const PREFIX_ATTEMPTS = 5

/** Who creates a key: a member (with their permissions in the tenant) or an operator (all of them). */
export interface KeyCreator {
  /** The user, or null for SUPER_ADMIN_KEY. */
  userId: string | null
  permissions: HeldPermissions
}

export interface CreateKeyInput {
  name: string
  role_id?: string
  role?: string
  permissions?: string[]
  expires_at?: string
}

/** The created key, with the key itself: the only time it is ever returned. */
export type CreatedKey = ApiKeyRow & { key: string }

/** API keys of the tenant in context: create, list, revoke; and verification for the Authenticator. */
export class ApiKeysService implements ApiKeyVerifier {
  private readonly verifier: KeyVerifier

  private readonly db: Database
  private readonly bus: InvalidationBus
  private readonly security: SecurityLog

  constructor(
    db: Database,
    bus: InvalidationBus,
    logger?: Logger,
    security = new SecurityLog(logger),
  ) {
    this.db = db
    this.bus = bus
    this.security = security
    this.verifier = new KeyVerifier(db, bus, logger)
  }

  verify(key: string): Promise<ApiKeyPrincipal | undefined> {
    return this.verifier.verify(key)
  }

  /** Waits for pending last_used_at writes (they are never awaited by requests). */
  flush(): Promise<void> {
    return this.verifier.flush()
  }

  /**
   * Creates a key bound to the context's tenant and to a role or an explicit permission list,
   * never granting more than the creator holds. The key is returned once and stored as SHA-256.
   */
  async create(input: CreateKeyInput, creator: KeyCreator): Promise<CreatedKey> {
    const grantCount = [input.role_id, input.role, input.permissions].filter((value) => value !== undefined).length
    if (grantCount !== 1) throw new AppError('validation_failed', 'give exactly one of role_id, role and permissions', { field: 'role_id' })
    const expiresAt = input.expires_at === undefined ? null : new Date(input.expires_at)
    if (expiresAt && !(expiresAt.getTime() > Date.now())) throw new AppError('validation_failed', 'expires_at must be in the future', { field: 'expires_at' })

    const created = await withTenant(this.db, async (tx) => {
      await assertFeatureEnabled(tx)
      const role = input.permissions === undefined ? await resolveRole(tx, input) : undefined
      const permissions = role ? role.permissions : [...new Set(input.permissions)].sort()
      assertCanGrant(creator.permissions, permissions, 'give a key')

      for (let attempt = 0; attempt < PREFIX_ATTEMPTS; attempt++) {
        const fresh = generateKey(tx.tenantId)
        const inserted = await repository.insertKey(tx, {
          name: input.name,
          prefix: fresh.prefix,
          keyHash: fresh.hash,
          roleId: role?.is_system ? role.id : null,
          customRoleId: role && !role.is_system ? role.id : null,
          permissions: role ? null : permissions,
          createdBy: creator.userId,
          expiresAt,
        })
        if (!inserted) continue
        const created: CreatedKey = {
          ...inserted,
          name: input.name,
          prefix: fresh.prefix,
          role_id: role?.id ?? null,
          role: role?.name ?? null,
          permissions,
          created_by: creator.userId,
          expires_at: expiresAt,
          last_used_at: null,
          revoked_at: null,
          key: fresh.key,
        }
        // Never the key or its hash: the entry names the key by id and display prefix.
        await recordAudit(tx, {
          action: 'api_key.created',
          resourceType: 'api_key',
          resourceId: created.id,
          changes: { name: created.name, prefix: displayPrefix(created.prefix), role: created.role, permissions, expires_at: expiresAt?.toISOString() ?? null },
        })
        return created
      }
      throw new AppError('conflict', 'could not draw an unused key prefix; retry')
    })
    this.security.event('api_key.created', { api_key_id: created.id, prefix: displayPrefix(created.prefix), role: created.role, expires_at: created.expires_at })
    return created
  }

  async list(options: { limit?: number; cursor?: string }): Promise<{ data: ApiKeyRow[]; next_cursor: string | null }> {
    const limit = options.limit ?? 50
    const rows = await withTenant(this.db, (tx) => repository.listKeys(tx, limit, decodeCursor(options.cursor)))
    return page(rows, limit)
  }

  /**
   * Revokes a key of the context's tenant; it is refused from the next request on, everywhere.
   * `held` is the revoker's permission set: revoking a key needs every permission it carries (as
   * its role's holders have them now), as managing a member does (D22), so api_keys:write alone
   * cannot cut off the Admin's automation.
   */
  async revoke(id: string, held: HeldPermissions): Promise<void> {
    const revoked = await withTenant(this.db, async (tx) => {
      const key = await repository.findKeyForUpdate(tx, id)
      if (!key) throw notFound('api key', id)
      assertCanGrant(held, key.permissions, 'revoke a key holding')
      if (key.revoked_at) return false // already revoked: nothing changes, nothing to audit
      await repository.revokeKey(tx, id)
      await recordAudit(tx, { action: 'api_key.revoked', resourceType: 'api_key', resourceId: id, changes: { name: key.name, prefix: displayPrefix(key.prefix) } })
      return true
    })
    // After the commit: every instance drops the tenant's verified keys (and re-reads them).
    if (revoked) {
      this.bus.publish({ kind: 'tenant', tenantId: currentTenantId() })
      this.security.event('api_key.revoked', { api_key_id: id })
    }
  }
}

async function assertFeatureEnabled(tx: TenantTx): Promise<void> {
  const tenant = await repository.findTenantPlan(tx)
  if (!tenant) throw notFound('tenant', tx.tenantId)
  if (!effectiveConfig(tenant.plan, tenant.settings).features.api_keys) {
    throw new AppError('feature_not_enabled', "API keys are not enabled on this tenant's plan", { feature: 'api_keys' })
  }
}

async function resolveRole(tx: TenantTx, input: { role_id?: string; role?: string }): Promise<RoleRecord> {
  const role = await findAssignableRole(tx, { id: input.role_id, name: input.role })
  if (!role) throw new AppError('validation_failed', `unknown role ${input.role_id ?? input.role}`, { field: input.role_id ? 'role_id' : 'role' })
  return role
}
