// Properties of custom role names (issue 18): a system role's name written with any mix of case,
// fullwidth and mathematical forms, and letters of Cyrillic, Greek, Armenian or Cherokee that
// look like its Latin ones, is 409 already_exists; with an invisible character anywhere it is
// 400 validation_failed; ordinary names are accepted. The lookalikes are listed here, apart
// from the implementation's table, from Unicode's confusables data.
import fc from 'fast-check'
import { expect, it } from 'vitest'
import { systemRoles } from '../src/modules/rbac/index.ts'
import { bearer } from './support/api.ts'
import { tenantSuite } from './support/platform.ts'

const suite = tenantSuite()
const createRole = (name: string) => suite.api.app.inject({ method: 'POST', url: '/api/v1/roles', headers: bearer(suite.org.token), payload: { name, permissions: [] } })

const LOOKALIKES: Record<string, string[]> = {
  A: ['\u0410', '\u0391', '\u13AA'], a: ['\u0430', '\u0251', '\u03B1'],
  d: ['\u0501'], D: ['\u13A0'],
  M: ['\u041C', '\u039C', '\u13B7'],
  I: ['\u0406', '\u0399'], i: ['\u0456', '\u0131', '\u0269', '\u03B9'],
  N: ['\u039D'], n: ['\u0578'],
  G: ['\u050C'], g: ['\u0261'],
  E: ['\u0415', '\u0395', '\u13AC'], e: ['\u0435'],
  L: ['\u13DE'], l: ['\u04CF', '\u01C0', '1'],
  Y: ['\u0423', '\u03A5', '\u04AE'], y: ['\u0443', '\u04AF', '\u03B3'],
  S: ['\u0405', '\u13DA'], s: ['\u0455'],
  T: ['\u0422', '\u03A4', '\u13A2'],
  U: ['\u054D'], u: ['\u057D', '\u03C5'],
  O: ['\u041E', '\u039F', '\u0555', '0'], o: ['\u043E', '\u03BF', '\u0585', '0'],
}
const INVISIBLE = ['\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u00AD', '\u034F', '\u061C', '\u202E', '\u2066', '\uFE0F', '\u3164', '\u180E', '\u0000', '\u0007']

const fullwidth = (c: string) => String.fromCodePoint(c.codePointAt(0)! + (c <= 'Z' ? 0xff21 - 0x41 : 0xff41 - 0x61))
const mathBold = (c: string) => String.fromCodePoint(c <= 'Z' ? 0x1d400 + c.charCodeAt(0) - 0x41 : 0x1d41a + c.charCodeAt(0) - 0x61)
const sansBold = (c: string) => String.fromCodePoint(c <= 'Z' ? 0x1d5d4 + c.charCodeAt(0) - 0x41 : 0x1d5ee + c.charCodeAt(0) - 0x61)
const flip = (c: string) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())

/** Ways to write one Latin letter so that it looks the same (or differs only in case). */
function variants(letter: string): string[] {
  const forms = [letter, flip(letter)]
  return [...forms, ...forms.flatMap((c) => [fullwidth(c), mathBold(c), sansBold(c), ...(LOOKALIKES[c] ?? [])])]
}

const lookalikeName = fc.constantFrom(...systemRoles.map((role) => role.name)).chain((name) =>
  fc.tuple(...[...name].map((letter) => fc.constantFrom(...variants(letter)))).map((letters) => letters.join('')),
)
const spaces = fc.constantFrom('', ' ', '  ', '\u00A0', '\u3000')

it('any name that folds to a system role is refused: 409 already_exists, or 400 with an invisible character in it', async () => {
  await fc.assert(
    fc.asyncProperty(lookalikeName, spaces, spaces, fc.option(fc.tuple(fc.nat(), fc.constantFrom(...INVISIBLE))), async (name, before, after, hidden) => {
      let candidate = before + name + after
      if (hidden) {
        const at = hidden[0] % (candidate.length + 1)
        candidate = candidate.slice(0, at) + hidden[1] + candidate.slice(at)
      }
      const response = await createRole(candidate)
      expect({ status: response.statusCode, code: response.json().code }, JSON.stringify(candidate)).toEqual(
        hidden ? { status: 400, code: 'validation_failed' } : { status: 409, code: 'already_exists' },
      )
    }),
    { numRuns: 150 },
  )
})

let counter = 0
const word = fc.stringMatching(/^[A-Za-z][a-z]{2,10}$/)
const ordinaryName = fc.tuple(word, fc.option(word), fc.constantFrom('', ' team', ' (read only)', '-ops', ' Ünit', ' склад')).map(
  ([first, second, tail]) => `${first}${second ? ` ${second}` : ''}${tail} ${counter++}`,
)

it('ordinary names are accepted', async () => {
  await fc.assert(
    fc.asyncProperty(ordinaryName, async (name) => {
      const response = await createRole(name)
      expect(response.statusCode, `${name}: ${response.body}`).toBe(201)
      expect(response.json().name).toBe(name)
    }),
    { numRuns: 60 },
  )
})
