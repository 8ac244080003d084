import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Config } from '../config/index.ts'
import type { Database } from './database.ts'

export interface OpenDatabaseOptions {
  onPoolError: (error: Error) => void
}

/** PostgreSQL when DATABASE_URL names a server; otherwise PGlite in DATA_DIR (or memory://). */
export async function openDatabase(config: Config, options: OpenDatabaseOptions): Promise<Database> {
  const url = config.DATABASE_URL
  if (url && url !== 'memory://') {
    // Each driver is imported only when used: the other one costs 0.1-0.2 s of start-up.
    const { PgDatabase } = await import('./pg/pg-database.ts')
    return new PgDatabase({
      ownerUrl: url,
      appUrl: config.DATABASE_APP_URL,
      appRole: config.DATABASE_APP_ROLE,
      poolMax: config.DATABASE_POOL_MAX,
      onPoolError: options.onPoolError,
    })
  }
  const { PgliteDatabase } = await import('./pglite/pglite-database.ts')
  if (url === 'memory://') return PgliteDatabase.open({ dataDir: undefined, appRole: config.DATABASE_APP_ROLE })
  const dataDir = resolve(config.DATA_DIR, 'pglite')
  mkdirSync(dataDir, { recursive: true })
  // PGlite cannot be shared between processes: a second one on DATA_DIR would lose writes (D70).
  const { lockDataDir } = await import('./pglite/data-dir-lock.ts')
  const lock = lockDataDir(resolve(config.DATA_DIR), config.DATA_DIR)
  return PgliteDatabase.open({ dataDir, appRole: config.DATABASE_APP_ROLE, lock })
}
