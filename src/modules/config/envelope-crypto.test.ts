import { describe, expect, it } from 'vitest'
import { decryptValue, DecryptionError, encryptValue, generateDataKey, rewrapDataKey, unwrapDataKey, wrapDataKey } from './envelope-crypto.ts'

const master = Buffer.alloc(32, 7)
const otherMaster = Buffer.alloc(32, 9)
const tenantA = '0b6e0c4e-59a5-4b59-9a57-000000000001'
const tenantB = '0b6e0c4e-59a5-4b59-9a57-000000000002'

function flipByte(sealed: string, index: number): string {
  const bytes = Buffer.from(sealed, 'base64')
  bytes[index] = bytes[index]! ^ 0x01
  return bytes.toString('base64')
}

describe('data keys', () => {
  it('wraps and unwraps under the master key, bound to tenant and version', () => {
    const dataKey = generateDataKey()
    const wrapped = wrapDataKey(master, tenantA, 1, dataKey)
    expect(unwrapDataKey(master, tenantA, 1, wrapped)).toEqual(dataKey)
    expect(() => unwrapDataKey(master, tenantB, 1, wrapped)).toThrow(DecryptionError)
    expect(() => unwrapDataKey(master, tenantA, 2, wrapped)).toThrow(DecryptionError)
    expect(() => unwrapDataKey(otherMaster, tenantA, 1, wrapped)).toThrow(DecryptionError)
  })

  it('rewraps under a new master without changing the data key', () => {
    const dataKey = generateDataKey()
    const rewrapped = rewrapDataKey(master, otherMaster, tenantA, 1, wrapDataKey(master, tenantA, 1, dataKey))
    expect(unwrapDataKey(otherMaster, tenantA, 1, rewrapped)).toEqual(dataKey)
    expect(() => unwrapDataKey(master, tenantA, 1, rewrapped)).toThrow(DecryptionError)
  })
})

describe('values', () => {
  const dataKey = generateDataKey()

  it('round-trips any JSON with a fresh IV each time', () => {
    const value = { password: 's3cret', port: 5432, tags: ['a', null], nested: { ok: true } }
    const first = encryptValue(dataKey, tenantA, 'db.credentials', value)
    const second = encryptValue(dataKey, tenantA, 'db.credentials', value)
    expect(first).not.toBe(second)
    expect(first.slice(0, 16)).not.toBe(second.slice(0, 16))
    expect(decryptValue(dataKey, tenantA, 'db.credentials', first)).toEqual(value)
    expect(Buffer.from(first, 'base64').toString('latin1')).not.toContain('s3cret')
  })

  it('refuses a ciphertext moved to another key or tenant, or decrypted with another data key', () => {
    const sealed = encryptValue(dataKey, tenantA, 'api.token', 'tok_123')
    expect(() => decryptValue(dataKey, tenantA, 'other.key', sealed)).toThrow(DecryptionError)
    expect(() => decryptValue(dataKey, tenantB, 'api.token', sealed)).toThrow(DecryptionError)
    expect(() => decryptValue(generateDataKey(), tenantA, 'api.token', sealed)).toThrow(DecryptionError)
  })

  it('refuses any altered byte (iv, tag or ciphertext) and malformed input', () => {
    const sealed = encryptValue(dataKey, tenantA, 'api.token', 'tok_123')
    for (const index of [0, 12, 28, Buffer.from(sealed, 'base64').length - 1]) {
      expect(() => decryptValue(dataKey, tenantA, 'api.token', flipByte(sealed, index))).toThrow(DecryptionError)
    }
    expect(() => decryptValue(dataKey, tenantA, 'api.token', 'c2hvcnQ=')).toThrow(DecryptionError)
    expect(() => decryptValue(dataKey, tenantA, 'api.token', 'not base64!')).toThrow(DecryptionError)
  })
})
