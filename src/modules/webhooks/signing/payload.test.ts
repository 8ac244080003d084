import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AppError } from '../../../errors/index.ts'
import { buildEventBody, MAX_EVENT_BODY_BYTES, type WebhookEvent } from './payload.ts'

const EVENT: WebhookEvent = {
  id: 'evt_0190a3f27c4e7b1d8e2f3a4b5c6d7e8f',
  type: 'member.created',
  tenant_id: '0190a3f2-7c4e-7b1d-8e2f-3a4b5c6d7e8f',
  created_at: '2025-01-02T03:04:05.678Z',
  data: { member_id: 'm_1' },
}

const restringified = (body: string) => JSON.stringify(JSON.parse(body))

describe('buildEventBody', () => {
  it('writes exactly JSON.stringify({id, type, tenant_id, created_at, data}) in that key order', () => {
    const shuffled = { data: EVENT.data, created_at: EVENT.created_at, tenant_id: EVENT.tenant_id, type: EVENT.type, id: EVENT.id }
    expect(buildEventBody(shuffled)).toBe(
      '{"id":"evt_0190a3f27c4e7b1d8e2f3a4b5c6d7e8f","type":"member.created","tenant_id":"0190a3f2-7c4e-7b1d-8e2f-3a4b5c6d7e8f",' +
        '"created_at":"2025-01-02T03:04:05.678Z","data":{"member_id":"m_1"}}',
    )
  })

  it('survives a receiver re-stringifying the parsed body, byte for byte, with tricky data', () => {
    const data = {
      zeta: 1, alpha: 2, '10': 'integer-like key', '2': 'sorted first by JS, and again on parse',
      unicode: 'héllo 日本語 🎉 \u2028\u2029', escaped: 'quote " backslash \\ tab \t nl \n ctl \u0001 slash /',
      lone: '\ud800 lone surrogate', html: '<script>&</script>',
      numbers: [1.0, -0, 0.1 + 0.2, 1e21, 5e-324, Number.MAX_SAFE_INTEGER, -1.5e-7],
      nested: { deep: [{ a: null, b: [true, false, {}], c: [] }] },
      specials: [Number.NaN, Number.POSITIVE_INFINITY, undefined, () => 1],
      when: new Date('2025-01-02T03:04:05.678Z'),
      skipped: undefined,
    }
    const body = buildEventBody({ ...EVENT, data })
    expect(restringified(body)).toBe(body)
    const parsed = JSON.parse(body) as { data: Record<string, unknown> }
    expect(Object.keys(parsed.data)).toEqual(['2', '10', 'zeta', 'alpha', 'unicode', 'escaped', 'lone', 'html', 'numbers', 'nested', 'specials', 'when'])
    expect(parsed.data.numbers).toEqual([1, 0, 0.30000000000000004, 1e21, 5e-324, 9007199254740991, -1.5e-7])
    expect(body).toContain('"numbers":[1,0,')
    expect(body).toContain('"specials":[null,null,null,null]')
    expect(body).toContain('\\ud800 lone')
  })

  it('keeps the re-stringify property for any JSON-able data (property test)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.anything({ withNullPrototype: true, withObjectString: true }), (json, anything) => {
        for (const data of [json, anything]) {
          const body = buildEventBody({ ...EVENT, data })
          expect(restringified(body)).toBe(body)
        }
      }),
      { numRuns: 500 },
    )
  })

  it('writes a Date created_at as ISO 8601 and undefined data as null', () => {
    const body = buildEventBody({ ...EVENT, created_at: new Date(Date.UTC(2025, 0, 2)), data: undefined })
    expect(JSON.parse(body)).toMatchObject({ created_at: '2025-01-02T00:00:00.000Z', data: null })
  })

  it('refuses data JSON cannot carry, and missing envelope fields', () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expect(() => buildEventBody({ ...EVENT, data: cyclic })).toThrow(TypeError)
    expect(() => buildEventBody({ ...EVENT, data: { n: 1n } })).toThrow(TypeError)
    expect(() => buildEventBody({ ...EVENT, id: '' })).toThrow(/id must be a non-empty string/)
    expect(() => buildEventBody({ ...EVENT, tenant_id: undefined as unknown as string })).toThrow(/tenant_id/)
  })
})

describe('the 256 KiB limit (UTF-8 bytes)', () => {
  const overhead = Buffer.byteLength(buildEventBody({ ...EVENT, data: '' }), 'utf8')
  const withBytes = (total: number) => buildEventBody({ ...EVENT, data: 'x'.repeat(total - overhead) })

  it('accepts a body of exactly 262144 bytes', () => {
    expect(MAX_EVENT_BODY_BYTES).toBe(262_144)
    expect(Buffer.byteLength(withBytes(MAX_EVENT_BODY_BYTES), 'utf8')).toBe(MAX_EVENT_BODY_BYTES)
  })

  it('refuses one byte over with the stable code payload_too_large', () => {
    const error = captureError(() => withBytes(MAX_EVENT_BODY_BYTES + 1))
    expect(error).toBeInstanceOf(AppError)
    expect(error).toMatchObject({
      code: 'payload_too_large',
      status: 413,
      details: { reason: 'webhook_body_too_large', bytes: MAX_EVENT_BODY_BYTES + 1, limit: MAX_EVENT_BODY_BYTES },
    })
  })

  it('counts bytes, not characters', () => {
    // 'é' is 2 bytes in UTF-8: fewer characters than the limit, more bytes.
    const chars = MAX_EVENT_BODY_BYTES - overhead
    const data = 'é'.repeat(Math.ceil(chars / 2) + 1)
    expect(JSON.stringify({ ...EVENT, data }).length).toBeLessThan(MAX_EVENT_BODY_BYTES)
    expect(() => buildEventBody({ ...EVENT, data })).toThrow(AppError)
  })
})

function captureError(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected an error')
}
