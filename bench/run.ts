// npm run bench: every figure of the benchmark suite side by side in one run (see README.md):
// reads through bare handlers and through Tenantry's API, latency without queueing, writes,
// 10 vs 100,000 tenants, tenant provisioning and PGlite. Each variant's server runs in its own
// process; rounds interleave the variants; each figure is the median of its rounds.
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { TokenService } from '../src/modules/auth/tokens.ts'
import { runLoad, type LoadOptions } from './load.ts'
import { probe } from './probe.ts'
import { machineBusySeconds, postgresCpuSeconds } from './process-cpu.ts'
import { figuresOf, formatFigures, formatVariants, pairRatio, rowsOf, writeResults, type Measured, type PairFigures, type PairRuns, type RoundFigures } from './report.ts'
import { buildRequests, type Credentials } from './requests.ts'
import { appUrlOf, LARGE_DATABASE, PROVISION_DATABASE, readSettings, withDatabase, type BenchSettings } from './settings.ts'
import { setupLargeDatabase, setupPgliteDatabase, setupSmallDatabase, type BenchData } from './setup-database.ts'
import { baseEnv, startServer } from './spawn-server.ts'
import { BASELINE, selectVariants, type DatabaseName, type Variant } from './variants.ts'

const RESULTS_FILE = fileURLToPath(new URL('./results/latest.json', import.meta.url))
// Limits stay on and are counted on every request; ×1,000,000 only keeps them from refusing the
// load (a basic plan allows 120 requests a minute).
const RATE_LIMIT_MULTIPLIER = '1000000'

interface Target {
  data: BenchData
  /** PostgreSQL: owner and app-role URLs; PGlite: the DATA_DIR. */
  ownerUrl?: string
  appUrl?: string
  dataDir?: string
}

interface Run {
  settings: BenchSettings
  secrets: { JWT_SECRET: string; SUPER_ADMIN_KEY: string; MASTER_KEY: string }
  targets: Partial<Record<DatabaseName, Target>>
  credentials: Partial<Record<DatabaseName, Credentials>>
  profileDir: string
}

function serverEnv(run: Run, variant: Variant, target: Target): Record<string, string> {
  if (variant.server !== 'bench/servers/api.ts') {
    return {
      ...baseEnv(),
      BENCH_SERVER_DATABASE_URL: target.ownerUrl!,
      BENCH_SERVER_APP_DATABASE_URL: variant.appLogin ? target.appUrl! : '',
      BENCH_SERVER_PORT: '0',
      ...variant.env,
    }
  }
  // The production configuration, as README "Running in production" describes it.
  const database: Record<string, string> = target.dataDir === undefined
    ? { DATABASE_URL: target.ownerUrl!, ...(variant.appLogin ? { DATABASE_APP_URL: target.appUrl! } : {}) }
    : { DATA_DIR: target.dataDir }
  return {
    ...baseEnv(),
    NODE_ENV: 'production',
    ...database,
    ...run.secrets,
    RATE_LIMIT_MULTIPLIER,
    LOG_LEVEL: variant.logLevel ?? 'warn',
    // Scheduled jobs are not request cost; the hourly usage snapshot visits every tenant.
    SCHEDULER_ENABLED: 'false',
    ...parseExtraEnv(process.env.BENCH_SERVER_ENV),
  }
}

/** A variant's server, started, probed and warmed up: measure it as often as needed, then stop it. */
interface StartedVariant {
  measure(durationSec: number): Promise<RoundFigures>
  stop(): Promise<void>
}

