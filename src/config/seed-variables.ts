// Variables of the seed guides' .env files that Tenantry spells differently. A copied seed .env
// must not run silently wrong (a seed 000 user with REDIS_HOST set would run without Redis and not
// know): each one is honoured (translated into Tenantry's variable) or refused at start with one
// line naming the variable to set. Plain renames (ALLOWED_ORIGINS, ENABLE_METRICS) are aliases in
// config.schema.ts; what needs more than a rename is here.

type Env = Record<string, string | undefined>

const set = (env: Env, name: string): string | undefined => (env[name] === undefined || env[name] === '' ? undefined : env[name])

/** Seed variables that Tenantry has no place for, and what to do instead (one line each). */
const REFUSED: Record<string, (env: Env) => string | undefined> = {
  // Tenantry is PostgreSQL only; the seeds' value for it is accepted as the no-op it is.
  DATABASE_TYPE: (env) =>
    ['postgres', 'postgresql'].includes(set(env, 'DATABASE_TYPE')!.trim().toLowerCase())
      ? undefined
      : `DATABASE_TYPE: Tenantry runs on PostgreSQL only (DATABASE_URL, or the embedded PGlite when unset); remove DATABASE_TYPE=${set(env, 'DATABASE_TYPE')!.slice(0, 20)}`,
  // One database holds global and tenant tables (RLS separates tenants), so a second URL has no use.
  GLOBAL_DATABASE_URL: (env) =>
    set(env, 'GLOBAL_DATABASE_URL') === set(env, 'DATABASE_URL')
      ? undefined
      : 'GLOBAL_DATABASE_URL: Tenantry keeps global and tenant tables in one database; set DATABASE_URL to it and remove GLOBAL_DATABASE_URL',
}

const REDIS_PARTS = ['REDIS_HOST', 'REDIS_PORT', 'REDIS_PASSWORD'] as const

/**
 * The environment with the seeds' variables translated (REDIS_HOST/PORT/PASSWORD → REDIS_URL when
 * REDIS_URL is absent), and one problem line per seed variable that cannot be honoured.
 */
export function translateSeedVariables(env: Env): { env: Env; problems: string[] } {
  const problems: string[] = []
  for (const [name, refusal] of Object.entries(REFUSED)) {
    const line = set(env, name) === undefined ? undefined : refusal(env)
    if (line) problems.push(line)
  }
  const redis = redisUrlOf(env)
  if ('problem' in redis) problems.push(redis.problem)
  return { env: 'url' in redis ? { ...env, REDIS_URL: redis.url } : env, problems }
}

/** The seeds' Redis settings (defaults localhost:6379, as the seeds' clients have) as a REDIS_URL. */
function redisUrlOf(env: Env): { url: string } | { problem: string } | { none: true } {
  const given = REDIS_PARTS.filter((name) => set(env, name) !== undefined)
  if (given.length === 0) return { none: true }
  const names = given.join(', ')
  const host = set(env, 'REDIS_HOST')?.trim() ?? 'localhost'
  const port = set(env, 'REDIS_PORT')?.trim() ?? '6379'
  const password = set(env, 'REDIS_PASSWORD')
  if (!/^[A-Za-z0-9.-]+$|^\[?[0-9A-Fa-f:.]+\]?$/.test(host)) return { problem: 'REDIS_HOST: expected a host name or address; or set REDIS_URL=redis://host:port instead' }
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return { problem: 'REDIS_PORT: expected an integer between 1 and 65535; or set REDIS_URL=redis://host:port instead' }
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
  const url = `redis://${password === undefined ? '' : `:${encodeURIComponent(password)}@`}${hostPart}:${port}`
  const existing = set(env, 'REDIS_URL')
  if (existing === undefined) return { url }
  // Both spellings given: fine when they say the same, refused when they do not (never guess which).
  const parts = { host: set(env, 'REDIS_HOST') && host, port: set(env, 'REDIS_PORT') && port, password }
  const them = given.length > 1 ? 'them' : 'it'
  return agrees(existing, parts) ? { none: true } : { problem: `${names}: disagree${given.length > 1 ? '' : 's'} with REDIS_URL, which Tenantry reads; remove ${them} or make ${them} match` }
}

/** Whether the REDIS_URL says what each of the given seed variables says. */
function agrees(redisUrl: string, given: { host?: string; port?: string; password?: string }): boolean {
  let url: URL
  try {
    url = new URL(redisUrl)
  } catch {
    return false
  }
  const loopback = (host: string) => (host === 'localhost' ? '127.0.0.1' : host.replace(/^\[|\]$/g, ''))
  if (given.host !== undefined && loopback(url.hostname) !== loopback(given.host)) return false
  if (given.port !== undefined && (url.port || '6379') !== String(Number(given.port))) return false
  return given.password === undefined || decodeURIComponent(url.password) === given.password
}
