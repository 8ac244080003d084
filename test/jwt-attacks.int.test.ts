// DESIGN §7: user tokens are HS256 JWTs keyed by JWT_SECRET with sub, tid, iat, exp, iss, aud and
// jti; verification pins the algorithm and requires exp, iss and aud. Forged, tampered, expired or
// malformed credentials are 401 invalid_token — never 500, never accepted.
import { createHmac, randomUUID } from 'node:crypto'
import { decodeJwt, exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT, type JWTPayload } from 'jose'
import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, createTestApi, JWT_SECRET, type TestApi } from './support/api.ts'

const ISSUER = 'tenantry'
const AUDIENCE = 'tenantry-api'
const secret = new TextEncoder().encode(JWT_SECRET)

let api: TestApi
let tenantA: Awaited<ReturnType<TestApi['signUp']>>
let tenantB: Awaited<ReturnType<TestApi['signUp']>>

beforeAll(async () => {
  api = await createTestApi()
  tenantA = await api.signUp()
  tenantB = await api.signUp()
})
afterAll(async () => {
  await api?.close()
})

const members = (headers: Record<string, string>) => api.app.inject({ url: '/api/v1/members', headers })
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const now = () => Math.floor(Date.now() / 1000)

/** Claims exactly as the service issues them, for tenantA's admin, with overrides (undefined removes). */
function claims(overrides: Record<string, unknown> = {}): JWTPayload {
  const base: Record<string, unknown> = { sub: tenantA.userId, tid: tenantA.tenantId, iat: now(), exp: now() + 3600, iss: ISSUER, aud: AUDIENCE, jti: randomUUID(), ...overrides }
  return Object.fromEntries(Object.entries(base).filter(([, value]) => value !== undefined))
}

function sign(payload: JWTPayload, key: Parameters<SignJWT['sign']>[0] = secret, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }) {
  return new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(key)
}

function expectInvalidToken(response: LightMyRequestResponse, label: string) {
  expect(response.statusCode, `${label}: ${response.body}`).toBe(401)
  expect(response.headers['content-type'], label).toMatch(/^application\/problem\+json/)
  expect(response.json(), label).toMatchObject({ code: 'invalid_token', status: 401 })
  expect(response.body, label).not.toContain('"data"')
}

describe('the genuine article', () => {
  it('a token forged with the right key and the issued claims is accepted (the control for every case below)', async () => {
    const response = await members(bearer(await sign(claims())))
    expect(response.statusCode).toBe(200)
    // Another instance's clock a little ahead: its iat is within the skew allowed.
    expect((await members(bearer(await sign(claims({ iat: now() + 30 }))))).statusCode).toBe(200)
    const issued = decodeJwt(tenantA.token)
    expect(Object.keys(issued).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'sub', 'tid'])
    expect(issued).toMatchObject({ iss: ISSUER, aud: AUDIENCE, sub: tenantA.userId, tid: tenantA.tenantId })
    const header = JSON.parse(Buffer.from(tenantA.token.split('.')[0]!, 'base64url').toString())
    expect(header.alg).toBe('HS256')
  })
})

