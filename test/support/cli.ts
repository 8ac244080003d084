import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll } from 'vitest'
import { createTestApiOnRedis, type TestApiOnRedis } from './api.ts'
import { APP_ROLE, redisUrl } from './test-env.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))

/** Runs `tenantry <args>` as a real process (src/cli/main.ts through tsx) with only the given environment. */
export function runCli(args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; stdout: string; stderr: string; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('exit', (code) => resolve({ code, stdout, stderr, output: stdout + stderr }))
  })
}

/**
 * A CLI suite's fixture (call it inside the describe): a test API on the suite's Redis, made
 * before the suite's tests and closed after them, and `tenantry <command> …` run as a process
 * against the same database and Redis, so running servers' caches hear what the command changed.
 */
export function cliFixture(command: string): { readonly api: TestApiOnRedis; run: (...args: string[]) => ReturnType<typeof runCli> } {
  let api: TestApiOnRedis | undefined
  beforeAll(async () => {
    api = await createTestApiOnRedis()
  })
  afterAll(async () => {
    await api?.close()
  })
  return {
    get api() {
      if (!api) throw new Error('cliFixture: the API exists only while the suite runs')
      return api
    },
    run: (...args) => runCli([command, ...args], { DATABASE_URL: api!.testDb.config.DATABASE_URL, DATABASE_APP_ROLE: APP_ROLE, REDIS_URL: redisUrl() }),
  }
}
