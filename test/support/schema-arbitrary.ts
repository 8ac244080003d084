// fast-check values for the JSON Schemas of /openapi.json: values of the declared shape, biased
// to the edges (bounds, longest strings, any Unicode), so a fuzz run gets past validation into the
// handlers and the database. Covers the keywords TypeBox emits for this API; anything else (`not`,
// unknown formats) falls back to a value of the declared type that validation may still refuse.
import fc from 'fast-check'

export interface JsonSchema {
  type?: string | string[]
  enum?: unknown[]
  const?: unknown
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  additionalProperties?: boolean | JsonSchema
  items?: JsonSchema
  minItems?: number
  maxItems?: number
  uniqueItems?: boolean
  minLength?: number
  maxLength?: number
  pattern?: string
  format?: string
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  exclusiveMaximum?: number
}

// Kept small so a run explores many requests rather than a few huge ones.
const MAX_ITEMS = 4
const MAX_STRING = 300

export function valueOf(schema: JsonSchema | undefined): fc.Arbitrary<unknown> {
  if (!schema) return fc.jsonValue({ maxDepth: 2 })
  if (schema.const !== undefined) return fc.constant(schema.const)
  if (schema.enum) return fc.constantFrom(...schema.enum)
  const options = schema.anyOf ?? schema.oneOf
  if (options) return fc.oneof(...options.map(valueOf))
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  switch (type) {
    case 'string':
      return stringOf(schema)
    case 'integer':
      return numberOf(schema, true)
    case 'number':
      return numberOf(schema, false)
    case 'boolean':
      return fc.boolean()
    case 'null':
      return fc.constant(null)
    case 'array': {
      const constraints = { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? MAX_ITEMS, Math.max(schema.minItems ?? 0, MAX_ITEMS)) }
      return schema.uniqueItems
        ? fc.uniqueArray(valueOf(schema.items), { ...constraints, selector: (value) => JSON.stringify(value) })
        : fc.array(valueOf(schema.items), constraints)
    }
    case 'object':
      return objectOf(schema)
    default:
      return fc.jsonValue({ maxDepth: 2 })
  }
}

function objectOf(schema: JsonSchema): fc.Arbitrary<unknown> {
  const properties = schema.properties ?? {}
  const required = schema.required ?? []
  const known = fc.record(
    Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, valueOf(property)])),
    { requiredKeys: required.filter((name) => name in properties) },
  )
  if (schema.additionalProperties === undefined || schema.additionalProperties === false) return known
  const extra = typeof schema.additionalProperties === 'object' ? valueOf(schema.additionalProperties) : fc.jsonValue({ maxDepth: 1 })
  return fc.tuple(known, fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), extra, { maxKeys: 3 })).map(([own, more]) => ({ ...more, ...own }))
}

function stringOf(schema: JsonSchema): fc.Arbitrary<string> {
  const minLength = schema.minLength ?? 0
  const maxLength = Math.min(schema.maxLength ?? MAX_STRING, Math.max(minLength, MAX_STRING))
  const fits = (value: string) => value.length >= minLength && value.length <= maxLength
  switch (schema.format) {
    case 'email':
      return fc.emailAddress().filter(fits)
    case 'uuid':
      return fc.uuid()
    case 'uri':
      return fc.webUrl().filter(fits)
    case 'date-time':
      return fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true }).map((date) => date.toISOString())
    case 'date':
      return fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true }).map((date) => date.toISOString().slice(0, 10))
  }
  if (schema.pattern) {
    try {
      return fc.stringMatching(new RegExp(schema.pattern)).filter(fits)
    } catch {
      // fast-check cannot build strings for every regex (lookaheads): any string, validation decides.
    }
  }
  return fc.oneof(
    fc.string({ minLength, maxLength, unit: 'grapheme' }),
    fc.string({ minLength: maxLength, maxLength, unit: 'grapheme-ascii' }),
  )
}

function numberOf(schema: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const low = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + (integer ? 1 : Number.EPSILON) : integer ? -(2 ** 31) : -1e15)
  const high = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - (integer ? 1 : Number.EPSILON) : integer ? 2 ** 31 - 1 : 1e15)
  const edges = fc.constantFrom(low, high, Math.min(Math.max(0, low), high))
  const inside = integer
    ? fc.integer({ min: Math.ceil(low), max: Math.floor(high) })
    : fc.double({ min: low, max: high, noNaN: true, noDefaultInfinity: true })
  return fc.oneof(edges, inside)
}
