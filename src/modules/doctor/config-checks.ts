// The configuration half of `tenantry doctor`: what a production deployment needs, judged from
// the configuration alone (no connection), so it can be read in a test and before a deploy.
import { isIP } from 'node:net'
import type { Config } from '../../config/index.ts'
import { productionRefusals } from '../../config/production-rules.ts'
import { fail, judged, pass, warn, type CheckResult } from './check.ts'

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]', ''])

export function configChecks(config: Config): CheckResult[] {
  return [
    config.NODE_ENV === 'production'
      ? pass('node-env', 'NODE_ENV=production: production rules apply at start')
      : warn('node-env', `NODE_ENV=${config.NODE_ENV}: development conveniences are on (generated secrets, open CORS, private webhook targets); the checks below judge this configuration as production would`),
    // What NODE_ENV=production refuses to start with, reported here whatever NODE_ENV is.
    judged('secrets', productionRefusals({ ...config, NODE_ENV: 'production' }), 'JWT signing key and SUPER_ADMIN_KEY are set and long enough'),
    !config.MASTER_KEY
      ? warn('master-key', 'MASTER_KEY unset: tenants cannot store encrypted configuration values (openssl rand -base64 32)')
      : config.MASTER_KEY_PREVIOUS
        ? warn('master-key', 'MASTER_KEY_PREVIOUS is set: a rotation is under way; run tenantry keys rotate-master, then remove it from every instance')
        : pass('master-key', 'MASTER_KEY is set: encrypted tenant configuration is available'),
    databaseCheck(config),
    databaseTlsCheck(config),
    config.DATABASE_APP_URL
      ? pass('app-login', 'DATABASE_APP_URL: request traffic logs in as the app role; the owner URL is only for migrations')
      : warn('app-login', `DATABASE_APP_URL unset: request traffic uses the schema owner's login and switches to ${config.DATABASE_APP_ROLE} per transaction; a dedicated login keeps owner credentials out of the request path`),
    config.CORS_ORIGIN === true
      ? fail('cors', 'CORS_ORIGIN=*: any web page may call the API from a browser; list the origins, or false for none')
      : pass('cors', config.CORS_ORIGIN === false ? 'CORS off: browsers get no cross-origin access' : 'CORS limited to the listed origins'),
    trustProxyCheck(config),
    config.WEBHOOK_ALLOW_PRIVATE_TARGETS
      ? fail('webhook-targets', 'WEBHOOK_ALLOW_PRIVATE_TARGETS=true: tenants can point webhooks at private and loopback addresses (SSRF into your network)')
      : pass('webhook-targets', 'webhook URLs on private, loopback and link-local addresses are refused'),
    !config.PROMETHEUS_METRICS_ENABLED
      ? pass('metrics', 'GET /metrics is off')
      : config.METRICS_TOKEN
        ? pass('metrics', 'GET /metrics needs METRICS_TOKEN')
        : warn('metrics', 'GET /metrics is open to anyone who reaches the port (tenant ids, traffic); set METRICS_TOKEN or keep the port private'),
    config.REDIS_URL
      ? pass('redis', 'REDIS_URL: limits, login throttling and cache invalidations are shared by every instance')
      : warn('redis', 'REDIS_URL unset: fine for one instance; with several, rate limits and login throttling count per instance and a revoked role or suspended tenant reaches the others only when their cache expires (30 s)'),
    config.RATE_LIMIT_MULTIPLIER === 1
      ? pass('rate-limits', 'request limits as the plans set them')
      : warn('rate-limits', `RATE_LIMIT_MULTIPLIER=${config.RATE_LIMIT_MULTIPLIER}: every plan limit and daily quota is multiplied (a load-test setting)`),
    config.SIGNUP_ENABLED
      ? warn('signup', 'SIGNUP_ENABLED=true: anyone can create an organisation (POST /api/v1/auth/register-organization)')
      : pass('signup', 'self-service sign-up is off: tenants are created by the operator'),
    config.TENANT_QUERY_PARAM_ENABLED
      ? warn('tenant-query-param', 'TENANT_QUERY_PARAM_ENABLED=true: tenant ids travel in URLs (proxy logs, Referer headers)')
      : pass('tenant-query-param', 'tenants are not named in query strings'),
    config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'trace'
      ? warn('log-level', `LOG_LEVEL=${config.LOG_LEVEL}: verbose logs in production (volume, and more request detail than needed)`)
      : pass('log-level', `LOG_LEVEL=${config.LOG_LEVEL}`),
  ]
}

function trustProxyCheck(config: Config): CheckResult {
  const trusted = config.TRUST_PROXY
  const spoofing = 'can set its own client address with X-Forwarded-For (per-address rate limits, login throttling, audit ip)'
  if (trusted === true) return warn('trust-proxy', `TRUST_PROXY=true: any client ${spoofing}; list your load balancer's addresses instead`)
  if (trusted === false) return pass('trust-proxy', 'TRUST_PROXY=false: the client address is the connecting one (behind a load balancer, set TRUST_PROXY to its addresses)')
  const wide = trusted.filter(isWideProxyEntry)
  if (wide.length > 0) return warn('trust-proxy', `TRUST_PROXY trusts ${wide.join(', ')}: any client connecting from there ${spoofing}; list only your load balancer's addresses or subnet`)
  return pass('trust-proxy', `X-Forwarded-For is believed only from ${trusted.join(', ')}${trusted.join() === 'loopback' ? ' (a proxy on this host; behind a load balancer, set TRUST_PROXY to its addresses)' : ''}`)
}

// Wider than a load balancer needs: whole private or link-local ranges, or a block of more than
// a /16 of IPv4 (65,536 addresses) or a /64 of IPv6 (one subnet). loopback is this host only.
function isWideProxyEntry(entry: string): boolean {
  if (entry === 'linklocal' || entry === 'uniquelocal') return true
  const [address = '', prefix] = entry.split('/')
  if (prefix === undefined) return false
  return Number(prefix) < (isIP(address) === 4 ? 16 : 64)
}

function databaseCheck(config: Config): CheckResult {
  if (config.DATABASE_URL === 'memory://') return fail('database', 'DATABASE_URL=memory://: nothing is kept across a restart')
  if (!config.DATABASE_URL) return warn('database', `embedded PGlite in ${config.DATA_DIR}: one process, one session; for production set DATABASE_URL to PostgreSQL`)
  return pass('database', 'PostgreSQL')
}

function databaseTlsCheck(config: Config): CheckResult {
  const urls = [config.DATABASE_URL, config.DATABASE_APP_URL].filter((url): url is string => url !== undefined && url !== 'memory://')
  const remote = urls.map((url) => new URL(url)).filter((url) => !LOCAL_HOSTS.has(url.hostname) && !url.hostname.startsWith('/'))
  if (remote.length === 0) return pass('database-tls', urls.length === 0 ? 'no network connection to a database' : 'the database is on this machine')
  const plain = remote.filter((url) => !['require', 'verify-ca', 'verify-full'].includes(url.searchParams.get('sslmode') ?? ''))
  return plain.length === 0
    ? pass('database-tls', 'connections to the database require TLS (sslmode)')
    : warn('database-tls', ...plain.map((url) => `${url.hostname}: no sslmode=require|verify-full in the URL; passwords and tenant data cross the network in clear`))
}
