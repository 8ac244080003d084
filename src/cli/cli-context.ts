import { loadConfig, loadDotEnv, type Config } from '../config/index.ts'
import { InvalidationBus } from '../cache/invalidation-bus.ts'
import { openDatabase, type Database } from '../db/index.ts'
import { notFound } from '../errors/index.ts'
import { TenantDirectory, type TenantRecord } from '../modules/access/tenant-directory.ts'

/** What every command needs: the validated config and a database handle it must close. */
export async function openCliContext(): Promise<{ config: Config; db: Database }> {
  loadDotEnv()
  const config = loadConfig()
  const db = await openDatabase(config, { onPoolError: (error) => process.stderr.write(`database: ${error.message}\n`) })
  return { config, db }
}

/** The tenant an operator named by id or slug; a not_found AppError (exit 1) when there is none. */
export async function tenantNamed(db: Database, ref: string): Promise<TenantRecord> {
  const tenant = await new TenantDirectory(db, new InvalidationBus()).findTenant(ref)
  if (!tenant) throw notFound('tenant', ref)
  return tenant
}
