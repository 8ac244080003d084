// Small, strict parsers for environment values. Each returns the typed value or throws a
// ConfigValueError whose message says what was expected; the loader collects them all.
import { isIP } from 'node:net'

export class ConfigValueError extends Error {}

export type Parser<T> = (raw: string) => T

export const text: Parser<string> = (raw) => raw

export function integer(min: number, max: number): Parser<number> {
  return (raw) => {
    if (!/^-?\d+$/.test(raw.trim())) throw new ConfigValueError(`expected an integer between ${min} and ${max}`)
    const value = Number(raw)
    if (value < min || value > max) throw new ConfigValueError(`expected an integer between ${min} and ${max}`)
    return value
  }
}

export const boolean: Parser<boolean> = (raw) => {
  const value = raw.trim().toLowerCase()
  if (['true', '1', 'yes', 'on'].includes(value)) return true
  if (['false', '0', 'no', 'off'].includes(value)) return false
  throw new ConfigValueError('expected true or false')
}

export function oneOf<const T extends string>(...choices: T[]): Parser<T> {
  return (raw) => {
    if ((choices as string[]).includes(raw)) return raw as T
    throw new ConfigValueError(`expected one of ${choices.join(', ')}`)
  }
}

export function integerList(min: number, max: number): Parser<number[]> {
  const one = integer(min, max)
  return (raw) => {
    const parts = raw.split(',').map((part) => part.trim())
    if (parts.length === 0 || parts.some((part) => part === '')) {
      throw new ConfigValueError(`expected a comma-separated list of integers between ${min} and ${max}`)
    }
    try {
      return parts.map(one)
    } catch {
      throw new ConfigValueError(`expected a comma-separated list of integers between ${min} and ${max}`)
    }
  }
}

/** A PostgreSQL URL, or `memory://` for an in-memory embedded database. */
export const databaseUrl: Parser<string> = (raw) => {
  if (raw === 'memory://') return raw
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigValueError('expected postgres://user@host:port/database or memory://')
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigValueError('expected postgres://user@host:port/database or memory://')
  }
  return raw
}

/** A PostgreSQL role name we can safely splice into DDL (roles cannot be bound as parameters). */
export const sqlIdentifier: Parser<string> = (raw) => {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(raw)) {
    throw new ConfigValueError('expected a lowercase SQL identifier (letters, digits, underscore; at most 63)')
  }
  return raw
}

export const uuid: Parser<string> = (raw) => {
  const value = raw.trim().toLowerCase()
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value)) {
    throw new ConfigValueError('expected a UUID')
  }
  return value
}

/** 32 random bytes, base64: the key-encryption key of per-tenant data keys. */
export const base64Key32: Parser<Buffer> = (raw) => {
  const bytes = Buffer.from(raw, 'base64')
  if (bytes.length !== 32 || bytes.toString('base64').replace(/=+$/, '') !== raw.trim().replace(/=+$/, '')) {
    throw new ConfigValueError('expected 32 bytes encoded as base64 (openssl rand -base64 32)')
  }
  return bytes
}

export const duration: Parser<string> = (raw) => {
  if (!/^\d+\s*(s|m|h|d)$/.test(raw.trim())) throw new ConfigValueError('expected a duration such as 15m, 24h or 7d')
  return raw.trim()
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

/** A duration such as 90s, 15m, 24h or 3d as milliseconds; 0 means "never". */
export const durationOrZero: Parser<number> = (raw) => {
  const value = raw.trim()
  if (value === '0') return 0
  const match = /^(\d+)\s*(s|m|h|d)$/.exec(value)
  if (!match) throw new ConfigValueError('expected 0 or a duration such as 90s, 15m, 24h or 3d')
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]
}

export const corsOrigin: Parser<string[] | true | false> = (raw) => {
  const value = raw.trim()
  if (value === '*') return true
  if (value === '' || value === 'false') return false
  const origins = value.split(',').map((origin) => origin.trim())
  for (const origin of origins) {
    let url: URL
    try {
      url = new URL(origin)
    } catch {
      throw new ConfigValueError('expected *, false, or a comma-separated list of origins like https://app.example.com')
    }
    if (url.origin !== origin) {
      throw new ConfigValueError('expected *, false, or a comma-separated list of origins like https://app.example.com')
    }
  }
  return origins
}

export const email: Parser<string> = (raw) => {
  const value = raw.trim().toLowerCase()
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) || value.length > 254) throw new ConfigValueError('expected an email address')
  return value
}

/** A PEM block of the given label; literal "\n" sequences (one-line env values) become newlines. */
export function pem(label: string): Parser<string> {
  return (raw) => {
    const value = raw.replace(/\\n/g, '\n').trim()
    if (!value.startsWith(`-----BEGIN ${label}-----`) || !value.endsWith(`-----END ${label}-----`)) {
      throw new ConfigValueError(`expected a PEM "${label}" block (-----BEGIN ${label}----- …)`)
    }
    return value
  }
}

/** Fastify's (proxy-addr's) names for address ranges, each a set of CIDR blocks. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'] as const

const TRUST_PROXY_EXPECTED = 'expected true, false, or a comma-separated list of proxy addresses, CIDR blocks (10.0.0.0/24) and the names loopback, linklocal, uniquelocal'

/**
 * The proxies whose X-Forwarded-For is believed for the client address (Fastify's trustProxy):
 * true (every hop: any client picks its own address), false (none), or a list of addresses,
 * CIDR blocks and range names. Hop counts and netmasks are not taken: a list says who is trusted.
 */
export const trustProxy: Parser<boolean | string[]> = (raw) => {
  const value = raw.trim().toLowerCase()
  if (value === 'true') return true
  if (value === 'false') return false
  const entries = value.split(',').map((entry) => entry.trim())
  const bad = entries.find((entry) => !isProxyEntry(entry))
  if (bad !== undefined) throw new ConfigValueError(`${TRUST_PROXY_EXPECTED}; not one of these: "${bad}"`)
  return entries
}

function isProxyEntry(entry: string): boolean {
  if ((PROXY_RANGE_NAMES as readonly string[]).includes(entry)) return true
  const [address = '', prefix, ...rest] = entry.split('/')
  // No zone ids (fe80::1%eth0): the address is compared without one.
  const family = address.includes('%') ? 0 : isIP(address)
  if (family === 0 || rest.length > 0) return false
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128))
}

const HOST_ENTRY = /^\.?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/

/** Django's ALLOWED_HOSTS: host names, `.example.com` for it and every subdomain, `*` for any (lowercased, no ports). */
export const hostAllowList: Parser<string[]> = (raw) => {
  const entries = raw.split(',').map((entry) => entry.trim().toLowerCase()).filter((entry) => entry !== '')
  const bad = entries.find((entry) => entry !== '*' && !(HOST_ENTRY.test(entry) || isIP(entry) !== 0))
  if (entries.length === 0 || bad !== undefined) {
    throw new ConfigValueError(`expected comma-separated host names (api.example.com), .example.com for a domain and its subdomains, or *${bad === undefined ? '' : `; not one of these: "${bad}"`}`)
  }
  return entries
}
