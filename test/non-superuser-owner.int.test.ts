// README "Running in production", followed literally: the schema owner is no superuser (LOGIN,
// CREATEROLE, BYPASSRLS, owns its database), migrates an empty database, and request traffic logs
// in as the app role. CI otherwise migrates as a superuser, which skips PostgreSQL's privilege
// checks (docs/decisions.md D71). Roles are cluster-wide: every name here is unique to the run.
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { buildApp } from '../src/app.ts'
import { prepareDatabase } from '../src/bootstrap.ts'
import { loadConfig, type Config } from '../src/config/index.ts'
import { checkLookupOwners, MigrationError, migrateUp, openDatabase, readMigrations, type Database } from '../src/db/index.ts'
import { createLogger } from '../src/observability/logger.ts'
import { createServices } from '../src/services.ts'
import { JWT_SECRET, PASSWORD, SUPER_ADMIN_KEY } from './support/api.ts'
import { adminQuery } from './support/global-setup.ts'
import { serverUrl, withDatabase } from './support/test-env.ts'

const url = serverUrl()
const suffix = randomBytes(4).toString('hex')
const owner = `tenantry_owner_${suffix}`
const appRole = `tenantry_app_${suffix}`
const database = `tenantry_owner_test_${suffix}`
const logger = createLogger({ LOG_LEVEL: 'silent', LOG_FORMAT: 'json' })
let env: Record<string, string>
let config: Config
let db: Database

beforeAll(async () => {
  if (!url) return
  // As README says: a superuser makes the owner once; everything after runs as the owner.
  await adminQuery(url, `create role ${owner} login createrole bypassrls`)
  await adminQuery(url, `create database ${database} owner ${owner}`)
  const asOwner = new URL(withDatabase(url, database))
  asOwner.username = owner
  const asApp = new URL(asOwner)
  asApp.username = appRole
  env = {
    NODE_ENV: 'test',
    DATABASE_URL: asOwner.toString(),
    DATABASE_APP_URL: asApp.toString(),
    DATABASE_APP_ROLE: appRole,
    LOG_LEVEL: 'silent',
    WEBHOOK_DISPATCHER_ENABLED: 'false',
    SUPER_ADMIN_KEY,
    JWT_SECRET,
    SIGNUP_ENABLED: 'true',
  }
  config = loadConfig(env)
  db = await openDatabase(config, { onPoolError: () => undefined })
})

afterAll(async () => {
  if (!url) return
  await db?.close()
  await adminQuery(url, `drop database if exists ${database} with (force)`)
  // The claimer stays, as the migrations' own down files leave it: other databases use it.
  await adminQuery(url, `drop role if exists ${appRole}`)
  await adminQuery(url, `drop role if exists ${owner}`)
})

it.runIf(url)('a non-superuser owner migrates an empty database; the claim functions belong to the claimer', async () => {
  expect(await migrateUp(db)).toEqual(readMigrations().map((m) => `${m.version}_${m.name}`))
  const rows = await db.withOwnerSession(async (s) => {
    const functions = await s.query<{ name: string; owner: string }>(
      `select proname as name, pg_get_userbyid(proowner) as owner from pg_proc
        where proname in ('tenantry_claim_webhook_deliveries', 'tenantry_webhook_queue_stats') order by 1`,
    )
    const privileges = await s.query<{ create: boolean; usage: boolean }>(
      `select has_schema_privilege('tenantry_webhook_claimer', 'public', 'create') as create,
              has_schema_privilege('tenantry_webhook_claimer', 'public', 'usage') as usage`,
    )
    return { functions: functions.rows, privileges: privileges.rows[0] }
  })
  expect(rows.functions).toEqual([
    { name: 'tenantry_claim_webhook_deliveries', owner: 'tenantry_webhook_claimer' },
    { name: 'tenantry_webhook_queue_stats', owner: 'tenantry_webhook_claimer' },
  ])
  // CREATE on public was the claimer's only for the ALTER … OWNER.
  expect(rows.privileges).toEqual({ create: false, usage: true })
})

it.runIf(url)('request traffic runs as the app role: production checks pass, requests and cross-tenant lookups work', async () => {
  const production = loadConfig({ ...env, NODE_ENV: 'production' })
  await expect(prepareDatabase(db, production, logger)).resolves.toBeUndefined()

  const services = createServices({ config, db })
  const app = await buildApp({ config, db, services })
  try {
    const email = `owner-test-${suffix}@example.test`
    const signUp = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register-organization',
      payload: { organization_name: `Owner test ${suffix}`, admin_email: email, admin_password: PASSWORD },
    })
    expect(signUp.statusCode, signUp.body).toBe(201)
    const { tenant, user } = signUp.json() as { tenant: { id: string }; user: { id: string } }
    const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: PASSWORD } })
    expect(login.statusCode, login.body).toBe(200)

    const asApp = await db.systemTransaction(async (tx) => ({
      role: (await tx.query<{ role: string }>('select current_user as role')).rows[0]!.role,
      memberships: (await tx.query<{ tenant_id: string }>('select tenant_id from tenantry_user_tenants($1)', [user.id])).rows,
      erasable: (await tx.query<{ tenant_id: string }>('select tenant_id from tenantry_user_membership_tenants($1)', [user.id])).rows,
      claimed: (await tx.query('select * from tenantry_claim_webhook_deliveries(10, 30000, gen_random_uuid())')).rows,
      queue: (await tx.query<{ due: string }>('select due from tenantry_webhook_queue_stats()')).rows,
    }))
    expect(asApp).toEqual({
      role: appRole,
      memberships: [{ tenant_id: tenant.id }],
      erasable: [{ tenant_id: tenant.id }],
      claimed: [],
      queue: [{ due: '0' }],
    })
  } finally {
    await app.close()
  }
})

it.runIf(url)('an owner without BYPASSRLS: the cross-tenant lookups are named, so production refuses to start', async () => {
  await adminQuery(url!, `alter role ${owner} nobypassrls`)
  try {
    const problems = await db.withOwnerSession(checkLookupOwners)
    expect(problems).toEqual([
      expect.stringMatching(/^DATABASE_URL: function tenantry_domain_tenant runs as .*no verified custom domain/),
      expect.stringMatching(new RegExp(`^DATABASE_URL: function tenantry_user_membership_tenants runs as ${owner}, .*ALTER ROLE ${owner} BYPASSRLS$`)),
      expect.stringMatching(/^DATABASE_URL: function tenantry_user_tenants runs as /),
    ])
  } finally {
    await adminQuery(url!, `alter role ${owner} bypassrls`)
  }
})

it.runIf(url)('a migration refused for want of a privilege fails with one line naming it, the error and the role', async () => {
  const needsSuperuser = { version: '9999', name: 'needs_superuser', up: `select pg_read_file('PG_VERSION')`, down: undefined, checksum: 'x' }
  const failure = await migrateUp(db, [...readMigrations(), needsSuperuser]).catch((error: unknown) => error)
  expect(failure).toBeInstanceOf(MigrationError)
  expect((failure as MigrationError).message).toMatch(
    new RegExp(`^migration 9999_needs_superuser failed and was rolled back: permission denied for function pg_read_file \\(SQLSTATE 42501\\); the role of DATABASE_URL \\(${owner}\\) lacks a privilege the migrations need: see "Running in production" in the README$`),
  )
})
