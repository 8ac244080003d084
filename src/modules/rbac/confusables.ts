// A small part of Unicode's confusables data (UTS #39, confusables.txt): the letters of other
// scripts that look like Latin letters, with the Latin letter each is read as, plus the digits and
// dashes that pass for letters and the hyphen. Role names go through NFKC first, which already
// folds fullwidth, mathematical, circled and other compatibility forms; what is left to catch is
// the letters NFKC keeps apart. The table covers the Latin alphabet wherever Cyrillic (Cy),
// Greek (Gr), Armenian (Ar) or Cherokee (Ch) has a lookalike in common fonts, not only the
// system roles' letters, since custom names are compared with each other too. A complete table
// is a library's job (the npm package `unhomoglyph` ships all of confusables.txt); this is what
// role names need meanwhile. Latin letters themselves are never mapped: case is folded apart.

/** Each row: the Latin letter, then the code points read as it. */
const ROWS: readonly (readonly [latin: string, lookalikes: string])[] = [
  ['A', '\u0410\u0391\u13AA'], // Cy А, Gr Α, Ch Ꭺ
  ['B', '\u0412\u0392\u13F4'], // Cy В, Gr Β, Ch Ᏼ
  ['C', '\u0421\u03F9\u13DF'], // Cy С, Gr Ϲ, Ch Ꮯ
  ['D', '\u13A0'], // Ch Ꭰ
  ['E', '\u0415\u0395\u13AC'], // Cy Е, Gr Ε, Ch Ꭼ
  ['G', '\u050C\u13C0'], // Cy Ԍ, Ch Ꮐ
  ['H', '\u041D\u0397\u13BB'], // Cy Н, Gr Η, Ch Ꮋ
  ['I', '\u0406\u04C0\u0399'], // Cy І, Cy Ӏ, Gr Ι
  ['J', '\u0408\u037F\u13AB'], // Cy Ј, Gr Ϳ, Ch Ꭻ
  ['K', '\u041A\u039A\u13E6'], // Cy К, Gr Κ, Ch Ꮶ
  ['L', '\u13DE'], // Ch Ꮮ
  ['M', '\u041C\u039C\u13B7'], // Cy М, Gr Μ, Ch Ꮇ
  ['N', '\u039D'], // Gr Ν
  ['O', '\u041E\u039F\u0555'], // Cy О, Gr Ο, Ar Օ
  ['P', '\u0420\u03A1\u13E2'], // Cy Р, Gr Ρ, Ch Ꮲ
  ['Q', '\u051A'], // Cy Ԛ
  ['R', '\u13A1'], // Ch Ꭱ
  ['S', '\u0405\u054F\u13DA'], // Cy Ѕ, Ar Տ, Ch Ꮪ
  ['T', '\u0422\u03A4\u13A2'], // Cy Т, Gr Τ, Ch Ꭲ
  ['U', '\u054D'], // Ar Ս
  ['V', '\u13D9'], // Ch Ꮩ
  ['W', '\u051C\u13B3'], // Cy Ԝ, Ch Ꮃ
  ['X', '\u0425\u03A7'], // Cy Х, Gr Χ
  ['Y', '\u0423\u04AE\u03A5'], // Cy У, Cy Ү, Gr Υ
  ['Z', '\u0396\u13C3'], // Gr Ζ, Ch Ꮓ
  ['a', '\u0430\u03B1\u0251'], // Cy а, Gr α, Latin alpha ɑ
  ['c', '\u0441\u03F2'], // Cy с, Gr ϲ
  ['d', '\u0501'], // Cy ԁ
  ['e', '\u0435'], // Cy е
  ['g', '\u0581\u0261'], // Ar ց, Latin script g ɡ
  ['h', '\u04BB\u0570'], // Cy һ, Ar հ
  ['i', '\u0456\u03B9\u0131\u0269'], // Cy і, Gr ι, dotless ı, Latin iota ɩ
  ['j', '\u0458\u03F3\u0237'], // Cy ј, Gr ϳ, dotless ȷ
  ['l', '\u04CF\u01C0\u0031'], // Cy ӏ, Latin click ǀ, digit one
  ['n', '\u0578\u03B7'], // Ar ո, Gr η
  ['o', '\u043E\u03BF\u0585\u0030'], // Cy о, Gr ο, Ar օ, digit zero
  ['p', '\u0440\u03C1'], // Cy р, Gr ρ
  ['q', '\u051B'], // Cy ԛ
  ['s', '\u0455'], // Cy ѕ
  ['u', '\u057D\u03C5'], // Ar ս, Gr υ
  ['v', '\u03BD'], // Gr ν
  ['w', '\u051D'], // Cy ԝ
  ['x', '\u0445'], // Cy х
  ['y', '\u0443\u04AF\u03B3'], // Cy у, Cy ү, Gr γ
  ['-', '\u2010\u2011\u2012\u2013\u2212\u02D7'], // hyphens, figure and en dash, minus, modifier minus
]

/** Each lookalike code point → the Latin letter (or hyphen) it is read as. */
export const CONFUSABLE_TO_LATIN: ReadonlyMap<string, string> = new Map(
  ROWS.flatMap(([latin, lookalikes]) => [...lookalikes].map((lookalike) => [lookalike, latin] as const)),
)

/**
 * Lookalikes found after migration 0015 stored every role's skeleton (an outside probe named
 * custom roles "Aᴅmin", "Admiռ", "ᗅdmin", "Adrnin" next to the real Admin). Adding them to
 * CONFUSABLE_TO_LATIN would change stored skeletons, which needs a migration recomputing them;
 * until then they are applied where nothing is stored: the comparison with the system roles.
 */
const LATE_ROWS: readonly (readonly [latin: string, lookalikes: string])[] = [
  ['a', '\u1D00\u15C5'], // small capital A, Canadian syllabics ᗅ
  ['b', '\u0299'], // small capital B
  ['c', '\u1D04'], // small capital C
  ['d', '\u1D05'], // small capital D
  ['e', '\u1D07'], // small capital E
  ['g', '\u0262'], // small capital G
  ['h', '\u029C'], // small capital H
  ['i', '\u026A'], // small capital I
  ['j', '\u1D0A'], // small capital J
  ['k', '\u1D0B'], // small capital K
  ['l', '\u029F'], // small capital L
  ['m', '\u1D0D'], // small capital M
  ['n', '\u0274\u057C'], // small capital N, Armenian ռ
  ['o', '\u1D0F'], // small capital O
  ['p', '\u1D18'], // small capital P
  ['r', '\u0280'], // small capital R
  ['s', '\uA731'], // small capital S
  ['t', '\u1D1B'], // small capital T
  ['u', '\u1D1C'], // small capital U
  ['v', '\u1D20'], // small capital V
  ['w', '\u1D21'], // small capital W
  ['y', '\u028F'], // small capital Y
  ['z', '\u1D22'], // small capital Z
]
const LATE_TO_LATIN: ReadonlyMap<string, string> = new Map(LATE_ROWS.flatMap(([latin, lookalikes]) => [...lookalikes].map((lookalike) => [lookalike, latin] as const)))

/**
 * A skeleton (role-name.ts) as compared with the system roles' names: the late lookalikes mapped,
 * a dot above an i or j dropped (it already has one: "Admİn" decomposes to that), and "rn" read as
 * the "m" it passes for (confusables.txt maps it so).
 */
export function systemComparisonForm(skeleton: string): string {
  return Array.from(skeleton, (char) => LATE_TO_LATIN.get(char) ?? char).join('').replace(/([ij])\u0307/gu, '$1').replace(/rn/gu, 'm')
}
