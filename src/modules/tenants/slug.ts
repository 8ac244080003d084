import { AppError } from '../../errors/index.ts'
import { isUuid } from '../../lib/uuid.ts'

export const SLUG_PATTERN = /^[a-z0-9]([a-z0-9-]{1,61})[a-z0-9]$/

/** Names that routing, subdomains or the product itself use; no tenant may take them. */
export const RESERVED_SLUGS: ReadonlySet<string> = new Set([
  'www', 'api', 'admin', 'app', 'console', 'docs', 'health', 'metrics', 'static', 'assets', 'cdn', 'mail',
  'smtp', 'imap', 'ftp', 'status', 'support', 'help', 'login', 'logout', 'auth', 'signup', 'register',
  'billing', 'dashboard', 'root', 'system', 'platform', 'tenantry', 'default', 'internal', 'webhooks',
  'openapi', 'graphql', 'dev', 'staging', 'test', 'localhost',
])

/** Throws validation_failed unless slug is a DNS label (3-63, lowercase, digits, inner hyphens) and not reserved. */
export function assertValidSlug(slug: string): void {
  if (!SLUG_PATTERN.test(slug) || slug.includes('--')) {
    throw new AppError('validation_failed', 'slug must be a DNS label: 3-63 lowercase letters, digits and single inner hyphens', { field: 'slug' })
  }
  if (RESERVED_SLUGS.has(slug)) throw new AppError('validation_failed', `slug "${slug}" is reserved`, { field: 'slug' })
  // Wherever a tenant is named (X-Tenant-ID, the CLI, platform routes), a uuid is read as an id:
  // a uuid-shaped slug could never name its tenant, and could pass for another tenant's id.
  if (isUuid(slug)) throw new AppError('validation_failed', 'slug must not have the form of a uuid (uuids name tenants by id)', { field: 'slug' })
}

/**
 * A slug from a display name: accents dropped ("Café Zürich" → "cafe-zurich"), anything else
 * not [a-z0-9] becomes a hyphen, trimmed to 63. Too short, reserved or non-Latin names get a
 * suffix so the result is always valid; the caller adds -2, -3 … when it is taken.
 */
export function slugFromName(name: string): string {
  let slug = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 56)
    .replace(/-+$/g, '')
  if (slug.length < 3) slug = `${slug || 'tenant'}-org`.replace(/^-/, '')
  if (RESERVED_SLUGS.has(slug) || isUuid(slug)) slug = `${slug}-org`
  return slug
}

export function withSuffix(slug: string, n: number): string {
  return `${slug.slice(0, 63 - String(n).length - 1).replace(/-+$/, '')}-${n}`
}
