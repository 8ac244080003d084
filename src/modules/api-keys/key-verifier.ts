import { timingSafeEqual } from 'node:crypto'
import type { InvalidationBus } from '../../cache/invalidation-bus.ts'
import { TtlCache } from '../../cache/ttl-cache.ts'
import { runWithTenant } from '../../context/index.ts'
import { withTenantStatement, type Database } from '../../db/index.ts'
import type { Logger } from '../../observability/logger.ts'
import type { ApiKeyPrincipal } from '../access/principal.ts'
import * as repository from './api-keys.repository.ts'
import { credentialDigest } from '../../lib/credential-digest.ts'
import { parseKey } from './key-format.ts'

// Verified keys are cached briefly; a revocation (or any change to the tenant, its roles
// included) drops them at once through the InvalidationBus, so the TTL only bounds staleness
// on an instance that missed a Redis signal.
const VERIFIED_TTL_MS = 30_000
// last_used_at is written at most once a minute per key: one tiny write, not one per request.
const TOUCH_INTERVAL_MS = 60_000
const MAX_CACHED_KEYS = 100_000

interface VerifiedKey {
  principal: ApiKeyPrincipal
  expiresAt: number | null
}

/**
 * Key string → principal. A malformed key never reaches the database; a well-formed one is
 * looked up by its prefix inside the tenant it names (RLS applies) and accepted only when
 * SHA-256 of the whole key equals the stored digest, compared in constant time.
 */
export class KeyVerifier {
  private readonly verified = new TtlCache<VerifiedKey>(VERIFIED_TTL_MS, MAX_CACHED_KEYS)
  private readonly touched = new TtlCache<true>(TOUCH_INTERVAL_MS, MAX_CACHED_KEYS)
  private readonly pending = new Set<Promise<void>>()
  // Bumped by every invalidation: a lookup that started before one must not cache its answer.
  private generation = 0

  private readonly db: Database
  private readonly logger?: Logger

  constructor(
    db: Database,
    bus: InvalidationBus,
    logger?: Logger,
  ) {
    this.db = db
    this.logger = logger
    bus.on((event) => {
      if (event.kind !== 'tenant') return
      this.generation += 1
      this.verified.deletePrefix(`${event.tenantId}:`)
    })
  }

  /** keyDigest: credentialDigest(key), when the caller has it already. */
  async verify(key: string, keyDigest?: string): Promise<ApiKeyPrincipal | undefined> {
    const parsed = parseKey(key)
    if (!parsed) return undefined
    const digest = keyDigest ?? credentialDigest(key)
    // Keyed by the digest of the whole key: a hit means the key hashes to a verified one.
    const cacheKey = `${parsed.tenantId}:${digest}`
    const cached = this.verified.get(cacheKey)
    if (cached && (cached.expiresAt === null || cached.expiresAt > Date.now())) {
      this.touch(cached.principal)
      return cached.principal
    }

    const generation = this.generation
    // CAUTION: the tenant comes from the key itself. It is trusted only after the digest
    // matches a row that RLS admitted for exactly that tenant.
    const row = await runWithTenant(parsed.tenantId, () => withTenantStatement(this.db, (tx) => repository.findUsableKey(tx, parsed.prefix)))
    if (!row || !sameDigest(Buffer.from(digest, 'base64url'), row.key_hash)) return undefined

    const expiresAt = row.expires_at ? row.expires_at.getTime() : null
    // The database checked expiry by its clock; a cached entry is checked by ours: refuse as soon as either says so.
    if (expiresAt !== null && expiresAt <= Date.now()) return undefined
    const principal: ApiKeyPrincipal = { kind: 'api_key', apiKeyId: row.id, tenantId: parsed.tenantId, permissions: new Set(row.permissions) }
    if (generation === this.generation) {
      const ttl = expiresAt === null ? VERIFIED_TTL_MS : Math.min(VERIFIED_TTL_MS, expiresAt - Date.now())
      if (ttl > 0) this.verified.set(cacheKey, { principal, expiresAt }, ttl)
    }
    this.touch(principal)
    return principal
  }

  /** Resolves once every last_used_at write started so far has finished (tests, shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending])
  }

  /** Records the use, at most once a minute per key, off the request's path (never awaited). */
  private touch(principal: ApiKeyPrincipal): void {
    const touchKey = `${principal.tenantId}:${principal.apiKeyId}`
    if (this.touched.get(touchKey)) return
    this.touched.set(touchKey, true)
    const write: Promise<void> = runWithTenant(principal.tenantId, () => withTenantStatement(this.db, (tx) => repository.touchKey(tx, principal.apiKeyId)))
      .catch((error: unknown) => {
        this.logger?.warn({ err: { message: (error as Error).message }, api_key_id: principal.apiKeyId }, 'could not record the API key use')
      })
      .finally(() => this.pending.delete(write))
    this.pending.add(write)
  }
}

/** Both sides are SHA-256 digests (32 bytes), so timingSafeEqual compares equal lengths. */
function sameDigest(digest: Buffer, stored: Uint8Array): boolean {
  return stored.length === digest.length && timingSafeEqual(digest, stored)
}
