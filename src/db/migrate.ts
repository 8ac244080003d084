import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Database, OwnerSession } from './database.ts'

export interface Migration {
  version: string
  name: string
  up: string
  down: string | undefined
  /** SHA-256 of the up file as written; an applied migration whose file changed stops the start. */
  checksum: string
}

export interface MigrationStatus {
  version: string
  name: string
  state: 'applied' | 'pending' | 'changed' | 'missing-file'
  appliedAt?: Date
}

export class MigrationError extends Error {
  override name = 'MigrationError'
  /** The SQLSTATE of the PostgreSQL error that failed the migration, when there was one. */
  readonly code: string | undefined

  constructor(message: string, options: { cause?: unknown; code?: string } = {}) {
    super(message, { cause: options.cause })
    this.code = options.code
  }
}

/**
 * Earlier texts of applied migrations that were amended in place, by version: a database that
 * applied one of these is where the current text would have left it, so it is not "changed".
 * An amendment is for a migration that could not run at all in some setting and must run there
 * before any later one (D71); anything else is a new migration.
 */
const AMENDED_CHECKSUMS: Readonly<Record<string, readonly string[]>> = {
  // 0007 without the passing CREATE on public for the claimer (superusers did not need it).
  '0007': ['67bf2a14412196dba8d7e839f0be470c92aa81bdc91ecb0089006a252d0bb7c5'],
}

const DEFAULT_DIR = fileURLToPath(new URL('./migrations/', import.meta.url))
const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.(up|down)\.sql$/
// Any constant works as long as every instance uses the same one; two instances starting
// together queue on it and the second finds nothing left to apply.
const MIGRATION_LOCK_KEY = 7_465_120_001

export function readMigrations(dir = DEFAULT_DIR): Migration[] {
  const byVersion = new Map<string, Partial<Migration> & { version: string; name: string }>()
  for (const file of readdirSync(dir).sort()) {
    const match = FILE_PATTERN.exec(file)
    if (!match) continue
    const [, version, name, direction] = match as unknown as [string, string, string, 'up' | 'down']
    const entry = byVersion.get(version) ?? { version, name }
    const sql = readFileSync(join(dir, file), 'utf8')
    if (direction === 'up') {
      entry.up = sql
      entry.checksum = createHash('sha256').update(sql).digest('hex')
    } else {
      entry.down = sql
    }
    byVersion.set(version, entry)
  }
  return [...byVersion.values()].map((entry) => {
    if (entry.up === undefined) throw new MigrationError(`migration ${entry.version}_${entry.name} has no .up.sql file`)
    return entry as Migration
  })
}

/** Applies pending migrations in order, each in its own transaction, under the advisory lock. */
export async function migrateUp(db: Database, migrations = readMigrations()): Promise<string[]> {
  return withMigrationLock(db, async (session) => {
    const applied = await appliedMigrations(session)
    verifyChecksums(migrations, applied)
    const done: string[] = []
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue
      await inTransaction(session, migration, async () => {
        await session.exec(render(migration.up, db.appRole))
        await session.query('insert into schema_migrations (version, name, checksum) values ($1, $2, $3)', [
          migration.version,
          migration.name,
          migration.checksum,
        ])
      })
      done.push(`${migration.version}_${migration.name}`)
    }
    return done
  })
}

/** Reverts the last `steps` applied migrations (newest first). */
export async function migrateDown(db: Database, steps = 1, migrations = readMigrations()): Promise<string[]> {
  return withMigrationLock(db, async (session) => {
    const applied = await appliedMigrations(session)
    verifyChecksums(migrations, applied)
    const toRevert = migrations.filter((m) => applied.has(m.version)).reverse().slice(0, steps)
    const done: string[] = []
    for (const migration of toRevert) {
      if (migration.down === undefined) throw new MigrationError(`migration ${migration.version}_${migration.name} has no .down.sql file`)
      await inTransaction(session, migration, async () => {
        await session.exec(render(migration.down!, db.appRole))
        await session.query('delete from schema_migrations where version = $1', [migration.version])
      })
      done.push(`${migration.version}_${migration.name}`)
    }
    return done
  })
}

