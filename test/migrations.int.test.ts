import { afterEach, expect, it } from 'vitest'
import { checkTableRegistry, migrateDown, migrateUp, migrationStatus, readMigrations, type Database } from '../src/db/index.ts'
import { createEmptyDatabase, type TestDatabase } from './support/test-database.ts'

let testDb: TestDatabase | undefined
afterEach(async () => {
  await testDb?.close()
  testDb = undefined
})

const publicTables = (db: Database) =>
  db.withOwnerSession(async (s) => (await s.query<{ t: string }>(`select tablename as t from pg_tables where schemaname = 'public' order by 1`)).rows.map((r) => r.t))

it('migrates up, all the way down, and up again on an empty database', async () => {
  testDb = await createEmptyDatabase()
  const { db } = testDb
  const all = readMigrations()
  expect(await migrateUp(db)).toEqual(all.map((m) => `${m.version}_${m.name}`))
  expect(await migrateUp(db)).toEqual([])
  expect((await migrationStatus(db)).every((m) => m.state === 'applied')).toBe(true)
  expect(await db.withOwnerSession((s) => checkTableRegistry(s, db.appRole))).toEqual([])

  expect(await migrateDown(db, all.length)).toHaveLength(all.length)
  expect(await publicTables(db)).toEqual(['schema_migrations'])
  expect((await migrationStatus(db)).every((m) => m.state === 'pending')).toBe(true)

  await migrateUp(db)
  expect(await db.withOwnerSession((s) => checkTableRegistry(s, db.appRole))).toEqual([])
})

it('refuses to run when an applied migration file changed, naming it', async () => {
  testDb = await createEmptyDatabase()
  const { db } = testDb
  await migrateUp(db)
  await db.withOwnerSession((s) => s.query(`update schema_migrations set checksum = 'deadbeef' where version = '0001'`))
  await expect(migrateUp(db)).rejects.toThrow(/migration 0001_foundation was changed after it was applied/)
  expect((await migrationStatus(db))[0]!.state).toBe('changed')
})

it('accepts the earlier text of an amended migration (0007 before D71), so databases migrated by it keep starting', async () => {
  testDb = await createEmptyDatabase()
  const { db } = testDb
  await migrateUp(db)
  await db.withOwnerSession((s) => s.query(`update schema_migrations set checksum = '67bf2a14412196dba8d7e839f0be470c92aa81bdc91ecb0089006a252d0bb7c5' where version = '0007'`))
  expect(await migrateUp(db)).toEqual([])
  expect((await migrationStatus(db)).every((m) => m.state === 'applied')).toBe(true)
  // The accepted earlier text is 0007's alone.
  await db.withOwnerSession((s) => s.query(`update schema_migrations set checksum = '67bf2a14412196dba8d7e839f0be470c92aa81bdc91ecb0089006a252d0bb7c5' where version = '0006'`))
  await expect(migrateUp(db)).rejects.toThrow(/migration 0006_webhooks was changed after it was applied/)
})

it('refuses to run when an applied migration has no file', async () => {
  testDb = await createEmptyDatabase()
  const { db } = testDb
  await migrateUp(db)
  await db.withOwnerSession((s) => s.query(`insert into schema_migrations (version, name, checksum) values ('9999', 'from_the_future', 'x')`))
  await expect(migrateUp(db)).rejects.toThrow(/9999_from_the_future is applied but its file is missing/)
})

it('rolls back a failing migration completely', async () => {
  testDb = await createEmptyDatabase()
  const { db } = testDb
  const broken = [{ version: '0001', name: 'broken', up: 'create table half_done (id int); select 1/0;', down: 'drop table half_done', checksum: 'c' }]
  await expect(migrateUp(db, broken)).rejects.toMatchObject({
    name: 'MigrationError',
    code: '22012',
    message: 'migration 0001_broken failed and was rolled back: division by zero (SQLSTATE 22012)',
  })
  expect(await publicTables(db)).toEqual(['schema_migrations'])
})

it.runIf(process.env.DATABASE_URL && process.env.DATABASE_URL !== 'memory://')('two instances starting together migrate once (advisory lock)', async () => {
  testDb = await createEmptyDatabase()
  const other = await testDb.reopen()
  const results = await Promise.all([migrateUp(testDb.db), migrateUp(other)])
  expect(results.map((r) => r.length).sort()).toEqual([0, readMigrations().length])
  const rows = await testDb.db.withOwnerSession((s) => s.query<{ n: number }>('select count(*)::int as n from schema_migrations'))
  expect(rows.rows[0]!.n).toBe(readMigrations().length)
})
