import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

// A caller's X-Request-ID is kept (so traces join up across services) only when it is a short
// token; anything else could inject text into logs, so it is replaced.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

export function generateRequestId(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id']
  return typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID()
}