describe('forged and tampered tokens → 401 invalid_token', () => {
  it('alg: none (unsigned), with and without a leftover signature', async () => {
    const unsigned = new UnsecuredJWT(claims()).encode()
    expectInvalidToken(await members(bearer(unsigned)), 'alg none')
    const [, payload, signature] = (await sign(claims())).split('.')
    for (const alg of ['none', 'None', 'NONE']) {
      const header = b64url({ alg, typ: 'JWT' })
      expectInvalidToken(await members(bearer(`${header}.${payload}.`)), `alg ${alg} empty signature`)
      expectInvalidToken(await members(bearer(`${header}.${payload}.${signature}`)), `alg ${alg} kept signature`)
    }
  })

  it('HS256 with another key, and HS512/HS384 with the right one', async () => {
    expectInvalidToken(await members(bearer(await sign(claims(), new TextEncoder().encode(`${JWT_SECRET}x`)))), 'wrong key')
    // An empty HMAC key (jose refuses to sign with one, so by hand).
    const unsignedPart = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims())}`
    const emptyKeySignature = createHmac('sha256', '').update(unsignedPart).digest('base64url')
    expectInvalidToken(await members(bearer(`${unsignedPart}.${emptyKeySignature}`)), 'empty key')
    expectInvalidToken(await members(bearer(await sign(claims(), secret, { alg: 'HS512' }))), 'HS512')
    expectInvalidToken(await members(bearer(await sign(claims(), secret, { alg: 'HS384' }))), 'HS384')
  })

  it('RS256 with a generated key pair, an embedded jwk header, and the HS/RS confusion', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
    expectInvalidToken(await members(bearer(await sign(claims(), privateKey, { alg: 'RS256' }))), 'RS256')
    // The attacker ships their own public key in the header (CVE-2018-0114 style).
    const jwk = await exportJWK(publicKey)
    expectInvalidToken(await members(bearer(await sign(claims(), privateKey, { alg: 'RS256', jwk }))), 'RS256 + embedded jwk')
    // Key confusion: HS256 keyed with the public key PEM, as a naive verifier would accept.
    const pem = await exportSPKI(publicKey)
    expectInvalidToken(await members(bearer(await sign(claims(), new TextEncoder().encode(pem)))), 'HS256 keyed by RSA PEM')
    const { privateKey: edKey } = await generateKeyPair('EdDSA', { extractable: true })
    expectInvalidToken(await members(bearer(await sign(claims(), edKey, { alg: 'EdDSA' }))), 'EdDSA')
  })

  it('a payload changed after signing (tid or sub), signature kept', async () => {
    const genuine = await sign(claims())
    const [header, payload, signature] = genuine.split('.')
    const original = decodeJwt(genuine)
    const otherTenant = b64url({ ...original, tid: tenantB.tenantId })
    expectInvalidToken(await members(bearer(`${header}.${otherTenant}.${signature}`)), 'tid swapped')
    const otherUser = b64url({ ...original, sub: tenantB.userId, tid: tenantB.tenantId })
    expectInvalidToken(await members(bearer(`${header}.${otherUser}.${signature}`)), 'sub swapped')
    const longer = b64url({ ...original, exp: original.exp! + 86_400 * 365 })
    expectInvalidToken(await members(bearer(`${header}.${longer}.${signature}`)), 'exp extended')
    // A flipped signature character.
    const flipped = `${signature!.slice(0, -2)}${signature!.at(-2) === 'A' ? 'B' : 'A'}${signature!.at(-1)}`
    expectInvalidToken(await members(bearer(`${header}.${payload}.${flipped}`)), 'signature flipped')
    // The same tampering applied to a token the service really issued.
    const [realHeader, realPayload, realSignature] = tenantA.token.split('.')
    const retargeted = b64url({ ...JSON.parse(Buffer.from(realPayload!, 'base64url').toString()), tid: tenantB.tenantId })
    expectInvalidToken(await members(bearer(`${realHeader}.${retargeted}.${realSignature}`)), 'issued token retargeted')
  })

  it('expired, not yet valid, and missing or wrong registered claims, all signed with the right key', async () => {
    const cases: Array<[string, JWTPayload]> = [
      ['expired', claims({ iat: now() - 7200, exp: now() - 60 })],
      ['expired one second ago', claims({ iat: now() - 3600, exp: now() - 1 })],
      ['not before in the future', claims({ nbf: now() + 3600 })],
      ['missing exp', claims({ exp: undefined })],
      ['missing iss', claims({ iss: undefined })],
      ['missing aud', claims({ aud: undefined })],
      ['missing jti', claims({ jti: undefined })],
      ['missing sub', claims({ sub: undefined })],
      ['missing iat', claims({ iat: undefined })],
      ['issued in the future', claims({ iat: now() + 3600, exp: now() + 7200 })],
      ['issued two minutes ahead', claims({ iat: now() + 120 })],
      ['wrong aud', claims({ aud: 'some-other-api' })],
      ['aud array without ours', claims({ aud: ['some-other-api', 'x'] })],
      ['wrong iss', claims({ iss: 'evil-issuer' })],
      ['exp as a string', claims({ exp: String(now() + 3600) })],
      ['tid not a string', claims({ tid: 12345 })],
      ['sub of no user', claims({ sub: randomUUID() })],
      ['sub not a uuid', claims({ sub: "' or 1=1 --" })],
    ]
    for (const [label, payload] of cases) expectInvalidToken(await members(bearer(await sign(payload))), label)
  })

  it('a valid signature on a tenant the user is not a member of → 403 tenant_access_denied, not 401', async () => {
    const response = await members(bearer(await sign(claims({ tid: tenantB.tenantId }))))
    expect(response.statusCode).toBe(403)
    expect(response.json()).toMatchObject({ code: 'tenant_access_denied', status: 403 })
    // … and the same answer for a tenant that does not exist.
    const unknown = await members(bearer(await sign(claims({ tid: randomUUID() }))))
    expect(unknown.statusCode).toBe(403)
    expect(unknown.json().code).toBe('tenant_access_denied')
    expect(unknown.json().detail).toBe(response.json().detail)
  })
})

describe('Authorization header garbage → 401, never 500', () => {
  it.each([
    ['Bearer alone', 'Bearer'],
    ['Bearer and a space', 'Bearer '],
    ['Basic credentials', 'Basic dXNlcjpwYXNzd29yZA=='],
    ['no scheme', 'eyJhbGciOiJIUzI1NiJ9.e30.sig'],
    ['a 10 KB token', `Bearer ${'a'.repeat(10 * 1024)}`],
    ['a 10 KB JWT-shaped token', `Bearer ${b64url({ alg: 'HS256' })}.${'A'.repeat(10 * 1024)}.sig`],
    ['three dots of nothing', 'Bearer ..'],
    ['not base64', 'Bearer !!!.###.$$$'],
    ['JSON that is not an object', `Bearer ${b64url({ alg: 'HS256' })}.${Buffer.from('[1,2,3]').toString('base64url')}.c2ln`],
    ['header not JSON', `Bearer ${Buffer.from('{not json').toString('base64url')}.e30.c2ln`],
    ['two tokens', 'Bearer a.b.c d.e.f'],
    ['double scheme', 'Bearer Bearer a.b.c'],
    ['an unknown API key', 'Bearer tnt_abcdef_0123456789abcdef0123456789abcdef'],
    ['a control character', 'Bearer abc\tdef'],
  ])('%s', async (_label, authorization) => {
    const response = await members({ authorization })
    expect(response.statusCode).toBe(401)
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(['invalid_token', 'unauthorized']).toContain(response.json().code)
  })

  it('a genuine token wrapped in garbage is refused too', async () => {
    expectInvalidToken(await members({ authorization: `Bearer ${tenantA.token} ` + 'x' }), 'trailing word')
    expectInvalidToken(await members({ authorization: `Bearer ${tenantA.token}${'A'.repeat(10 * 1024)}` }), 'padded to 10 KB')
    expectInvalidToken(await members({ authorization: `Basic ${tenantA.token}` }), 'Basic scheme')
    expect((await members({ authorization: `bearer ${tenantA.token}` })).statusCode).toBe(200) // the scheme is case-insensitive
  })

  it('no Authorization at all → 401 unauthorized', async () => {
    const response = await members({})
    expect(response.statusCode).toBe(401)
    expect(response.json().code).toBe('unauthorized')
  })
})
