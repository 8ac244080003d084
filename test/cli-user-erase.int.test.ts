// `tenantry user erase` as an operator runs it: a real process against the test database, next to
// a running app whose caches must hear of it (through Redis when the suite has it).
import { describe, expect, it } from 'vitest'
import { bearer } from './support/api.ts'
import { cliFixture } from './support/cli.ts'
import { ownerQuery } from './support/domain.ts'
import { serverUrl } from './support/test-env.ts'

describe.runIf(serverUrl())('tenantry user erase (a real process)', () => {
  const cli = cliFixture('user')
  const user = cli.run

  it('erases a user named by email only with --yes, as the platform, and their token stops working', async () => {
    const org = await cli.api.signUp()
    const member = await cli.api.addMember(org.token, 'Analyst')
    const asMember = () => cli.api.app.inject({ url: '/api/v1/inventory', headers: bearer(member.token) })
    expect((await asMember()).statusCode).toBe(200) // now cached by the running app

    const unconfirmed = await user('erase', member.email)
    expect(unconfirmed.code).toBe(1)
    expect(unconfirmed.stderr).toContain('--yes')
    expect((await ownerQuery<{ status: string }>(cli.api, 'select status from users where id = $1', [member.userId]))[0]!.status).toBe('active')

    const erased = await user('erase', member.email.toUpperCase(), '--yes', '--json')
    expect(erased.code, erased.output).toBe(0)
    expect(JSON.parse(erased.stdout)).toMatchObject({ id: member.userId, status: 'erased', tenants: [org.tenantId] })
    const entries = await ownerQuery(cli.api, "select actor_type from audit_log where tenant_id = $1 and action = 'member.erased' and resource_id = $2", [org.tenantId, member.userId])
    expect(entries).toEqual([{ actor_type: 'platform' }])
    if (cli.api.redis) expect((await asMember()).statusCode).toBe(403) // the app heard of it at once

    const unknown = await user('erase', member.email, '--yes')
    expect(unknown.code).toBe(1) // the email is gone with the person
    expect(unknown.stderr).toMatch(/not.found/i)
  }, 60_000)
})
