import type { LookupAddress } from 'node:dns'
import http from 'node:http'
import type { AddressInfo, LookupFunction } from 'node:net'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createGuardedLookup } from './guarded-lookup.ts'
import { fakeResolver, rebindingResolver } from './test-resolvers.ts'
import { validateWebhookUrl } from './validate-webhook-url.ts'

type Answer = { address: string; family?: number } | LookupAddress[]

function lookupOnce(lookup: LookupFunction, hostname: string, options: Parameters<LookupFunction>[1]): Promise<Answer> {
  return new Promise((resolve, reject) => {
    lookup(hostname, options, (error, address, family) => {
      if (error) reject(error)
      else resolve(typeof address === 'string' ? { address, family } : address)
    })
  })
}

describe('createGuardedLookup', () => {
  const resolve = fakeResolver({
    'hooks.example.com': ['2606:4700:4700::1111', '93.184.216.34'],
    'mixed.example.com': ['93.184.216.34', '127.0.0.1'],
  })
  const lookup = createGuardedLookup({ allowPrivate: false, resolve })

  it('answers the first checked address when all is false', async () => {
    expect(await lookupOnce(lookup, 'hooks.example.com', {})).toEqual({ address: '2606:4700:4700::1111', family: 6 })
  })

  it('answers every checked address when all is true (autoSelectFamily)', async () => {
    expect(await lookupOnce(lookup, 'hooks.example.com', { all: true })).toEqual([
      { address: '2606:4700:4700::1111', family: 6 },
      { address: '93.184.216.34', family: 4 },
    ])
  })

  it('asks for and answers only the family requested', async () => {
    expect(await lookupOnce(lookup, 'hooks.example.com', { family: 4 })).toEqual({ address: '93.184.216.34', family: 4 })
    expect(resolve.calls.at(-1)).toEqual({ hostname: 'hooks.example.com', family: 4 })
  })

  it.each([{}, { all: true }])('refuses when any address is blocked (%j)', async (options) => {
    await expect(lookupOnce(lookup, 'mixed.example.com', options)).rejects.toMatchObject({
      code: 'ERR_SSRF_BLOCKED',
      reason: 'loopback',
      target: { hostname: 'mixed.example.com', address: '127.0.0.1' },
    })
  })

  it('passes a DNS failure through with its own code', async () => {
    await expect(lookupOnce(lookup, 'nowhere.example.com', {})).rejects.toMatchObject({ code: 'ENOTFOUND' })
  })

  it('lets private addresses through with allowPrivate', async () => {
    const open = createGuardedLookup({ allowPrivate: true, resolve })
    expect(await lookupOnce(open, 'mixed.example.com', { all: true })).toHaveLength(2)
  })
})

describe('DNS rebinding', () => {
  it('passes creation-time validation, then is refused at connect time', async () => {
    const resolve = rebindingResolver('rebind.example.com')
    await expect(validateWebhookUrl('https://rebind.example.com/hook', { allowPrivate: false, resolve })).resolves.toBeUndefined()
    const lookup = createGuardedLookup({ allowPrivate: false, resolve })
    await expect(lookupOnce(lookup, 'rebind.example.com', { all: true })).rejects.toMatchObject({ code: 'ERR_SSRF_BLOCKED', reason: 'loopback' })
    expect(resolve.calls).toHaveLength(2)
  })
})

describe('a real connection through http.get', () => {
  let server: http.Server
  let port: number

  beforeAll(async () => {
    server = http.createServer((_request, response) => response.end('ok'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  function get(url: string, lookup: LookupFunction, autoSelectFamily: boolean): Promise<number> {
    return new Promise((resolve, reject) => {
      // autoSelectFamily reaches net.connect; @types/node 20 leaves it out of the http options.
      const options: http.RequestOptions & { autoSelectFamily: boolean } = { lookup, autoSelectFamily, agent: false }
      http.get(url, options, (response) => {
        response.resume()
        resolve(response.statusCode ?? 0)
      }).on('error', reject)
    })
  }

  it.each([true, false])('refuses localhost under the strict policy (autoSelectFamily %s)', async (autoSelectFamily) => {
    const lookup = createGuardedLookup({ allowPrivate: false })
    await expect(get(`http://localhost:${port}/`, lookup, autoSelectFamily)).rejects.toMatchObject({ code: 'ERR_SSRF_BLOCKED' })
  })

  it.each([true, false])('connects to localhost with allowPrivate (autoSelectFamily %s)', async (autoSelectFamily) => {
    // localhost may resolve to ::1 first, where nothing listens; IPv4 only keeps the test deterministic.
    const lookup = vi.fn(createGuardedLookup({ allowPrivate: true, resolve: fakeResolver({ localhost: ['127.0.0.1'] }) }))
    expect(await get(`http://localhost:${port}/`, lookup, autoSelectFamily)).toBe(200)
    // Node asks for every address exactly when it will try them in turn.
    expect(Boolean(lookup.mock.calls[0]?.[1].all)).toBe(autoSelectFamily)
  })

  it('connects to localhost with allowPrivate and the system resolver', async () => {
    const lookup = createGuardedLookup({ allowPrivate: true })
    expect(await get(`http://localhost:${port}/`, lookup, true)).toBe(200)
  })

  it('connects to the address the guard checked, not to a fresh resolution', async () => {
    // The name exists only in the fake resolver: a 200 proves the socket used the guard's answer.
    const resolve = fakeResolver({ 'receiver.test': ['127.0.0.1'] })
    expect(await get(`http://receiver.test:${port}/`, createGuardedLookup({ allowPrivate: true, resolve }), true)).toBe(200)
    await expect(get(`http://receiver.test:${port}/`, createGuardedLookup({ allowPrivate: false, resolve }), true)).rejects.toMatchObject({
      code: 'ERR_SSRF_BLOCKED',
      reason: 'loopback',
    })
  })

  it('is not consulted for an IP literal (why the dispatcher re-validates the URL)', async () => {
    const lookup = vi.fn(createGuardedLookup({ allowPrivate: false }))
    expect(await get(`http://127.0.0.1:${port}/`, lookup, true)).toBe(200)
    expect(lookup).not.toHaveBeenCalled()
  })
})
