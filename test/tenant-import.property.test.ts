// An import is given a valid export mutated at random: lines dropped, repeated, swapped, cut,
// values and keys replaced, garbage inserted. Whatever it gets, the answer is 200 or a 4xx
// problem (never a 5xx), and a refused import leaves the target exactly as it was (DESIGN §13).
import fc from 'fast-check'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestApi, type TestApi } from './support/api.ts'
import { call, createItem, createOrder, newOrg } from './support/domain.ts'
import { exportOf, importInto, tenantFootprint } from './support/tenant-import.ts'

// FUZZ_RUNS=500 for a longer search by hand; the default keeps the suite to seconds.
const RUNS = Number(process.env.FUZZ_RUNS ?? 40)

let api: TestApi
let file: string[]

beforeAll(async () => {
  api = await createTestApi()
  const org = await newOrg(api)
  const item = await createItem(api, org, { quantity: 5 })
  expect((await createOrder(api, org, [{ item_id: item.id, quantity: 1, unit_price: 3 }])).statusCode).toBe(201)
  expect((await call(api, org.headers, 'POST', '/api/v1/api-keys', { name: 'k', role: 'Analyst' })).statusCode).toBe(201)
  file = (await exportOf(api, org.tenantId)).trimEnd().split('\n')
})
afterAll(() => api?.close())

const json: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(null, '', -1, 1e309, '\u0000', 'x'.repeat(3000), '00000000-0000-0000-0000-000000000000', '2026-02-30', [], {}, '[redacted]'),
)

type Mutation = (lines: string[]) => string[]
const at = (lines: string[], i: number) => i % Math.max(lines.length, 1)
const editRow = (lines: string[], i: number, edit: (record: Record<string, any>) => void) =>
  lines.map((line, j) => {
    if (j !== at(lines, i)) return line
    try {
      const record = JSON.parse(line)
      edit(record)
      return JSON.stringify(record)
    } catch {
      return line
    }
  })

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map((i): Mutation => (lines) => lines.filter((_, j) => j !== at(lines, i))),
  fc.nat().map((i): Mutation => (lines) => lines.flatMap((line, j) => (j === at(lines, i) ? [line, line] : [line]))),
  fc.tuple(fc.nat(), fc.nat()).map(([i, k]): Mutation => (lines) => {
    const copy = [...lines]
    ;[copy[at(lines, i)], copy[at(lines, k)]] = [copy[at(lines, k)]!, copy[at(lines, i)]!]
    return copy
  }),
  fc.tuple(fc.nat(), fc.nat()).map(([i, cut]): Mutation => (lines) => lines.map((line, j) => (j === at(lines, i) ? line.slice(0, cut % (line.length + 1)) : line))),
  fc.tuple(fc.nat(), fc.string({ maxLength: 12 }), json).map(([i, key, value]): Mutation => (lines) =>
    editRow(lines, i, (record) => {
      const row = record.row && typeof record.row === 'object' ? record.row : record
      const keys = Object.keys(row)
      row[keys.length > 0 && key.length % 2 === 0 ? keys[key.length % keys.length]! : key] = value
    }),
  ),
  fc.tuple(fc.nat(), json).map(([i, value]): Mutation => (lines) => editRow(lines, i, (record) => (record.table = value))),
  fc.tuple(fc.nat(), fc.string({ maxLength: 40 })).map(([i, garbage]): Mutation => (lines) => [...lines.slice(0, at(lines, i)), garbage, ...lines.slice(at(lines, i))]),
)

it('a mutated export is imported or refused with a 4xx, and a refusal changes nothing', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.boolean(), async (mutations, newline) => {
      const body = mutations.reduce((lines, mutate) => mutate(lines), file).join('\n') + (newline ? '\n' : '')
      const target = await api.createTenant()
      const before = await tenantFootprint(api, target.id)
      const response = await importInto(api, target.id, body)
      expect(response.statusCode, response.body.slice(0, 500)).toBeLessThan(500)
      if (response.statusCode === 200) return
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(response.json().code).toMatch(/^[a-z_]+$/)
      expect(await tenantFootprint(api, target.id)).toEqual(before)
    }),
    { numRuns: RUNS },
  )
}, 120_000)
