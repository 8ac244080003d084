// When a failed delivery is tried again (DESIGN §10): WEBHOOK_RETRY_DELAYS, at most retry_count
// retries, jitter that only ever adds, and the receiver's Retry-After honoured up to a cap.

export interface RetryPolicy {
  /** Milliseconds before retry 1, 2, …; the last value repeats when retries outnumber it. */
  delaysMs: readonly number[]
  /** Retries after the first attempt (the endpoint's retry_count). */
  maxRetries: number
  /** Up to this fraction of the delay is added at random, so retries of many deliveries spread out. */
  jitter: number
  /** A Retry-After longer than this is cut to it: a receiver cannot park a delivery for days. */
  retryAfterCapMs: number
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false }

/**
 * After a failed attempt: attemptsSoFar counts attempts since the last replay, this one included.
 * Retry-After can only lengthen the wait, never shorten the schedule.
 */
export function nextRetry(policy: RetryPolicy, attemptsSoFar: number, retryAfterMs: number | undefined, random: () => number = Math.random): RetryDecision {
  const retriesDone = attemptsSoFar - 1
  if (retriesDone >= policy.maxRetries || policy.delaysMs.length === 0) return { retry: false }
  const base = policy.delaysMs[Math.min(retriesDone, policy.delaysMs.length - 1)]!
  const scheduled = base + Math.floor(base * policy.jitter * random())
  const asked = retryAfterMs === undefined ? 0 : Math.min(retryAfterMs, policy.retryAfterCapMs)
  return { retry: true, delayMs: Math.max(scheduled, asked) }
}

/**
 * Retry-After as seconds or as an HTTP date (RFC 9110 §10.2.3), in milliseconds from now;
 * undefined when absent or unreadable (the schedule then applies unchanged).
 */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value
  if (text === undefined) return undefined
  const trimmed = text.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const at = Date.parse(trimmed)
  if (Number.isNaN(at) || !/[a-z]/i.test(trimmed)) return undefined
  return Math.max(0, at - now)
}
