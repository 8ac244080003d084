import { hash, verify } from '@node-rs/argon2'
import bcrypt from 'bcryptjs'
import type { PasswordPolicy } from '../plans/index.ts'

// OWASP's argon2id minimum: 19 MiB, 2 passes, 1 lane (~60 ms here). Raising it slows every login.
const ARGON2 = { algorithm: 2 /* Algorithm.Argon2id (a const enum) */, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const
export const MAX_PASSWORD_BYTES = 256

// Verified against when the email is unknown, so both answers take one argon2 verification.
let dummyHash: Promise<string> | undefined
const dummy = () => (dummyHash ??= hash('tenantry-timing-equaliser', ARGON2))

/** Computes the dummy hash ahead of the first login, so that login is not slower than the rest. */
export async function warmUpPasswordHashing(): Promise<void> {
  await dummy()
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2)
}

export interface Verification {
  ok: boolean
  /** The stored hash is legacy (bcrypt) or weaker than today's parameters: re-hash on success. */
  needsRehash: boolean
}

/** Verifies argon2id hashes and legacy bcrypt ones. `storedHash` undefined = unknown account. */
export async function verifyPassword(storedHash: string | null | undefined, password: string): Promise<Verification> {
  if (!storedHash) {
    await verify(await dummy(), password).catch(() => false)
    return { ok: false, needsRehash: false }
  }
  if (/^\$2[aby]\$/.test(storedHash)) {
    return { ok: await bcrypt.compare(password, storedHash), needsRehash: true }
  }
  const ok = await verify(storedHash, password).catch(() => false)
  return { ok, needsRehash: ok && !storedHash.startsWith(`$argon2id$v=19$m=${ARGON2.memoryCost},t=${ARGON2.timeCost},p=${ARGON2.parallelism}$`) }
}

/** What the policy refuses about this password, one phrase each (empty = acceptable). */
export function passwordProblems(password: string, policy: PasswordPolicy): string[] {
  const problems: string[] = []
  if ([...password].length < policy.min_length) problems.push(`at least ${policy.min_length} characters`)
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) problems.push(`at most ${MAX_PASSWORD_BYTES} bytes`)
  if (policy.require_uppercase && !/\p{Lu}/u.test(password)) problems.push('an uppercase letter')
  if (policy.require_lowercase && !/\p{Ll}/u.test(password)) problems.push('a lowercase letter')
  if (policy.require_digit && !/\p{Nd}/u.test(password)) problems.push('a digit')
  if (policy.require_symbol && !/[^\p{L}\p{Nd}]/u.test(password)) problems.push('a symbol')
  return problems
}
