import type { InvalidationBus } from '../../cache/invalidation-bus.ts'
import { currentTenantId, runWithTenant, tryGetContext } from '../../context/index.ts'
import { withSystem, withTenant, type Database, type TenantTx } from '../../db/index.ts'
import { AppError, notFound } from '../../errors/index.ts'
import { decodeCursor, page } from '../../http/pagination.ts'
import { recordAudit, recordPlatformAction } from '../audit/index.ts'
import { hashPassword, passwordProblems } from '../auth/passwords.ts'
import { effectiveConfig, quotaExceeded, type PlanDefaults, type PlanName, type TenantSettings } from '../plans/index.ts'
import { ALL_PERMISSIONS, assertCanGrant, findAssignableRole, type HeldPermissions, type RoleRecord } from '../rbac/index.ts'
import { usersRepository as users } from '../users/index.ts'
import { isLiveTenant, lockTenant } from '../tenants/index.ts'
import * as repository from './members.repository.ts'
import type { MemberRow } from './members.repository.ts'


export interface AddMemberInput {
  email?: string
  /** Operators may name an existing user by id instead of email. */
  userId?: string
  name?: string
  password?: string
  role_id?: string
  role?: string
}

export interface AddedMember {
  member: MemberRow
  /** Returned once, when the user was invited instead of given a password. */
  invitation_token?: string
  invitation_expires_at?: Date
}

/**
 * Memberships of the tenant in context. Every change is audited in its transaction and
 * invalidates the access cache at once. `held` is the acting caller's permission set: nobody
 * assigns a role holding a permission they lack, nor manages a member who holds one.
 */
export class MembersService {
  private readonly db: Database
  private readonly bus: InvalidationBus

  constructor(
    db: Database,
    bus: InvalidationBus,
  ) {
    this.db = db
    this.bus = bus
  }

  async list(options: { limit?: number; cursor?: string }): Promise<{ data: MemberRow[]; next_cursor: string | null }> {
    const limit = options.limit ?? 50
    const rows = await withTenant(this.db, (tx) => repository.listMembers(tx, limit, decodeCursor(options.cursor)))
    return page(rows, limit)
  }

  /**
   * Adds a member: an existing user joins at once; a new user is created with the password given
   * (checked against the tenant's policy) or invited with a one-time token. max_users holds.
   */
  async add(input: AddMemberInput, held: HeldPermissions): Promise<AddedMember> {
    const policy = await this.configuration()
    if (input.password !== undefined) assertPassword(input.password, policy)
    const passwordHash = input.password === undefined ? undefined : await hashPassword(input.password)

    const added = await withTenant(this.db, async (tx) => {
      const role = await resolveRole(tx, input)
      assertCanGrant(held, role.permissions, 'assign a role holding')
      // Serialises additions to this tenant, so concurrent adds cannot all pass the count.
      await lockTenant(tx, tx.tenantId)
      const limit = policy.limits.max_users
      if (limit !== null && (await repository.countMembers(tx)) >= limit) {
        throw quotaExceeded('max_users', limit, `the plan allows ${limit} members`)
      }
      let user = input.userId ? await users.findUserById(tx, input.userId) : await users.findUserByEmail(tx, input.email!)
      if (input.userId && (!user || user.status === 'erased')) throw notFound('user', input.userId)
      // An erased account is nobody (D56): its placeholder address names no one who could join.
      if (user?.status === 'erased') throw new AppError('validation_failed', 'this address belongs to an erased account', { field: 'email' })
      if (user && input.password !== undefined) {
        throw new AppError('conflict', 'this person already has an account: add them without a password')
      }
      user ??= await users.insertUser(tx, { email: input.email!, name: input.name, passwordHash, defaultTenantId: tx.tenantId })
      if (await repository.findMember(tx, user.id)) throw new AppError('already_exists', 'this person is already a member')
      const invite = !user.has_password
      await repository.insertMembership(tx, { userId: user.id, roleId: role.id, customRole: !role.is_system, status: invite ? 'invited' : 'active' })
      await users.setDefaultTenantIfUnset(tx, user.id, tx.tenantId)
      const result: AddedMember = { member: (await repository.findMember(tx, user.id))! }
      if (invite) {
        const { token, expiresAt } = await repository.issueInvitation(tx, user.id)
        Object.assign(result, { invitation_token: token, invitation_expires_at: expiresAt })
      }
      await audit(tx, 'member.added', user.id, { role: role.name, role_id: role.id, status: invite ? 'invited' : 'active' })
      return result
    })
    this.bus.publish({ kind: 'membership', tenantId: currentTenantId(), userId: added.member.user_id })
    return added
  }

  async update(userId: string, changes: { role_id?: string; role?: string; status?: 'active' | 'suspended' }, held: HeldPermissions): Promise<MemberRow> {
    const member = await withTenant(this.db, async (tx) => {
      const current = await repository.findMember(tx, userId)
      if (!current) throw notFound('member', userId)
      await assertMayManage(tx, current, held)
      if (current.status === 'invited' && changes.status === 'active') throw new AppError('conflict', 'an invited member becomes active by accepting the invitation')
      const role = changes.role_id !== undefined || changes.role !== undefined ? await resolveRole(tx, changes) : undefined
      if (role) assertCanGrant(held, role.permissions, 'assign a role holding')
      const losesAdmin = (role !== undefined && !isAdminRole(role)) || changes.status === 'suspended'
      if (isAdmin(current) && current.status === 'active' && losesAdmin) await assertNotLastAdmin(tx, userId)
      await repository.updateMembership(tx, userId, { role: role && { id: role.id, custom: !role.is_system }, status: changes.status })
      const updated = (await repository.findMember(tx, userId))!
      await audit(tx, 'member.updated', userId, memberDiff(current, updated))
      return updated
    })
    this.bus.publish({ kind: 'membership', tenantId: currentTenantId(), userId })
    return member
  }

