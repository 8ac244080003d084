// What an endpoint's own request headers may be (docs/decisions.md D72): only what the HTTP client
// can send and the dispatcher does not set itself. undici refuses some names and values outright
// (Expect, Upgrade, Keep-Alive, Transfer-Encoding, names that are not tokens, values with control
// characters or characters above U+00FF); each refusal also leaves one of the origin's pooled
// connections waiting for a drain that never comes, and after as many refusals as connections
// every request to that origin hangs. So the API refuses them, and the dispatcher checks again
// before sending (endpoints stored before this check, or written into the database directly).

/** RFC 9110 token: the characters a field name may have. */
export const HEADER_NAME_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$"
/** Visible ASCII, space and tab: what every HTTP/1.1 client and server takes as it is. */
export const HEADER_VALUE_PATTERN = '^[\\t\\x20-\\x7e]*$'
export const MAX_HEADER_VALUE_LENGTH = 2000
export const MAX_ENDPOINT_HEADERS = 20
// Node's HTTP server refuses requests whose header section passes 16 KiB (431); the signing
// headers take about 1 KiB during a rotation, so an endpoint's own get half of that limit.
export const MAX_ENDPOINT_HEADER_BYTES = 8192

const NAME = new RegExp(HEADER_NAME_PATTERN)
const VALUE = new RegExp(HEADER_VALUE_PATTERN)

// Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection, which the dispatcher manages;
// the rest the dispatcher sets itself, or undici does (Host, Content-Length).
const FORBIDDEN_NAMES = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect',
  'http2-settings', 'proxy-authorization', 'host', 'content-length', 'content-type', 'user-agent',
])
// The signing headers (X-Webhook-*, the Standard Webhooks webhook-*) and the tenant's id.
const FORBIDDEN_PREFIXES = ['webhook-', 'x-webhook-', 'x-tenant-']

/** Why this header cannot be an endpoint's (and cannot be sent), or undefined when it can. */
export function unsendableHeader(name: string, value: unknown): string | undefined {
  if (name.startsWith(':')) return 'pseudo-headers belong to HTTP/2 framing and cannot be set'
  if (!NAME.test(name)) return 'a header name is 1 to 100 letters, digits or !#$%&\'*+.^_`|~- (an RFC 9110 token)'
  const lower = name.toLowerCase()
  if (FORBIDDEN_NAMES.has(lower) || FORBIDDEN_PREFIXES.some((prefix) => lower.startsWith(prefix))) {
    return 'this header is set by the dispatcher or the connection, not by an endpoint'
  }
  if (typeof value !== 'string') return 'a header value is a string'
  if (!VALUE.test(value)) return 'a header value may hold visible ASCII characters, spaces and tabs only'
  return undefined
}

export interface HeaderProblem {
  header?: string
  reason: string
}

/** The first reason these headers cannot be an endpoint's, sizes included; undefined when they can. */
export function endpointHeadersProblem(headers: Record<string, unknown>): HeaderProblem | undefined {
  const names = Object.keys(headers)
  if (names.length > MAX_ENDPOINT_HEADERS) return { reason: `at most ${MAX_ENDPOINT_HEADERS} headers` }
  const lowered = new Set<string>()
  let bytes = 0
  for (const name of names) {
    const value = headers[name]
    const reason = unsendableHeader(name, value)
    if (reason) return { header: name, reason }
    if ((value as string).length > MAX_HEADER_VALUE_LENGTH) return { header: name, reason: `a header value is at most ${MAX_HEADER_VALUE_LENGTH} characters` }
    if (lowered.has(name.toLowerCase())) return { header: name, reason: 'this header is given twice (names are case-insensitive)' }
    lowered.add(name.toLowerCase())
    bytes += name.length + (value as string).length + 4 // ": " and CRLF
  }
  if (bytes > MAX_ENDPOINT_HEADER_BYTES) return { reason: `the headers take ${bytes} bytes; at most ${MAX_ENDPOINT_HEADER_BYTES}` }
  return undefined
}

/** The first header of a stored endpoint that cannot be sent, with why. */
export function firstUnsendableHeader(headers: Record<string, unknown>): Required<HeaderProblem> | undefined {
  for (const [name, value] of Object.entries(headers)) {
    const reason = unsendableHeader(name, value)
    if (reason) return { header: name, reason }
  }
  return undefined
}
