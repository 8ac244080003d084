import type { InvalidationBus } from '../../cache/invalidation-bus.ts'
import type { Config } from '../../config/index.ts'
import { runWithTenant } from '../../context/index.ts'
import { withPlatform, withSystem, withTenant, type Database } from '../../db/index.ts'
import { AppError } from '../../errors/index.ts'
import type { TenantDirectory, TenantRecord } from '../access/tenant-directory.ts'
import { assertPassword } from '../members/members.service.ts'
import { hashInvitationToken, invitationTenant } from '../members/invitation-token.ts'
import * as members from '../members/members.repository.ts'
import { configurationOf, planCatalog } from '../plans/index.ts'
import type { SecurityLog } from '../../observability/security-log.ts'
import { findRole } from '../rbac/index.ts'
import type { Tenant, TenantsService } from '../tenants/tenants.service.ts'
import { usersRepository as users, type UserRow } from '../users/index.ts'
import type { LoginThrottle } from './login-throttle.ts'
import { hashPassword, verifyPassword } from './passwords.ts'
import { durationSeconds, type TokenService } from './tokens.ts'

export interface Session {
  token: string
  token_type: 'Bearer'
  expires_at: Date
  user: { id: string; email: string; name: string | null; is_platform_admin: boolean }
  tenant: { id: string; slug: string; name: string } | null
  role: string | null
  permissions: string[]
}

const INVALID = () => new AppError('invalid_credentials', 'the email or password is wrong')

/** What the login flow works with. */
export interface AuthServiceDeps {
  config: Config
  db: Database
  tokens: TokenService
  directory: TenantDirectory
  throttle: LoginThrottle
  tenants: TenantsService
  bus: InvalidationBus
  /** Login outcomes and lockouts (the security event stream). */
  security?: SecurityLog
}

export class AuthService {
  private readonly deps: AuthServiceDeps

  constructor(deps: AuthServiceDeps) {
    this.deps = deps
  }

  /**
   * Wrong password and unknown email give the same answer after the same work (one argon2
   * verification each). Failures count per account+IP, IP and account (login-throttle.ts).
   */
  async login(input: { email: string; password: string; tenant?: string }, ip: string): Promise<Session> {
    const { throttle, db } = this.deps
    const email = users.normaliseEmail(input.email)
    const security = this.deps.security
    const wait = await throttle.retryAfter(email, ip)
    if (wait > 0) {
      security?.event('auth.login_failed', { reason: 'locked', ip, retry_after: wait })
      throw new AppError('rate_limited', 'too many failed logins; try again later', { retry_after: wait })
    }

    const user = await withSystem(db, (tx) => users.findLoginByEmail(tx, email))
    const verification = await verifyPassword(user?.password_hash, input.password)
    if (!user || !verification.ok) {
      const locked = await throttle.recordFailure(email, ip)
      // The typed email is not logged (it may be a pasted password); the account id is, if any.
      security?.event('auth.login_failed', { reason: user ? 'wrong_password' : 'unknown_account', user_id: user?.id, ip })
      if (locked.length > 0) security?.event('auth.lockout', { rules: locked, user_id: user?.id, ip })
      throw INVALID()
    }
    await throttle.recordSuccess(email, ip)
    if (user.status !== 'active') {
      security?.event('auth.login_failed', { reason: 'account_disabled', user_id: user.id, ip })
      throw new AppError('account_disabled', 'this account is disabled')
    }
    if (verification.needsRehash) {
      // Legacy bcrypt (or weaker argon2) hashes are upgraded while we hold the plain password.
      // As the owner: a platform admin's hash is not the app role's to write (D73), and this
      // write follows the proof of the password, never a request's say-so.
      const upgraded = await hashPassword(input.password)
      await withPlatform(db, (tx) => users.setPasswordHash(tx, user.id, upgraded))
    }
    const tenant = await this.loginTenant(user, input.tenant).catch((error: unknown) => {
      security?.event('auth.login_failed', { reason: error instanceof AppError ? error.code : 'error', user_id: user.id, ip })
      throw error
    })
    await withSystem(db, (tx) => users.recordLogin(tx, user.id))
    security?.event('auth.login_succeeded', { user_id: user.id, tenant_id: tenant?.id, ip })
    return this.session(user, tenant)
  }

  /** Sign-up: tenant, user and Admin membership in one transaction (the tenant's provisioning). */
  async registerOrganization(input: { organization_name: string; slug?: string; admin_email: string; admin_password: string; admin_name?: string }): Promise<{ tenant: Tenant; session: Session }> {
    if (!this.deps.config.SIGNUP_ENABLED) throw new AppError('signup_disabled', 'sign-up is disabled on this platform (SIGNUP_ENABLED=false)')
    assertPassword(input.admin_password, planCatalog().basic)
    const passwordHash = await hashPassword(input.admin_password)
    let user: UserRow | undefined
    const tenant = await this.deps.tenants.create({ name: input.organization_name, slug: input.slug }, async (tx) => {
      if (await users.findUserByEmail(tx, input.admin_email)) {
        throw new AppError('already_exists', 'an account with this email exists: log in and ask an admin to add you, or use another email')
      }
      user = await users.insertUser(tx, { email: input.admin_email, name: input.admin_name, passwordHash, defaultTenantId: tx.tenantId })
      const admin = await findRole(tx, { name: 'Admin' })
      await members.insertMembership(tx, { userId: user.id, roleId: admin!.id, status: 'active' })
    })
    return { tenant, session: await this.session(user!, await this.deps.directory.tenantById(tenant.id)) }
  }