  async remove(userId: string, held: HeldPermissions): Promise<void> {
    await withTenant(this.db, async (tx) => {
      const current = await repository.findMember(tx, userId)
      if (!current) throw notFound('member', userId)
      await assertMayManage(tx, current, held)
      if (isAdmin(current) && current.status === 'active') await assertNotLastAdmin(tx, userId)
      await repository.deleteMembership(tx, userId)
      await users.clearDefaultTenant(tx, userId, tx.tenantId)
      await audit(tx, 'member.removed', userId, { role: current.role, role_id: current.role_id, status: current.status })
    })
    this.bus.publish({ kind: 'membership', tenantId: currentTenantId(), userId })
  }

  /**
   * The membership's part of erasing a user (D56), in the tenant in context: it goes whatever the
   * caller holds, but a live tenant keeps its last active Admin (a deleted one has no use for
   * one: `tenantDeleted`). False when there was no membership.
   */
  async eraseMembership(userId: string, options: { tenantDeleted: boolean }): Promise<boolean> {
    const removed = await withTenant(this.db, async (tx) => {
      const current = await repository.findMember(tx, userId)
      if (!current) return false
      if (!options.tenantDeleted && isAdmin(current) && current.status === 'active') await assertNotLastAdmin(tx, userId)
      await repository.deleteMembership(tx, userId)
      await audit(tx, 'member.erased', userId, { role: current.role, role_id: current.role_id, status: current.status })
      return true
    })
    if (removed) this.bus.publish({ kind: 'membership', tenantId: currentTenantId(), userId })
    return removed
  }

  /** Whether the user is the only active Admin of the tenant in context (erasure asks first). */
  async isLastActiveAdmin(userId: string): Promise<boolean> {
    return withTenant(this.db, (tx) => isLastAdmin(tx, userId))
  }

  /** For operators (POST /tenants/:id/users): the same rules, inside the named tenant. */
  async addToTenant(tenantId: string, input: AddMemberInput): Promise<AddedMember> {
    if (!(await withSystem(this.db, (tx) => isLiveTenant(tx, tenantId)))) throw notFound('tenant', tenantId)
    return runWithTenant(tenantId, () => this.add(input, ALL_PERMISSIONS))
  }

  private async configuration(): Promise<PlanDefaults> {
    const tenantId = currentTenantId()
    const { rows } = await withSystem(this.db, (tx) => tx.query<{ plan: PlanName; settings: TenantSettings }>('select plan, settings from tenants where id = $1', [tenantId]))
    if (!rows[0]) throw notFound('tenant', tenantId)
    return effectiveConfig(rows[0].plan, rows[0].settings)
  }
}

export function assertPassword(password: string, policy: PlanDefaults): void {
  const problems = passwordProblems(password, policy.password_policy)
  if (problems.length > 0) throw new AppError('validation_failed', `the password needs ${problems.join(', ')}`, { field: 'password', requirements: problems })
}

/** A system role or one of the tenant's custom roles, by id or name; unknown is 400. */
async function resolveRole(tx: TenantTx, input: { role_id?: string; role?: string }): Promise<RoleRecord> {
  if (input.role_id === undefined && input.role === undefined) throw new AppError('validation_failed', 'give role_id or role', { field: 'role_id' })
  const role = await findAssignableRole(tx, { id: input.role_id, name: input.role })
  if (!role) throw new AppError('validation_failed', `unknown role ${input.role_id ?? input.role}`, { field: input.role_id ? 'role_id' : 'role' })
  return role
}

// The last-Admin rule is about the system Admin role: custom roles cannot take its name.
const isAdminRole = (role: RoleRecord) => role.is_system && role.name === 'Admin'
const isAdmin = (member: MemberRow) => !member.custom_role && member.role === 'Admin'

/** Changing or removing a member needs every permission that member holds: no one outranks themselves upward. */
async function assertMayManage(tx: TenantTx, member: MemberRow, held: HeldPermissions): Promise<void> {
  const role = await findAssignableRole(tx, { id: member.role_id })
  assertCanGrant(held, role?.permissions ?? [], 'manage a member holding')
}

async function isLastAdmin(tx: TenantTx, userId: string): Promise<boolean> {
  const admins = await repository.activeAdminIds(tx)
  return admins.length <= 1 && admins.includes(userId)
}

async function assertNotLastAdmin(tx: TenantTx, userId: string): Promise<void> {
  if (await isLastAdmin(tx, userId)) throw new AppError('last_admin', 'the tenant must keep at least one active Admin')
}

function memberDiff(before: MemberRow, after: MemberRow): Record<string, unknown> {
  const changes: Record<string, unknown> = {}
  if (before.role_id !== after.role_id) changes.role = { from: before.role, to: after.role, from_id: before.role_id, to_id: after.role_id }
  if (before.status !== after.status) changes.status = { from: before.status, to: after.status }
  return changes
}

/**
 * The tenant audit log, in the change's transaction; operators acting inside a tenant also leave
 * a platform audit entry (DESIGN §6.6).
 */
async function audit(tx: TenantTx, action: string, userId: string, changes: Record<string, unknown>): Promise<void> {
  await recordAudit(tx, { action, resourceType: 'member', resourceId: userId, changes })
  if (tryGetContext()?.actor.type !== 'platform') return
  await recordPlatformAction(tx, { action, targetType: 'membership', targetId: `${tx.tenantId}:${userId}`, metadata: changes })
}
