// Envelope encryption for tenant configuration (DESIGN §13), node:crypto only.
//
// MASTER_KEY wraps one random data key per tenant (and version); the data key encrypts values.
// Both layers are AES-256-GCM, stored as base64(iv 12 | tag 16 | ciphertext), with a fresh
// random IV every time. The additional authenticated data binds each ciphertext to where it
// belongs: a wrapped key to (tenant, version), a value to (tenant, config key). A ciphertext
// copied to another row or tenant fails authentication instead of decrypting as someone else's.
// CAUTION: never log or return the data key or a plaintext from here; callers decide what to show.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

const ALGORITHM = 'aes-256-gcm'
const KEY_BYTES = 32
// 96-bit IVs are GCM's native size; random IVs are safe far beyond the writes one key will see.
const IV_BYTES = 12
const TAG_BYTES = 16

/** A ciphertext failed authentication or is malformed: wrong key, altered, or moved to another row. */
export class DecryptionError extends Error {
  constructor(message = 'ciphertext failed authentication') {
    super(message)
    this.name = 'DecryptionError'
  }
}

export function generateDataKey(): Buffer {
  return randomBytes(KEY_BYTES)
}

/** Wraps a tenant's data key under the master key, bound to (tenant, version). */
export function wrapDataKey(master: Buffer, tenantId: string, version: number, dataKey: Buffer): string {
  return seal(master, dataKeyAad(tenantId, version), dataKey)
}

/** The data key, or DecryptionError when the master key is another one or the wrapped key was altered or moved. */
export function unwrapDataKey(master: Buffer, tenantId: string, version: number, wrapped: string): Buffer {
  const dataKey = open(master, dataKeyAad(tenantId, version), wrapped)
  if (dataKey.length !== KEY_BYTES) throw new DecryptionError('unwrapped data key has the wrong length')
  return dataKey
}

/** Master-key rotation: the same data key, wrapped under the new master (values need no re-encryption). */
export function rewrapDataKey(oldMaster: Buffer, newMaster: Buffer, tenantId: string, version: number, wrapped: string): string {
  return wrapDataKey(newMaster, tenantId, version, unwrapDataKey(oldMaster, tenantId, version, wrapped))
}

/** Encrypts JSON.stringify(value) under the data key, bound to (tenant, config key). */
export function encryptValue(dataKey: Buffer, tenantId: string, key: string, value: unknown): string {
  return seal(dataKey, valueAad(tenantId, key), Buffer.from(JSON.stringify(value), 'utf8'))
}

export function decryptValue(dataKey: Buffer, tenantId: string, key: string, ciphertext: string): unknown {
  const plaintext = open(dataKey, valueAad(tenantId, key), ciphertext).toString('utf8')
  try {
    return JSON.parse(plaintext)
  } catch {
    throw new DecryptionError('decrypted value is not JSON')
  }
}

// Labels keep the two uses apart; NUL cannot occur in a uuid, a version or a config key.
const dataKeyAad = (tenantId: string, version: number) => Buffer.from(`tenantry/data-key/v1\0${tenantId}\0${version}`, 'utf8')
const valueAad = (tenantId: string, key: string) => Buffer.from(`tenantry/config-value/v1\0${tenantId}\0${key}`, 'utf8')

function seal(key: Buffer, aad: Buffer, plaintext: Buffer): string {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES })
  cipher.setAAD(aad)
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')
}

function open(key: Buffer, aad: Buffer, sealed: string): Buffer {
  const bytes = Buffer.from(sealed, 'base64')
  if (bytes.length < IV_BYTES + TAG_BYTES || bytes.toString('base64') !== sealed) throw new DecryptionError('ciphertext is malformed')
  const decipher = createDecipheriv(ALGORITHM, key, bytes.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES })
  decipher.setAAD(aad)
  decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES))
  try {
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()])
  } catch {
    throw new DecryptionError()
  }
}
