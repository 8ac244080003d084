// Builds the bench databases with Tenantry's own migrations and seed, then the bench's tenants,
// users, memberships and items by SQL as the owner (seed-data.ts):
// - small (`tenantry_bench`, rebuilt every run): 10 tenants; every figure but the large read;
// - large (`tenantry_bench_large`): the same plus filler tenants up to BENCH_TENANTS (100,000),
//   kept between runs while its fingerprint (migrations, seed code, sizes) matches;
// - provision (`tenantry_bench_provision`): a copy of the small one that provisioning fills;
// - PGlite: a data directory in a temp dir, for the embedded figure.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { loadConfig } from '../src/config/index.ts'
import { migrateUp, openDatabase, type Database } from '../src/db/index.ts'
import { seed } from '../src/db/seed.ts'
import { insertBenchData, readBenchData, type BenchData } from './seed-data.ts'
import { BENCH_DATABASE, LARGE_DATABASE, PROVISION_DATABASE, SMALL_TENANTS, withDatabase, type BenchSettings } from './settings.ts'

export type { BenchData, BenchItem } from './seed-data.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
// What the large database's content depends on: rebuilt when any of these change.
const FINGERPRINT_SOURCES = ['bench/seed-data.ts', 'src/db/seed.ts', 'src/modules/rbac/permission-catalog.ts', 'src/modules/tenants/default-tenant.seed.ts']

/** Drops and creates the small database, seeds it, and copies it for provisioning; returns its data and the server version. */
export async function setupSmallDatabase(settings: BenchSettings): Promise<{ data: BenchData; postgresVersion: string }> {
  const postgresVersion = await admin(settings.adminUrl, async (client) => {
    await client.query(`drop database if exists ${PROVISION_DATABASE} with (force)`)
    await recreate(client, BENCH_DATABASE)
    return (await client.query<{ server_version: string }>('show server_version')).rows[0]!.server_version
  })
  const data = await withBenchDatabase(settings.benchUrl, async (db) => {
    await db.withOwnerSession((session) => insertBenchData(session, { tenants: SMALL_TENANTS, fillerItems: settings.fillerItems }))
    return db.withOwnerSession(readBenchData)
  })
  // A file-level copy of the seeded database: provisioning starts from the same 10 tenants.
  await admin(settings.adminUrl, (client) => client.query(`create database ${PROVISION_DATABASE} template ${BENCH_DATABASE}`))
  return { data, postgresVersion }
}

/**
 * The large database, reused when its stored fingerprint matches (seeding 2M rows takes
 * 30-45 s here); `onBuild` is told when it has to be built.
 */
export async function setupLargeDatabase(settings: BenchSettings, onBuild: (reason: string) => void): Promise<BenchData> {
  const url = withDatabase(settings.adminUrl, LARGE_DATABASE)
  const fingerprint = largeFingerprint(settings)
  const stored = await admin(settings.adminUrl, async (client) => {
    const { rows } = await client.query<{ comment: string | null }>(
      'select shobj_description(oid, $2) as comment from pg_database where datname = $1',
      [LARGE_DATABASE, 'pg_database'],
    )
    return rows[0]?.comment ?? undefined
  })
  if (stored === fingerprint && !settings.reseed) {
    return withBenchDatabase(url, (db) => db.withOwnerSession(readBenchData))
  }
  onBuild(settings.reseed ? 'BENCH_RESEED is set' : stored === undefined ? 'it does not exist yet' : 'migrations, seed or sizes changed')
  await admin(settings.adminUrl, (client) => recreate(client, LARGE_DATABASE))
  const data = await withBenchDatabase(url, async (db) => {
    await db.withOwnerSession((session) => insertBenchData(session, { tenants: settings.largeTenants, fillerItems: settings.fillerItems }))
    return db.withOwnerSession(readBenchData)
  })
  // Written last: a build that stopped half-way has no fingerprint and is built again.
  await admin(settings.adminUrl, (client) => client.query(`comment on database ${LARGE_DATABASE} is '${fingerprint}'`))
  return data
}

/** An embedded database in dataDir (as the server opens it: DATA_DIR/pglite), with the small set. */
export async function setupPgliteDatabase(dataDir: string, settings: BenchSettings): Promise<BenchData> {
  const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, LOG_LEVEL: 'silent' })
  const db = await openDatabase(config, { onPoolError: () => {} })
  try {
    await migrateUp(db)
    await seed(db, config)
    await db.withOwnerSession((session) => insertBenchData(session, { tenants: SMALL_TENANTS, fillerItems: settings.fillerItems }))
    return await db.withOwnerSession(readBenchData)
  } finally {
    await db.close()
  }
}

/** Migrates and seeds the database at url (as the owner), then runs fn on it. */
async function withBenchDatabase<T>(url: string, fn: (db: Database) => Promise<T>): Promise<T> {
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: url, LOG_LEVEL: 'silent' })
  const db = await openDatabase(config, { onPoolError: () => {} })
  try {
    await migrateUp(db)
    await seed(db, config)
    return await fn(db)
  } finally {
    await db.close()
  }
}

async function admin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

async function recreate(client: pg.Client, database: string): Promise<void> {
  // FORCE ends connections a crashed earlier run may have left behind.
  await client.query(`drop database if exists ${database} with (force)`)
  await client.query(`create database ${database}`)
}

function largeFingerprint(settings: BenchSettings): string {
  const hash = createHash('sha256').update(JSON.stringify({ tenants: settings.largeTenants, items: settings.fillerItems }))
  const migrations = join(ROOT, 'src/db/migrations')
  for (const file of readdirSync(migrations).sort()) hash.update(file).update(readFileSync(join(migrations, file)))
  for (const file of FINGERPRINT_SOURCES) hash.update(file).update(readFileSync(join(ROOT, file)))
  return `tenantry-bench ${hash.digest('hex').slice(0, 32)}`
}
