// Creation-time guard: the URL's form, then its host (literal or every resolved address).
import { systemResolver, type Resolver } from './resolver.ts'
import { SsrfError } from './ssrf-error.ts'
import { checkedAddresses } from './target-check.ts'

export interface ValidateWebhookUrlOptions {
  /** WEBHOOK_ALLOW_PRIVATE_TARGETS. The URL's form is checked either way. */
  allowPrivate: boolean
  resolve?: Resolver
}

const allowedSchemes = new Set(['https:', 'http:'])

/**
 * Throws an SsrfError (stable `reason`) unless `url` is an http(s) URL without credentials or
 * fragment whose host is, or resolves only to, public addresses.
 * Odd IPv4 spellings need no code here: WHATWG URL parsing turns `0x7f.1`, `2130706433`,
 * `127.1` and `0177.0.0.1` into `127.0.0.1` before the address is checked.
 */
export async function validateWebhookUrl(url: string, { allowPrivate, resolve = systemResolver }: ValidateWebhookUrlOptions): Promise<void> {
  const parsed = parseWebhookUrl(url)
  try {
    await checkedAddresses(parsed.hostname, 0, { allowPrivate, resolve })
  } catch (error) {
    if (error instanceof SsrfError) throw error
    const hostname = parsed.hostname
    throw new SsrfError('unresolvable', `webhook target ${hostname} does not resolve (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { hostname })
  }
}

function parseWebhookUrl(url: string): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new SsrfError('invalid_url', 'webhook url is not a valid absolute URL')
  }
  if (!allowedSchemes.has(parsed.protocol)) {
    throw new SsrfError('scheme_not_allowed', `webhook url scheme ${parsed.protocol} is not allowed (use https or http)`)
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new SsrfError('credentials_not_allowed', 'webhook url must not carry credentials; use endpoint headers')
  }
  // `hash` is '' for a bare trailing '#', but `href` keeps it; '#' appears nowhere else in href.
  if (parsed.href.includes('#')) {
    throw new SsrfError('fragment_not_allowed', 'webhook url must not have a fragment')
  }
  return parsed
}
