import { describe, expect, it } from 'vitest'
import { newOrderNumber } from './order-number.ts'
import { assertTransition, ORDER_TRANSITIONS, type OrderStatus } from './order-status.ts'

const statuses = Object.keys(ORDER_TRANSITIONS) as OrderStatus[]
const allowed = new Set(['pending>confirmed', 'pending>cancelled', 'confirmed>shipped', 'confirmed>cancelled', 'shipped>delivered'])

describe('order transitions', () => {
  it.each(statuses.flatMap((from) => statuses.map((to) => [from, to] as const)))('%s → %s', (from, to) => {
    if (allowed.has(`${from}>${to}`)) expect(() => assertTransition(from, to)).not.toThrow()
    else expect(() => assertTransition(from, to)).toThrow(expect.objectContaining({ code: 'conflict', details: expect.objectContaining({ from, to }) }))
  })
})

describe('order numbers', () => {
  it('carry the UTC day and ten unambiguous random characters', () => {
    expect(newOrderNumber(new Date('2025-01-31T23:59:59Z'))).toMatch(/^ORD-20250131-[0-9A-HJKMNP-TV-Z]{10}$/)
    expect(new Set(Array.from({ length: 1000 }, () => newOrderNumber())).size).toBe(1000)
  })
})
