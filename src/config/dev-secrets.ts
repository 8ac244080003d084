import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Config } from './config.schema.ts'

export interface DevSecrets {
  config: Config
  /** Set only when this start generated the SUPER_ADMIN_KEY, to print it once. */
  generatedSuperAdminKey?: string
}

/**
 * DESIGN §2: in development, a missing SUPER_ADMIN_KEY (and JWT_SECRET, so tokens survive a
 * restart) is generated once into DATA_DIR and reused by later starts. Production never gets
 * here without them (production-rules.ts); an in-memory database keeps nothing on disk.
 */
export function ensureDevSecrets(config: Config): DevSecrets {
  if (config.NODE_ENV === 'production' || config.DATABASE_URL === 'memory://') return { config }
  const superAdmin = config.SUPER_ADMIN_KEY ? { value: config.SUPER_ADMIN_KEY, generated: false } : readOrCreate(config.DATA_DIR, 'super-admin-key', () => `sak_${randomBytes(32).toString('hex')}`)
  const jwt = config.JWT_SECRET ? { value: config.JWT_SECRET, generated: false } : readOrCreate(config.DATA_DIR, 'jwt-secret', () => randomBytes(48).toString('base64url'))
  return {
    config: Object.freeze({ ...config, SUPER_ADMIN_KEY: superAdmin.value, JWT_SECRET: jwt.value }),
    ...(superAdmin.generated ? { generatedSuperAdminKey: superAdmin.value } : {}),
  }
}

function readOrCreate(dir: string, name: string, create: () => string): { value: string; generated: boolean } {
  const file = join(dir, name)
  if (existsSync(file)) return { value: readFileSync(file, 'utf8').trim(), generated: false }
  const value = create()
  mkdirSync(dir, { recursive: true })
  writeFileSync(file, `${value}\n`, { mode: 0o600 })
  return { value, generated: true }
}
