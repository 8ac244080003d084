import type { FastifyInstance } from 'fastify'
import helmet, { type HelmetOptions } from 'helmet'

// The API answers JSON; the CSP matters for /docs, whose UI ships its own static assets.
const HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], imgSrc: ["'self'", 'data:'], styleSrc: ["'self'", "'unsafe-inline'"] } },
}

/**
 * Helmet's headers, computed once. They are static (no CSP nonces), but @fastify/helmet rebuilds
 * the helmet middleware on every request: 4.3 µs each, 13% of a one-row read's throughput
 * (bench/, docs/decisions.md D10). Running helmet once against a recording response gives the
 * identical header set for the cost of one object spread per request.
 */
export function securityHeaders(options: HelmetOptions = HELMET_OPTIONS): Record<string, string> {
  const headers: Record<string, string> = {}
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()]
    },
  }
  helmet(options)({} as never, recorder as never, () => undefined)
  return headers
}

export function registerSecurityHeaders(app: FastifyInstance): void {
  const headers = securityHeaders()
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers)
    done()
  })
}
