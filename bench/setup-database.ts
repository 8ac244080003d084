// Builds the bench database from scratch with Tenantry's own migrations and seed, then adds two
// tenants with 10,000 items each, so the read under test hits a realistically sized index.
import pg from 'pg'
import { loadConfig } from '../src/config/index.ts'
import { migrateUp, openDatabase, type OwnerSession } from '../src/db/index.ts'
import { seed } from '../src/db/seed.ts'
import { BENCH_DATABASE, type BenchSettings } from './settings.ts'

const ITEMS_PER_TENANT = 10_000
// Requests rotate over this many ids: enough to defeat any per-id caching, all in shared buffers.
const READ_SET_SIZE = 1_000
const BENCH_TENANTS = [
  { slug: 'bench-alpha', name: 'Bench Alpha' },
  { slug: 'bench-beta', name: 'Bench Beta' },
]

export interface BenchItem {
  id: string
  item_code: string
  name: string
}

export interface BenchData {
  postgresVersion: string
  /** The tenant whose items are read. */
  tenantId: string
  items: BenchItem[]
}

export async function setupDatabase(settings: BenchSettings): Promise<BenchData> {
  const postgresVersion = await recreateDatabase(settings.adminUrl)
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: settings.benchUrl, LOG_LEVEL: 'silent' })
  const db = await openDatabase(config, { onPoolError: () => {} })
  try {
    await migrateUp(db)
    await seed(db, config)
    const { tenantId, items } = await db.withOwnerSession(insertBenchData)
    return { postgresVersion, tenantId, items }
  } finally {
    await db.close()
  }
}

/** Drops and creates the bench database through a plain admin connection; returns the server version. */
async function recreateDatabase(adminUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    // FORCE ends connections a crashed earlier run may have left behind.
    await client.query(`drop database if exists ${BENCH_DATABASE} with (force)`)
    await client.query(`create database ${BENCH_DATABASE}`)
    const { rows } = await client.query<{ server_version: string }>('show server_version')
    return rows[0]!.server_version
  } finally {
    await client.end()
  }
}

async function insertBenchData(session: OwnerSession): Promise<{ tenantId: string; items: BenchItem[] }> {
  const tenantIds: string[] = []
  for (const tenant of BENCH_TENANTS) {
    const { rows } = await session.query<{ id: string }>(
      "insert into tenants (slug, name, status, plan) values ($1, $2, 'active', 'basic') returning id",
      [tenant.slug, tenant.name],
    )
    tenantIds.push(rows[0]!.id)
    await session.query(
      `insert into inventory_items (tenant_id, item_code, name, description, quantity, unit, location, reorder_point, unit_cost)
       select $1, 'SKU-' || lpad(g::text, 6, '0'), 'Item ' || g, 'Bench item number ' || g, g % 500, 'each',
              'aisle-' || (g % 40), 10, (g % 10000) / 100.0
         from generate_series(1, $2::int) as g`,
      [rows[0]!.id, ITEMS_PER_TENANT],
    )
  }
  await session.exec('analyze')
  const tenantId = tenantIds[0]!
  const { rows: items } = await session.query<BenchItem>(
    'select id, item_code, name from inventory_items where tenant_id = $1 order by item_code limit $2',
    [tenantId, READ_SET_SIZE],
  )
  return { tenantId, items }
}
