// Connect-time guard: a `lookup` for net/http/tls and undici's Agent({ connect: { lookup } }).
// The socket connects to the address this function hands back, which is the address it checked,
// so a name that answers public at creation and 127.0.0.1 now (DNS rebinding) is refused here.
//
// CAUTION: Node does not call `lookup` when the host is already an IP literal; such targets are
// covered only by validateWebhookUrl, which the dispatcher must run again before each attempt.
import type { LookupAddress } from 'node:dns'
import type { LookupFunction } from 'node:net'
import { systemResolver, type Resolver } from './resolver.ts'
import { checkedAddresses } from './target-check.ts'

export interface GuardedLookupOptions {
  allowPrivate?: boolean
  resolve?: Resolver
}

export function createGuardedLookup({ allowPrivate = false, resolve = systemResolver }: GuardedLookupOptions = {}): LookupFunction {
  return (hostname, options, callback) => {
    checkedAddresses(hostname, toFamily(options.family), { allowPrivate, resolve }).then(
      (addresses) => reply(addresses, options.all === true, callback),
      // The SsrfError (code ERR_SSRF_BLOCKED) or the resolver's own error (ENOTFOUND, EAI_AGAIN)
      // reaches the socket's 'error' event unchanged.
      (error: NodeJS.ErrnoException) => callback(error, ''),
    )
  }
}

/** The guard with the strict policy; inject a resolver or allowPrivate via createGuardedLookup. */
export const guardedLookup: LookupFunction = createGuardedLookup()

// Node asks for every address (`all: true`) when autoSelectFamily (happy eyeballs) is on, the
// default since Node 20; otherwise it expects one address and its family.
function reply(addresses: LookupAddress[], all: boolean, callback: Parameters<LookupFunction>[2]) {
  if (all) return callback(null, addresses)
  const [first] = addresses // checkedAddresses never returns an empty list
  callback(null, first!.address, first!.family)
}

function toFamily(family: number | 'IPv4' | 'IPv6' | undefined): 0 | 4 | 6 {
  if (family === 4 || family === 'IPv4') return 4
  if (family === 6 || family === 'IPv6') return 6
  return 0
}
