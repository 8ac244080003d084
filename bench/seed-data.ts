// The bench's tenants, users, memberships and items, inserted by SQL as the owner (never through
// the API: 2M rows must take a minute, not hours). Every row satisfies the schema's constraints
// and foreign keys, which stay on; ids come from the columns' defaults.
//
// - bench-read (premium): 10,000 items; reader@bench.test is its Manager. The reads measure it.
// - bench-write, bench-write-2..4 (premium, max_items lifted): no items; writer@<slug>.bench.test
//   is each one's Manager. The writes go to bench-write (api_write_4t spreads them over all four).
// - filler tenants bench-t-<n> (basic) up to `tenants` in all (the seeded default tenant counts):
//   `fillerItems` items each and one Manager, member@bench-t-<n>.bench.test.
import type { OwnerSession } from '../src/db/index.ts'

export interface BenchItem {
  id: string
  item_code: string
  name: string
}

export interface BenchData {
  /** The tenant whose items are read, its Manager, and the items the reads cycle over. */
  tenantId: string
  userId: string
  items: BenchItem[]
  /** The tenants the writes go to and their Managers; the first is the one api_write measures. */
  writers: { tenantId: string; userId: string }[]
  /** Tenants in the database. */
  tenants: number
  /** Inventory items in the database. */
  itemRows: number
}

const READ_TENANT = 'bench-read'
const WRITE_TENANTS = ['bench-write', 'bench-write-2', 'bench-write-3', 'bench-write-4']
const READ_ITEMS = 10_000
// Requests rotate over this many ids: enough to defeat any per-id caching, all in shared buffers.
const READ_SET_SIZE = 1_000
const ROLE = 'Manager' // holds inventory:read and inventory:write

/** Inserts the bench data into a freshly migrated and seeded database. */
export async function insertBenchData(session: OwnerSession, sizes: { tenants: number; fillerItems: number }): Promise<void> {
  await session.exec('begin')
  try {
    // Sorting 2M rows by tenant keeps index inserts local; the memory keeps the sort off disk.
    await session.exec("set local work_mem = '256MB'")
    await session.query("insert into tenants (slug, name, status, plan) values ($1, 'Bench Read', 'active', 'premium')", [READ_TENANT])
    await session.query(
      `insert into tenants (slug, name, status, plan, settings)
       select slug, 'Bench ' || slug, 'active', 'premium', '{"limits": {"max_items": null}}' from unnest($1::text[]) as slug`,
      [WRITE_TENANTS],
    )
    const { rows } = await session.query<{ n: number }>('select count(*)::int as n from tenants')
    const fillers = Math.max(0, sizes.tenants - rows[0]!.n)
    await session.query(
      `insert into tenants (slug, name, status, plan)
       select 'bench-t-' || g, 'Bench tenant ' || g, 'active', 'basic' from generate_series(1, $1::int) as g`,
      [fillers],
    )
    // One Manager per tenant, its default tenant set as a first membership sets it.
    await session.query(
      `insert into users (email, name, default_tenant_id)
       select case when t.slug = $1 then 'reader@bench.test' when t.slug = any($2) then 'writer@' || t.slug || '.bench.test'
                   else 'member@' || t.slug || '.bench.test' end,
              'Manager of ' || t.name, t.id
         from tenants t where t.slug = $1 or t.slug = any($2) or t.slug like 'bench-t-%'`,
      [READ_TENANT, WRITE_TENANTS],
    )
    await session.query(
      `insert into tenant_users (tenant_id, user_id, role_id, status)
       select u.default_tenant_id, u.id, (select id from roles where name = $1), 'active'
         from users u where u.email like '%bench.test'`,
      [ROLE],
    )
    await session.query(
      `insert into inventory_items (tenant_id, item_code, name, description, quantity, unit, location, reorder_point, unit_cost)
       select t.id, 'SKU-' || lpad(g::text, 6, '0'), 'Item ' || g, 'Bench item number ' || g, g % 500, 'each',
              'aisle-' || (g % 40), 10, (g % 10000) / 100.0
         from tenants t
         cross join lateral generate_series(1, case when t.slug = $1 then $2::int else $3::int end) as g
        where t.slug = $1 or t.slug like 'bench-t-%'
        order by t.id, g`,
      [READ_TENANT, READ_ITEMS, sizes.fillerItems],
    )
    await session.exec('commit')
  } catch (error) {
    await session.exec('rollback')
    throw error
  }
  // Statistics and the visibility map, as on a database that has been running for a while.
  await session.exec('vacuum analyze')
}

/** What the loads need, read back by slug and email (also from a large database built by an earlier run). */
export async function readBenchData(session: OwnerSession): Promise<BenchData> {
  const { rows: people } = await session.query<{ slug: string; tenant_id: string; user_id: string }>(
    `select t.slug, t.id as tenant_id, u.id as user_id
       from tenants t join tenant_users tu on tu.tenant_id = t.id join users u on u.id = tu.user_id
      where t.slug = $1 or t.slug = any($2)`,
    [READ_TENANT, WRITE_TENANTS],
  )
  const read = people.find((row) => row.slug === READ_TENANT)
  const writers = WRITE_TENANTS.map((slug) => people.find((row) => row.slug === slug))
  if (!read || writers.some((w) => w === undefined)) throw new Error('the bench tenants are missing from the database')
  const { rows: items } = await session.query<BenchItem>(
    'select id, item_code, name from inventory_items where tenant_id = $1 order by item_code limit $2',
    [read.tenant_id, READ_SET_SIZE],
  )
  const { rows: counts } = await session.query<{ tenants: number; items: number }>(
    // Estimates for the item count: exact counts of 2M rows cost seconds and say nothing more.
    `select (select count(*)::int from tenants) as tenants,
            (select greatest(reltuples, 0)::bigint::int from pg_class where oid = 'inventory_items'::regclass) as items`,
  )
  return {
    tenantId: read.tenant_id,
    userId: read.user_id,
    items,
    writers: writers.map((w) => ({ tenantId: w!.tenant_id, userId: w!.user_id })),
    tenants: counts[0]!.tenants,
    itemRows: counts[0]!.items,
  }
}