async function startVariant(run: Run, variant: Variant): Promise<StartedVariant> {
  const target = run.targets[variant.database]!
  const profile = run.settings.profile.includes(variant.name)
  const server = await startServer(variant.server, {
    env: serverEnv(run, variant, target),
    // One directory per server: the main thread and tsx's loader thread each write a profile.
    nodeArgs: [...run.settings.nodeArgs, ...(profile ? ['--cpu-prof', '--cpu-prof-dir', join(run.profileDir, `${variant.name}-${Date.now()}`)] : [])],
    stdout: variant.logLevel === 'info' ? 'ignore' : 'inherit',
  })
  try {
    const requests = () => buildRequests(variant.load, target.data, run.credentials[variant.database]!)
    await probe(server.url, variant.load, requests(), target.data)
    const load = (durationSec: number): LoadOptions => ({
      url: server.url,
      connections: variant.connections ?? run.settings.connections,
      durationSec,
      expectStatus: variant.load === 'api-read' || variant.load === 'bare-read' ? 200 : 201,
      ...requests(), // fresh unique prefixes for every load
    })
    await runLoad(load(run.settings.warmupSec))
    return {
      async measure(durationSec) {
        const before = { server: server.cpuSeconds(), postgres: postgresCpuSeconds(), machine: machineBusySeconds() }
        const figures = await runLoad(load(durationSec))
        const perRequest = (seconds: number) => (seconds * 1e6) / figures.requests
        return {
          ...figures,
          rssBytes: server.rss(),
          cpuMicrosPerRequest: perRequest(server.cpuSeconds() - before.server),
          postgresCpuMicrosPerRequest: perRequest(postgresCpuSeconds() - before.postgres),
          machineCpuMicrosPerRequest: perRequest(machineBusySeconds() - before.machine),
        }
      },
      stop: () => server.stop(),
    }
  } catch (error) {
    await server.stop()
    throw error
  }
}

async function measureVariant(run: Run, variant: Variant): Promise<RoundFigures> {
  const started = await startVariant(run, variant)
  try {
    return await started.measure(run.settings.durationSec)
  } finally {
    await started.stop()
  }
}

/**
 * A ratio from back-to-back pairs (figures 1 and 3): both servers stay up and their loads
 * alternate (reference, compared, then compared, reference, …), each pair measured within
 * seconds. The rounds measure two variants about half a minute apart, long enough on this shared
 * VM for the machine's speed to change by 30-50% in between; a pair sees the same minute. See
 * bench/README.md.
 */
async function measurePairs(run: Run, referenceVariant: Variant, comparedVariant: Variant): Promise<PairFigures[]> {
  console.log(`pairs: ${referenceVariant.name} and ${comparedVariant.name} back to back, ${run.settings.pairDurationSec} s each`)
  const reference = await startVariant(run, referenceVariant)
  try {
    const compared = await startVariant(run, comparedVariant)
    try {
      const pairs: PairFigures[] = []
      for (let pair = 0; pair < run.settings.pairs; pair++) {
        const duration = run.settings.pairDurationSec
        const comparedFirst = pair % 2 === 1
        const first = await (comparedFirst ? compared : reference).measure(duration)
        const second = await (comparedFirst ? reference : compared).measure(duration)
        const measured: PairFigures = comparedFirst ? { reference: second, compared: first } : { reference: first, compared: second }
        pairs.push(measured)
        const figures = (f: RoundFigures) => `${Math.round(f.requestsPerSec)} req/s p99 ${f.latencyP99Ms.toFixed(2)} ms (machine ${Math.round(f.machineCpuMicrosPerRequest)} µs/req)`
        console.log(`  pair ${String(pair + 1).padStart(2)}  ${comparedFirst ? `${comparedVariant.name} first` : `${referenceVariant.name} first`}  ${figures(measured.reference)} vs ${figures(measured.compared)}: ${pairRatio(measured).toFixed(2)}`)
      }
      return pairs
    } finally {
      await compared.stop()
    }
  } finally {
    await reference.stop()
  }
}

