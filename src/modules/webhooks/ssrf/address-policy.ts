// Which resolved addresses a webhook may connect to (DESIGN §10). The ranges live in
// `net.BlockList`s checked in table order; the first match names the reason.
import { BlockList, isIP } from 'node:net'
import type { BlockedAddressReason } from './ssrf-error.ts'
import { ipv4Embedding, ipv6Bytes } from './ipv6-embedded.ts'

type Rule = readonly [network: string, prefix: number, reason: BlockedAddressReason]

// Special-purpose IPv4 ranges (IANA registry). None of them is a webhook receiver on the internet.
const ipv4Rules: readonly Rule[] = [
  ['0.0.0.0', 8, 'unspecified'], // "this network"; 0.0.0.0 reaches the local host on Linux
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'cgnat'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link_local'], // includes the cloud metadata service 169.254.169.254
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'ietf_protocol'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, 'reserved'], // deprecated 6to4 relay anycast
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['255.255.255.255', 32, 'broadcast'], // before 240/4, which contains it
  ['240.0.0.0', 4, 'reserved'],
]

// IPv6, after the IPv4-in-IPv6 forms (ipv6-embedded.ts) are taken out. Order matters where
// ranges nest: 2001:2::/48 and 2001:db8::/32 sit inside 2001::/23.
const ipv6Rules: readonly Rule[] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['100::', 64, 'discard'],
  ['2001:2::', 48, 'benchmarking'],
  ['2001:db8::', 32, 'documentation'],
  ['3fff::', 20, 'documentation'],
  ['2001::', 23, 'ietf_protocol'],
  ['fc00::', 7, 'unique_local'],
  ['fe80::', 10, 'link_local'],
  ['fec0::', 10, 'private'], // deprecated site-local, still routed inside some networks
  ['ff00::', 8, 'multicast'],
]

// Everything outside global unicast (2000::/3) is refused too, so a range IANA assigns later
// (or one missed above) fails closed.
const globalUnicast = new BlockList()
globalUnicast.addSubnet('2000::', 3, 'ipv6')

// One list per rule, so a nested range (255.255.255.255 in 240/4) keeps the place it has above.
function compile(rules: readonly Rule[], type: 'ipv4' | 'ipv6'): Array<[BlockList, BlockedAddressReason]> {
  return rules.map(([network, prefix, reason]) => {
    const list = new BlockList()
    list.addSubnet(network, prefix, type)
    return [list, reason]
  })
}

const ipv4Lists = compile(ipv4Rules, 'ipv4')
const ipv6Lists = compile(ipv6Rules, 'ipv6')

/**
 * Why `address` (a resolved or literal IP, canonical or not) must not be connected to, or
 * undefined when it is a public address. Anything `net.isIP` rejects is refused, so an odd
 * spelling that reached this far (`0x7f.1`, `2130706433`) fails closed.
 */
export function blockedReason(address: string): BlockedAddressReason | undefined {
  const family = isIP(address)
  if (family === 4) return ipv4Reason(address)
  if (family !== 6) return 'invalid_address'
  const bare = address.split('%', 1)[0] ?? ''
  const embedding = ipv4Embedding(ipv6Bytes(bare)) // never `::` or `::1`, which the rules name below
  if (embedding) return (embedding.ipv4 && ipv4Reason(embedding.ipv4)) || 'ipv4_in_ipv6'
  for (const [list, reason] of ipv6Lists) if (list.check(bare, 'ipv6')) return reason
  return globalUnicast.check(bare, 'ipv6') ? undefined : 'reserved'
}

function ipv4Reason(address: string): BlockedAddressReason | undefined {
  for (const [list, reason] of ipv4Lists) if (list.check(address, 'ipv4')) return reason
  return undefined
}
