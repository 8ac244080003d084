// docs/migrating/: every guide's "your checklist, translated", run as a migrating team would run
// it. Each guide gets its own server, started with the environment its ```sh server block names,
// on loopback, on a fresh database (embedded, or a clone on PostgreSQL with Redis when the run has
// them), and its ```sh checklist blocks run in order in bash with BASE, KEY and RECEIVER set.
// Blocks tagged `postgres` (psql, the CLI beside a running server) run on PostgreSQL only. Every
// command checks its answer, so a guide that drifts from the API fails here, naming the block.
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { readGuide, readHelpers, runChecklist, type BlockOutcome } from './support/guide-checklists.ts'
import { startServer, type ServerProcess } from './support/server-process.ts'
import { createTestDatabase, type TestDatabase } from './support/test-database.ts'
import { redisUrl, serverUrl } from './support/test-env.ts'
import { startReceiver, type WebhookReceiver } from './support/webhook-receiver.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const GUIDES = join(ROOT, 'docs/migrating')
const SUPER_ADMIN_KEY = 'guide-operator-key-'.padEnd(48, 'k')
const JWT_SECRET = 'guide-jwt-secret-'.padEnd(48, 's')
const onPostgres = serverUrl() !== undefined

const guideFiles = readdirSync(GUIDES).filter((file) => /^\d{3}-.+\.md$/.test(file)).sort()

describe('docs/migrating', () => {
  it('has one guide per seed, each linked from the index, each with a server block and a checklist', () => {
    expect(guideFiles.map((file) => file.slice(0, 3))).toEqual(['000', '001', '002', '003', '004'])
    const index = readFileSync(join(GUIDES, 'README.md'), 'utf8')
    for (const file of guideFiles) {
      expect(index, `the index links ${file}`).toContain(`](${file})`)
      const guide = readGuide(GUIDES, file)
      expect(guide.blocks.length, `${file} has checklist blocks`).toBeGreaterThan(0)
    }
  })
})

describe.each(guideFiles)('%s: the checklist, translated', (file) => {
  const guide = readGuide(GUIDES, file)
  const dir = mkdtempSync(join(tmpdir(), 'tenantry-guide-'))
  const running = new Set<ChildProcess>()
  let server: ServerProcess | undefined
  let database: TestDatabase | undefined
  let receiver: WebhookReceiver | undefined
  afterAll(async () => {
    for (const child of running) child.kill('SIGKILL')
    await server?.stop('SIGTERM')
    await receiver?.close()
    await database?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('every command of every block succeeds against a server started as the guide says', async () => {
    const where: Record<string, string> = {}
    if (onPostgres) {
      database = await createTestDatabase()
      where.DATABASE_URL = database.config.DATABASE_URL!
      if (redisUrl()) where.REDIS_URL = redisUrl()!
    } else {
      where.DATA_DIR = join(dir, 'data')
    }
    server = await startServer({ ...guide.serverEnv, ...where, SUPER_ADMIN_KEY, JWT_SECRET }, 60_000)
    receiver = await startReceiver()

    const blocks = guide.blocks.filter((block) => onPostgres || !block.tags.includes('postgres'))
    const outcomes = await runChecklist({
      blocks,
      helpers: readHelpers(GUIDES),
      cwd: ROOT,
      scratch: dir,
      // The CLI commands of `postgres` blocks open the server's database, as the guide says.
      env: { BASE: server.url, KEY: SUPER_ADMIN_KEY, RECEIVER: receiver.url('/hooks'), ...(onPostgres ? where : {}) },
      running,
    })
    expect(outcomes.length).toBe(blocks.length)
    const failed = failures(file, outcomes)
    expect(failed, `blocks that failed:\n${failed.join('\n')}`).toEqual([])
  }, 240_000)
})

/** One line per failed block: where it is, what it needs, and the end of what it printed. */
function failures(file: string, outcomes: BlockOutcome[]): string[] {
  return outcomes
    .filter((outcome) => outcome.code !== 0)
    .map(({ block, code, output }) => `${file}:${block.line} [${block.tags.join(' ') || 'no tags'}] exit ${code}: ${output.trim().split('\n').slice(-6).join(' | ')}`)
}