export async function migrationStatus(db: Database, migrations = readMigrations()): Promise<MigrationStatus[]> {
  return db.withOwnerSession(async (session) => {
    await ensureMigrationsTable(session)
    const applied = await appliedMigrations(session)
    const status: MigrationStatus[] = migrations.map((m) => {
      const row = applied.get(m.version)
      if (!row) return { version: m.version, name: m.name, state: 'pending' }
      return { version: m.version, name: m.name, state: matches(m, row) ? 'applied' : 'changed', appliedAt: row.applied_at }
    })
    for (const [version, row] of applied) {
      if (!migrations.some((m) => m.version === version)) status.push({ version, name: row.name, state: 'missing-file', appliedAt: row.applied_at })
    }
    return status
  })
}

interface AppliedRow {
  version: string
  name: string
  checksum: string
  applied_at: Date
}

async function withMigrationLock<T>(db: Database, fn: (session: OwnerSession) => Promise<T>): Promise<T> {
  return db.withOwnerSession(async (session) => {
    await session.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY])
    try {
      await ensureMigrationsTable(session)
      return await fn(session)
    } finally {
      await session.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
    }
  })
}

async function ensureMigrationsTable(session: OwnerSession): Promise<void> {
  await session.exec(`create table if not exists schema_migrations (
    version text primary key,
    name text not null,
    checksum text not null,
    applied_at timestamptz not null default now()
  )`)
}

async function appliedMigrations(session: OwnerSession): Promise<Map<string, AppliedRow>> {
  const { rows } = await session.query<AppliedRow>('select version, name, checksum, applied_at from schema_migrations order by version')
  return new Map(rows.map((row) => [row.version, row]))
}

function verifyChecksums(migrations: Migration[], applied: Map<string, AppliedRow>): void {
  for (const migration of migrations) {
    const row = applied.get(migration.version)
    if (row && !matches(migration, row)) {
      throw new MigrationError(
        `migration ${migration.version}_${migration.name} was changed after it was applied (checksum ${row.checksum.slice(0, 12)}… in the database, ${migration.checksum.slice(0, 12)}… on disk); add a new migration instead of editing an applied one`,
      )
    }
  }
  for (const [version, row] of applied) {
    if (!migrations.some((m) => m.version === version)) {
      throw new MigrationError(`migration ${version}_${row.name} is applied but its file is missing; is this an older release of Tenantry?`)
    }
  }
}

function matches(migration: Migration, row: AppliedRow): boolean {
  return row.checksum === migration.checksum || (AMENDED_CHECKSUMS[migration.version] ?? []).includes(row.checksum)
}

async function inTransaction(session: OwnerSession, migration: Migration, fn: () => Promise<void>): Promise<void> {
  await session.exec('begin')
  try {
    await fn()
    await session.exec('commit')
  } catch (error) {
    await session.exec('rollback')
    throw await failure(session, migration, error)
  }
}

/** One line naming the migration and PostgreSQL's error; a missing privilege names the role that lacks it. */
async function failure(session: OwnerSession, migration: Migration, error: unknown): Promise<MigrationError> {
  const { message, code, hint } = (error ?? {}) as { message?: string; code?: string; hint?: string }
  let text = `migration ${migration.version}_${migration.name} failed and was rolled back: ${message ?? String(error)}`
  if (code) text += ` (SQLSTATE ${code})`
  if (hint) text += `; ${hint}`
  if (code === '42501') {
    const role = await session.query<{ role: string }>('select current_user as role').then((r) => r.rows[0]?.role, () => undefined)
    text += `; the role of DATABASE_URL${role ? ` (${role})` : ''} lacks a privilege the migrations need: see "Running in production" in the README`
  }
  return new MigrationError(text, { cause: error, code })
}

/** Role names cannot be bound as parameters; the name is a validated identifier (config). */
function render(sql: string, appRole: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(appRole)) throw new MigrationError(`invalid DATABASE_APP_ROLE ${JSON.stringify(appRole)}`)
  return sql.replaceAll('{{app_role_name}}', appRole).replaceAll('{{app_role}}', `"${appRole}"`)
}