  /** Sets the invited user's password and activates the membership; the token works once. */
  async acceptInvite(input: { token: string; password: string }): Promise<Session> {
    const tenantId = invitationTenant(input.token)
    const invalid = () => new AppError('invalid_token', 'the invitation is unknown, used or expired')
    if (!tenantId) throw invalid()
    const tenant = await this.deps.directory.tenantById(tenantId)
    if (!tenant || tenant.status !== 'active') throw invalid()
    assertPassword(input.password, configurationOf(tenant))
    const passwordHash = await hashPassword(input.password)
    const user = await runWithTenant(tenantId, () =>
      withTenant(this.deps.db, async (tx) => {
        const userId = await members.consumeInvitation(tx, hashInvitationToken(input.token))
        if (!userId) throw invalid()
        const found = await users.findUserById(tx, userId)
        const membership = await members.findMember(tx, userId)
        // A member suspended since the invitation was sent stays suspended: the token is void.
        if (!found || found.status !== 'active' || membership?.status !== 'invited') throw invalid()
        // An account that already has a password (invited elsewhere first, or brought in by an
        // import) proves it here: an invitation token alone never signs anyone in to it.
        // Request traffic may not set a platform admin's password (D73): the operator sets it.
        if (!found.has_password && found.is_platform_admin) {
          throw new AppError('conflict', 'this account is a platform admin without a password: set one with tenantry user create-admin --reset-password, then accept the invitation with it')
        }
        if (found.has_password) {
          const login = await users.findLoginByEmail(tx, found.email)
          if (!(await verifyPassword(login?.password_hash, input.password)).ok) {
            throw new AppError('invalid_credentials', 'this account already has a password: accept the invitation with it')
          }
        } else await users.setPasswordHash(tx, userId, passwordHash)
        await members.updateMembership(tx, userId, { status: 'active' })
        await users.setDefaultTenantIfUnset(tx, userId, tenantId)
        return found
      }),
    )
    this.deps.bus.publish({ kind: 'membership', tenantId, userId: user.id })
    return this.session(user, tenant)
  }

  private async loginTenant(user: UserRow, requested: string | undefined): Promise<TenantRecord | undefined> {
    const { directory } = this.deps
    const denied = () => new AppError('tenant_access_denied', 'the tenant does not exist or you have no access to it')
    const ref = requested ?? user.default_tenant_id ?? (await this.onlyTenant(user))
    if (ref === undefined) {
      if (user.is_platform_admin) return undefined // platform admins may hold a token without a tenant
      throw new AppError('tenant_required', 'name the tenant to log in to ("tenant": id or slug)')
    }
    const tenant = await directory.findTenant(ref)
    if (!tenant) throw denied()
    const membership = await directory.membership(tenant.id, user.id)
    if (!membership || membership.status === 'invited') {
      if (user.is_platform_admin) return tenant
      throw denied()
    }
    if (tenant.status === 'suspended') throw new AppError('tenant_suspended', 'this tenant is suspended')
    if (tenant.status !== 'active') throw denied()
    if (membership.status === 'suspended') throw new AppError('membership_suspended', 'your membership of this tenant is suspended')
    return tenant
  }

  /** Without a default tenant, the user's only active membership, if there is exactly one. */
  private async onlyTenant(user: UserRow): Promise<string | undefined> {
    const ids = await withSystem(this.deps.db, (tx) => users.activeTenantIds(tx, user.id))
    return ids.length === 1 ? ids[0] : undefined
  }

  private async session(user: UserRow, tenant: TenantRecord | undefined): Promise<Session> {
    const { config, tokens, directory } = this.deps
    let ttl = durationSeconds(config.JWT_EXPIRY)
    if (tenant) ttl = Math.min(ttl, configurationOf(tenant).limits.session_timeout_minutes * 60)
    const { token, expiresAt } = await tokens.issue(user.id, tenant?.id, ttl)
    const membership = tenant ? await directory.membership(tenant.id, user.id) : undefined
    const operator = user.is_platform_admin && (!membership || membership.status !== 'active')
    return {
      token,
      token_type: 'Bearer',
      expires_at: expiresAt,
      user: { id: user.id, email: user.email, name: user.name, is_platform_admin: user.is_platform_admin },
      tenant: tenant ? { id: tenant.id, slug: tenant.slug, name: tenant.name } : null,
      role: membership?.roleName ?? (operator ? 'platform' : null),
      permissions: membership ? [...membership.permissions].sort() : operator ? ['*'] : [],
    }
  }
}
