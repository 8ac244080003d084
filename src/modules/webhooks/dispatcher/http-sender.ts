// One HTTP attempt of a delivery: POST the exact body with the signed headers, no redirects,
// bounded by the endpoint's timeout, keeping at most the first 1 KiB of the answer.
import { Agent, request } from 'undici'
import { createGuardedLookup, type Resolver } from '../ssrf/index.ts'

export interface SendResult {
  /** Undefined when no answer came (refused, timed out, blocked by the SSRF guard). */
  statusCode?: number
  durationMs: number
  /** The first 1 KiB of the answer, as text. */
  responseBody?: string
  retryAfter?: string
  error?: string
}

export interface HttpSenderOptions {
  allowPrivate: boolean
  /** Connections kept per receiver origin (the per-endpoint concurrency bound). */
  connectionsPerOrigin: number
  /** Injected in tests (DNS rebinding); the system resolver otherwise. */
  resolve?: Resolver
}

const KEPT_BYTES = 1024
// Past this much of an answer the connection is dropped instead of drained for reuse.
const DRAINED_BYTES = 64 * 1024
const KEEP_ALIVE_MS = 30_000

export class HttpSender {
  private readonly agent: Agent

  constructor(options: HttpSenderOptions) {
    this.agent = new Agent({
      // Every new connection resolves through the guard and connects to the address it checked.
      connect: { lookup: createGuardedLookup({ allowPrivate: options.allowPrivate, ...(options.resolve ? { resolve: options.resolve } : {}) }) },
      connections: options.connectionsPerOrigin,
      keepAliveTimeout: KEEP_ALIVE_MS,
      pipelining: 1,
    })
  }

  async send(url: URL, headers: Record<string, string>, body: string, timeoutMs: number, abort?: AbortSignal): Promise<SendResult> {
    const started = performance.now()
    const signal = abort ? AbortSignal.any([abort, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs)
    try {
      // undici's request never follows redirects: a 3xx comes back as it is, and counts as failure.
      const response = await request(url, { method: 'POST', headers, body, dispatcher: this.agent, signal, headersTimeout: timeoutMs, bodyTimeout: timeoutMs })
      const responseBody = await readPrefix(response.body)
      const retryAfter = response.headers['retry-after']
      return {
        statusCode: response.statusCode,
        durationMs: elapsed(started),
        responseBody,
        ...(retryAfter !== undefined ? { retryAfter: Array.isArray(retryAfter) ? retryAfter[0]! : retryAfter } : {}),
      }
    } catch (error) {
      return { durationMs: elapsed(started), error: describe(error, signal, abort) }
    }
  }

  close(): Promise<void> {
    return this.agent.close()
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
  if (signal.aborted) return 'timeout'
  const err = error as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException }
  const cause = err.cause ?? err
  const code = cause.code ?? err.code
  return code ? `${code}: ${cause.message ?? err.message}` : (err.message ?? String(error))
}

function elapsed(started: number): number {
  return Math.max(0, Math.round(performance.now() - started))
}
