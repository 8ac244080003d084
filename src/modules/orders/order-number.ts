import { randomInt } from 'node:crypto'

// Crockford's base32 without I, L, O, U: nothing to misread on a phone call or a packing slip.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
// 10 characters = 50 random bits: at 10,000 orders a day in one tenant, the chance that two
// share a number on a day is about 4 in 100 million (and the unique key refuses it: 409).
const RANDOM_CHARS = 10

/** ORD-20250131-7K3M9Q2XAB: grouped by UTC day, unguessable, for orders created without a number. */
export function newOrderNumber(now = new Date()): string {
  const day = now.toISOString().slice(0, 10).replaceAll('-', '')
  let suffix = ''
  for (let index = 0; index < RANDOM_CHARS; index++) suffix += ALPHABET[randomInt(ALPHABET.length)]
  return `ORD-${day}-${suffix}`
}
