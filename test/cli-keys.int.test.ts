// `tenantry keys rotate-master` as an operator runs it: a real process against the test database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, createTestApi, type TestApi } from './support/api.ts'
import { runCli } from './support/cli.ts'
import { APP_ROLE, serverUrl } from './support/test-env.ts'

const OLD = Buffer.alloc(32, 21).toString('base64')
const NEW = Buffer.alloc(32, 22).toString('base64')

describe.runIf(serverUrl())('tenantry keys rotate-master (a real process)', () => {
  let api: TestApi
  beforeAll(async () => {
    api = await createTestApi({ MASTER_KEY: OLD })
  })
  afterAll(async () => {
    await api?.close()
  })

  const keys = (env: Record<string, string>) => runCli(['keys', 'rotate-master'], { DATABASE_URL: api.testDb.config.DATABASE_URL, DATABASE_APP_ROLE: APP_ROLE, ...env })

  it('rewraps every data key under MASTER_KEY, then finds nothing left to do', async () => {
    for (let i = 0; i < 2; i++) {
      const org = await api.signUp()
      const written = await api.app.inject({ method: 'PUT', url: '/api/v1/config/smtp.password', headers: bearer(org.token), payload: { value: `s${i}`, encrypted: true } })
      expect(written.statusCode).toBe(200)
    }
    const first = await keys({ MASTER_KEY: NEW, MASTER_KEY_PREVIOUS: OLD })
    expect(first.code, first.output).toBe(0)
    expect(first.stdout).toMatch(/^([2-9]|\d{2,}) data keys rewrapped under MASTER_KEY across \d+ tenants, 0 failed$/m)
    expect(first.stdout).toContain('MASTER_KEY_PREVIOUS can be removed')
    const again = await keys({ MASTER_KEY: NEW, MASTER_KEY_PREVIOUS: OLD })
    expect(again.stdout).toMatch(/^0 data keys rewrapped/m)
  }, 60_000)

  it('refuses to run without both keys, or with a previous key equal to the new one', async () => {
    const refused: Record<string, string>[] = [{ MASTER_KEY: NEW }, { MASTER_KEY_PREVIOUS: OLD }, { MASTER_KEY: NEW, MASTER_KEY_PREVIOUS: NEW }]
    for (const env of refused) {
      const run = await keys(env)
      expect(run.code, JSON.stringify(env)).toBe(1)
      expect(run.stderr).toMatch(/MASTER_KEY/)
    }
  }, 60_000)
})