async function setup(settings: BenchSettings, needed: Set<DatabaseName>): Promise<{ targets: Run['targets']; postgresVersion: string; cleanup: () => void }> {
  const targets: Run['targets'] = {}
  let postgresVersion = 'not used'
  let pgliteRoot: string | undefined
  if (needed.has('small') || needed.has('provision')) {
    const started = Date.now()
    const small = await setupSmallDatabase(settings)
    postgresVersion = small.postgresVersion
    targets.small = { data: small.data, ownerUrl: settings.benchUrl, appUrl: settings.appUrl }
    const provisionUrl = withDatabase(settings.adminUrl, PROVISION_DATABASE)
    targets.provision = { data: small.data, ownerUrl: provisionUrl, appUrl: appUrlOf(provisionUrl) }
    console.log(`  small database: ${small.data.tenants} tenants, ${small.data.itemRows} items (${seconds(started)} s)`)
  }
  if (needed.has('large')) {
    const started = Date.now()
    const largeUrl = withDatabase(settings.adminUrl, LARGE_DATABASE)
    const data = await setupLargeDatabase(settings, (reason) => console.log(`  building ${LARGE_DATABASE} (${reason}); later runs reuse it …`))
    targets.large = { data, ownerUrl: largeUrl, appUrl: appUrlOf(largeUrl) }
    console.log(`  large database: ${data.tenants} tenants, ${data.itemRows} items (${seconds(started)} s)`)
  }
  if (needed.has('pglite')) {
    const started = Date.now()
    pgliteRoot = mkdtempSync(join(tmpdir(), 'tenantry-bench-pglite-'))
    targets.pglite = { data: await setupPgliteDatabase(pgliteRoot, settings), dataDir: pgliteRoot }
    console.log(`  PGlite database in ${pgliteRoot}: ${targets.pglite.data.tenants} tenants (${seconds(started)} s)`)
  }
  return { targets, postgresVersion, cleanup: () => pgliteRoot && rmSync(pgliteRoot, { recursive: true, force: true }) }
}

async function main(): Promise<void> {
  const settings = readSettings()
  const selected = selectVariants(settings.only)
  const started = Date.now()
  const loadAverageAtStart = loadavg()[0]!
  const needed = new Set(selected.map((v) => v.database))
  console.log(`setting up the bench databases on ${new URL(settings.adminUrl).host} …`)
  const { targets, postgresVersion, cleanup } = await setup(settings, needed)
  try {
    const secrets = {
      JWT_SECRET: randomBytes(32).toString('hex'),
      SUPER_ADMIN_KEY: `bench_${randomBytes(24).toString('hex')}`,
      MASTER_KEY: randomBytes(32).toString('base64'),
    }
    // Tokens as the server issues them at login (same key, issuer, audience, claims).
    const tokens = new TokenService(secrets.JWT_SECRET)
    const credentials: Run['credentials'] = {}
    for (const [name, target] of Object.entries(targets) as [DatabaseName, Target][]) {
      credentials[name] = {
        reader: (await tokens.issue(target.data.userId, target.data.tenantId, 6 * 3600)).token,
        writers: await Promise.all(target.data.writers.map(async (w) => (await tokens.issue(w.userId, w.tenantId, 6 * 3600)).token)),
        superAdminKey: secrets.SUPER_ADMIN_KEY,
      }
    }
    const profileDir = join(tmpdir(), 'tenantry-bench-profiles')
    if (settings.profile.length > 0) mkdirSync(profileDir, { recursive: true })
    const run: Run = { settings, secrets, targets, credentials, profileDir }

    console.log(
      `node ${process.version}, PostgreSQL ${postgresVersion}, ${cpus().length} × ${cpus()[0]?.model.trim()}, load average ${loadAverageAtStart.toFixed(2)}; ` +
        `${settings.connections} connections, ${settings.warmupSec} s warm-up + ${settings.durationSec} s per variant, ${settings.rounds} rounds (median)\n`,
    )
    // Several rounds, variants interleaved within each, and the median of each figure: on a
    // 2-core machine shared by server, load generator and PostgreSQL, one run of one variant can
    // be off by 20%; interleaving spreads slow periods over all variants instead of one.
    const rounds = new Map<string, RoundFigures[]>(selected.map((v) => [v.name, []]))
    for (let round = 1; round <= settings.rounds; round++) {
      console.log(`round ${round}/${settings.rounds}`)
      for (const variant of selected) {
        process.stdout.write(`  ${variant.name.padEnd(24)} `)
        const figures = await measureVariant(run, variant)
        console.log(`${String(Math.round(figures.requestsPerSec)).padStart(6)} req/s  p99 ${figures.latencyP99Ms.toFixed(2).padStart(6)} ms  RSS ${(figures.rssBytes / 2 ** 20).toFixed(0)} MB  CPU ${figures.cpuMicrosPerRequest.toFixed(0)} µs/req (PostgreSQL ${figures.postgresCpuMicrosPerRequest.toFixed(0)}, load ${figures.loadCpuMicrosPerRequest.toFixed(0)}, machine ${figures.machineCpuMicrosPerRequest.toFixed(0)})`)
        rounds.get(variant.name)!.push(figures)
      }
    }
    const named = (name: string) => selected.find((v) => v.name === name)
    const baseline = named(BASELINE)
    const apiRead = named('api_read')
    const apiReadLarge = named('api_read_large')
    const pairs: PairRuns = { read: [], latency: [], tenants: [] }
    if (baseline && apiRead && settings.pairs > 0) pairs.read = await measurePairs(run, baseline, apiRead)
    const baselineOneConnection = named(`${BASELINE}_1c`)
    const apiReadOneConnection = named('api_read_1c')
    if (baselineOneConnection && apiReadOneConnection && settings.pairs > 0) pairs.latency = await measurePairs(run, baselineOneConnection, apiReadOneConnection)
    if (apiRead && apiReadLarge && settings.pairs > 0) pairs.tenants = await measurePairs(run, apiRead, apiReadLarge)
    const measured: Measured[] = selected.map((variant) => ({ variant, rounds: rounds.get(variant.name)! }))
    const rows = rowsOf(measured, settings.connections)
    const figures = figuresOf(rows, settings.largeTenants, pairs)

    console.log(`\n${formatVariants(rows)}\n`)
    for (const variant of selected) console.log(`  ${variant.name}: ${variant.description}`)
    console.log(`\n${formatFigures(figures)}\n`)
    if (settings.profile.length > 0) console.log(`CPU profiles in ${profileDir} (summarise: npx tsx bench/profile-summary.ts <file>)`)

    const elapsedSec = seconds(started)
    const output = process.env.BENCH_OUTPUT || (settings.only.length === 0 ? RESULTS_FILE : undefined)
    if (output === undefined) {
      console.log(`not written to bench/results/latest.json: BENCH_ONLY runs a part (BENCH_OUTPUT=<file> writes it elsewhere); ${elapsedSec} s`)
      return
    }
    const databases = Object.fromEntries(Object.entries(targets).filter(([name]) => name !== 'provision').map(([name, t]) => [name, { tenants: t.data.tenants, items: t.data.itemRows }]))
    writeResults(output, {
      postgresVersion, durationSec: settings.durationSec, rounds: settings.rounds, connections: settings.connections,
      loadAverageAtStart: Number(loadAverageAtStart.toFixed(2)), elapsedSec, databases, command: commandLine(),
    }, rows, figures, pairs)
    console.log(`written to ${output === RESULTS_FILE ? 'bench/results/latest.json' : output} in ${elapsedSec} s`)
  } finally {
    cleanup()
  }
}

