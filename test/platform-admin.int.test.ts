// Platform admins: users who hold the platform routes (DESIGN §6.6, §7, §14). Created through
// ensurePlatformAdmin (what `tenantry user create-admin` calls) and, once, through the CLI itself
// as a real process.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppError } from '../src/errors/index.ts'
import { ensurePlatformAdmin } from '../src/modules/users/index.ts'
import { bearer, createTestApi, JWT_SECRET, PASSWORD, SUPER_ADMIN_KEY, type TestApi } from './support/api.ts'
import { auditActions, countRows, expectOk, expectProblem, ownerRows, platformClient } from './support/platform.ts'
import { startServer } from './support/server-process.ts'
import { APP_ROLE, serverUrl } from './support/test-env.ts'

// Platform admins get the strictest (enterprise) policy: 12+ characters, upper, lower, digit.
const STRONG = 'Platform-Ops-2024!'

let api: TestApi
beforeAll(async () => {
  api = await createTestApi()
})
afterAll(() => api?.close())

const login = (email: string, password: string, tenant?: string) =>
  api.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password, ...(tenant ? { tenant } : {}) } })
const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())

describe('ensurePlatformAdmin', () => {
  const email = 'ops@platform.test'
  let adminId: string
  let token: string
  beforeAll(async () => {
    const result = await ensurePlatformAdmin(api.testDb.db, email, STRONG, { existingPassword: 'keep' })
    expect(result.created).toBe(true)
    adminId = result.id
    token = (await login(email, STRONG)).json().token
  })

  it('creates a user who logs in without a tenant: a token with tenant null', async () => {
    const session = expectOk(await login(email, STRONG))
    expect(session).toMatchObject({ tenant: null, role: 'platform', permissions: ['*'], user: { id: adminId, email, is_platform_admin: true } })
    expect(claims(session.token).tid).toBeUndefined()
    const [row] = await ownerRows(api, 'select is_platform_admin, default_tenant_id, status from users where id = $1', [adminId])
    expect(row).toEqual({ is_platform_admin: true, default_tenant_id: null, status: 'active' })
    expect(await auditActions(api, adminId)).toEqual(['platform_admin.created'])
  })

  it("acts on platform routes with that token, audited as the admin", async () => {
    const client = platformClient(api, bearer(token))
    expectOk(await client.get('/api/v1/tenants?limit=5'))
    const created = expectOk(await client.post('/api/v1/tenants', { name: 'Made by ops', slug: 'made-by-ops' }), 201)
    expect(expectOk(await client.post(`/api/v1/tenants/${created.id}/suspend`)).status).toBe('suspended')
    const rows = await ownerRows(api, 'select action, actor_type, actor_id from platform_audit_log where target_id = $1 order by created_at', [created.id])
    expect(rows).toEqual([
      { action: 'tenant.created', actor_type: 'platform', actor_id: adminId },
      { action: 'tenant.suspended', actor_type: 'platform', actor_id: adminId },
    ])
  })

  it('acts inside any tenant by naming it, with every permission, without being a member', async () => {
    const org = await api.signUp()
    const response = await api.app.inject({ url: '/api/v1/members', headers: { ...bearer(token), 'x-tenant-id': org.tenantId } })
    expect(expectOk(response).data.map((m: { user_id: string }) => m.user_id)).toEqual([org.userId])
    expect(await countRows(api, 'tenant_users', 'tenant_id = $1 and user_id = $2', [org.tenantId, adminId])).toBe(0)
  })

  it.each([
    ['too short', 'Sh0rt-pw'],
    ['without an uppercase letter', 'platform-ops-2024!'],
    ['without a lowercase letter', 'PLATFORM-OPS-2024!'],
    ['without a digit', 'Platform-Ops-Team!'],
  ])('refuses a password %s, creating no one', async (what, password) => {
    const weakEmail = `weak-${what.replaceAll(' ', '-')}@platform.test`
    const attempt = ensurePlatformAdmin(api.testDb.db, weakEmail, password, { existingPassword: 'keep' })
    await expect(attempt).rejects.toBeInstanceOf(AppError)
    await expect(attempt).rejects.toMatchObject({ code: 'validation_failed' })
    expect(await countRows(api, 'users', 'email = $1', [weakEmail])).toBe(0)
  })

  it('refuses a new admin without a password', async () => {
    await expect(ensurePlatformAdmin(api.testDb.db, 'nopass@platform.test', undefined, { existingPassword: 'keep' })).rejects.toMatchObject({ code: 'validation_failed' })
    expect(await countRows(api, 'users', 'email = $1', ['nopass@platform.test'])).toBe(0)
  })

  it('promotes an existing user, keeping their password when told to keep it (the start with PLATFORM_ADMIN_EMAIL)', async () => {
    const org = await api.signUp()
    const result = await ensurePlatformAdmin(api.testDb.db, org.email, 'Another-Str0ng-Pass', { existingPassword: 'keep' })
    expect(result).toEqual({ id: org.userId, created: false })
    expectProblem(await login(org.email, 'Another-Str0ng-Pass'), 401, 'invalid_credentials')
    const session = expectOk(await login(org.email, PASSWORD))
    expect(session.user.is_platform_admin).toBe(true)
    expectOk(await api.app.inject({ url: '/api/v1/tenants?limit=1', headers: bearer(session.token) }))
    expect(await auditActions(api, org.userId)).toEqual(['platform_admin.promoted'])
  })

  it('leaves an ordinary user without a tenant-less login and off the platform routes', async () => {
    const org = await api.signUp()
    expect(expectOk(await login(org.email, PASSWORD)).tenant.id).toBe(org.tenantId)
    expectProblem(await api.app.inject({ url: '/api/v1/tenants', headers: bearer(org.token) }), 403, 'forbidden')
  })
})

