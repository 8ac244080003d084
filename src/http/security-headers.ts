import type { FastifyInstance } from 'fastify'
import helmet, { type HelmetOptions } from 'helmet'

// /docs is a document: its UI ships its own static assets, and gets helmet's whole set.
const DOCUMENT_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], imgSrc: ["'self'", 'data:'], styleSrc: ["'self'", "'unsafe-inline'"] } },
}

// Everything else answers JSON, which a browser never renders: the headers that protect an API
// (OWASP REST Security Cheat Sheet) and none of the document-only ones (referrer, DNS prefetch,
// opener and agent-cluster policies, legacy IE and Flash headers). Fewer headers are also less
// to write on every response (docs/decisions.md D49).
const API_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  xFrameOptions: { action: 'deny' },
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  referrerPolicy: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
}

// /console is the web console's page and assets: its own scripts, styles and API calls only,
// never framed, no inline script (so nothing a tenant stored can run), no plugins or forms
// posting elsewhere.
const CONSOLE_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], connectSrc: ["'self'"], imgSrc: ["'self'", 'data:'], baseUri: ["'none'"], formAction: ["'none'"], frameAncestors: ["'none'"] },
  },
  xFrameOptions: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
}

/** Responses carry tenant data: no shared or browser cache may keep them. */
const API_CACHE_CONTROL = 'no-store'

/**
 * Helmet's headers, computed once. They are static (no CSP nonces), but @fastify/helmet rebuilds
 * the helmet middleware on every request: 4.3 µs each, 13% of a one-row read's throughput
 * (bench/, docs/decisions.md D10). Running helmet once against a recording response gives the
 * identical header set for the cost of one object spread per request.
 */
export function securityHeaders(options: HelmetOptions = DOCUMENT_OPTIONS): Record<string, string> {
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

/** The headers of JSON responses: every route but /docs. */
export function apiSecurityHeaders(): Record<string, string> {
  return { ...securityHeaders(API_OPTIONS), 'cache-control': API_CACHE_CONTROL }
}

export function registerSecurityHeaders(app: FastifyInstance): void {
  const documentHeaders = securityHeaders()
  const consoleHeaders = securityHeaders(CONSOLE_OPTIONS)
  const apiHeaders = apiSecurityHeaders()
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(underPrefix(request.url, '/docs') ? documentHeaders : underPrefix(request.url, '/console') ? consoleHeaders : apiHeaders)
    done()
  })
}

/** `/docs`, `/docs/…` or `/docs?…`, not `/docsfoo`. */
function underPrefix(url: string, prefix: string): boolean {
  const next = url[prefix.length]
  return url.startsWith(prefix) && (next === undefined || next === '/' || next === '?')
}
