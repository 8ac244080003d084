import { createServer } from 'node:http'
import helmet from 'helmet'
import { expect, it } from 'vitest'
import { apiSecurityHeaders, securityHeaders } from './security-headers.ts'

it('precomputes exactly the headers helmet sets on a real response', async () => {
  const options = { contentSecurityPolicy: { directives: { defaultSrc: ["'self'"] } } }
  const server = createServer((req, res) => helmet(options)(req, res, () => res.end()))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    const { port } = server.address() as { port: number }
    const response = await fetch(`http://127.0.0.1:${port}/`)
    const real = Object.fromEntries([...response.headers].filter(([name]) => !['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding'].includes(name)))
    expect(securityHeaders(options)).toEqual(real)
  } finally {
    server.close()
  }
})

it('the default set protects a JSON API: nosniff, HSTS, no framing, a CSP', () => {
  expect(securityHeaders()).toMatchObject({
    'x-content-type-options': 'nosniff',
    'strict-transport-security': expect.stringContaining('max-age='),
    'x-frame-options': 'SAMEORIGIN',
    'content-security-policy': expect.stringContaining("default-src 'self'"),
  })
})

it('JSON responses get the API set: no framing, nothing cached, no document-only headers', () => {
  const headers = apiSecurityHeaders()
  expect(headers).toEqual({
    'content-security-policy': "default-src 'none';frame-ancestors 'none'",
    'cross-origin-resource-policy': 'same-origin',
    'strict-transport-security': 'max-age=31536000; includeSubDomains',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'cache-control': 'no-store',
  })
})
