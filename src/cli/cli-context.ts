import { loadConfig, loadDotEnv, type Config } from '../config/index.ts'
import { openDatabase, type Database } from '../db/index.ts'

/** What every command needs: the validated config and a database handle it must close. */
export async function openCliContext(): Promise<{ config: Config; db: Database }> {
  loadDotEnv()
  const config = loadConfig()
  const db = await openDatabase(config, { onPoolError: (error) => process.stderr.write(`database: ${error.message}\n`) })
  return { config, db }
}