const seconds = (since: number) => Math.round((Date.now() - since) / 1000)

/** The bench settings this run was started with, as a command to repeat it. */
function commandLine(): string {
  const names = ['BENCH_DATABASE_URL', 'BENCH_DURATION', 'BENCH_ROUNDS', 'BENCH_PAIRS', 'BENCH_PAIR_DURATION', 'BENCH_CONNECTIONS', 'BENCH_ONLY', 'BENCH_TENANTS', 'BENCH_TENANT_ITEMS', 'BENCH_SERVER_ENV']
  const set = names.filter((name) => process.env[name]).map((name) => `${name}=${process.env[name]}`)
  const script = process.env.npm_lifecycle_event
  return [...set, script ? `npm run ${script}` : 'npx tsx bench/run.ts'].join(' ')
}

/** BENCH_SERVER_ENV=K=V,K=V: extra configuration for the API servers (e.g. REDIS_URL). */
function parseExtraEnv(raw: string | undefined): Record<string, string> {
  const env: Record<string, string> = {}
  for (const pair of (raw ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const at = pair.indexOf('=')
    if (at < 1) throw new Error(`BENCH_SERVER_ENV: ${pair} is not NAME=value`)
    env[pair.slice(0, at)] = pair.slice(at + 1)
  }
  return env
}

main().catch((error: unknown) => {
  console.error('\nbench failed:', error)
  process.exitCode = 1
})
