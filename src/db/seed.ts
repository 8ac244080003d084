import type { Config } from '../config/index.ts'
import { seedRbac } from '../modules/rbac/index.ts'
import { seedDefaultTenant } from '../modules/tenants/index.ts'
import type { Database } from './database.ts'

export interface SeedSummary {
  permissions: number
  roles: string[]
  defaultTenant: { id: string; slug: string; created: boolean }
}

/** Seeds permissions, system roles and the default tenant in one transaction; safe to repeat. */
export async function seed(db: Database, config: Pick<Config, 'DEFAULT_TENANT_ID'>): Promise<SeedSummary> {
  return db.withOwnerSession(async (session) => {
    await session.exec('begin')
    try {
      const rbac = await seedRbac(session)
      const defaultTenant = await seedDefaultTenant(session, config.DEFAULT_TENANT_ID)
      await session.exec('commit')
      return { ...rbac, defaultTenant }
    } catch (error) {
      await session.exec('rollback')
      throw error
    }
  })
}

export function describeSeed(summary: SeedSummary): string {
  const tenant = summary.defaultTenant
  return [
    `seeded ${summary.permissions} permissions`,
    `${summary.roles.length} roles (${summary.roles.join(', ')})`,
    `the default tenant ${tenant.slug} (${tenant.id}${tenant.created ? ', created' : ', already present'})`,
  ].join(', ')
}
