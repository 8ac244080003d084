// `tenantry tenant import` as an operator runs it (DESIGN §14): a tenant exported to a file with
// `tenant export`, imported into a new tenant from `tenant create`, through the same service as
// the platform route. A real process on PostgreSQL (PGlite holds its files for one process).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { bearer, PASSWORD } from './support/api.ts'
import { cliFixture } from './support/cli.ts'
import { call, createItem, ownerQuery } from './support/domain.ts'
import { tenantFootprint } from './support/tenant-import.ts'
import { serverUrl } from './support/test-env.ts'

describe.runIf(serverUrl())('tenantry tenant import (a real process)', () => {
  const cli = cliFixture('tenant')
  const tenant = cli.run
  const created = async () => {
    const run = await tenant('create', '--name', `Imported ${Date.now()}`, '--json')
    expect(run.code, run.output).toBe(0)
    return JSON.parse(run.stdout) as { id: string; slug: string }
  }

  it('imports a file written by `tenant export` into a new tenant and prints what it did', async () => {
    const org = await cli.api.signUp()
    const item = await createItem(cli.api, { tenantId: org.tenantId, token: org.token, headers: bearer(org.token) }, { quantity: 7 })
    const dir = mkdtempSync(join(tmpdir(), 'tenantry-import-'))
    for (const format of ['ndjson', 'json']) {
      expect((await tenant('export', org.slug, '--format', format, '--output', join(dir, `source.${format}`))).code).toBe(0)
    }

    const target = await created()
    const imported = await tenant('import', target.slug, '--file', join(dir, 'source.ndjson'))
    expect(imported.code, imported.output).toBe(0)
    expect(imported.stdout).toContain(`imported into ${target.slug} (${target.id}) from ${org.slug} (${org.tenantId})`)
    expect(imported.stdout).toMatch(/^ {2}inventory_items\s+1$/m)
    expect(imported.stdout).toMatch(/^file sha256 [0-9a-f]{64}$/m)
    const [copy] = await ownerQuery<{ item_code: string; quantity: number }>(cli.api, 'select item_code, quantity from inventory_items where tenant_id = $1', [target.id])
    expect(copy).toEqual({ item_code: item.item_code, quantity: 7 })
    const logged = await ownerQuery(cli.api, "select actor_type from platform_audit_log where target_id = $1 and action = 'tenant.imported'", [target.id])
    expect(logged).toEqual([{ actor_type: 'platform' }])
    // The running app hears of the new memberships (through Redis, or by hand without it).
    if (!cli.api.redis) cli.api.services.bus.publish({ kind: 'tenant', tenantId: target.id })
    const token = await cli.api.login(org.email, PASSWORD, target.id)
    expect((await call(cli.api, bearer(token), 'GET', `/api/v1/inventory/${item.id}`)).statusCode).toBe(200)

    const document = await tenant('import', (await created()).id, '--file', join(dir, 'source.json'), '--json')
    expect(document.code, document.output).toBe(0)
    expect(JSON.parse(document.stdout)).toMatchObject({ rows: { inventory_items: 1, tenant_users: 1 }, users: { matched: 1, created: 0 } })
  }, 120_000)

  it('refuses, with exit code 1 and nothing changed, a tenant that is not empty, a file cut short, and bad arguments', async () => {
    const org = await cli.api.signUp()
    const dir = mkdtempSync(join(tmpdir(), 'tenantry-import-'))
    const file = join(dir, 'source.ndjson')
    expect((await tenant('export', org.slug, '--output', file)).code).toBe(0)

    const before = await tenantFootprint(cli.api, org.tenantId)
    const full = await tenant('import', org.slug, '--file', file)
    expect(full).toMatchObject({ code: 1, stderr: expect.stringContaining('is not empty') })
    expect(await tenantFootprint(cli.api, org.tenantId)).toEqual(before)

    const target = await created()
    const cut = join(dir, 'cut.ndjson')
    writeFileSync(cut, readFileSync(file, 'utf8').trimEnd().split('\n').slice(0, -1).join('\n'))
    const empty = await tenantFootprint(cli.api, target.id)
    expect(await tenant('import', target.slug, '--file', cut)).toMatchObject({ code: 1, stderr: expect.stringContaining('no end record') })
    expect(await tenantFootprint(cli.api, target.id)).toEqual(empty)

    for (const args of [['import', target.slug], ['import', '--file', file], ['import', target.slug, '--file', file, '--format', 'csv']]) {
      const refused = await tenant(...args)
      expect(refused.code, args.join(' ')).toBe(1)
      expect(refused.stderr, args.join(' ')).toContain('usage: tenantry')
    }
    expect((await tenant('import', 'no-such-tenant', '--file', file)).stderr).toContain('no-such-tenant was not found')
  }, 120_000)
})
