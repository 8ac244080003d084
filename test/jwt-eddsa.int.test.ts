// Tokens signed with EdDSA when JWT_PRIVATE_KEY / JWT_PUBLIC_KEY are configured (DESIGN §1).
import { generateKeyPairSync } from 'node:crypto'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config/index.ts'
import { bearer, createTestApi, JWT_SECRET, type TestApi } from './support/api.ts'

const { privateKey, publicKey } = generateKeyPairSync('ed25519')
// One-line env values, as a .env file or a container secret would carry them.
const oneLine = (pem: string) => pem.trim().replaceAll('\n', '\\n')
const PRIVATE = oneLine(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())
const PUBLIC = oneLine(publicKey.export({ type: 'spki', format: 'pem' }).toString())

let api: TestApi
beforeAll(async () => {
  api = await createTestApi({ JWT_PRIVATE_KEY: PRIVATE, JWT_PUBLIC_KEY: PUBLIC })
})
afterAll(() => api.close())

it('signs with EdDSA and accepts its own tokens', async () => {
  const org = await api.signUp()
  const header = JSON.parse(Buffer.from(org.token.split('.')[0]!, 'base64url').toString())
  expect(header.alg).toBe('EdDSA')
  expect((await api.app.inject({ url: '/api/v1/members', headers: bearer(org.token) })).statusCode).toBe(200)
})

it('refuses an HS256 token once EdDSA is configured (the algorithm is pinned)', async () => {
  const org = await api.signUp()
  const claims = JSON.parse(Buffer.from(org.token.split('.')[1]!, 'base64url').toString())
  const forged = await new SignJWT({ tid: claims.tid })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime('1h')
    .setIssuer(claims.iss)
    .setAudience(claims.aud)
    .setJti('x')
    .sign(new TextEncoder().encode(JWT_SECRET))
  const response = await api.app.inject({ url: '/api/v1/members', headers: bearer(forged) })
  expect(response.statusCode).toBe(401)
  expect(response.json().code).toBe('invalid_token')
})

it('refuses half a key pair, and a malformed key, at start', () => {
  expect(() => loadConfig({ JWT_PRIVATE_KEY: PRIVATE })).toThrow(ConfigError)
  expect(() => loadConfig({ JWT_PRIVATE_KEY: 'not a pem', JWT_PUBLIC_KEY: PUBLIC })).toThrow(/JWT_PRIVATE_KEY: expected a PEM "PRIVATE KEY" block/)
})
