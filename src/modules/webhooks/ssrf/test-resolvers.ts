// Fake resolvers for the SSRF tests: no network, and a record of what was asked.
import { isIP } from 'node:net'
import type { Resolver } from './resolver.ts'

export interface RecordingResolver extends Resolver {
  calls: Array<{ hostname: string; family: 0 | 4 | 6 }>
}

/** Answers from `zone` (name → addresses, in order); an unknown name fails with ENOTFOUND. */
export function fakeResolver(zone: Record<string, string[] | (() => string[])>): RecordingResolver {
  const calls: RecordingResolver['calls'] = []
  const resolve = async (hostname: string, { family }: { family: 0 | 4 | 6 }) => {
    calls.push({ hostname, family })
    const entry = zone[hostname]
    if (!entry) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname })
    const addresses = typeof entry === 'function' ? entry() : entry
    return addresses.map((address) => ({ address, family: isIP(address) }))
  }
  return Object.assign(resolve, { calls })
}

/** A name that answers a public address once, then loopback: DNS rebinding. */
export function rebindingResolver(hostname: string, first = '93.184.216.34', then = '127.0.0.1'): RecordingResolver {
  let asked = 0
  return fakeResolver({ [hostname]: () => [asked++ === 0 ? first : then] })
}
