// README's "Five minutes with curl", run as a newcomer would: `npm start` (signup on, embedded
// database), every curl of the walkthrough through bash as written, and the README's own
// receiver verifying the webhook deliveries. Only the addresses change (a free port instead of
// 3001 and 4000) and where ./data is. A README that drifts from the API fails here.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { runBash, type BashResult } from './support/bash-script.ts'
import { startWithNpm, type ServerProcess } from './support/server-process.ts'
import { serverUrl } from './support/test-env.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

interface Walkthrough {
  /** The sh blocks before the receiver's: steps up to the webhook's creation. */
  before: string
  /** The receiver, as README prints it. */
  receiver: string
  /** The sh blocks after it. */
  after: string
}

/** The walkthrough section's code blocks, split around the receiver (a js block). */
function readWalkthrough(): Walkthrough {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const section = readme.split('\n## Five minutes with curl\n')[1]!.split('\n## ')[0]!
  const blocks = [...section.matchAll(/```(sh|js)\n([\s\S]*?)```/g)].map(([, language, code]) => ({ language, code: code! }))
  const receiverAt = blocks.findIndex((block) => block.language === 'js')
  expect(receiverAt, 'the walkthrough has a js receiver between sh blocks').toBeGreaterThan(0)
  const join_ = (list: typeof blocks) => list.map((block) => block.code).join('\n')
  // The numbered steps go on after the receiver while blocks hold "# <n>." steps; later blocks
  // (the row-level security session on PostgreSQL) are illustrations, not part of the walk.
  const after = blocks.slice(receiverAt + 1)
  const stepsEnd = after.findIndex((block) => !/^# \d+\. /m.test(block.code))
  return { before: join_(blocks.slice(0, receiverAt)), receiver: blocks[receiverAt]!.code, after: join_(stepsEnd < 0 ? after : after.slice(0, stepsEnd)) }
}

/** Every variable the walkthrough assigns (NAME=$(…) or export NAME=$(…)), to carry across the receiver's start. */
const assignedNames = (script: string) => [...new Set([...script.matchAll(/^(?:export )?([A-Z][A-Z_]*)=\$\(/gm)].map((match) => match[1]!))]

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
    probe.on('error', reject)
  })
}

/**
 * Runs a script with bash (-e, pipefail) in dir. `curl` is wrapped to report each request's
 * status on stderr (`HTTP <status> <method> <url>`), leaving its output as the README shows it.
 */
async function bash(script: string, dir: string, running: Set<ChildProcess>): Promise<BashResult & { statuses: { status: number; request: string }[] }> {
  const wrapped = `set -eo pipefail\ncurl() { command curl --write-out '%{stderr}HTTP %{http_code} %{method} %{url_effective}\\n' "$@"; }\n${script}`
  const result = await runBash(wrapped, { cwd: dir, running })
  const statuses = [...result.stderr.matchAll(/^HTTP (\d{3}) (\S+ \S+)$/gm)].map((match) => ({ status: Number(match[1]), request: match[2]! }))
  return { ...result, statuses }
}

describe.runIf(!serverUrl())('README: five minutes with curl', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tenantry-readme-'))
  let server: ServerProcess | undefined
  let receiver: ChildProcess | undefined
  // The walkthrough's bash processes, killed if the test times out while one runs.
  const scripts = new Set<ChildProcess>()
  afterAll(async () => {
    for (const script of scripts) script.kill('SIGKILL')
    receiver?.kill()
    await server?.stop('SIGTERM')
    rmSync(dir, { recursive: true, force: true })
  })

  it('every step answers as the README says, and the receiver verifies the deliveries', async () => {
    const walkthrough = readWalkthrough()
    const dataDir = join(dir, 'data')
    server = await startWithNpm({ DATA_DIR: dataDir, SIGNUP_ENABLED: 'true' }, 60_000)
    const api = new URL(server.url).host
    const receiverPort = await freePort()
    const addresses = (script: string) =>
      script
        .split('\n')
        .filter((line) => !/\bnpm start\b/.test(line)) // the server is already running
        .join('\n')
        .replaceAll('localhost:3001', api)
        .replaceAll('localhost:4000', `127.0.0.1:${receiverPort}`)
        .replaceAll('data/super-admin-key', join(dataDir, 'super-admin-key'))
    const names = assignedNames(walkthrough.before)

    // Steps 1-9, then the variables they set, for the steps after the receiver.
    const first = await bash(`${addresses(walkthrough.before)}\ndeclare -p ${names.join(' ')} > vars.sh`, dir, scripts)
    expect(first.code, `${first.stderr}\n${first.stdout}`).toBe(0)

    // The README's receiver, run with the secret step 9 printed (it imports standardwebhooks).
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
    writeFileSync(join(dir, 'receiver.mjs'), walkthrough.receiver.replace('.listen(4000)', `.listen(${receiverPort}, '127.0.0.1')`))
    const secret = /declare -x SECRET="([^"]+)"/.exec(readFileSync(join(dir, 'vars.sh'), 'utf8'))?.[1]
    expect(secret, 'step 9 exports SECRET').toBeTruthy()
    let verified = ''
    receiver = spawn(process.execPath, ['receiver.mjs'], { cwd: dir, env: { PATH: process.env.PATH, SECRET: secret! }, stdio: ['ignore', 'pipe', 'inherit'] })
    receiver.stdout!.on('data', (chunk) => (verified += chunk))
    await waitFor(async () => (await fetch(`http://127.0.0.1:${receiverPort}/`, { method: 'POST', body: '{}' }).catch(() => undefined))?.status === 400)

    const second = await bash(`source vars.sh\n${addresses(walkthrough.after)}`, dir, scripts)
    expect(second.code, `${second.stderr}\n${second.stdout}`).toBe(0)

    // Every request succeeded but the one the README marks as refused (the Analyst's write).
    const statuses = [...first.statuses, ...second.statuses]
    expect(statuses.length).toBeGreaterThan(20)
    const refused = statuses.filter((entry) => entry.status >= 300)
    expect(refused).toEqual([{ status: 403, request: expect.stringMatching(/^POST http:\/\/[^/]+\/api\/v1\/inventory$/) }])
    expect(walkthrough.before).toMatch(/# 403 permission_denied/)
    expect(second.stdout).toContain('{"type":"end"')
    expect(second.stdout).toContain('"status":"erased"')

    // The deliveries arrive, and the README's receiver verifies their signatures.
    await waitFor(() => verified.includes('webhook.test') && verified.includes('inventory.created'))
  }, 120_000)
})

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the walkthrough')
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}
