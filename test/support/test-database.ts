// A fresh, migrated and seeded database for one test file: a clone of the run's snapshot
// (PGlite) or template (PostgreSQL). Isolated from every other file, so files run in parallel.
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { inject } from 'vitest'
import type { Config } from '../../src/config/index.ts'
import { loadConfig } from '../../src/config/index.ts'
import { openDatabase, type Database } from '../../src/db/index.ts'
import { PgliteDatabase } from '../../src/db/pglite/pglite-database.ts'
import { adminQuery } from './global-setup.ts'
import { APP_ROLE, serverUrl, withDatabase } from './test-env.ts'

export interface TestDatabase {
  db: Database
  config: Config
  /** Another handle on the same database (PostgreSQL only: a second pool, e.g. as the app role). */
  reopen(overrides?: Record<string, string>): Promise<Database>
  close(): Promise<void>
}

export async function createTestDatabase(overrides: Record<string, string> = {}): Promise<TestDatabase> {
  const url = serverUrl()
  return url ? clonePostgres(url, overrides) : clonePglite(overrides)
}

/** An empty database (no migrations) for migration tests. */
export async function createEmptyDatabase(): Promise<TestDatabase> {
  const url = serverUrl()
  if (!url) {
    const config = configFor('memory://')
    const db = await PgliteDatabase.open({ dataDir: undefined, appRole: APP_ROLE })
    return { db, config, reopen: () => Promise.reject(new Error('PGlite has one handle')), close: () => db.close() }
  }
  return createPostgres(url, '', {})
}

async function clonePglite(overrides: Record<string, string>): Promise<TestDatabase> {
  const snapshot = readFileSync(inject('pgliteSnapshot'))
  const db = await PgliteDatabase.open({ dataDir: undefined, appRole: APP_ROLE, loadDataDir: new Blob([snapshot]) })
  const config = configFor('memory://', overrides)
  return { db, config, reopen: () => Promise.reject(new Error('PGlite has one handle')), close: () => db.close() }
}

async function clonePostgres(url: string, overrides: Record<string, string>): Promise<TestDatabase> {
  return createPostgres(url, inject('pgTemplate'), overrides)
}

async function createPostgres(url: string, template: string, overrides: Record<string, string>): Promise<TestDatabase> {
  const prefix = inject('pgRunPrefix')
  const name = `${prefix}_${randomBytes(4).toString('hex')}`
  await createDatabase(url, name, template)
  const config = configFor(withDatabase(url, name), overrides)
  const handles: Database[] = []
  const open = async (extra: Record<string, string> = {}) => {
    const db = await openDatabase(configFor(withDatabase(url, name), { ...overrides, ...extra }), { onPoolError: () => undefined })
    handles.push(db)
    return db
  }
  const db = await open()
  return {
    db,
    config,
    reopen: open,
    close: async () => {
      await Promise.all(handles.map((handle) => handle.close()))
      await adminQuery(url, `drop database if exists ${name} with (force)`)
    },
  }
}

/** CREATE DATABASE … TEMPLATE fails while another clone of the same template is being made; retry briefly. */
async function createDatabase(url: string, name: string, template: string): Promise<void> {
  const sql = template ? `create database ${name} template ${template}` : `create database ${name}`
  for (let attempt = 1; ; attempt++) {
    try {
      await adminQuery(url, sql)
      return
    } catch (error) {
      if (attempt >= 20 || !/being accessed by other users/.test((error as Error).message)) throw error
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt))
    }
  }
}

function configFor(databaseUrl: string, overrides: Record<string, string> = {}): Config {
  // The dispatcher runs only where a test turns it on: other tests' deliveries stay queued.
  return loadConfig({ NODE_ENV: 'test', DATABASE_URL: databaseUrl, DATABASE_APP_ROLE: APP_ROLE, LOG_LEVEL: 'silent', WEBHOOK_DISPATCHER_ENABLED: 'false', ...overrides })
}
