// Runs once per `npm test`. Migrating costs seconds (PGlite's initdb alone ~3 s), so it is done
// once: on PGlite into a snapshot that every test file loads (~0.5 s); on PostgreSQL into a
// template database that every test file clones with CREATE DATABASE … TEMPLATE.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { loadConfig } from '../../src/config/index.ts'
import { migrateUp, openDatabase } from '../../src/db/index.ts'
import { PgliteDatabase } from '../../src/db/pglite/pglite-database.ts'
import { seed } from '../../src/db/seed.ts'
import { APP_ROLE, serverUrl, withDatabase } from './test-env.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteSnapshot: string
    pgTemplate: string
    pgRunPrefix: string
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const url = serverUrl()
  return url ? setupPostgres(project, url) : setupPglite(project)
}

async function setupPglite(project: TestProject) {
  const db = await PgliteDatabase.open({ dataDir: undefined, appRole: APP_ROLE })
  await migrateUp(db)
  await seed(db, testConfig('memory://'))
  const dir = mkdtempSync(join(tmpdir(), 'tenantry-test-'))
  const file = join(dir, 'migrated.tar')
  writeFileSync(file, Buffer.from(await (await db.dumpDataDir()).arrayBuffer()))
  await db.close()
  project.provide('pgliteSnapshot', file)
  project.provide('pgTemplate', '')
  project.provide('pgRunPrefix', '')
  return async () => rmSync(dir, { recursive: true, force: true })
}

async function setupPostgres(project: TestProject, url: string) {
  const prefix = `tenantry_t${randomBytes(3).toString('hex')}`
  const template = `${prefix}_template`
  await adminQuery(url, `create database ${template}`)
  const db = await openDatabase(testConfig(withDatabase(url, template)), { onPoolError: () => undefined })
  await migrateUp(db)
  await seed(db, testConfig(withDatabase(url, template)))
  await db.close()
  project.provide('pgliteSnapshot', '')
  project.provide('pgTemplate', template)
  project.provide('pgRunPrefix', prefix)
  return async () => {
    // Drop every database this run made (test files drop their own; this catches crashes).
    const { rows } = await adminQuery<{ datname: string }>(url, `select datname from pg_database where datname like '${prefix}%'`)
    for (const { datname } of rows) await adminQuery(url, `drop database if exists ${datname} with (force)`)
  }
}

export function testConfig(databaseUrl: string) {
  return loadConfig({ NODE_ENV: 'test', DATABASE_URL: databaseUrl, DATABASE_APP_ROLE: APP_ROLE, LOG_LEVEL: 'silent' })
}

export async function adminQuery<Row extends pg.QueryResultRow = pg.QueryResultRow>(url: string, sql: string): Promise<pg.QueryResult<Row>> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await client.query<Row>(sql)
  } finally {
    await client.end()
  }
}
