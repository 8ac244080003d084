// The server as a user runs it: a real process, started, queried, stopped by a signal.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, type AddressInfo } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { DEFAULT_PLANS_FILE } from '../src/modules/plans/index.ts'
import { serverUrl } from './support/test-env.ts'
import { createEmptyDatabase } from './support/test-database.ts'
import { startServer, startWithNpm, startWorker } from './support/server-process.ts'

const dataDir = mkdtempSync(join(tmpdir(), 'tenantry-data-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

describe.runIf(!serverUrl())('on the embedded database', () => {
  it('starts, serves /health, stops on SIGTERM, and keeps its data across a restart', async () => {
    const first = await startServer({ DATA_DIR: dataDir })
    const health = await (await fetch(`${first.url}/health`)).json()
    expect(health).toMatchObject({ status: 'ok', checks: { database: { status: 'up', driver: 'pglite' } } })
    expect(first.output()).toMatch(/applied \d+ migration\(s\)/)
    expect(first.output()).toMatch(/default tenant default \([0-9a-f-]+, created\)/)
    // The message names where the key went: this DATA_DIR, not ./data.
    expect(first.output()).toContain(`A SUPER_ADMIN_KEY was generated for development and saved in ${dataDir}/super-admin-key:`)
    const key = readFileSync(join(dataDir, 'super-admin-key'), 'utf8').trim()
    expect(await first.stop('SIGTERM')).toBe(0)
    expect(first.output()).toContain('shutdown complete')

    const second = await startServer({ DATA_DIR: dataDir })
    expect(second.output()).not.toContain('applied')
    expect(second.output()).toMatch(/default tenant default \([0-9a-f-]+, already present\)/)
    expect(second.output()).not.toContain('A SUPER_ADMIN_KEY was generated')
    expect(readFileSync(join(dataDir, 'super-admin-key'), 'utf8').trim()).toBe(key)
    expect(await second.stop('SIGINT')).toBe(0)
  })

  it('a bad plans file stops the start with one line per bad value, naming the file and the path', async () => {
    const plans = JSON.parse(readFileSync(DEFAULT_PLANS_FILE, 'utf8'))
    plans.plans.basic.limits.max_users = -5
    const file = join(dataDir, 'plans.json')
    writeFileSync(file, JSON.stringify(plans))
    const refused = await startServer({ DATA_DIR: dataDir, PLANS_FILE: file }).then(
      () => expect.fail('a server started on a bad plans file'),
      (error: { output: string; code: number | null }) => error,
    )
    expect(refused.code).toBe(1)
    expect(refused.output).toContain(`Tenantry cannot start:\n  - PLANS_FILE ${file}: /plans/basic/limits/max_users: must be >= 0`)
    expect(refused.output).not.toMatch(/^\s+at /m)
  })

  it('a port already taken is one line naming it and PORT, and exit code 1', async () => {
    const taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    const { port } = taken.address() as AddressInfo
    try {
      const refused = await startServer({ DATA_DIR: dataDir, PORT: String(port) }).then(
        () => expect.fail('a second listener on a taken port'),
        (error: { output: string; code: number | null }) => error,
      )
      expect(refused.code).toBe(1)
      expect(refused.output).toContain(`Tenantry cannot start: 127.0.0.1:${port} is in use by another process; stop it, or set PORT to another port`)
      expect(refused.output).not.toMatch(/^\s+at /m) // no stack trace
    } finally {
      taken.close()
    }
  })
})

// The server's own database is the embedded one here (DATA_DIR); one run of the suite is enough.
describe.runIf(!serverUrl())('npm start', () => {
  it('SIGTERM to npm stops the server itself: nothing is left listening', async () => {
    const npmDataDir = mkdtempSync(join(tmpdir(), 'tenantry-npm-start-'))
    try {
      const server = await startWithNpm({ DATA_DIR: npmDataDir }, 60_000)
      expect((await fetch(`${server.url}/health/live`)).status).toBe(200)
      await server.stop('SIGTERM')
      expect(server.output()).toContain('shutdown complete')
      // The port is closed: the server process exited with npm rather than living on, orphaned.
      await expect(fetch(`${server.url}/health/live`)).rejects.toThrow()
    } finally {
      rmSync(npmDataDir, { recursive: true, force: true })
    }
  }, 90_000)
})

describe.runIf(serverUrl())('on PostgreSQL', () => {
  it('migrates and seeds an empty database, serves, and stops on SIGTERM', async () => {
    const empty = await createEmptyDatabase()
    try {
      const server = await startServer({ DATABASE_URL: empty.config.DATABASE_URL!, SUPER_ADMIN_KEY: 'k'.repeat(40) })
      const health = await (await fetch(`${server.url}/health`)).json()
      expect(health).toMatchObject({ status: 'ok', checks: { database: { status: 'up', driver: 'postgres' } } })
      expect(server.output()).toContain('seeded 24 permissions, 4 roles (Admin, Manager, Analyst, Auditor)')
      expect(await server.stop('SIGTERM')).toBe(0)
    } finally {
      await empty.close()
    }
  })
})

describe('refusals at start', () => {
  it('prints one line per bad variable and exits 1', async () => {
    const failure = await startServer({ DATA_DIR: dataDir, PORT: 'http', LOG_LEVEL: 'loud' }).catch((error: { output: string; code: number }) => error)
    expect(failure).toMatchObject({ code: 1 })
    expect((failure as { output: string }).output).toContain('  - PORT: expected an integer between 0 and 65535\n  - LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent')
  })

  it('refuses weak production settings, naming what to set', async () => {
    const failure = await startServer({ DATA_DIR: dataDir, NODE_ENV: 'production', JWT_SECRET: 'short', ALLOW_DEFAULT_TENANT: 'true' }).catch((error: { output: string; code: number }) => error)
    expect(failure).toMatchObject({ code: 1 })
    const output = (failure as { output: string }).output
    expect(output).toContain('JWT_SECRET: must be set to at least 32 characters in production')
    expect(output).toContain('SUPER_ADMIN_KEY: must be set in production')
    expect(output).toContain('ALLOW_DEFAULT_TENANT: cannot be true together with REQUIRE_TENANT=true in production')
    expect(output).not.toContain('short')
  })
})

describe('tenantry worker', () => {
  it('refuses the embedded database, whose data directory belongs to the server', async () => {
    const failure = await startWorker({ DATA_DIR: dataDir }).catch((error: { output: string; code: number }) => error)
    expect(failure).toMatchObject({ code: 1 })
    expect((failure as { output: string }).output).toContain('tenantry worker needs PostgreSQL (DATABASE_URL)')
  })
})
