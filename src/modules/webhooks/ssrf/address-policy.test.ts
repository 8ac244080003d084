import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { blockedReason } from './address-policy.ts'
import { ipv4Embedding, ipv6Bytes } from './ipv6-embedded.ts'

// Every range's first and last address, and the public neighbours just outside it.
const ipv4Table: Array<[string, string | undefined]> = [
  ['0.0.0.0', 'unspecified'], ['0.255.255.255', 'unspecified'], ['1.0.0.0', undefined],
  ['9.255.255.255', undefined], ['10.0.0.0', 'private'], ['10.255.255.255', 'private'], ['11.0.0.0', undefined],
  ['100.63.255.255', undefined], ['100.64.0.0', 'cgnat'], ['100.64.0.1', 'cgnat'], ['100.127.255.255', 'cgnat'], ['100.128.0.0', undefined],
  ['126.255.255.255', undefined], ['127.0.0.0', 'loopback'], ['127.0.0.1', 'loopback'], ['127.255.255.255', 'loopback'], ['128.0.0.0', undefined],
  ['169.253.255.255', undefined], ['169.254.0.0', 'link_local'], ['169.254.169.254', 'link_local'], ['169.254.255.255', 'link_local'], ['169.255.0.0', undefined],
  ['172.15.255.255', undefined], ['172.16.0.0', 'private'], ['172.31.255.255', 'private'], ['172.32.0.0', undefined],
  ['191.255.255.255', undefined], ['192.0.0.0', 'ietf_protocol'], ['192.0.0.255', 'ietf_protocol'], ['192.0.1.0', undefined],
  ['192.0.2.0', 'documentation'], ['192.0.2.255', 'documentation'], ['192.0.3.0', undefined],
  ['192.88.98.255', undefined], ['192.88.99.1', 'reserved'], ['192.88.100.0', undefined],
  ['192.167.255.255', undefined], ['192.168.0.0', 'private'], ['192.168.255.255', 'private'], ['192.169.0.0', undefined],
  ['198.17.255.255', undefined], ['198.18.0.0', 'benchmarking'], ['198.19.255.255', 'benchmarking'], ['198.20.0.0', undefined],
  ['198.51.99.255', undefined], ['198.51.100.0', 'documentation'], ['198.51.100.255', 'documentation'], ['198.51.101.0', undefined],
  ['203.0.112.255', undefined], ['203.0.113.0', 'documentation'], ['203.0.113.255', 'documentation'], ['203.0.114.0', undefined],
  ['223.255.255.255', undefined], ['224.0.0.0', 'multicast'], ['239.255.255.255', 'multicast'],
  ['240.0.0.0', 'reserved'], ['255.255.255.254', 'reserved'], ['255.255.255.255', 'broadcast'],
  ['93.184.216.34', undefined], ['8.8.8.8', undefined], ['1.1.1.1', undefined],
]

