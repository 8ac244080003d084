import type { Redis } from 'ioredis'
import { withTimeout } from '../../lib/with-timeout.ts'
import type { LeaseGrant, LeaseRequest, LeaseSource } from './leased-store.ts'

// For each key: grant min(want, limit - used), count it, and give the counter a lifetime the
// first time. Never counts past the limit, so the stored value is what was really handed out.
const LEASE_SCRIPT = `
local out = {}
for i = 1, #KEYS do
  local want = tonumber(ARGV[i * 3 - 2])
  local limit = tonumber(ARGV[i * 3 - 1])
  local used = tonumber(redis.call('GET', KEYS[i]) or '0')
  local grant = math.min(want, limit - used)
  if grant > 0 then
    used = redis.call('INCRBY', KEYS[i], grant)
    if used == grant then redis.call('PEXPIRE', KEYS[i], ARGV[i * 3]) end
  else
    grant = 0
  end
  out[#out + 1] = grant
  out[#out + 1] = used
end
return out`

const COMMAND = 'tenantryRateLease'
// A refill that takes longer than this counts as Redis being unavailable: the request is
// decided in process instead of waiting on a hung connection.
const LEASE_TIMEOUT_MS = 250

type LeaseCommand = (numberOfKeys: number, ...args: (string | number)[]) => Promise<number[]>

export class RedisUnavailableError extends Error {}

/** Shared counters in Redis: one EVALSHA per refill (ioredis re-sends the script after a Redis restart). */
export class RedisLeaseSource implements LeaseSource {
  private readonly redis: Redis

  constructor(redis: Redis) {
    this.redis = redis
    if (!(COMMAND in redis)) redis.defineCommand(COMMAND, { lua: LEASE_SCRIPT })
  }

  static keyOf(request: LeaseRequest): string {
    return `tenantry:rl:{${request.check.tag}}:${request.check.key}:${request.windowId}`
  }

  async lease(requests: LeaseRequest[]): Promise<LeaseGrant[]> {
    // Not connected: fail at once rather than queue (a client may have its offline queue on).
    if (this.redis.status !== 'ready') throw new RedisUnavailableError(`redis is ${this.redis.status}`)
    const keys = requests.map(RedisLeaseSource.keyOf)
    const args = requests.flatMap((request) => [request.want, request.check.limit, Math.ceil(request.ttlMs)])
    const command = (this.redis as unknown as Record<string, LeaseCommand>)[COMMAND]!
    const reply = await withTimeout(command.call(this.redis, keys.length, ...keys, ...args), LEASE_TIMEOUT_MS, 'redis lease timed out')
    return requests.map((_, n) => ({ granted: Number(reply[n * 2]), total: Number(reply[n * 2 + 1]) }))
  }
}
