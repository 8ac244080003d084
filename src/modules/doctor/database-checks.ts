// The database half of `tenantry doctor`: the same catalog checks the server runs at start
// (table registry, app role, owner of the membership lookups), plus migrations, reported item by item instead of stopping.
import { checkAppRole, checkLookupOwners, checkTableRegistry, migrationStatus, type Database } from '../../db/index.ts'
import { fail, judged, type CheckResult } from './check.ts'

export async function databaseChecks(db: Database): Promise<CheckResult[]> {
  return [
    await attempt('migrations', async () => {
      const migrations = await migrationStatus(db)
      const unapplied = migrations.filter((m) => m.state !== 'applied').map((m) => `migration ${m.version}_${m.name} is ${m.state}${m.state === 'pending' ? ': run tenantry migrate' : ''}`)
      return judged('migrations', unapplied, `${migrations.length} migrations applied, none changed since`)
    }),
    await attempt('row-level-security', async () =>
      judged('row-level-security', await db.withOwnerSession((session) => checkTableRegistry(session, db.appRole)), 'every tenant table has forced row-level security with the tenant policy, and its tenant_id and indexes'),
    ),
    await attempt('app-role', async () => judged('app-role', await checkAppRole(db), `request traffic runs as ${db.appRole}: no superuser, no BYPASSRLS, owns no table, holds none of the platform's privileges`)),
    await attempt('lookup-owners', async () =>
      judged('lookup-owners', await db.withOwnerSession(checkLookupOwners), 'the cross-tenant lookups (memberships, verified domains) run as a role that row-level security does not hide their rows from'),
    ),
  ]
}

/** A check that cannot run (a database never migrated has no app role to switch to) fails, and the others still run. */
async function attempt(id: string, check: () => Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await check()
  } catch (error) {
    return fail(id, `could not be checked: ${error instanceof Error ? error.message : String(error)}`)
  }
}
