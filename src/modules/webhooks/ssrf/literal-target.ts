// The part of the connect-time guard that the lookup cannot do: Node never calls `lookup` for an
// IP literal, so a URL such as http://[::ffff:127.0.0.1]/ or http://10.0.0.5/ (stored before a
// policy change, or written straight into the database) is checked here before every attempt.
import { isIP } from 'node:net'
import { SsrfError } from './ssrf-error.ts'
import { checkedAddresses, isInternalHostname, normaliseHostname } from './target-check.ts'

const neverResolve = () => Promise.reject(new Error('a literal needs no resolution'))

/** Throws an SsrfError for a blocked literal address or internal name; names go to the guarded lookup. */
export async function assertLiteralTargetAllowed(url: URL, allowPrivate: boolean): Promise<void> {
  const hostname = normaliseHostname(url.hostname)
  // A name (internal names included, when allowed) is checked by the guarded lookup at connect.
  if (isIP(hostname) === 0 && (allowPrivate || !isInternalHostname(hostname))) return
  if (!['http:', 'https:'].includes(url.protocol)) throw new SsrfError('scheme_not_allowed', `webhook url scheme ${url.protocol} is not allowed (use https or http)`)
  await checkedAddresses(hostname, 0, { allowPrivate, resolve: neverResolve })
}
