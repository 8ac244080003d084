// The one error the SSRF guard throws (creation time) or hands to a lookup callback (connect time).
// `code` is what a socket error handler sees (Node passes lookup errors through unchanged);
// `reason` is the stable machine-readable cause the webhooks service puts in its AppError details.

/** Why an address is refused. Stable: shown to API callers and recorded on delivery attempts. */
export type BlockedAddressReason =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'cgnat'
  | 'link_local'
  | 'unique_local'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'documentation'
  | 'benchmarking'
  | 'ietf_protocol'
  | 'discard'
  | 'ipv4_in_ipv6'
  | 'invalid_address'

/** Why a URL is refused before any address is looked at. */
export type InvalidUrlReason =
  | 'invalid_url'
  | 'scheme_not_allowed'
  | 'credentials_not_allowed'
  | 'fragment_not_allowed'
  | 'unresolvable'

/** Why a target is refused: a name that is internal by construction, or a blocked address. */
export type SsrfReason = BlockedAddressReason | InvalidUrlReason | 'internal_hostname'

export type SsrfErrorCode = 'ERR_SSRF_BLOCKED' | 'ERR_WEBHOOK_URL_INVALID'

export class SsrfError extends Error {
  readonly code: SsrfErrorCode

  readonly reason: SsrfReason
  /** The hostname and, when one was checked, the address refused. Safe to show the caller. */
  readonly target: { hostname?: string; address?: string }

  constructor(
    reason: SsrfReason,
    message: string,
    target: { hostname?: string; address?: string } = {},
  ) {
    super(message)
    this.reason = reason
    this.target = target
    this.name = 'SsrfError'
    this.code = isUrlReason(reason) ? 'ERR_WEBHOOK_URL_INVALID' : 'ERR_SSRF_BLOCKED'
  }
}

const urlReasons: ReadonlySet<SsrfReason> = new Set<InvalidUrlReason>([
  'invalid_url',
  'scheme_not_allowed',
  'credentials_not_allowed',
  'fragment_not_allowed',
  'unresolvable',
])

function isUrlReason(reason: SsrfReason): reason is InvalidUrlReason {
  return urlReasons.has(reason)
}

export function blockedAddressError(hostname: string, address: string, reason: BlockedAddressReason): SsrfError {
  const shown = hostname === address ? address : `${hostname} (${address})`
  return new SsrfError(reason, `webhook target ${shown} is not a public address (${reason})`, { hostname, address })
}
