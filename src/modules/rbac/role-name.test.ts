// The skeleton role names are compared by (D77), on its own: what meets and what stays apart.
import { expect, it } from 'vitest'
import { checkRoleName, roleNameSkeleton } from './role-name.ts'

it('folds case, compatibility forms, lookalike letters and white space runs', () => {
  const admin = roleNameSkeleton('Admin')
  for (const name of ['ADMIN', '\uFF21\uFF24\uFF2D\uFF29\uFF2E', '\u0410dm\u0456n', '\u{1D5D4}dmin', 'Adm\u0131n']) expect(roleNameSkeleton(name), name).toBe(admin)
  expect(roleNameSkeleton('Stra\u00DFe')).toBe(roleNameSkeleton('STRASSE'))
  expect(roleNameSkeleton('Stock\u00A0 \u3000Keeper')).toBe(roleNameSkeleton('stock keeper'))
  expect(roleNameSkeleton('Night\u2010shift')).toBe(roleNameSkeleton('night-shift'))
  expect(roleNameSkeleton('\u041C\u0391\u13AA')).toBe('maa')
})

it('keeps accents, digits other than 0 and 1, and other words apart', () => {
  expect(roleNameSkeleton('G\u00E9rant')).not.toBe(roleNameSkeleton('Gerant'))
  expect(roleNameSkeleton('Adm1n')).not.toBe(roleNameSkeleton('Admin'))
  expect(roleNameSkeleton('Team 2')).not.toBe(roleNameSkeleton('Team Z'))
  expect(roleNameSkeleton('Admins')).not.toBe(roleNameSkeleton('Admin'))
})

it('checkRoleName trims, refuses invisible characters by code point and system lookalikes by name', () => {
  expect(checkRoleName('  Packers ')).toEqual({ name: 'Packers', skeleton: 'packers' })
  expect(() => checkRoleName('Pack\u200Bers')).toThrow(expect.objectContaining({ code: 'validation_failed', details: expect.objectContaining({ character: 'U+200B' }) }))
  expect(() => checkRoleName('\uFEFF')).toThrow(expect.objectContaining({ details: expect.objectContaining({ character: 'U+FEFF' }) }))
  expect(() => checkRoleName('   ')).toThrow(expect.objectContaining({ code: 'validation_failed' }))
  expect(() => checkRoleName('\u0410uditor')).toThrow(expect.objectContaining({ code: 'already_exists', details: expect.objectContaining({ existing: 'Auditor' }) }))
})
