import { withPlatform, type Database } from '../../db/index.ts'
import { recordPlatformAction } from '../audit/index.ts'
import { hashPassword, passwordProblems } from '../auth/passwords.ts'
import { AppError } from '../../errors/index.ts'
import { planCatalog } from '../plans/index.ts'
import * as users from './users.repository.ts'

// Platform admins hold the keys to every tenant: the strictest policy applies to them.
const platformAdminPolicy = () => planCatalog().enterprise.password_policy

/**
 * What a password given for an existing user does: `keep` ignores it (PLATFORM_ADMIN_PASSWORD on
 * every start must not undo a password changed since), `reset` sets it, `refuse` refuses the call
 * (`tenantry user create-admin` without --reset-password: a promotion must not lock the person
 * out of an account they use by silently replacing its password).
 */
export type ExistingPassword = 'keep' | 'reset' | 'refuse'

/**
 * Creates a platform admin, or promotes an existing user (see ExistingPassword for its password).
 * Used by `tenantry user create-admin` and by the first start with PLATFORM_ADMIN_EMAIL.
 */
export async function ensurePlatformAdmin(
  db: Database,
  email: string,
  password: string | undefined,
  options: { existingPassword: ExistingPassword },
): Promise<{ id: string; created: boolean }> {
  if (password !== undefined) {
    const problems = passwordProblems(password, platformAdminPolicy())
    if (problems.length > 0) throw new AppError('validation_failed', `the password needs ${problems.join(', ')}`, { field: 'password' })
  }
  const passwordHash = password === undefined ? undefined : await hashPassword(password)
  // As the owner: the app role holds no privilege on platform rights (docs/decisions.md D73).
  return withPlatform(db, async (tx) => {
    const existing = await users.findUserByEmail(tx, email)
    if (existing) {
      if (passwordHash && existing.has_password && options.existingPassword === 'refuse') {
        throw new AppError('conflict', `${email} already has an account and a password: leave out the password to only make it a platform admin, or add --reset-password to replace the password too`)
      }
      await users.setPlatformAdmin(tx, existing.id, true)
      if (passwordHash && (options.existingPassword === 'reset' || !existing.has_password)) await users.setPasswordHash(tx, existing.id, passwordHash)
      if (!existing.is_platform_admin) await recordPlatformAction(tx, { action: 'platform_admin.promoted', targetType: 'user', targetId: existing.id })
      return { id: existing.id, created: false }
    }
    if (!passwordHash) throw new AppError('validation_failed', 'a new platform admin needs a password', { field: 'password' })
    const user = await users.insertUser(tx, { email, passwordHash })
    await users.setPlatformAdmin(tx, user.id, true)
    await recordPlatformAction(tx, { action: 'platform_admin.created', targetType: 'user', targetId: user.id })
    return { id: user.id, created: true }
  })
}
