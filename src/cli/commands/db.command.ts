import { spawn } from 'node:child_process'
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig, loadDotEnv, type Config } from '../../config/index.ts'
import { openDatabase } from '../../db/index.ts'
import { tenantNamed, UsageError } from '../cli-context.ts'

/**
 * `tenantry db shell [--tenant ID|SLUG] [--owner] [-- psql arguments]` (DESIGN §14): psql on the
 * configured PostgreSQL, least privileged by default: as the app role (DATABASE_APP_URL, or the
 * owner's login switched to DATABASE_APP_ROLE), so RLS applies, with app.current_tenant_id set
 * to the tenant when one is named (no tenant: tenant tables show no rows). --owner opens the schema
 * owner's session instead, for migrations and repairs by hand.
 */
export async function dbCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args
  if (sub !== 'shell') throw new UsageError(`unknown db command ${sub ?? ''}: use shell`)
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { tenant: { type: 'string' }, owner: { type: 'boolean' } } })
  if (values.owner && values.tenant !== undefined) throw new UsageError('db shell takes --tenant or --owner, not both')

  loadDotEnv()
  const config = loadConfig()
  if (!config.DATABASE_URL || config.DATABASE_URL === 'memory://') {
    throw new ConfigError(['db shell needs PostgreSQL (DATABASE_URL): the embedded database lives inside the server process'])
  }
  const tenantId = values.tenant === undefined ? undefined : await tenantIdOf(config, values.tenant)

  const url = values.owner ? config.DATABASE_URL : (config.DATABASE_APP_URL ?? config.DATABASE_URL)
  // Startup options: the role switch (when logging in as the owner) and the tenant, for the whole session.
  const options = values.owner ? [] : [...(config.DATABASE_APP_URL ? [] : [`-c role=${config.DATABASE_APP_ROLE}`]), ...(tenantId ? [`-c app.current_tenant_id=${tenantId}`] : [])]
  const who = values.owner ? 'the schema owner' : `${config.DATABASE_APP_ROLE}${tenantId ? ` in tenant ${tenantId}` : ', no tenant (tenant tables show no rows)'}`
  if (positionals.length === 0) process.stderr.write(`psql as ${who}\n`)
  process.exitCode = await runPsql([url, ...positionals], { ...process.env, PGOPTIONS: [process.env.PGOPTIONS, ...options].filter(Boolean).join(' ') })
}

async function tenantIdOf(config: Config, ref: string): Promise<string> {
  const db = await openDatabase(config, { onPoolError: (error) => process.stderr.write(`database: ${error.message}\n`) })
  try {
    return (await tenantNamed(db, ref)).id
  } finally {
    await db.close()
  }
}

function runPsql(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('psql', args, { stdio: 'inherit', env })
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new ConfigError(['psql was not found on PATH: install the PostgreSQL client (Debian: postgresql-client)']) : error),
    )
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)))
  })
}
