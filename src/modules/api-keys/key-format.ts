// The API key format: `tnt_<prefix>_<secret>` (DESIGN §7; docs/decisions.md records why).
//
//   prefix = the tenant id as 32 hex digits + 8 random hex digits naming the key (stored, public)
//   secret = 32 random bytes, base64url without padding (43 characters, 256 bits)
//
// The prefix embeds the tenant, so a key is looked up inside its own tenant (one indexed read
// under RLS) and never by a query across tenants. Only SHA-256 of the whole key is stored.
import { createHash, randomBytes } from 'node:crypto'

const KEY_FORMAT = /^tnt_([0-9a-f]{32})([0-9a-f]{8})_([A-Za-z0-9_-]{43})$/
const UUID_HEX = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
/** Every key has exactly this length; anything else is refused before a lookup. */
export const KEY_LENGTH = 'tnt_'.length + 40 + 1 + 43

export interface ParsedKey {
  tenantId: string
  /** The stored prefix: tenant hex (32) + key hex (8). */
  prefix: string
}

export interface NewKey extends ParsedKey {
  key: string
  hash: Buffer
}

export const hashKey = (key: string): Buffer => createHash('sha256').update(key).digest()

/** A fresh key for tenantId: 32 random bits name it inside the tenant, 256 random bits are its secret. */
export function generateKey(tenantId: string): NewKey {
  if (!UUID_HEX.test(tenantId)) throw new Error(`not a tenant id: ${tenantId}`)
  const prefix = tenantId.replaceAll('-', '') + randomBytes(4).toString('hex')
  const key = `tnt_${prefix}_${randomBytes(32).toString('base64url')}`
  return { key, prefix, tenantId, hash: hashKey(key) }
}

/**
 * The tenant and prefix of a well-formed key, or undefined for anything else (wrong length,
 * character set, upper-case hex, missing parts): such input never reaches the database.
 */
export function parseKey(key: string): ParsedKey | undefined {
  if (key.length !== KEY_LENGTH) return undefined
  const match = KEY_FORMAT.exec(key)
  if (!match) return undefined
  const hex = match[1]!
  const tenantId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
  return { tenantId, prefix: hex + match[2]! }
}

/**
 * How a key is shown after creation: its start and the 8 hex digits that name it. The first 32
 * prefix digits are the tenant id, the same for every key of a tenant, so they cannot tell keys apart.
 */
export const displayPrefix = (prefix: string): string => `tnt_${prefix.slice(0, 8)}…${prefix.slice(32)}`
