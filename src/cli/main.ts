// `tenantry <command>`: parse arguments, call a service, print. No SQL here.
// Each command's module (and with it the app, the database drivers) is imported only when that
// command runs: `--help`, the usage and a usage error answer in a fraction of a second.
import { ConfigError } from '../config/load-config.ts'
import { MigrationError } from '../db/migrate.ts'
import { AppError } from '../errors/app-error.ts'
import { exitWithFailure } from '../lib/exit.ts'
import { UsageError } from './usage-error.ts'

const USAGE = `usage: tenantry <command>

  start                          start the server (same as npm start)
  worker                         run the webhook dispatcher (and scheduled jobs) without HTTP,
                                 beside the servers (PostgreSQL only)
  migrate [up|down|status]       apply, revert (--steps N, default 1) or list migrations
  seed                           seed the 24 permissions, 4 system roles and the default tenant
  tenant create --name N [--slug S] [--plan basic|premium|enterprise|custom]
  tenant list [--status active|suspended|deleted|provisioning]
  tenant show|suspend|reactivate|delete <id or slug>
                                 the tenant lifecycle of the platform API (--json for JSON)
  tenant delete <id or slug> --purge
                                 remove every row of a deleted tenant (cannot be undone)
  tenant export <id or slug> [--format ndjson|json] [--output FILE]
                                 the tenant's data, secrets left out (to stdout by default)
  tenant import <id or slug> --file FILE [--format ndjson|json] [--json]
                                 an export into an empty tenant, in one transaction; prints
                                 what was imported, changed or skipped, and new invitations
  user create-admin --email E [--password P | --password-stdin] [--reset-password]
                                 create a platform admin (a password is needed), or make an
                                 existing user one (its password is kept; --reset-password
                                 replaces it with the one given)
  user erase <id or email> --yes [--json]
                                 GDPR erasure: every membership, then the person's email, name
                                 and password (cannot be undone)
  audit verify (--tenant ID|SLUG | --all)
                                 check audit hash chains; exit code 1 when one is broken
  audit purge                    remove audit entries older than AUDIT_RETENTION_DAYS, every tenant
  backup --all --destination DIR [--format ndjson|json]
                                 every tenant's export into DIR, with a manifest (size, SHA-256)
  keys rotate-master             rewrap every tenant's data keys from MASTER_KEY_PREVIOUS to
                                 MASTER_KEY (servers keep working meanwhile; see README)
  db shell [--tenant ID|SLUG | --owner] [-- psql arguments]
                                 psql as the app role (RLS on) in a tenant, or as the owner
  doctor [--json]                the security checklist, item by item (PASS/WARN/FAIL);
                                 exit code 1 when an item fails
  version                        print the version (also --version)
`

/** The commands USAGE describes (the first word of each of its entries); `--help` is answered for these before anything runs. */
const COMMANDS = new Set([...USAGE.matchAll(/^ {2}([a-z]+)\b/gm)].map((match) => match[1]!))

/**
 * `--help` or `-h` anywhere in a known command's arguments prints that command's usage and does
 * nothing else. Checked here, before any command runs, so that no command can act on
 * `tenantry migrate down --help`. Only `db shell` hands what follows `--` to another program
 * (psql), so only there does a `--help` after `--` belong to someone else.
 */
function helpRequested(command: string, args: readonly string[]): boolean {
  if (!COMMANDS.has(command)) return false
  const own = command === 'db' && args.includes('--') ? args.slice(0, args.indexOf('--')) : args
  return own.includes('--help') || own.includes('-h')
}

/** The lines of USAGE that describe `command` (with their continuation lines), or all of it. */
function usageOf(command: string): string {
  const lines = USAGE.split('\n')
  const picked: string[] = []
  let inCommand = false
  for (const line of lines.slice(2)) {
    if (/^ {2}\S/.test(line)) inCommand = line.trimStart().split(/\s/)[0] === command
    if (inCommand && line !== '') picked.push(line)
  }
  return picked.length === 0 ? USAGE : `usage: tenantry ${command} …\n\n${picked.join('\n')}\n`
}

async function run(argv: string[]): Promise<void> {
  const [command, ...args] = argv
  if (command !== undefined && helpRequested(command, args)) {
    process.stdout.write(usageOf(command))
    return
  }
  switch (command) {
    case 'start':
      await import('../main.ts')
      return
    case 'worker':
      return (await import('./commands/worker.command.ts')).workerCommand()
    case 'migrate':
      return (await import('./commands/migrate.command.ts')).migrateCommand(args)
    case 'seed':
      return (await import('./commands/seed.command.ts')).seedCommand()
    case 'tenant':
      return (await import('./commands/tenant.command.ts')).tenantCommand(args)
    case 'user':
      return (await import('./commands/user.command.ts')).userCommand(args)
    case 'audit':
      return (await import('./commands/audit.command.ts')).auditCommand(args)
    case 'doctor':
      return (await import('./commands/doctor.command.ts')).doctorCommand(args)
    case 'keys':
      return (await import('./commands/keys.command.ts')).keysCommand(args)
    case 'backup':
      return (await import('./commands/backup.command.ts')).backupCommand(args)
    case 'db':
      return (await import('./commands/db.command.ts')).dbCommand(args)
    case '--version':
    case '-v':
    case 'version':
      process.stdout.write(`tenantry ${(await import('../version.ts')).version}\n`)
      return
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE)
      return
    default:
      throw new UsageError(`unknown command ${command}`)
  }
}

run(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`)
  else if (error instanceof UsageError) process.stderr.write(`${error.message}\n\n${usageOf(process.argv[2] ?? '')}`)
  // node:util parseArgs refusing an option or a value: a usage mistake, not a crash to trace.
  else if (isParseArgsError(error)) process.stderr.write(`${(error as Error).message}\n\n${usageOf(process.argv[2] ?? '')}`)
  else if (error instanceof AppError) process.stderr.write(`${error.message}\n`)
  else if (error instanceof MigrationError) process.stderr.write(`${error.message}\n`)
  else process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  exitWithFailure()
})

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')
}
