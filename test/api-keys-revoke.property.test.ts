// Property: a member with api_keys:write revokes a key iff they hold every permission the key
// carries (its role's, as the role is now, or its own list). A refusal is 403 permission_denied
// naming the first missing permission in catalog order, and the key stays usable.
import fc from 'fast-check'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { allPermissions, systemRoles } from '../src/modules/rbac/index.ts'
import { bearer, createTestApi, type TestApi } from './support/api.ts'
import { expectOk, ownerRows } from './support/platform.ts'

let api: TestApi
let org: Awaited<ReturnType<TestApi['signUp']>>
let revoker: { token: string }
let callerRole: { id: string }
let keyRole: { id: string }

const admin = (method: 'POST' | 'PATCH', url: string, payload: Record<string, unknown>) => api.app.inject({ method, url, headers: bearer(org.token), payload })

beforeAll(async () => {
  api = await createTestApi()
  org = await api.signUp()
  // Two custom roles whose permissions each run sets: the revoker's, and one a key is bound to.
  callerRole = expectOk(await admin('POST', '/api/v1/roles', { name: 'Revoker', permissions: ['api_keys:write'] }), 201)
  keyRole = expectOk(await admin('POST', '/api/v1/roles', { name: 'Key role', permissions: [] }), 201)
  revoker = await api.addMember(org.token, 'Revoker')
})
afterAll(() => api?.close())

const permissionSet = fc.subarray([...allPermissions])
// What the key carries: the keyed custom role (set this run), a system role, or its own list.
const keyGrant = fc.oneof(
  permissionSet.map((permissions) => ({ kind: 'custom' as const, permissions })),
  fc.constantFrom(...systemRoles).map((role) => ({ kind: 'system' as const, name: role.name, permissions: [...role.permissions] })),
  fc.subarray([...allPermissions], { minLength: 1 }).map((permissions) => ({ kind: 'list' as const, permissions })),
)

it('revoke succeeds iff the caller holds every permission of the key', async () => {
  await fc.assert(
    fc.asyncProperty(permissionSet, keyGrant, async (callerExtra, grant) => {
      const held = new Set(['api_keys:write', ...callerExtra])
      expectOk(await admin('PATCH', `/api/v1/roles/${callerRole.id}`, { permissions: [...held] }))
      if (grant.kind === 'custom') expectOk(await admin('PATCH', `/api/v1/roles/${keyRole.id}`, { permissions: grant.permissions }))
      const binding = grant.kind === 'custom' ? { role_id: keyRole.id } : grant.kind === 'system' ? { role: grant.name } : { permissions: grant.permissions }
      const key = expectOk(await admin('POST', '/api/v1/api-keys', { name: 'p', ...binding }), 201)

      const response = await api.app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${key.id}`, headers: bearer(revoker.token) })
      const missing = allPermissions.filter((permission) => grant.permissions.includes(permission) && !held.has(permission))
      const [row] = await ownerRows<{ revoked_at: Date | null }>(api, 'select revoked_at from api_keys where id = $1', [key.id])
      if (missing.length === 0) {
        expect(response.statusCode, response.body).toBe(204)
        expect(row!.revoked_at).not.toBeNull()
      } else {
        expect(response.statusCode, response.body).toBe(403)
        expect(response.json()).toMatchObject({ code: 'permission_denied', permission: missing[0], missing })
        expect(row!.revoked_at).toBeNull()
      }
    }),
    { numRuns: 40 },
  )
})
