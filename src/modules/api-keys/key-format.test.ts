import { createHash } from 'node:crypto'
import { expect, it } from 'vitest'
import { displayPrefix, generateKey, KEY_LENGTH, parseKey } from './key-format.ts'

const TENANT = '0190a3f2-7c4e-7b1d-8e2f-3a4b5c6d7e8f'

it('generates tnt_<tenant hex><key hex>_<43 base64url>, parsed back to its tenant and prefix', () => {
  const fresh = generateKey(TENANT)
  expect(fresh.key).toMatch(/^tnt_0190a3f27c4e7b1d8e2f3a4b5c6d7e8f[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/)
  expect(fresh.key).toHaveLength(KEY_LENGTH)
  expect(fresh.hash.equals(createHash('sha256').update(fresh.key).digest())).toBe(true)
  expect(parseKey(fresh.key)).toEqual({ tenantId: TENANT, prefix: fresh.prefix })
  expect(displayPrefix(fresh.prefix)).toBe(`tnt_0190a3f2…${fresh.prefix.slice(32)}`)
})

it('draws a fresh secret every time (256 bits: 32 bytes decoded)', () => {
  const secrets = new Set(Array.from({ length: 1000 }, () => generateKey(TENANT).key.slice(45)))
  expect(secrets.size).toBe(1000)
  expect(Buffer.from([...secrets][0]!, 'base64url')).toHaveLength(32)
})

it('refuses anything that is not exactly the format', () => {
  const { key } = generateKey(TENANT)
  for (const bad of ['', 'tnt_', `${key}x`, key.slice(0, -1), key.toUpperCase(), key.replace('tnt_', 'tnx_'), `${key.slice(0, 44)}.${key.slice(45)}`, key.replace(/_[^_]/, '_=')]) {
    expect(parseKey(bad), bad).toBeUndefined()
  }
  expect(() => generateKey('not-a-tenant')).toThrow()
})
