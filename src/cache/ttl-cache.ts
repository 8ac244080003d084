/**
 * A small in-process cache: entries expire after ttlMs, the oldest go first past maxEntries
 * (Map keeps insertion order). Used for per-request lookups (tenant, membership, user, verified
 * tokens) that must be cheap but never stale for long; changes invalidate explicitly.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>()

  private readonly ttlMs: number
  private readonly maxEntries: number

  constructor(
    ttlMs: number,
    maxEntries = 10_000,
  ) {
    this.ttlMs = ttlMs
    this.maxEntries = maxEntries
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key)
    if (!entry) return undefined
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key)
      return undefined
    }
    return entry.value
  }

  set(key: string, value: V, ttlMs = this.ttlMs): void {
    this.entries.delete(key)
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string)
    this.entries.set(key, { value, expiresAt: Date.now() + ttlMs })
  }

  delete(key: string): void {
    this.entries.delete(key)
  }

  /** Drops every key that starts with prefix (e.g. all memberships of one tenant). */
  deletePrefix(prefix: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key)
  }

  clear(): void {
    this.entries.clear()
  }
}
