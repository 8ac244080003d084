import type { FastifyInstance, FastifyRequest } from 'fastify'
import { AppError } from '../errors/index.ts'

// Probes and scrapers call by address (a pod IP, 127.0.0.1), not by a served name: these paths
// answer whatever the Host, so an allow-list never fails a liveness check or a scrape.
const ANY_HOST_PATHS: ReadonlySet<string> = new Set(['/health', '/health/live', '/health/ready', '/metrics'])

/** Whether a host (lowercase, no port) is on the list: exact names, `.example.com` for it and its subdomains, `*`. */
export function hostAllowed(allowList: readonly string[], host: string): boolean {
  return allowList.some((entry) => entry === '*' || entry === host || (entry.startsWith('.') && (host === entry.slice(1) || host.endsWith(entry))))
}

/** The request's host name as the allow-list and custom domains compare it: lowercase, no port, no trailing dot. */
export function requestHost(request: Pick<FastifyRequest, 'hostname'>): string {
  const hostname = request.hostname.toLowerCase()
  const name = hostname.startsWith('[') ? hostname.slice(1, hostname.indexOf(']')) : hostname.split(':')[0]!
  return name.endsWith('.') ? name.slice(0, -1) : name
}

/**
 * ALLOWED_HOSTS: a request whose Host is not listed is refused with 400 host_not_allowed before
 * any other step (a forged Host must not reach links, cookies or tenant resolution). A host that
 * `isCustomDomain` confirms (a tenant's verified domain) is allowed without being listed.
 */
export function registerHostCheck(app: FastifyInstance, allowList: readonly string[], isCustomDomain?: (host: string) => boolean | Promise<boolean>): void {
  const refusal = (host: string) => new AppError('host_not_allowed', `host "${host.slice(0, 253)}" is not served here (ALLOWED_HOSTS)`)
  app.addHook('onRequest', (request, _reply, done) => {
    const host = requestHost(request)
    if (hostAllowed(allowList, host) || ANY_HOST_PATHS.has(request.url.split('?')[0]!)) return done()
    if (!isCustomDomain) return done(refusal(host))
    const known = isCustomDomain(host)
    if (typeof known === 'boolean') return done(known ? undefined : refusal(host))
    known.then((yes) => done(yes ? undefined : refusal(host)), done)
  })
}
