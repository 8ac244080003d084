// JSON nested to a known depth, for the depth limit's tests.
import fc from 'fast-check'

/** `{"a":{"a":…1…}}`, `depth` objects deep, as text (JSON.stringify would overflow past a few thousand). */
export const nestedText = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)

/**
 * A value exactly `depth` levels deep: a chain of objects and arrays, each with a shallow sibling,
 * and keys full of brackets, quotes and backslashes (which must not count as nesting).
 */
export const valueOfDepth = (maxDepth: number, minDepth = 0) =>
  fc.integer({ min: minDepth, max: maxDepth }).chain((depth) =>
    fc
      .tuple(
        fc.array(fc.record({ array: fc.boolean(), key: fc.string({ unit: fc.constantFrom('a', '{', '[', '"', '\\', '}', ']', 'é') }), sibling: fc.jsonValue({ maxDepth: 0 }) }), { minLength: depth, maxLength: depth }),
        fc.jsonValue({ maxDepth: 0 }),
      )
      .map(([levels, leaf]) => ({ depth, value: levels.reduce<unknown>((inner, level) => (level.array ? [level.sibling, inner] : { [level.key]: inner, sibling: level.sibling }), leaf) })),
  )