const ipv6Table: Array<[string, string | undefined]> = [
  ['::', 'unspecified'], ['::1', 'loopback'], ['0:0:0:0:0:0:0:1', 'loopback'],
  // IPv4-mapped: the embedded address names the reason; a public one is still refused.
  ['::ffff:127.0.0.1', 'loopback'], ['::ffff:7f00:1', 'loopback'], ['::FFFF:7F00:1', 'loopback'],
  ['::ffff:169.254.169.254', 'link_local'], ['::ffff:10.0.0.1', 'private'], ['::ffff:0.0.0.0', 'unspecified'],
  ['::ffff:8.8.8.8', 'ipv4_in_ipv6'], ['::ffff:0:0', 'unspecified'], ['::ffff:ffff:ffff', 'broadcast'],
  ['::ffff:0:a00:1', 'private'], // IPv4-translated (RFC 2765) 10.0.0.1
  ['::7f00:1', 'loopback'], ['::127.0.0.1', 'loopback'], ['::808:808', 'ipv4_in_ipv6'], ['::2', 'unspecified'], // IPv4-compatible
  ['64:ff9b::7f00:1', 'loopback'], ['64:ff9b::a9fe:a9fe', 'link_local'], ['64:ff9b::192.168.1.1', 'private'],
  ['64:ff9b::808:808', 'ipv4_in_ipv6'], ['64:ff9b:1::a00:1', 'ipv4_in_ipv6'],
  ['2002:7f00:1::', 'loopback'], ['2002:a00:1::1', 'private'], ['2002:a9fe:a9fe::', 'link_local'], ['2002:808:808::', 'ipv4_in_ipv6'],
  ['2001::80ff:fffe', 'loopback'], // Teredo, client 127.0.0.1 (inverted)
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'documentation'], // RFC 4380's example, client 192.0.2.45
  ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', 'ipv4_in_ipv6'], // client 8.8.8.8
  ['100::', 'discard'], ['100::ffff:ffff:ffff:ffff', 'discard'], ['100:0:0:1::', 'reserved'],
  ['2001:1::1', 'ietf_protocol'], ['2001:2::', 'benchmarking'], ['2001:2:0:ffff::1', 'benchmarking'],
  ['2001:1ff:ffff:ffff::', 'ietf_protocol'], ['2001:200::', undefined],
  ['2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', undefined], ['2001:db8::', 'documentation'],
  ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', 'documentation'], ['2001:db9::', undefined],
  ['3ffe:ffff::1', undefined], ['3fff::', 'documentation'], ['3fff:fff:ffff::1', 'documentation'], ['3fff:1000::', undefined],
  ['fbff:ffff::1', 'reserved'], ['fc00::', 'unique_local'], ['fd12:3456::1', 'unique_local'], ['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'unique_local'],
  ['fe80::', 'link_local'], ['fe80::1', 'link_local'], ['fe80::1%eth0', 'link_local'], ['febf:ffff::1', 'link_local'],
  ['fec0::1', 'private'], ['ff00::', 'multicast'], ['ff02::1', 'multicast'], ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'multicast'],
  ['1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'reserved'], ['4000::1', 'reserved'], ['2000::', undefined],
  ['2606:4700:4700::1111', undefined], ['2a00:1450:4001:81b::200e', undefined],
]

describe('blockedReason', () => {
  it.each(ipv4Table)('IPv4 %s → %s', (address, reason) => {
    expect(blockedReason(address)).toBe(reason)
  })

  it.each(ipv6Table)('IPv6 %s → %s', (address, reason) => {
    expect(blockedReason(address)).toBe(reason)
  })

  // WHATWG URL normalises these, getaddrinfo answers canonically; if one still arrives, fail closed.
  it.each(['0x7f.1', '2130706433', '127.1', '0177.0.0.1', '127.000.000.001', 'localhost', '', '[::1]'])(
    'refuses the non-canonical spelling %j as invalid_address',
    (address) => expect(blockedReason(address)).toBe('invalid_address'),
  )

  it('refuses every IPv4-mapped address, public or not', () => {
    fc.assert(
      fc.property(fc.ipV4(), (v4) => {
        expect(blockedReason(`::ffff:${v4}`)).toBe(blockedReason(v4) ?? 'ipv4_in_ipv6')
      }),
    )
  })
})

describe('ipv6Bytes', () => {
  it('reads back any address in the compressed form WHATWG URL writes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const full = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16)).join(':')
        const compressed = new URL(`http://[${full}]/`).hostname.slice(1, -1)
        expect(ipv6Bytes(compressed)).toEqual(bytes)
      }),
    )
  })

  it('reads a dotted-quad tail and ignores a zone id', () => {
    expect(ipv4Embedding(ipv6Bytes('::ffff:192.0.2.1%eth0'))).toEqual({ kind: 'ipv4-mapped', ipv4: '192.0.2.1' })
  })
})
