import type { FastifyRequest } from 'fastify'
import type { InvalidationBus } from '../../cache/invalidation-bus.ts'
import type { Config } from '../../config/index.ts'
import { currentTenantId } from '../../context/index.ts'
import { withTenant, type Database, type TenantTx } from '../../db/index.ts'
import { AppError, notFound } from '../../errors/index.ts'
import { decodeCursor, page } from '../../http/pagination.ts'
import type { SecurityLog } from '../../observability/security-log.ts'
import type { TenantRecord } from '../access/tenant-directory.ts'
import { recordAudit } from '../audit/index.ts'
import { DecisionLog } from './decision-log.ts'
import type { DecisionFilter, DecisionRow } from './decisions.repository.ts'
import { assertCanGrant, type HeldPermissions } from './grants.ts'
import { allPermissions, permissionCatalog, type Permission } from './permission-catalog.ts'
import { checkRoleName, nameTaken, type CheckedRoleName } from './role-name.ts'
import * as repository from './roles.repository.ts'
import type { RoleRecord } from './roles.repository.ts'

export interface NewRoleInput {
  name: string
  description?: string
  permissions: readonly string[]
}

export type RoleChanges = Partial<NewRoleInput>

export interface PermissionInfo {
  name: Permission
  resource: string
  action: string
  description: string
}

const catalogOrder = new Map<string, number>(allPermissions.map((name, index) => [name, index]))

/**
 * Roles (the four global system roles, read-only, and the tenant's custom roles) and the
 * permission decision log. Every change is audited in its own transaction and drops the
 * tenant's cached memberships, so it applies on the next request on every instance.
 */
export class RbacService {
  readonly decisions: DecisionLog

  private readonly db: Database
  private readonly bus: InvalidationBus

  constructor(
    db: Database,
    bus: InvalidationBus,
    config: Config,
    security?: SecurityLog,
  ) {
    this.db = db
    this.bus = bus
    this.decisions = new DecisionLog(db, config, security)
  }

  /** The closed catalog of DESIGN §8, the same for every tenant. */
  listPermissions(): PermissionInfo[] {
    return permissionCatalog.map(([name, description]) => {
      const [resource, action] = name.split(':') as [string, string]
      return { name, resource, action, description }
    })
  }

  async listRoles(options: { limit?: number; cursor?: string }): Promise<{ data: RoleRecord[]; next_cursor: string | null }> {
    const limit = options.limit ?? 50
    const rows = await withTenant(this.db, (tx) => repository.listRoles(tx, limit, decodeCursor(options.cursor)))
    return page(rows, limit)
  }

  async getRole(id: string): Promise<RoleRecord> {
    const role = await withTenant(this.db, (tx) => repository.findAssignableRole(tx, { id }))
    if (!role) throw notFound('role', id)
    return role
  }

  /** A custom role; `held` is the actor's permission set (nobody grants what they do not hold). */
  async createRole(input: NewRoleInput, held: HeldPermissions): Promise<RoleRecord> {
    const permissions = knownPermissions(input.permissions)
    assertCanGrant(held, permissions)
    const { name, skeleton } = checkRoleName(input.name)
    const description = input.description ?? ''
    return withTenant(this.db, async (tx) => {
      await assertNameFree(tx, { name, skeleton })
      const id = await repository.insertCustomRole(tx, { name, skeleton, description })
      await repository.setCustomRolePermissions(tx, id, permissions)
      await recordAudit(tx, { action: 'role.created', resourceType: 'role', resourceId: id, changes: { name, description, permissions } })
      return (await repository.findAssignableRole(tx, { id }))!
    })
  }

