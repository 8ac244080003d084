// The DNS step, injectable so tests can play a rebinding resolver (a public answer first, a
// private one next) without touching the network.
import { promises as dns } from 'node:dns'
import type { LookupAddress } from 'node:dns'

/** Every address `hostname` resolves to, in resolver order. `family` 0 means both. */
export type Resolver = (hostname: string, options: { family: 0 | 4 | 6 }) => Promise<LookupAddress[]>

/** getaddrinfo through libuv, as `net.connect` would use: /etc/hosts and search domains included. */
export const systemResolver: Resolver = (hostname, { family }) =>
  dns.lookup(hostname, { all: true, verbatim: true, family })
