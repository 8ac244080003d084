// DESIGN §5.2 and §2: the request-traffic role must not be able to bypass RLS. Production refuses
// to start otherwise; so does any environment when the schema breaks the table registry.
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { prepareDatabase, StartupError } from '../src/bootstrap.ts'
import { loadConfig } from '../src/config/index.ts'
import { checkAppRole, type Database } from '../src/db/index.ts'
import { createLogger } from '../src/observability/logger.ts'
import { createTestDatabase, type TestDatabase } from './support/test-database.ts'

let testDb: TestDatabase
let db: Database
const roles: string[] = []
const logger = createLogger({ LOG_LEVEL: 'silent', LOG_FORMAT: 'json' })
const production = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'j'.repeat(40), SUPER_ADMIN_KEY: 's'.repeat(40) })

beforeAll(async () => {
  testDb = await createTestDatabase()
  db = testDb.db
})
afterAll(async () => {
  await db.withOwnerSession(async (s) => {
    for (const role of roles) await s.exec(`drop owned by ${role}; drop role ${role}`)
  })
  await testDb.close()
})

/** The same database, but request traffic as `role` (roles are cluster-wide: random names). */
async function asRole(attributes: string): Promise<Database> {
  const role = `tenantry_probe_${randomBytes(4).toString('hex')}`
  roles.push(role)
  await db.withOwnerSession((s) => s.exec(`create role ${role} ${attributes}; grant usage on schema public to ${role}`))
  return Object.create(db, { appRole: { value: role } }) as Database
}

it('accepts the role the migrations created', async () => {
  expect(await checkAppRole(db)).toEqual([])
})

it('names a superuser role', async () => {
  const probe = await asRole('superuser')
  expect(await checkAppRole(probe)).toEqual([expect.stringMatching(/^DATABASE_APP_ROLE: role tenantry_probe_\w+ is a superuser/)])
})

it('names a role with BYPASSRLS', async () => {
  const probe = await asRole('bypassrls')
  expect(await checkAppRole(probe)).toEqual([expect.stringMatching(/has BYPASSRLS/)])
})

it('names a role that owns tables', async () => {
  const probe = await asRole('nosuperuser')
  await db.withOwnerSession((s) => s.exec(`create table owned_by_probe (id int); alter table owned_by_probe owner to ${probe.appRole}`))
  try {
    expect(await checkAppRole(probe)).toEqual([expect.stringMatching(/owns owned_by_probe/)])
  } finally {
    await db.withOwnerSession((s) => s.exec('drop table owned_by_probe'))
  }
})

it('production refuses to start on such a role; development only warns', async () => {
  const probe = await asRole('superuser')
  await expect(prepareDatabase(probe, production, logger)).rejects.toBeInstanceOf(StartupError)
  await expect(prepareDatabase(probe, testDb.config, logger)).resolves.toBeUndefined()
})

it('refuses to start, in any environment, when the schema breaks the table registry', async () => {
  await db.withOwnerSession((s) => s.exec('create table unregistered_thing (id uuid primary key)'))
  try {
    const failure = await prepareDatabase(db, testDb.config, logger).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(StartupError)
    expect((failure as StartupError).problems).toEqual([expect.stringMatching(/^table unregistered_thing: not in the table registry/)])
  } finally {
    await db.withOwnerSession((s) => s.exec('drop table unregistered_thing'))
  }
})
