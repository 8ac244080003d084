// IPv4 addresses spelt inside IPv6. Every form here is refused (DESIGN §10: "IPv4 spelt inside
// IPv6"); the embedded IPv4 is extracted only so the refusal names the real target
// (`::ffff:127.0.0.1` is refused as loopback, `64:ff9b::808:808` as ipv4_in_ipv6).

/** 16 bytes of an address `net.isIP` has already accepted as IPv6 (a zone id is ignored). */
export function ipv6Bytes(address: string): Uint8Array {
  const bare = address.split('%', 1)[0] ?? ''
  const [head = '', tail] = bare.split('::', 2)
  const groups = (part: string) => (part === '' ? [] : part.split(':').flatMap(hexGroups))
  const left = groups(head)
  const right = tail === undefined ? [] : groups(tail)
  const middle = new Array<number>(8 - left.length - right.length).fill(0)
  const bytes = new Uint8Array(16)
  ;[...left, ...middle, ...right].forEach((group, i) => {
    bytes[2 * i] = group >> 8
    bytes[2 * i + 1] = group & 0xff
  })
  return bytes
}

// A group is hex, except that the last one may be a dotted quad (`::ffff:127.0.0.1`).
function hexGroups(group: string): number[] {
  if (!group.includes('.')) return [Number.parseInt(group, 16)]
  const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number)
  return [(a << 8) | b, (c << 8) | d]
}

export interface Embedding {
  /** The transition mechanism, for the error message and tests. */
  kind: 'ipv4-mapped' | 'ipv4-translated' | 'ipv4-compatible' | 'nat64' | 'nat64-local' | '6to4' | 'teredo'
  /** The IPv4 address the packet would reach, when the form carries one at a fixed place. */
  ipv4?: string
}

/** The IPv4-in-IPv6 form `bytes` belongs to, if any. `::` and `::1` are not embeddings. */
export function ipv4Embedding(bytes: Uint8Array): Embedding | undefined {
  const v4 = (at: number, flip = 0) => Array.from(bytes.subarray(at, at + 4), (b) => (b ^ flip) & 0xff).join('.')
  const zeros = (from: number, to: number) => bytes.subarray(from, to).every((b) => b === 0)
  const word = (i: number) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!

  if (zeros(0, 10) && word(5) === 0xffff) return { kind: 'ipv4-mapped', ipv4: v4(12) } // ::ffff:0:0/96
  if (zeros(0, 8) && word(4) === 0xffff && word(5) === 0) return { kind: 'ipv4-translated', ipv4: v4(12) } // ::ffff:0:0:0/96
  if (zeros(0, 12) && !zeros(12, 15)) return { kind: 'ipv4-compatible', ipv4: v4(12) } // ::/96 minus ::, ::1
  if (zeros(0, 12) && bytes[15]! > 1) return { kind: 'ipv4-compatible', ipv4: v4(12) }
  if (word(0) === 0x64 && word(1) === 0xff9b && zeros(4, 12)) return { kind: 'nat64', ipv4: v4(12) } // 64:ff9b::/96
  // RFC 8215 local-use NAT64: the IPv4 sits at a place chosen by the operator, so none is named.
  if (word(0) === 0x64 && word(1) === 0xff9b && word(2) === 1) return { kind: 'nat64-local' } // 64:ff9b:1::/48
  if (word(0) === 0x2002) return { kind: '6to4', ipv4: v4(2) } // 2002::/16
  // Teredo carries the client's IPv4 inverted in the last 32 bits; that is where packets go.
  if (word(0) === 0x2001 && word(1) === 0) return { kind: 'teredo', ipv4: v4(12, 0xff) } // 2001::/32
  return undefined
}
