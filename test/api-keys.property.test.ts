// Property: no string other than a key itself authenticates. Random credentials that start like
// a key, well-formed keys with random parts, and single mutations of a real key (a changed,
// inserted or deleted character, a truncation, a changed case) are all 401 invalid_token, never
// a success and never a 5xx.
import fc from 'fast-check'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { bearer, createTestApi, type TestApi } from './support/api.ts'

let api: TestApi
let key: string

beforeAll(async () => {
  api = await createTestApi()
  const org = await api.signUp()
  const response = await api.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: bearer(org.token), payload: { name: 'p', permissions: ['users:read'] } })
  key = response.json().key
})
afterAll(() => api?.close())

// What an Authorization header can carry (printable ASCII without space).
const PRINTABLE = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i))
const printable = fc.constantFrom(...PRINTABLE)
const hexChar = fc.constantFrom(...'0123456789abcdef')
const base64urlChar = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_')
const text = (chars: fc.Arbitrary<string>, minLength: number, maxLength: number) => fc.array(chars, { minLength, maxLength }).map((list) => list.join(''))

type Mutation = { kind: 'replace' | 'insert'; index: number; char: string } | { kind: 'delete' | 'truncate' | 'case'; index: number }

function mutate(original: string, mutation: Mutation): string {
  const index = mutation.index % original.length
  switch (mutation.kind) {
    case 'replace': {
      const char = mutation.char === original[index] ? (mutation.char === 'a' ? 'b' : 'a') : mutation.char
      return original.slice(0, index) + char + original.slice(index + 1)
    }
    case 'insert':
      return original.slice(0, index) + mutation.char + original.slice(index)
    case 'delete':
      return original.slice(0, index) + original.slice(index + 1)
    case 'truncate':
      return original.slice(0, index)
    case 'case': {
      // Flip the case of the first letter at or after index whose case can flip.
      for (let i = index; i < original.length; i++) {
        const flipped = original[i] === original[i]!.toLowerCase() ? original[i]!.toUpperCase() : original[i]!.toLowerCase()
        if (flipped !== original[i]) return original.slice(0, i) + flipped + original.slice(i + 1)
      }
      return `${original}x`
    }
  }
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constantFrom('replace' as const, 'insert' as const), index: fc.nat(), char: printable }),
  fc.record({ kind: fc.constantFrom('delete' as const, 'truncate' as const, 'case' as const), index: fc.nat() }),
)

const candidate: fc.Arbitrary<() => string> = fc.oneof(
  // Anything printable, with or without the key scheme in front.
  text(printable, 1, 120).map((value) => () => value),
  text(printable, 0, 120).map((value) => () => `tnt_${value}`),
  // Well-formed: random tenant and key id, or this key's prefix with a random secret.
  fc.tuple(text(hexChar, 40, 40), text(base64urlChar, 43, 43)).map(([prefix, secret]) => () => `tnt_${prefix}_${secret}`),
  text(base64urlChar, 43, 43).map((secret) => () => `${key.slice(0, 45)}${secret}`),
  // One or two mutations of the real key.
  fc.array(mutation, { minLength: 1, maxLength: 2 }).map((mutations) => () => mutations.reduce(mutate, key)),
)

it('the real key works', async () => {
  expect((await api.app.inject({ url: '/api/v1/members', headers: bearer(key) })).statusCode).toBe(200)
})

it('random strings and mutations of a valid key never authenticate, and never fail with a 5xx', async () => {
  await fc.assert(
    fc.asyncProperty(candidate, async (make) => {
      const credential = make()
      if (credential === key) return // two mutations may undo each other
      const response = await api.app.inject({ url: '/api/v1/members', headers: bearer(credential) })
      expect(response.statusCode, `${credential} → ${response.body}`).toBe(401)
      expect(response.json().code).toBe('invalid_token')
    }),
    { numRuns: 300 },
  )
})
