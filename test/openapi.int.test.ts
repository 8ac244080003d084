// /openapi.json must describe every API route: a summary, its input schemas, a success schema
// and the problem+json error codes it can answer.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestApi, type TestApi } from './support/api.ts'

let api: TestApi
let document: { openapi: string; paths: Record<string, Record<string, { summary?: string; responses?: Record<string, { description?: string; content?: unknown }> }>> }

beforeAll(async () => {
  api = await createTestApi()
  document = (await api.app.inject('/openapi.json')).json()
})
afterAll(() => api.close())

it('is OpenAPI 3.1 and lists the control-plane routes', () => {
  expect(document.openapi).toBe('3.1.0')
  for (const path of ['/api/v1/tenants', '/api/v1/tenants/{id}', '/api/v1/auth/login', '/api/v1/auth/register-organization', '/api/v1/members', '/api/v1/tenant']) {
    expect(Object.keys(document.paths)).toContain(path)
  }
})

it('describes every API operation with a summary, a success schema and its error codes', () => {
  const operations = Object.entries(document.paths)
    .filter(([path]) => path.startsWith('/api/'))
    .flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ route: `${method.toUpperCase()} ${path}`, operation })))
  expect(operations.length).toBeGreaterThan(10)
  for (const { route, operation } of operations) {
    expect(operation.summary, route).toBeTruthy()
    const statuses = Object.keys(operation.responses ?? {})
    expect(statuses.some((status) => status.startsWith('2')), `${route} success response`).toBe(true)
    const errors = statuses.filter((status) => /^[45]/.test(status))
    expect(errors.length, `${route} error responses`).toBeGreaterThan(0)
    for (const status of errors) {
      expect(operation.responses![status]!.description, `${route} ${status}`).toMatch(/code: [a-z_]+/)
      // Described as what is sent: every error is application/problem+json.
      expect(Object.keys(operation.responses![status]!.content as object), `${route} ${status}`).toEqual(['application/problem+json'])
    }
  }
})

it('sends an error with the media type the document gives it', async () => {
  const refused = await api.app.inject({ url: '/api/v1/members' })
  expect(refused.statusCode).toBe(401)
  const documented = document.paths['/api/v1/members']!.get!.responses!['401']!.content as Record<string, unknown>
  expect(Object.keys(documented)).toEqual([refused.headers['content-type']!.toString().split(';')[0]])
})