describe('tenantry user create-admin (a real process)', () => {
  const ROOT = fileURLToPath(new URL('..', import.meta.url))

  /** Runs the CLI with the password on stdin; resolves with its exit code and output. */
  function createAdmin(env: Record<string, string>, email: string, password: string, extra: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'user', 'create-admin', '--email', email, '--password-stdin', ...extra], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', DATABASE_APP_ROLE: APP_ROLE, LOG_LEVEL: 'silent', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.stdin.end(`${password}\n`)
    return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })))
  }
  const CREATED = /^created platform admin ops\.cli@example\.test \(([0-9a-f-]{36})\)$/m

  it.runIf(serverUrl())('creates an admin in the PostgreSQL database, who then logs in without a tenant', async () => {
    const env = { DATABASE_URL: api.testDb.config.DATABASE_URL! }
    const weak = await createAdmin(env, 'Ops.CLI@Example.test', 'weak')
    expect(weak.code, weak.stderr).toBe(1)
    expect(weak.stderr).toContain('the password needs')
    expect(await countRows(api, 'users', 'email = $1', ['ops.cli@example.test'])).toBe(0)

    const created = await createAdmin(env, 'Ops.CLI@Example.test', STRONG)
    expect(created.code, created.stderr).toBe(0)
    const id = CREATED.exec(created.stdout)?.[1]
    expect(id, created.stdout).toBeDefined()
    const session = expectOk(await login('ops.cli@example.test', STRONG))
    expect(session).toMatchObject({ tenant: null, user: { id, is_platform_admin: true } })
    expectOk(await api.app.inject({ url: '/api/v1/tenants?limit=1', headers: bearer(session.token) }))

    // Run again with another password: refused (it would lock the person out), nothing changed.
    const refused = await createAdmin(env, 'ops.cli@example.test', `${STRONG}-2`)
    expect(refused.code, refused.stdout).toBe(1)
    expect(refused.stderr).toContain('--reset-password')
    expectOk(await login('ops.cli@example.test', STRONG))

    // With --reset-password: the same user, and the password is replaced.
    const again = await createAdmin(env, 'ops.cli@example.test', `${STRONG}-2`, ['--reset-password'])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toContain(`updated platform admin ops.cli@example.test (${id})`)
    expectProblem(await login('ops.cli@example.test', STRONG), 401, 'invalid_credentials')
    expectOk(await login('ops.cli@example.test', `${STRONG}-2`))
  })

  it.runIf(!serverUrl())('creates an admin in an embedded DATA_DIR that a started server then admits', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tenantry-cli-'))
    try {
      const weak = await createAdmin({ DATA_DIR: dataDir }, 'Ops.CLI@Example.test', 'weak')
      expect(weak.code, weak.stderr).toBe(1)
      expect(weak.stderr).toContain('the password needs')
      const created = await createAdmin({ DATA_DIR: dataDir }, 'Ops.CLI@Example.test', STRONG)
      expect(created.code, created.stderr).toBe(0)
      const id = CREATED.exec(created.stdout)?.[1]
      expect(id, created.stdout).toBeDefined()

      const server = await startServer({ DATA_DIR: dataDir, SUPER_ADMIN_KEY, JWT_SECRET })
      try {
        const post = (path: string, body: unknown) => fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
        const loginResponse = await post('/api/v1/auth/login', { email: 'ops.cli@example.test', password: STRONG })
        const session = (await loginResponse.json()) as { token: string }
        expect(loginResponse.status, JSON.stringify(session)).toBe(200)
        expect(session).toMatchObject({ tenant: null, user: { id, is_platform_admin: true } })
        const list = await fetch(`${server.url}/api/v1/tenants?limit=1`, { headers: bearer(session.token) })
        expect(list.status).toBe(200)
        expect((await post('/api/v1/auth/login', { email: 'ops.cli@example.test', password: 'weak' })).status).toBe(401)
      } finally {
        await server.stop('SIGTERM')
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  }, 120_000)
})
