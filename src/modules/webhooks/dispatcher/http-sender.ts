// One HTTP attempt of a delivery: POST the exact body with the signed headers, no redirects,
// bounded by the endpoint's timeout, keeping at most the first 1 KiB of the answer.
//
// The timeout is a deadline of its own (docs/decisions.md D72): the attempt ends when it passes,
// whether or not undici honours the abort signal, and the origin gets a new pool at once, so
// nothing queues behind a request that never settles; the old pool is destroyed if its request
// has not let go a moment later.
import { request, type Dispatcher } from 'undici'
import { withTimeout } from '../../../lib/with-timeout.ts'
import { OriginPools, type OriginPoolsOptions } from './origin-pools.ts'

export interface SendResult {
  /** Undefined when no answer came (refused, timed out, blocked by the SSRF guard). */
  statusCode?: number
  durationMs: number
  /** The first 1 KiB of the answer, as text. */
  responseBody?: string
  retryAfter?: string
  error?: string
}

const KEPT_BYTES = 1024
// Past this much of an answer the connection is dropped instead of drained for reuse.
const DRAINED_BYTES = 64 * 1024
// How long after its deadline an aborted request may take to let go before its origin's pool is
// destroyed: undici normally gives up within a tick of the abort.
const LET_GO_MS = 1000

type Exchange = Omit<SendResult, 'durationMs'>

export class HttpSender {
  private readonly pools: OriginPools

  constructor(options: OriginPoolsOptions) {
    this.pools = new OriginPools(options)
  }

  async send(url: URL, headers: Record<string, string>, body: string, timeoutMs: number, abort?: AbortSignal): Promise<SendResult> {
    const started = performance.now()
    const deadlinePassed = new AbortController()
    const signal = abort ? AbortSignal.any([abort, deadlinePassed.signal]) : deadlinePassed.signal
    const pool = this.pools.acquire(url.origin)
    const exchange = exchangeWith(pool, url, headers, body, timeoutMs, signal, abort)
    try {
      // exchange never rejects: only the deadline does.
      return { ...(await withTimeout(exchange, timeoutMs)), durationMs: elapsed(started) }
    } catch {
      deadlinePassed.abort()
      this.retire(url.origin, pool, exchange)
      return { durationMs: elapsed(started), error: 'timeout' }
    } finally {
      void exchange.finally(() => this.pools.release(url.origin, pool))
    }
  }

  close(): Promise<void> {
    return this.pools.close()
  }

  /**
   * After a deadline the origin gets a new pool: a receiver that timed out is no reason to keep
   * its connections, and a pool whose request does not let go soon is destroyed.
   */
  private retire(origin: string, pool: Dispatcher, exchange: Promise<Exchange>): void {
    this.pools.retire(origin, pool, withTimeout(exchange, LET_GO_MS).then(() => true, () => false))
  }
}

/** The request and the first bytes of its answer; never rejects (an error is the result). */
async function exchangeWith(pool: Dispatcher, url: URL, headers: Record<string, string>, body: string, timeoutMs: number, signal: AbortSignal, abort: AbortSignal | undefined): Promise<Exchange> {
  try {
    // undici's request never follows redirects: a 3xx comes back as it is, and counts as failure.
    const response = await request(url, { method: 'POST', headers, body, dispatcher: pool, signal, headersTimeout: timeoutMs, bodyTimeout: timeoutMs })
    const responseBody = await readPrefix(response.body)
    const retryAfter = response.headers['retry-after']
    return {
      statusCode: response.statusCode,
      responseBody,
      ...(retryAfter !== undefined ? { retryAfter: Array.isArray(retryAfter) ? retryAfter[0]! : retryAfter } : {}),
    }
  } catch (error) {
    return { error: describe(error, signal, abort) }
  }
}

async function readPrefix(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const kept: Buffer[] = []
  let keptBytes = 0
  let seen = 0
  for await (const chunk of body) {
    if (keptBytes < KEPT_BYTES) {
      const part = chunk.subarray(0, KEPT_BYTES - keptBytes)
      kept.push(part)
      keptBytes += part.length
    }
    seen += chunk.length
    if (seen > DRAINED_BYTES) {
      body.destroy()
      break
    }
  }
  // Cut on a character boundary: the column holds at most 1 KiB of valid text.
  let text = Buffer.concat(kept).toString('utf8').replace(/\uFFFD+$/, '')
  while (Buffer.byteLength(text) > KEPT_BYTES) text = text.slice(0, -1)
  return text
}

function describe(error: unknown, signal: AbortSignal, abort: AbortSignal | undefined): string {
  if (abort?.aborted) return 'aborted: dispatcher shutting down'
  const err = error as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException }
  const cause = err.cause ?? err
  const code = cause.code ?? err.code
  // The deadline aborts the request; undici's own timers may fire a moment before it.
  if (signal.aborted || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timeout'
  return code ? `${code}: ${cause.message ?? err.message}` : (err.message ?? String(error))
}

function elapsed(started: number): number {
  return Math.max(0, Math.round(performance.now() - started))
}
