// `tenantry tenant …` as an operator runs it: a real process against the test database, next to a
// running app whose caches must hear of the change (through Redis when the suite has it).
import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { bearer } from './support/api.ts'
import { cliFixture, runCli } from './support/cli.ts'
import { ownerQuery } from './support/domain.ts'
import { APP_ROLE, serverUrl } from './support/test-env.ts'
import { lines as linesOf } from './support/tenant-import.ts'

describe.runIf(serverUrl())('tenantry tenant (a real process)', () => {
  const cli = cliFixture('tenant')
  const tenant = cli.run
  const platformLog = (tenantId: string) =>
    ownerQuery<{ action: string; actor_type: string }>(cli.api, 'select action, actor_type from platform_audit_log where target_id = $1 order by created_at, id', [tenantId])

  it('creates a tenant through the service: provisioned, active, in the platform log as the platform', async () => {
    const name = `CLI Org ${Date.now()}`
    const created = await tenant('create', '--name', name, '--plan', 'premium', '--json')
    expect(created.code, created.output).toBe(0)
    const body = JSON.parse(created.stdout)
    expect(body).toMatchObject({ name, status: 'active', plan: 'premium', configuration: expect.any(Object) })

    const fetched = await cli.api.app.inject({ url: `/api/v1/tenants/${body.id}`, headers: cli.api.operator })
    expect(fetched.json()).toMatchObject({ id: body.id, slug: body.slug, status: 'active' })
    expect(await platformLog(body.id)).toEqual([{ action: 'tenant.created', actor_type: 'platform' }])
  }, 60_000)

  it('lists every tenant, filtered by status, and shows one by id or slug', async () => {
    const org = await cli.api.signUp()
    const listed = await tenant('list', '--status', 'active', '--json')
    expect(listed.code, listed.output).toBe(0)
    const rows = JSON.parse(listed.stdout) as { id: string; status: string }[]
    expect(rows.map((t) => t.id)).toContain(org.tenantId)
    expect(rows.every((t) => t.status === 'active')).toBe(true)

    const table = await tenant('list')
    expect(table.stdout).toMatch(new RegExp(`^${org.tenantId}  ${org.slug}\\s+active`, 'm'))
    expect(table.stdout).toMatch(/^\d+ tenants?$/m)
    expect((await tenant('show', org.slug)).stdout).toContain(org.tenantId)
  }, 60_000)

  it('suspends a tenant: its members are refused on their next request, and reactivation lets them back', async () => {
    const org = await cli.api.signUp()
    const members = () => cli.api.app.inject({ url: '/api/v1/members', headers: bearer(org.token) })
    expect((await members()).statusCode).toBe(200) // the running app has the tenant cached as active

    const suspended = await tenant('suspend', org.slug)
    expect(suspended.code, suspended.output).toBe(0)
    expect(suspended.stdout).toMatch(new RegExp(`^${org.tenantId}  ${org.slug}\\s+suspended`, 'm'))
    // With Redis the running app hears at once; without, its tenant cache (30 s) is cleared by hand.
    if (!cli.api.redis) cli.api.services.bus.publish({ kind: 'tenant', tenantId: org.tenantId })
    await expect.poll(async () => (await members()).json().code, { timeout: 5000 }).toBe('tenant_suspended')

    expect((await tenant('reactivate', org.tenantId)).code).toBe(0)
    if (!cli.api.redis) cli.api.services.bus.publish({ kind: 'tenant', tenantId: org.tenantId })
    await expect.poll(async () => (await members()).statusCode, { timeout: 5000 }).toBe(200)
    expect((await platformLog(org.tenantId)).map((e) => `${e.action} ${e.actor_type}`)).toEqual(
      expect.arrayContaining(['tenant.suspended platform', 'tenant.reactivated platform']),
    )
  }, 60_000)

  it('refuses what the API refuses, with exit code 1 and nothing changed', async () => {
    const org = await cli.api.signUp()
    const again = await tenant('reactivate', org.slug)
    expect(again).toMatchObject({ code: 1, stderr: expect.stringContaining('already active') })

    const unknown = await tenant('suspend', 'no-such-tenant')
    expect(unknown).toMatchObject({ code: 1, stderr: expect.stringContaining('no-such-tenant was not found') })

    for (const args of [['create'], ['create', '--name', 'X', '--plan', 'gold'], ['show'], ['list', '--status', 'gone'], ['rename', org.slug]]) {
      const refused = await tenant(...args)
      expect(refused.code, args.join(' ')).toBe(1)
      expect(refused.stderr, args.join(' ')).toContain('usage: tenantry')
    }
    expect((await cli.api.app.inject({ url: `/api/v1/tenants/${org.tenantId}`, headers: cli.api.operator })).json().status).toBe('active')
  }, 120_000)

  it('deletes softly: the tenant is kept, marked deleted, and can be reactivated', async () => {
    const org = await cli.api.signUp()
    const deleted = await tenant('delete', org.tenantId, '--json')
    expect(deleted.code, deleted.output).toBe(0)
    expect(JSON.parse(deleted.stdout)).toMatchObject({ id: org.tenantId, status: 'deleted', deleted_at: expect.any(String) })
    expect((await tenant('reactivate', org.slug)).code).toBe(0)
  }, 60_000)

  it('purges a deleted tenant with --purge, and refuses to purge one that is not deleted', async () => {
    const org = await cli.api.signUp()
    const early = await tenant('delete', org.slug, '--purge')
    expect(early).toMatchObject({ code: 1, stderr: expect.stringContaining('only a deleted tenant can be purged') })
    expect((await tenant('delete', org.slug)).code).toBe(0)
    const again = await tenant('delete', org.slug)
    expect(again).toMatchObject({ code: 1, stderr: expect.stringContaining('tenantry tenant delete --purge') })
    const purged = await tenant('delete', org.tenantId, '--purge')
    expect(purged.code, purged.output).toBe(0)
    expect(purged.stdout).toMatch(new RegExp(`^purged tenant ${org.tenantId}: .*tenant_users 1`, 'm'))
    expect((await cli.api.app.inject({ url: `/api/v1/tenants/${org.tenantId}`, headers: cli.api.operator })).statusCode).toBe(404)
    expect((await tenant('show', org.slug, '--purge')).stderr).toContain('--purge goes with tenant delete')
  }, 60_000)

  it('exports a tenant to stdout or a file, as the platform route does', async () => {
    const org = await cli.api.signUp()
    const stdout = await tenant('export', org.slug)
    expect(stdout.code, stdout.stderr).toBe(0)
    const lines = linesOf(stdout.stdout)
    expect(lines[0]).toMatchObject({ type: 'header', tenant: { id: org.tenantId } })
    expect(lines.at(-1)).toMatchObject({ type: 'end', rows: { users: 1, tenant_users: 1 } })

    const file = join(mkdtempSync(join(tmpdir(), 'tenantry-export-')), 'export.json')
    const written = await tenant('export', org.tenantId, '--format', 'json', '--output', file)
    expect(written.code, written.stderr).toBe(0)
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ tenant: { id: org.tenantId }, rows: { users: 1 } })
    expect((await platformLog(org.tenantId)).filter((e) => e.action === 'tenant.exported')).toHaveLength(2)
    expect((await tenant('export', org.slug, '--format', 'csv')).code).toBe(1)
  }, 60_000)

  it('backs up every tenant into a directory: one export each and a manifest with sizes and digests', async () => {
    await cli.api.signUp()
    const destination = mkdtempSync(join(tmpdir(), 'tenantry-backup-'))
    const env = { DATABASE_URL: cli.api.testDb.config.DATABASE_URL, DATABASE_APP_ROLE: APP_ROLE }
    const run = await runCli(['backup', '--all', '--destination', destination], env)
    expect(run.code, run.output).toBe(0)
    expect(run.stderr).toMatch(/\[#{30}\] (\d+)\/\1 done/)
    const [dir] = readdirSync(destination)
    const manifest = JSON.parse(readFileSync(join(destination, dir!, 'manifest.json'), 'utf8')) as { tenants: { id: string; file: string; bytes: number; sha256: string; error?: string }[] }
    const tenants = await ownerQuery<{ id: string }>(cli.api, 'select id from tenants')
    expect(manifest.tenants.map((t) => t.id).sort()).toEqual(tenants.map((t) => t.id).sort())
    for (const entry of manifest.tenants) {
      const content = readFileSync(join(destination, dir!, entry.file))
      expect(entry.error).toBeUndefined()
      expect(content.length).toBe(entry.bytes)
      expect(createHash('sha256').update(content).digest('hex')).toBe(entry.sha256)
      expect(JSON.parse(content.toString().trimEnd().split('\n').at(-1)!)).toMatchObject({ type: 'end' })
    }
    expect((await runCli(['backup', '--destination', destination], env)).code).toBe(1) // --all is required
  }, 120_000)

  it('db shell: psql as the app role sees one tenant with --tenant, none without; --owner sees them all', async () => {
    const a = await cli.api.signUp()
    const b = await cli.api.signUp()
    const count = async (...args: string[]) => {
      const run = await runCli(['db', 'shell', ...args, '--', '-Atc', `select current_user || ' ' || count(*) from tenant_users where tenant_id in ('${a.tenantId}', '${b.tenantId}')`], { DATABASE_URL: cli.api.testDb.config.DATABASE_URL, DATABASE_APP_ROLE: APP_ROLE })
      expect(run.code, run.output).toBe(0)
      return run.stdout.trim()
    }
    expect(await count('--tenant', a.slug)).toBe(`${APP_ROLE} 1`)
    expect(await count()).toBe(`${APP_ROLE} 0`)
    expect(await count('--owner')).toMatch(/ 2$/)
  }, 60_000)
})
