import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { jsonValueDepth } from '../../lib/json-depth.ts'
import { stringifyWithoutRecursion, toJson } from './export-json.ts'

// What the drivers hand the export: JSON values, dates, bytes, 64-bit integers, undefined.
const driverValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 0 }),
    fc.date({ noInvalidDate: true }),
    fc.uint8Array({ maxLength: 8 }).map((bytes) => Buffer.from(bytes)),
    fc.bigInt(),
    fc.constant(undefined),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string(), tie('value'), { maxKeys: 4 }),
  ),
})).value

describe('export JSON', () => {
  it('writes what JSON.stringify writes, whatever the values', () => {
    fc.assert(fc.property(driverValue, (value) => {
      expect(stringifyWithoutRecursion({ row: value })).toBe(toJson({ row: value }))
    }))
  })

  it('writes a value 100,000 levels deep, which JSON.stringify cannot', () => {
    let deep: unknown = 1
    for (let i = 0; i < 100_000; i++) deep = i % 2 === 0 ? { a: deep } : [deep]
    expect(() => JSON.stringify(deep)).toThrow(RangeError)
    const parsed: unknown = JSON.parse(toJson({ type: 'row', row: { value: deep } }))
    expect(jsonValueDepth(parsed)).toBe(100_002)
  })
})
