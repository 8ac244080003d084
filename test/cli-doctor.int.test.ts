// `tenantry doctor` as an operator runs it: a real process against the test database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './support/cli.ts'
import { createEmptyDatabase, createTestDatabase, type TestDatabase } from './support/test-database.ts'
import { APP_ROLE, redisUrl, serverUrl } from './support/test-env.ts'

describe.runIf(serverUrl())('tenantry doctor (a real process)', () => {
  let testDb: TestDatabase
  beforeAll(async () => {
    testDb = await createTestDatabase()
  })
  afterAll(async () => {
    await testDb?.close()
  })

  const production = () => ({
    NODE_ENV: 'production',
    DATABASE_URL: testDb.config.DATABASE_URL,
    DATABASE_APP_ROLE: APP_ROLE,
    JWT_SECRET: 'j'.repeat(48),
    SUPER_ADMIN_KEY: 's'.repeat(64),
    MASTER_KEY: Buffer.alloc(32, 1).toString('base64'),
  })
  const owner = (sql: string) => testDb.db.withOwnerSession((session) => session.exec(sql))

  it('reports every item; warnings alone exit 0', async () => {
    const run = await runCli(['doctor'], production())
    expect(run.code, run.output).toBe(0)
    for (const line of ['PASS  migrations', 'PASS  row-level-security', 'PASS  app-role', 'PASS  secrets', 'WARN  redis', 'WARN  app-login']) {
      expect(run.stdout).toContain(line)
    }
    expect(run.stdout).toMatch(/^\d+ passed, \d+ warnings, 0 failed$/m)
  }, 60_000)

  it('connects to REDIS_URL: an unreachable Redis fails the checklist, naming where and never the password', async () => {
    const unreachable = await runCli(['doctor'], { ...production(), REDIS_URL: 'redis://:hunter2-secret@127.0.0.1:1' })
    expect(unreachable.code, unreachable.output).toBe(1)
    expect(unreachable.stdout).toMatch(/^FAIL {2}redis-reachable +Redis at 127\.0\.0\.1:1 does not answer/m)
    expect(unreachable.output).not.toContain('hunter2-secret')
    if (redisUrl()) {
      const reachable = await runCli(['doctor'], { ...production(), REDIS_URL: redisUrl()! })
      expect(reachable.stdout).toMatch(/^PASS {2}redis-reachable /m)
      expect(reachable.stdout).toMatch(/^PASS {2}redis /m)
    }
  }, 60_000)

  it('fails, naming the table, when a tenant table loses forced row-level security', async () => {
    await owner('alter table inventory_items no force row level security')
    try {
      const run = await runCli(['doctor', '--json'], production())
      expect(run.code, run.output).toBe(1)
      const rls = (JSON.parse(run.stdout) as { id: string; status: string; details: string[] }[]).find((check) => check.id === 'row-level-security')!
      expect(rls.status).toBe('fail')
      expect(rls.details.join('\n')).toContain('inventory_items')
    } finally {
      await owner('alter table inventory_items force row level security')
    }
  }, 60_000)

  it('fails a development configuration on what production would refuse', async () => {
    const run = await runCli(['doctor'], { DATABASE_URL: testDb.config.DATABASE_URL, DATABASE_APP_ROLE: APP_ROLE, NODE_ENV: 'development' })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/^FAIL {2}secrets +JWT_SECRET: /m)
    expect(run.stdout).toMatch(/^FAIL {2}cors /m)
  }, 60_000)
  it('on a database never migrated: the migrations are pending, and every other check still reports', async () => {
    const empty = await createEmptyDatabase()
    try {
      const run = await runCli(['doctor'], { ...production(), DATABASE_URL: empty.config.DATABASE_URL })
      expect(run.code, run.output).toBe(1)
      expect(run.stdout).toMatch(/^FAIL {2}migrations +migration 0001_\w+ is pending: run tenantry migrate$/m)
      expect(run.stdout).toMatch(/^FAIL {2}row-level-security +table \w+: registered as (global|tenant) but missing from the database$/m)
      expect(run.stdout).toMatch(/^PASS {2}secrets /m)
    } finally {
      await empty.close()
    }
  }, 60_000)
})
