// The authorization matrix (test/authorization-matrix.json): every tenant-scoped route × every
// system role and a custom role → allowed or 403 permission_denied (DESIGN §8).
//
// 1. Coverage: the app's tenant routes (recorded with an onRoute hook on the real app) must be
//    exactly the matrix's routes, with the same permission. A new route fails here until it is
//    added to the JSON — the failure prints the entry to paste.
// 2. The matrix's role table is DESIGN §8 and must equal the code's (permission-catalog.ts);
//    each route's `allowed` must be the roles holding its permission.
// 3. Every route is called as each role: 403 permission_denied exactly when the role lacks the
//    permission; anything else (2xx, 400, 404, 409 …) means the call got past RBAC.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { systemRoles } from '../src/modules/rbac/index.ts'
import matrix from './authorization-matrix.json' with { type: 'json' }
import { bearer, createTestApi, type TestApi } from './support/api.ts'
import type { RecordedRoute } from './support/route-recorder.ts'

// Every route the app registers (support/route-recorder.ts).
const recorded = vi.hoisted(() => [] as RecordedRoute[])
vi.mock('fastify', async (importOriginal) => (await import('./support/route-recorder.ts')).recordingFastify(importOriginal, recorded))

type RoleName = keyof typeof matrix.roles
interface MatrixRoute {
  method: string
  url: string
  permission: string
  allowed: string[]
  params?: Record<string, string>
  query?: string
  body?: unknown
}

const routes = matrix.routes as MatrixRoute[]
const roleNames = Object.keys(matrix.roles) as RoleName[]
const CUSTOM = 'Custom'
const key = (route: { method: string; url: string }) => `${route.method} ${route.url}`

let api: TestApi
const tokens = {} as Record<RoleName, string>

beforeAll(async () => {
  api = await createTestApi()
  const org = await api.signUp()
  tokens.Admin = org.token
  const created = await api.app.inject({
    method: 'POST', url: '/api/v1/roles', headers: bearer(org.token),
    payload: { name: `Matrix ${randomUUID().slice(0, 8)}`, permissions: matrix.roles[CUSTOM] },
  })
  expect(created.statusCode).toBe(201)
  for (const role of roleNames) {
    if (role === 'Admin') continue
    tokens[role] = (await api.addMember(org.token, role === CUSTOM ? created.json().name : role)).token
  }
})
afterAll(async () => {
  await api?.close()
})

describe('the matrix', () => {
  it('lists exactly the tenant-scoped routes the app registers, each with its declared permission', () => {
    const tenantRoutes = recorded.filter((route) => route.access === 'tenant' && route.method !== 'HEAD')
    expect(tenantRoutes.length).toBeGreaterThan(10)
    const listed = new Map(routes.map((route) => [key(route), route]))
    const missing = tenantRoutes.filter((route) => !listed.has(key(route)))
    const suggestion = missing.map((route) => JSON.stringify({ method: route.method, url: route.url, permission: route.permission, allowed: holders(route.permission!) }))
    expect(missing.map(key), `add these routes to test/authorization-matrix.json:\n${suggestion.join(',\n')}`).toEqual([])

    const registered = new Map(tenantRoutes.map((route) => [key(route), route]))
    const stale = routes.filter((route) => !registered.has(key(route))).map(key)
    expect(stale, 'routes in test/authorization-matrix.json that the app does not register (as tenant routes)').toEqual([])
    for (const route of routes) expect(route.permission, `permission of ${key(route)}`).toBe(registered.get(key(route))!.permission)
    expect(new Set(routes.map(key)).size, 'each route once').toBe(routes.length)
  })

  it("has DESIGN §8's role table, which is the code's", () => {
    for (const role of systemRoles) {
      expect([...matrix.roles[role.name as RoleName]].sort(), role.name).toEqual([...role.permissions].sort())
    }
    expect(roleNames.sort()).toEqual(['Admin', 'Analyst', 'Auditor', CUSTOM, 'Manager'].sort())
  })

  it("gives each route's allowed roles as the roles holding its permission", () => {
    for (const route of routes) expect([...route.allowed].sort(), key(route)).toEqual(holders(route.permission))
  })
})

function holders(permission: string): string[] {
  return roleNames.filter((role) => (matrix.roles[role] as string[]).includes(permission)).sort()
}

let counter = 0
/** Fills `{{uuid}}`, `{{email}}` and `{{name}}` in a body template with fresh values. */
function fill(template: unknown): unknown {
  if (typeof template === 'string') {
    return template
      .replaceAll('{{uuid}}', randomUUID())
      .replaceAll('{{email}}', `matrix-${randomUUID().slice(0, 12)}@example.test`)
      .replaceAll('{{name}}', `matrix-${process.pid}-${counter++}`)
  }
  if (Array.isArray(template)) return template.map(fill)
  if (template && typeof template === 'object') return Object.fromEntries(Object.entries(template).map(([name, value]) => [name, fill(value)]))
  return template
}

function urlOf(route: MatrixRoute): string {
  const path = route.url.replace(/:(\w+)/g, (_match, name: string) => encodeURIComponent(String(fill(route.params?.[name] ?? '{{uuid}}'))))
  return route.query ? `${path}?${route.query}` : path
}

// Roles that may be refused first, Admin last: a call that succeeds changes as little as possible
// before the refusals are checked.
const callOrder = [...roleNames].sort((a, b) => Number(a === 'Admin') - Number(b === 'Admin'))

describe.each(routes.map((route) => [`${key(route)} (${route.permission})`, route] as const))('%s', (_title, route) => {
  it.each(callOrder)('as %s', async (role) => {
    const withBody = !['GET', 'DELETE', 'HEAD'].includes(route.method)
    const response = await api.app.inject({
      method: route.method as 'GET',
      url: urlOf(route),
      headers: bearer(tokens[role]),
      ...(withBody ? { payload: (fill(route.body ?? {}) as Record<string, unknown>) } : {}),
    })
    // Errors are problem+json; successes may be anything (NDJSON exports, 204s).
    const body = response.statusCode >= 400 ? response.json() : {}
    const context = `${role} → ${key(route)}: ${response.statusCode} ${response.body.slice(0, 300)}`
    if (route.allowed.includes(role)) {
      expect(body.code, context).not.toBe('permission_denied')
      expect(response.statusCode, context).not.toBe(401)
      expect(response.statusCode, context).toBeLessThan(500)
    } else {
      expect(response.statusCode, context).toBe(403)
      expect(body, context).toMatchObject({ code: 'permission_denied', permission: route.permission })
    }
  })
})
