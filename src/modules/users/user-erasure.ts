// GDPR erasure of a user (DESIGN §13, docs/decisions.md D56). A user is global: one person with
// memberships in any number of tenants. Erasing them removes every membership (each in its own
// tenant's context and audit log) and then everything in the user row that identifies the person.
import type { InvalidationBus } from '../../cache/invalidation-bus.ts'
import { runWithTenant } from '../../context/index.ts'
import { withPlatform, withSystem, type Database } from '../../db/index.ts'
import { AppError, notFound } from '../../errors/index.ts'
import type { SecurityLog } from '../../observability/security-log.ts'
import { recordPlatformAction } from '../audit/index.ts'
import type { MembersService } from '../members/members.service.ts'
import * as users from './users.repository.ts'

export interface ErasedUser {
  id: string
  status: 'erased'
  erased_at: Date
  /** The tenants whose membership this erasure removed (empty when the user was erased before). */
  tenants: string[]
}

export class UserErasureService {
  private readonly db: Database
  private readonly members: MembersService
  private readonly bus: InvalidationBus
  private readonly security: SecurityLog

  constructor(
    db: Database,
    members: MembersService,
    bus: InvalidationBus,
    security: SecurityLog,
  ) {
    this.db = db
    this.members = members
    this.bus = bus
    this.security = security
  }

  /**
   * Erases the user. Refused, changing nothing, when it would leave a tenant without an active
   * Admin (409 last_admin, naming the tenants): an operator hands the tenant over first.
   * Idempotent: a second call answers the first one's erasure, and a call that stopped half-way
   * (a crash between tenants) is finished by calling again.
   */
  async erase(userId: string): Promise<ErasedUser> {
    const { user, tenants } = await withSystem(this.db, async (tx) => ({ user: await users.findUserById(tx, userId), tenants: await users.membershipTenants(tx, userId) }))
    if (!user) throw notFound('user', userId)
    if (user.status === 'erased') return { id: user.id, status: 'erased', erased_at: user.erased_at!, tenants: [] }
    await this.assertNoTenantLosesItsAdmin(userId, tenants)

    // Disabled first: from here on no login succeeds and no token of theirs is accepted, on every
    // instance, while the memberships go one tenant at a time.
    await withPlatform(this.db, (tx) => users.disableUser(tx, userId))
    this.bus.publish({ kind: 'user', userId })
    const removed = await this.removeMemberships(userId, tenants)

    const erased = await withPlatform(this.db, async (tx) => {
      const row = await users.scrubUser(tx, userId)
      if (row) await recordPlatformAction(tx, { action: 'user.erased', targetType: 'user', targetId: userId, metadata: { tenants: removed.length } })
      return row ?? (await users.findUserById(tx, userId))!
    })
    this.bus.publish({ kind: 'user', userId })
    this.security.event('user.erased', { user_id: userId, tenants: removed.length })
    return { id: erased.id, status: 'erased', erased_at: erased.erased_at!, tenants: removed }
  }

  /**
   * Each membership in its tenant's context. A tenant may add the (disabled) user by email while
   * this runs, so the list is read again until it is empty (three passes at most: a tenant that
   * keeps adding them gets a 409 and the operator calls again).
   */
  private async removeMemberships(userId: string, tenants: { id: string; deleted: boolean }[]): Promise<string[]> {
    const removed: string[] = []
    for (let pass = 0; tenants.length > 0; pass++) {
      if (pass === 3) throw new AppError('conflict', 'the user keeps being added to tenants while being erased: call erase again')
      for (const tenant of tenants) {
        if (await runWithTenant(tenant.id, () => this.members.eraseMembership(userId, { tenantDeleted: tenant.deleted }))) removed.push(tenant.id)
      }
      tenants = await withSystem(this.db, (tx) => users.membershipTenants(tx, userId))
    }
    return removed.sort()
  }

  /** Deleted tenants are left out: they have no one to administer any more. */
  private async assertNoTenantLosesItsAdmin(userId: string, tenants: { id: string; deleted: boolean }[]): Promise<void> {
    const blocked: string[] = []
    for (const tenant of tenants) {
      if (!tenant.deleted && (await runWithTenant(tenant.id, () => this.members.isLastActiveAdmin(userId)))) blocked.push(tenant.id)
    }
    if (blocked.length > 0) {
      throw new AppError('last_admin', `the user is the only active Admin of ${blocked.length} tenant(s): make someone else Admin, or delete the tenant, first`, { tenants: blocked })
    }
  }
}
