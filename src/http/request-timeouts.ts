import type { ServerOptions } from 'node:http'

/**
 * How long a client may take to send its request (REQUEST_TIMEOUT_MS), headers and body: a
 * connection that trickles a body a byte at a time is answered 408 and closed instead of holding
 * a socket and a request forever (Fastify's default is no limit). Only receiving is bounded: an
 * answer streamed for minutes (an export) is not cut, and an upload (an import) must arrive within
 * the limit, so large files go through `tenantry tenant import` or a raised REQUEST_TIMEOUT_MS.
 * Node checks open connections on an interval (30 s by default, which would let a request live
 * twice the limit): here a tenth of the limit, between 50 ms and 1 s.
 */
export function requestTimeouts(timeoutMs: number): { requestTimeout: number; http: ServerOptions } {
  return {
    requestTimeout: timeoutMs,
    http: {
      requestTimeout: timeoutMs,
      // Node refuses a headers timeout longer than the request timeout; its default is 60 s.
      headersTimeout: Math.min(timeoutMs, 60_000),
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(timeoutMs / 10))),
    },
  }
}
