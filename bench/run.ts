// npm run bench: the same indexed read of one inventory item, served by each variant in turn
// (see variants.ts and README.md), measured with autocannon and printed as ratios to the baseline.
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { runLoad, type LoadFigures } from './load.ts'
import { probe } from './probe.ts'
import { formatTable, GOAL_RATIO, tenantryRatios, writeResults, type Measured } from './report.ts'
import { readSettings, type BenchSettings } from './settings.ts'
import { setupDatabase, type BenchData } from './setup-database.ts'
import { startServer } from './spawn-server.ts'
import { BASELINE, variants, type Variant } from './variants.ts'

const RESULTS_FILE = fileURLToPath(new URL('./results/latest.json', import.meta.url))

async function measureVariant(variant: Variant, settings: BenchSettings, data: BenchData): Promise<LoadFigures> {
  const server = await startServer(variant.server, {
    BENCH_SERVER_DATABASE_URL: settings.benchUrl,
    BENCH_SERVER_APP_DATABASE_URL: variant.appLogin ? settings.appUrl : '',
    BENCH_SERVER_PORT: '0',
  })
  try {
    await probe(server.url, data.tenantId, data.items[0]!)
    const load = {
      url: server.url,
      paths: data.items.map((item) => `/items/${item.id}`),
      headers: { 'x-tenant-id': data.tenantId },
      connections: settings.connections,
    }
    await runLoad({ ...load, durationSec: settings.warmupSec })
    return await runLoad({ ...load, durationSec: settings.durationSec })
  } finally {
    await server.stop()
  }
}

async function main(): Promise<void> {
  const settings = readSettings()
  const started = Date.now()
  console.log(`setting up the bench database on ${new URL(settings.benchUrl).host} …`)
  const data = await setupDatabase(settings)
  console.log(
    `node ${process.version}, PostgreSQL ${data.postgresVersion}, ${cpus().length} × ${cpus()[0]?.model.trim()}; ` +
      `${settings.connections} connections, ${settings.warmupSec} s warm-up + ${settings.durationSec} s per variant, ${settings.rounds} rounds (median)\n`,
  )

  // Several rounds, variants interleaved within each, and the median round per variant: on a
  // 2-core machine shared by server, load generator and PostgreSQL, one run of one variant can
  // be off by 20%; interleaving spreads slow periods over all variants instead of one.
  const selected = variants.filter((v) => settings.only.length === 0 || v.name === BASELINE || settings.only.includes(v.name))
  const rounds = new Map<string, LoadFigures[]>(selected.map((v) => [v.name, []]))
  for (let round = 1; round <= settings.rounds; round++) {
    console.log(`round ${round}/${settings.rounds}`)
    for (const variant of selected) {
      process.stdout.write(`  ${variant.name.padEnd(24)} `)
      const figures = await measureVariant(variant, settings, data)
      console.log(`${Math.round(figures.requestsPerSec)} req/s`)
      rounds.get(variant.name)!.push(figures)
    }
  }
  const measured: Measured[] = selected.map((variant) => ({ variant, figures: medianRound(rounds.get(variant.name)!) }))

  console.log(`\n${formatTable(measured)}\n`)
  for (const { variant } of measured) console.log(`  ${variant.name}: ${variant.description}`)
  const ratios = tenantryRatios(measured)
  console.log(
    `\ntenant-scoped read through Tenantry: ${ratios.b_tenantry?.toFixed(2)} of the bare prepared handler (goal >= ${GOAL_RATIO}); ` +
      `${ratios.b_tenantry_app_login?.toFixed(2)} when the pool logs in as tenantry_app`,
  )
  writeResults(RESULTS_FILE, { postgresVersion: data.postgresVersion, durationSec: settings.durationSec, rounds: settings.rounds, connections: settings.connections }, measured)
  console.log(`written to bench/results/latest.json in ${Math.round((Date.now() - started) / 1000)} s`)
}

/** The round with the median requests/s (its latencies come with it). */
function medianRound(figures: LoadFigures[]): LoadFigures {
  const sorted = [...figures].sort((a, b) => a.requestsPerSec - b.requestsPerSec)
  return sorted[Math.floor(sorted.length / 2)]!
}

main().catch((error: unknown) => {
  console.error('\nbench failed:', error)
  process.exitCode = 1
})
