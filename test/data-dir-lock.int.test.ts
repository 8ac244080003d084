// One process at a time on an embedded DATA_DIR (D70). Found by an outside probe: `tenantry tenant
// create` beside a running server printed the tenant and exited 0, the server never saw it, and
// it was gone after the server stopped. Real processes on one temporary data directory.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config/index.ts'
import { openDatabase } from '../src/db/index.ts'
import { bearer, JWT_SECRET, SUPER_ADMIN_KEY } from './support/api.ts'
import { runCli } from './support/cli.ts'
import { startServer, type ServerProcess } from './support/server-process.ts'
import { serverUrl } from './support/test-env.ts'

const IN_USE = /^the embedded database in (.+) is in use by another Tenantry process \(pid (\d+)\): stop it first, or use its API; several processes need PostgreSQL \(DATABASE_URL\)\n$/

// Only the embedded database has a data directory to share; one run of the suite is enough.
describe.runIf(!serverUrl())('one process at a time on an embedded DATA_DIR', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tenantry-lock-'))
  const lockFile = join(dataDir, 'tenantry.lock')
  const env = { DATA_DIR: dataDir, DATABASE_URL: undefined, SUPER_ADMIN_KEY, JWT_SECRET }
  const cli = (...args: string[]) => runCli(args, env)
  let server: ServerProcess | undefined

  beforeAll(async () => {
    server = await startServer({ DATA_DIR: dataDir, SUPER_ADMIN_KEY, JWT_SECRET }, 60_000)
  }, 90_000)
  afterAll(() => {
    if (server?.child.exitCode === null) server.child.kill('SIGKILL')
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('refuses the CLI and a second server while a server runs, in one line, and nothing is written', async () => {
    const refused = await cli('tenant', 'create', '--name', 'Cli Co')
    expect(refused.code, refused.output).toBe(1)
    expect(refused.stdout).toBe('')
    expect(refused.stderr).toMatch(IN_USE)
    expect(IN_USE.exec(refused.stderr)![2]).toBe(String(server!.child.pid))

    const second = await startServer({ DATA_DIR: dataDir, SUPER_ADMIN_KEY, JWT_SECRET }).catch((error: { output: string; code: number }) => error)
    expect(second).toMatchObject({ code: 1 })
    expect((second as { output: string }).output).toContain(`Tenantry cannot start: the embedded database in ${dataDir} is in use by another Tenantry process (pid ${server!.child.pid})`)

    const tenants = await fetch(`${server!.url}/api/v1/tenants?limit=100`, { headers: bearer(SUPER_ADMIN_KEY) })
    const listed = await tenants.text()
    expect(tenants.status, listed).toBe(200)
    expect(listed).toContain('"slug":"default"')
    expect(listed).not.toContain('Cli Co')
  }, 60_000)

  it('releases the lock when the server stops; then the CLI works, and releases it too', async () => {
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: server!.child.pid })
    expect(await server!.stop('SIGTERM')).toBe(0)
    expect(existsSync(lockFile)).toBe(false)

    const created = await cli('tenant', 'create', '--name', 'Cli Co')
    expect(created.code, created.output).toBe(0)
    expect(created.stdout).toContain('Cli Co')
    expect(existsSync(lockFile)).toBe(false)
    const listed = await cli('tenant', 'list')
    expect(listed.code, listed.output).toBe(0)
    expect(listed.stdout).toContain('Cli Co')
  }, 60_000)

  it('takes over a stale lock: a dead pid (a crash, kill -9) or a garbled file', async () => {
    const child = spawn(process.execPath, ['-e', ''])
    await new Promise((resolve) => child.once('exit', resolve))
    for (const stale of [`{"pid":${child.pid},"processStarted":0}\n`, 'garbage', '']) {
      writeFileSync(lockFile, stale)
      const listed = await cli('tenant', 'list')
      expect(listed.code, `${JSON.stringify(stale)}: ${listed.output}`).toBe(0)
      expect(listed.stdout).toContain('Cli Co')
      expect(existsSync(lockFile)).toBe(false)
    }
  }, 60_000)

  it('in one process: a second open is refused while the first is open; a reopen after close works', async () => {
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, LOG_LEVEL: 'silent' })
    const options = { onPoolError: () => undefined }
    const first = await openDatabase(config, options)
    try {
      expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: process.pid })
      await expect(openDatabase(config, options)).rejects.toThrow(`the embedded database in ${dataDir} is already open in this process`)
    } finally {
      await first.close()
    }
    expect(existsSync(lockFile)).toBe(false)
    const again = await openDatabase(config, options)
    await again.ping()
    await again.close()
    expect(existsSync(lockFile)).toBe(false)
  }, 60_000)
})