  /** Renames, redescribes or replaces the permissions of a custom role; the caller holds all it grants, before and after. */
  async updateRole(id: string, changes: RoleChanges, held: HeldPermissions): Promise<RoleRecord> {
    const permissions = changes.permissions === undefined ? undefined : knownPermissions(changes.permissions)
    const name = changes.name === undefined ? undefined : checkRoleName(changes.name)
    const role = await withTenant(this.db, async (tx) => {
      await lockCustom(tx, id)
      const before = (await repository.findAssignableRole(tx, { id }))!
      // A role's change reaches every member and key holding it: whoever changes it (even only
      // removes from it or renames it) must hold all it grants, as for managing those members
      // directly; else users:write + roles:write could strip a stronger member's role and then
      // suspend them. Then, as for creating, nobody adds what they do not hold.
      assertCanGrant(held, before.permissions, 'change a role granting')
      assertCanGrant(held, permissions ?? [])
      if (name !== undefined) await assertNameFree(tx, name, id)
      await repository.updateCustomRole(tx, id, { name, description: changes.description })
      if (permissions) await repository.setCustomRolePermissions(tx, id, permissions)
      const after = (await repository.findAssignableRole(tx, { id }))!
      await recordAudit(tx, { action: 'role.updated', resourceType: 'role', resourceId: id, changes: roleDiff(before, after) })
      return after
    })
    this.bus.publish({ kind: 'tenant', tenantId: currentTenantId() })
    return role
  }

  /**
   * Deletes a custom role nothing refers to any more (409 while members or API keys hold it). As
   * for changing it, the caller must hold all it grants: they could not create it again, so it is
   * not theirs to remove (else roles:write alone deletes the roles kept for stronger members).
   */
  async deleteRole(id: string, held: HeldPermissions): Promise<void> {
    await withTenant(this.db, async (tx) => {
      await lockCustom(tx, id)
      const role = (await repository.findAssignableRole(tx, { id }))!
      assertCanGrant(held, role.permissions, 'delete a role granting')
      const usage = await repository.customRoleUsage(tx, id)
      if (usage.members > 0 || usage.api_keys > 0) {
        throw new AppError('conflict', `the role is held by ${usage.members} member(s) and ${usage.api_keys} API key(s): reassign them first`, usage)
      }
      await repository.deleteCustomRole(tx, id)
      await recordAudit(tx, { action: 'role.deleted', resourceType: 'role', resourceId: id, changes: { name: role.name, permissions: role.permissions } })
    })
    this.bus.publish({ kind: 'tenant', tenantId: currentTenantId() })
  }

  /** The access plugin's denial hook: decision log and counter (DESIGN §8, §12). */
  onDenied(request: FastifyRequest, tenant: TenantRecord, permission: Permission): Promise<void> {
    return this.decisions.denied(request, tenant, permission)
  }

  listDecisions(filter: DecisionFilter, options: { limit?: number; cursor?: string }): Promise<{ data: DecisionRow[]; next_cursor: string | null }> {
    return this.decisions.list(filter, options)
  }
}

/** Locks the tenant's custom role; a system role is read-only (403), anything else is 404. */
async function lockCustom(tx: TenantTx, id: string): Promise<void> {
  if (await repository.lockCustomRole(tx, id)) return
  if (await repository.findRole(tx, { id })) throw new AppError('forbidden', 'system roles are read-only: create a custom role instead')
  throw notFound('role', id)
}

/** Only the 24 (400 naming the unknown ones), without duplicates, in catalog order. */
export function knownPermissions(permissions: readonly string[]): Permission[] {
  const unknown = permissions.filter((permission) => !catalogOrder.has(permission))
  if (unknown.length > 0) {
    throw new AppError('validation_failed', `unknown permission ${unknown.join(', ')}: see GET /api/v1/permissions`, { field: 'permissions', unknown })
  }
  return ([...new Set(permissions)] as Permission[]).sort((a, b) => catalogOrder.get(a)! - catalogOrder.get(b)!)
}

/**
 * No other custom role of the tenant reads as this name (system roles: checkRoleName). The unique
 * index on (tenant_id, name_skeleton) settles two requests racing past this check.
 */
async function assertNameFree(tx: TenantTx, name: CheckedRoleName, exceptId?: string): Promise<void> {
  const existing = await repository.customRoleNamedLike(tx, name.skeleton, exceptId)
  if (existing !== undefined) throw nameTaken(name.name, existing)
}

function roleDiff(before: RoleRecord, after: RoleRecord): Record<string, unknown> {
  const changes: Record<string, unknown> = {}
  if (before.name !== after.name) changes.name = { from: before.name, to: after.name }
  if (before.description !== after.description) changes.description = { from: before.description, to: after.description }
  const added = after.permissions.filter((permission) => !before.permissions.includes(permission))
  const removed = before.permissions.filter((permission) => !after.permissions.includes(permission))
  if (added.length > 0 || removed.length > 0) changes.permissions = { added, removed }
  return changes
}
