// The check shared by creation time and connect time: a hostname → the addresses it may be
// connected to, every one of them checked, or an SsrfError.
import type { LookupAddress } from 'node:dns'
import { isIP } from 'node:net'
import { blockedReason } from './address-policy.ts'
import type { Resolver } from './resolver.ts'
import { SsrfError, blockedAddressError } from './ssrf-error.ts'

export interface TargetPolicy {
  /** WEBHOOK_ALLOW_PRIVATE_TARGETS: lets every address through (local development, tests). */
  allowPrivate: boolean
  resolve: Resolver
}

// Names that are internal by definition (RFC 6761 .localhost, mDNS .local, the .internal TLD
// ICANN reserved for private use). Refused without asking DNS, whose answer could change.
const internalSuffixes = ['.localhost', '.local', '.internal']

export function isInternalHostname(hostname: string): boolean {
  return hostname === 'localhost' || internalSuffixes.some((suffix) => hostname.endsWith(suffix))
}

/** `[::1]` → `::1`, `Example.COM.` → `example.com`. */
export function normaliseHostname(hostname: string): string {
  const unbracketed = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
  return unbracketed.toLowerCase().replace(/\.$/, '')
}

/**
 * Resolves `hostname` (or takes it as it is when it is an IP literal) and refuses if ANY address
 * is blocked: one private answer among public ones is enough, since the socket may pick it.
 * CAUTION: the caller must connect only to the addresses returned, never resolve again.
 */
export async function checkedAddresses(
  rawHostname: string,
  family: 0 | 4 | 6,
  { allowPrivate, resolve }: TargetPolicy,
): Promise<LookupAddress[]> {
  const hostname = normaliseHostname(rawHostname)
  if (isIP(hostname) === 0 && isInternalHostname(hostname) && !allowPrivate) {
    throw new SsrfError('internal_hostname', `webhook target ${hostname} is an internal name`, { hostname })
  }
  const answers = isIP(hostname) ? [{ address: hostname, family: isIP(hostname) }] : await resolve(hostname, { family })
  const addresses = answers
    .map(({ address }) => ({ address, family: isIP(address) }))
    .filter((answer) => family === 0 || answer.family === family)
  if (addresses.length === 0) {
    throw new SsrfError('unresolvable', `webhook target ${hostname} has no ${family ? `IPv${family} ` : ''}address`, { hostname })
  }
  for (const { address } of addresses) {
    const reason = blockedReason(address)
    // An address net.isIP rejects cannot be connected to, whatever the policy.
    if (reason && (!allowPrivate || reason === 'invalid_address')) throw blockedAddressError(hostname, address, reason)
  }
  return addresses
}
