// The JSON depth limit as properties: the text scan (run on every body before parsing) and the
// value walk (run on import files) agree with how a value was built, and the HTTP pipeline
// refuses a body for its depth exactly when it is deeper than MAX_JSON_DEPTH.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { jsonTextExceedsDepth, jsonValueDepth, MAX_JSON_DEPTH } from '../src/lib/json-depth.ts'
import { createTestApi, type TestApi } from './support/api.ts'
import { valueOfDepth } from './support/deep-json.ts'

describe('measuring depth', () => {
  it('the text scan and the value walk agree with how the value was built; brackets in strings do not count', () => {
    fc.assert(
      fc.property(valueOfDepth(80), fc.integer({ min: 0, max: 80 }), ({ depth, value }, limit) => {
        expect(jsonValueDepth(value)).toBe(depth)
        expect(jsonTextExceedsDepth(JSON.stringify(value), limit)).toBe(depth > limit)
      }),
    )
  })

  it('measures 100,000 levels without running out of stack', () => {
    const text = '['.repeat(100_000) + ']'.repeat(100_000)
    expect(jsonTextExceedsDepth(text, MAX_JSON_DEPTH)).toBe(true)
    expect(jsonValueDepth(JSON.parse(text))).toBe(100_000)
  })
})

describe('the HTTP pipeline', () => {
  let api: TestApi
  beforeAll(async () => {
    api = await createTestApi()
  })
  afterAll(async () => api?.close())

  it('refuses a body for its depth if and only if it nests deeper than the limit', async () => {
    await fc.assert(
      fc.asyncProperty(valueOfDepth(MAX_JSON_DEPTH + 30, 1), async ({ depth, value }) => {
        // A public route: the body fails validation whatever it is, but only a deep one for its depth.
        const response = await api.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(value) })
        expect(response.statusCode).toBe(400)
        expect(response.json().code === 'json_too_deep', response.body).toBe(depth > MAX_JSON_DEPTH)
      }),
      { numRuns: 150 },
    )
  })
})
