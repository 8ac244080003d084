import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { checkTableRegistry, tableRegistry, type Database } from '../src/db/index.ts'
import { createTestDatabase, type TestDatabase } from './support/test-database.ts'

let testDb: TestDatabase
let db: Database

beforeAll(async () => {
  testDb = await createTestDatabase()
  db = testDb.db
})
afterAll(() => testDb.close())

const check = (registry = tableRegistry) => db.withOwnerSession((s) => checkTableRegistry(s, db.appRole, registry))
const owner = (sql: string) => db.withOwnerSession((s) => s.exec(sql))

const TENANT_TABLE = `create table widgets (
  tenant_id uuid not null references tenants (id), id uuid not null default gen_random_uuid(), name text,
  primary key (tenant_id, id))`
const POLICY = `create policy tenant_isolation on widgets
  using (tenant_id = (select nullif(current_setting('app.current_tenant_id', true), '')::uuid))
  with check (tenant_id = (select nullif(current_setting('app.current_tenant_id', true), '')::uuid))`
const withWidgets = { ...tableRegistry, widgets: 'tenant' as const }

describe('table registry against the live catalog', () => {
  beforeEach(() => owner('drop table if exists gadgets; drop table if exists widgets; drop table if exists stray'))

  it('passes on the migrated schema', async () => {
    expect(await check()).toEqual([])
  })

  it('names an unclassified table', async () => {
    await owner('create table stray (id uuid primary key)')
    expect(await check()).toEqual([expect.stringMatching(/^table stray: not in the table registry/)])
  })

  it('names a registered table that does not exist', async () => {
    expect(await check(withWidgets)).toEqual([expect.stringMatching(/^table widgets: registered as tenant but missing/)])
  })

  it('accepts a tenant table built by the rules', async () => {
    await owner(`${TENANT_TABLE}; alter table widgets enable row level security; alter table widgets force row level security; ${POLICY}`)
    expect(await check(withWidgets)).toEqual([])
  })

  it('names a tenant table without FORCE', async () => {
    await owner(`${TENANT_TABLE}; alter table widgets enable row level security; ${POLICY}`)
    expect(await check(withWidgets)).toEqual(['table widgets: row-level security is not FORCED'])
  })

  it('names a tenant table without RLS or the policy', async () => {
    await owner(TENANT_TABLE)
    expect(await check(withWidgets)).toEqual([
      'table widgets: row-level security is not enabled',
      'table widgets: row-level security is not FORCED',
      'table widgets: missing the tenant_isolation policy',
    ])
  })

  it('names a policy that does not check the tenant on writes', async () => {
    await owner(`${TENANT_TABLE}; alter table widgets enable row level security; alter table widgets force row level security;
      create policy tenant_isolation on widgets using (tenant_id = (select nullif(current_setting('app.current_tenant_id', true), '')::uuid)) with check (true)`)
    expect(await check(withWidgets)).toEqual([expect.stringMatching(/^table widgets: the tenant_isolation policy must apply/)])
  })

  it('names an extra permissive policy that widens access', async () => {
    await owner(`${TENANT_TABLE}; alter table widgets enable row level security; alter table widgets force row level security; ${POLICY};
      create policy everyone on widgets using (true)`)
    expect(await check(withWidgets)).toEqual(['table widgets: extra permissive policy everyone widens tenant isolation'])
  })

  it('names a tenant table without tenant_id', async () => {
    await owner('create table widgets (id uuid primary key)')
    const problems = await check(withWidgets)
    expect(problems).toContain('table widgets: tenant-scoped but has no tenant_id column')
  })

  it('names an index that does not lead with tenant_id', async () => {
    await owner(`${TENANT_TABLE}; alter table widgets enable row level security; alter table widgets force row level security; ${POLICY};
      create index widgets_name_idx on widgets (name)`)
    expect(await check(withWidgets)).toEqual(['table widgets: index widgets_name_idx does not lead with tenant_id'])
  })

  it('names a foreign key between tenant tables that omits tenant_id', async () => {
    await owner(`${TENANT_TABLE}; alter table widgets enable row level security; alter table widgets force row level security; ${POLICY};
      alter table widgets add constraint widgets_id_key unique (id);
      create table gadgets (tenant_id uuid not null references tenants (id), id uuid not null, widget_id uuid references widgets (id), primary key (tenant_id, id));
      alter table gadgets enable row level security; alter table gadgets force row level security;
      ${POLICY.replace('on widgets', 'on gadgets')}`)
    const problems = await check({ ...withWidgets, gadgets: 'tenant' })
    expect(problems).toContain('table widgets: index widgets_id_key does not lead with tenant_id')
    expect(problems).toContain('table gadgets: foreign key gadgets_widget_id_fkey to tenant table widgets must include tenant_id')
  })

  it('names a tenant table the app role may TRUNCATE', async () => {
    await owner(`grant truncate on inventory_items to ${db.appRole}`)
    try {
      expect(await check()).toEqual([`table inventory_items: ${db.appRole} must not hold TRUNCATE (it bypasses row-level security)`])
    } finally {
      await owner(`revoke truncate on inventory_items from ${db.appRole}`)
    }
  })
})
