import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { hostAllowed, requestHost } from './allowed-hosts.ts'

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/)
const hostname = fc.array(label, { minLength: 1, maxLength: 4 }).map((labels) => labels.join('.'))

describe('hostAllowed', () => {
  it('an exact entry allows that host only', () => {
    fc.assert(
      fc.property(hostname, hostname, (entry, host) => {
        expect(hostAllowed([entry], host)).toBe(entry === host)
      }),
    )
  })

  it('a .domain entry allows the domain and its subdomains, never a host that merely ends with its text', () => {
    fc.assert(
      fc.property(hostname, hostname, label, (domain, sub, glued) => {
        expect(hostAllowed([`.${domain}`], domain)).toBe(true)
        expect(hostAllowed([`.${domain}`], `${sub}.${domain}`)).toBe(true)
        // "evilexample.com" is not under ".example.com".
        expect(hostAllowed([`.${domain}`], `${glued}${domain}`)).toBe(false)
      }),
    )
  })

  it('* allows any host; an empty list none', () => {
    fc.assert(
      fc.property(hostname, (host) => {
        expect(hostAllowed(['*'], host) && !hostAllowed([], host)).toBe(true)
      }),
    )
  })
})

describe('requestHost', () => {
  it('lowercases, drops the port, the trailing dot and IPv6 brackets', () => {
    expect(requestHost({ hostname: 'API.Example.COM' })).toBe('api.example.com')
    expect(requestHost({ hostname: 'example.com.' })).toBe('example.com')
    expect(requestHost({ hostname: 'example.com:8080' })).toBe('example.com')
    expect(requestHost({ hostname: '[::1]:3001' })).toBe('::1')
  })
})
