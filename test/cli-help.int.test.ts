// `--help` on any command prints its usage and does nothing else: not `migrate down --help`
// reverting a migration, not `tenant delete x --help` deleting. A mistyped option is a usage
// message, not a stack trace. Run without a database server: DATA_DIR must stay empty, proof
// that no command opened (let alone changed) a database.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from './support/cli.ts'
import { serverUrl } from './support/test-env.ts'

const DESTRUCTIVE_OR_LONG_RUNNING = [
  ['migrate', 'down', '--steps', '5', '--help'],
  ['migrate', 'up', '-h'],
  ['seed', '--help'],
  ['tenant', 'delete', 'acme', '--help'],
  ['tenant', 'suspend', 'acme', '--help'],
  ['tenant', 'create', '--name', 'X', '--help'],
  ['tenant', 'import', 'acme', '--file', '/nonexistent', '--help'],
  ['user', 'erase', 'someone@example.com', '--yes', '--help'],
  ['user', 'create-admin', '--email', 'ops@example.com', '--password', 'Secret-Passw0rd!', '--help'],
  ['audit', 'purge', '--help'],
  ['backup', '--all', '--destination', '/tmp/never', '--help'],
  ['keys', 'rotate-master', '--help'],
  ['doctor', '--help'],
  ['worker', '--help'],
  ['start', '--help'],
]

// No database is opened, so one run of the suite (the embedded one) says it all.
describe.runIf(!serverUrl())('tenantry <command> --help', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tenantry-cli-help-'))
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))
  const run = (args: string[]) => runCli(args, { DATA_DIR: dataDir, DATABASE_URL: undefined, PORT: '0' })

  it.each(DESTRUCTIVE_OR_LONG_RUNNING.map((args) => [args.join(' '), args]))('%s prints the usage and does nothing', async (_name, args) => {
    const result = await run(args as string[])
    expect(result.code, result.output).toBe(0)
    expect(result.stdout).toMatch(new RegExp(`^  ${args[0]}\\b`, 'm'))
    expect(result.stdout.split('\n')[0]).toBe(`usage: tenantry ${args[0]} …`)
    // That command's section only, not the whole usage.
    const other = args[0] === 'doctor' ? 'seed' : 'doctor'
    expect(result.stdout).not.toMatch(new RegExp(`^  ${other}\\b`, 'm'))
    expect(result.stderr).toBe('')
    expect(readdirSync(dataDir)).toEqual([])
  }, 30_000)

  it('`tenantry --version` (and `version`, `-v`) prints the package version and opens nothing', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
    for (const flag of ['--version', 'version', '-v']) {
      const result = await run([flag])
      expect(result.code, result.output).toBe(0)
      expect(result.stdout).toBe(`tenantry ${version}\n`)
    }
    expect(readdirSync(dataDir)).toEqual([])
  }, 30_000)

  it('`--` does not hide `--help` from a command that takes no program arguments', async () => {
    const result = await run(['migrate', 'down', '--', '--help'])
    expect(result.code, result.output).toBe(0)
    expect(result.stdout).toMatch(/^ {2}migrate \[up\|down\|status\]/m)
    expect(readdirSync(dataDir)).toEqual([])
  }, 30_000)

  it('`tenantry -h` is the whole usage; an unknown command with --help is still an unknown command', async () => {
    const help = await run(['-h'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^ {2}doctor/m)
    expect(help.stdout).toMatch(/^ {2}migrate/m)
    const unknown = await run(['bogus', '--help'])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain('unknown command bogus')
  }, 30_000)

  it('a `--help` after `--` belongs to the program behind it, not to tenantry', async () => {
    const result = await run(['db', 'shell', '--', '--help'])
    // db shell then runs and refuses: it needs PostgreSQL. The refusal proves the flag went through.
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('db shell needs PostgreSQL')
  }, 30_000)

  it('an unknown option is a usage error naming it, with no stack trace, and nothing done', async () => {
    const result = await run(['tenant', 'delete', 'acme', '--bogus'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("Unknown option '--bogus'")
    expect(result.stderr).toContain('tenant show|suspend|reactivate|delete')
    expect(result.stderr).not.toMatch(/^\s+at /m)
    expect(readdirSync(dataDir)).toEqual([])
  }, 30_000)
})
