import { describe, expect, it } from 'vitest'
import { SsrfError } from './ssrf-error.ts'
import { fakeResolver } from './test-resolvers.ts'
import { validateWebhookUrl } from './validate-webhook-url.ts'

const strict = { allowPrivate: false, resolve: fakeResolver({}) } // literals only: any lookup fails

async function refusal(url: string, options: Parameters<typeof validateWebhookUrl>[1] = strict) {
  const error = await validateWebhookUrl(url, options).then(() => undefined, (e: unknown) => e)
  expect(error, `${url} should be refused`).toBeInstanceOf(SsrfError)
  const { code, reason, message } = error as SsrfError
  return { code, reason, message }
}

describe('validateWebhookUrl: literal hosts', () => {
  // The guard relies on WHATWG URL for the odd IPv4 spellings; pin that behaviour.
  it.each(['http://0x7f.1/', 'http://2130706433/', 'http://127.1/', 'http://0177.0.0.1/', 'http://0x7f000001/', 'http://%31%32%37.0.0.1/'])(
    'new URL normalises %s to 127.0.0.1, which is refused',
    async (url) => {
      expect(new URL(url).hostname).toBe('127.0.0.1')
      expect(await refusal(url)).toMatchObject({ code: 'ERR_SSRF_BLOCKED', reason: 'loopback' })
    },
  )

  it.each([
    ['http://[::1]/', 'loopback'],
    ['http://[::ffff:127.0.0.1]/', 'loopback'],
    ['http://[::ffff:7f00:1]/', 'loopback'],
    ['http://[0:0:0:0:0:ffff:127.0.0.1]/', 'loopback'],
    ['http://[::127.0.0.1]/', 'loopback'],
    ['http://[64:ff9b::a9fe:a9fe]/', 'link_local'],
    ['http://[2002:a00:1::]/', 'private'],
    ['http://[::ffff:8.8.8.8]/', 'ipv4_in_ipv6'],
    ['http://169.254.169.254/latest/meta-data/', 'link_local'],
    ['http://100.64.0.1/', 'cgnat'],
    ['http://0.0.0.0:8080/', 'unspecified'],
    ['http://0/', 'unspecified'],
    ['https://10.1.2.3:8443/hook', 'private'],
    ['https://[fe80::1]/', 'link_local'],
    ['https://[fd00::1]/', 'unique_local'],
    ['http://224.0.0.1/', 'multicast'],
    ['http://255.255.255.255/', 'broadcast'],
  ])('refuses %s (%s)', async (url, reason) => {
    expect(await refusal(url)).toMatchObject({ code: 'ERR_SSRF_BLOCKED', reason })
  })

  it('cannot be given a zone id: WHATWG URL rejects [fe80::1%25eth0]', async () => {
    expect(await refusal('http://[fe80::1%25eth0]/')).toMatchObject({ code: 'ERR_WEBHOOK_URL_INVALID', reason: 'invalid_url' })
  })

  it.each(['https://93.184.216.34/hook', 'http://93.184.216.34:8080/', 'https://[2606:4700:4700::1111]:8443/x?y=1'])('accepts the public %s', async (url) => {
    await expect(validateWebhookUrl(url, strict)).resolves.toBeUndefined()
  })
})

describe('validateWebhookUrl: the URL form', () => {
  it.each([
    ['ftp://example.com/', 'scheme_not_allowed'],
    ['file:///etc/passwd', 'scheme_not_allowed'],
    ['javascript:alert(1)', 'scheme_not_allowed'],
    ['gopher://example.com/', 'scheme_not_allowed'],
    ['ws://example.com/', 'scheme_not_allowed'],
    ['https://user:pass@example.com/', 'credentials_not_allowed'],
    ['https://user@example.com/', 'credentials_not_allowed'],
    ['https://:pass@example.com/', 'credentials_not_allowed'],
    ['https://example.com/hook#frag', 'fragment_not_allowed'],
    ['https://example.com/hook#', 'fragment_not_allowed'],
    ['not a url', 'invalid_url'],
    ['/relative/path', 'invalid_url'],
    ['https://', 'invalid_url'],
  ])('refuses %s (%s) even with allowPrivate', async (url, reason) => {
    expect(await refusal(url, { allowPrivate: true })).toMatchObject({ code: 'ERR_WEBHOOK_URL_INVALID', reason })
  })
})

describe('validateWebhookUrl: names', () => {
  const zone = {
    'hooks.example.com': ['93.184.216.34', '2606:4700:4700::1111'],
    'mixed.example.com': ['93.184.216.34', '10.0.0.5'],
    'mapped.example.com': ['2606:4700:4700::1111', '::ffff:169.254.169.254'],
    'empty.example.com': [],
  }

  it('accepts a name whose every address is public, asking for all families', async () => {
    const resolve = fakeResolver(zone)
    await validateWebhookUrl('https://Hooks.Example.COM./x', { allowPrivate: false, resolve })
    expect(resolve.calls).toEqual([{ hostname: 'hooks.example.com', family: 0 }])
  })

  it.each([
    ['https://mixed.example.com/', 'private', '10.0.0.5'],
    ['https://mapped.example.com/', 'link_local', '::ffff:169.254.169.254'],
  ])('refuses %s when ANY address is blocked (%s)', async (url, reason, address) => {
    const error = await validateWebhookUrl(url, { allowPrivate: false, resolve: fakeResolver(zone) }).catch((e: SsrfError) => e)
    expect(error).toMatchObject({ code: 'ERR_SSRF_BLOCKED', reason, target: { address } })
  })

  it.each(['https://nowhere.example.com/', 'https://empty.example.com/'])('refuses %s, which does not resolve', async (url) => {
    expect(await refusal(url, { allowPrivate: false, resolve: fakeResolver(zone) })).toMatchObject({ reason: 'unresolvable' })
  })

  it.each(['http://localhost:3000/', 'http://LOCALHOST./', 'http://api.localhost/', 'http://printer.local/', 'http://metadata.google.internal/'])(
    'refuses the internal name %s without asking DNS',
    async (url) => {
      const resolve = fakeResolver({})
      expect(await refusal(url, { allowPrivate: false, resolve })).toMatchObject({ code: 'ERR_SSRF_BLOCKED', reason: 'internal_hostname' })
      expect(resolve.calls).toEqual([])
    },
  )
})

describe('validateWebhookUrl with allowPrivate (WEBHOOK_ALLOW_PRIVATE_TARGETS)', () => {
  const resolve = fakeResolver({ localhost: ['127.0.0.1', '::1'], 'mixed.example.com': ['10.0.0.5'] })

  it.each(['http://127.0.0.1:3000/', 'http://0x7f.1/', 'http://[::1]/', 'http://[::ffff:7f00:1]/', 'http://169.254.169.254/', 'http://localhost:3000/', 'http://mixed.example.com/'])(
    'lets %s through',
    async (url) => {
      await expect(validateWebhookUrl(url, { allowPrivate: true, resolve })).resolves.toBeUndefined()
    },
  )
})
