// Custom role names, and when two of them are the same name (docs/decisions.md D77). Members and
// API keys are given roles by name, and people pick a role from a list by how it reads: a custom
// role that reads as "Admin" next to the real Admin is a trap. So names are compared by a
// skeleton in the manner of UTS #39, and names with characters nobody sees are refused.
import { AppError } from '../../errors/index.ts'
import { CONFUSABLE_TO_LATIN, systemComparisonForm } from './confusables.ts'
import { systemRoles } from './permission-catalog.ts'

// Control, format (zero-width joiners, bidi overrides, soft hyphen, BOM), private use, lone
// surrogates, unassigned code points, line and paragraph separators, and every default-ignorable
// code point (variation selectors, the combining grapheme joiner, Hangul fillers): characters
// that show nothing, or not the same thing everywhere, in a name.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Cn}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u

export interface CheckedRoleName {
  /** The name as stored and shown: the one given, without surrounding white space. */
  name: string
  /** What the name reads as; unique in a tenant, and never a system role's. */
  skeleton: string
}

/**
 * What a name reads as: NFKC (fullwidth and mathematical letters become plain ones), lookalikes
 * of other scripts become the Latin letters they pass for, case folded, white space runs made one
 * space. Not for display: "Склад" becomes a mix of scripts. Stable across releases only as long as
 * this function is: changing it needs a migration recomputing tenant_roles.name_skeleton.
 */
export function roleNameSkeleton(name: string): string {
  const latin = (text: string) => Array.from(text, (char) => CONFUSABLE_TO_LATIN.get(char) ?? char).join('')
  // toUpperCase first: full case folding ("ß" and "SS" meet); the second pass maps what folding made.
  const folded = latin(latin(name.normalize('NFKC').normalize('NFD')).toUpperCase().toLowerCase())
  return folded.normalize('NFD').replace(/\s+/gu, ' ').trim()
}

const SYSTEM_SKELETONS: ReadonlyMap<string, string> = new Map(systemRoles.map((role) => [systemComparisonForm(roleNameSkeleton(role.name)), role.name]))

/**
 * A custom role's name checked on its own: 400 for an empty one or one with an invisible
 * character (named by code point), 409 already_exists for one that reads as a system role.
 * Whether another custom role of the tenant reads the same is the caller's (database) question.
 */
export function checkRoleName(raw: string): CheckedRoleName {
  const hidden = INVISIBLE.exec(raw)
  if (hidden) {
    const codePoint = `U+${hidden[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`
    throw new AppError('validation_failed', `the role name contains ${codePoint}, an invisible or control character: type the name without it`, {
      field: 'name',
      character: codePoint,
    })
  }
  const name = raw.trim()
  if (name.length === 0) throw new AppError('validation_failed', 'the role needs a name', { field: 'name' })
  const skeleton = roleNameSkeleton(name)
  const system = SYSTEM_SKELETONS.get(systemComparisonForm(skeleton))
  if (system !== undefined) throw nameTaken(name, system)
  return { name, skeleton }
}

/** 409 already_exists: `existing` is the role whose name this one reads as (the same one, or a lookalike). */
export function nameTaken(name: string, existing: string): AppError {
  const detail = name === existing ? `a role named ${name} already exists` : `the name ${name} reads as the existing role ${existing}: choose another`
  return new AppError('already_exists', detail, { field: 'name', existing })
}
