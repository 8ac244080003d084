import type { Config } from './config/index.ts'
import { checkAppRole, checkLookupOwners, checkTableRegistry, migrateUp, type Database } from './db/index.ts'
import { describeSeed, seed } from './db/seed.ts'
import type { Logger } from './observability/logger.ts'

/** A start-up check failed; `problems` has one line each, printed as they are. */
export class StartupError extends Error {
  readonly problems: string[]

  constructor(problems: string[]) {
    super(problems.join('\n'))
    this.problems = problems
    this.name = 'StartupError'
  }
}

/**
 * Brings the database to what this release expects before any request is served: migrations
 * (under the advisory lock), seeds, the table registry against the catalog, and the
 * request-traffic role (refused in production when it could bypass RLS) and the owner of the
 * cross-tenant lookups (refused in production when RLS hides every membership from them).
 */
export async function prepareDatabase(db: Database, config: Config, logger: Logger): Promise<void> {
  const applied = await migrateUp(db)
  if (applied.length > 0) logger.info({ migrations: applied }, `applied ${applied.length} migration(s)`)
  logger.info(describeSeed(await seed(db, config)))

  const registryProblems = await db.withOwnerSession((session) => checkTableRegistry(session, db.appRole))
  if (registryProblems.length > 0) throw new StartupError(registryProblems)

  const roleProblems = [...(await checkAppRole(db)), ...(await db.withOwnerSession(checkLookupOwners))]
  if (roleProblems.length > 0) {
    if (config.NODE_ENV === 'production') throw new StartupError(roleProblems)
    for (const line of roleProblems) logger.warn(line)
  }
}
