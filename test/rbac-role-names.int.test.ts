// Role names that only look different (issue 18): a custom role may not take a name that reads
// as a system role's or as another custom role's of the tenant once Unicode compatibility forms,
// case, and letters of other scripts that look Latin are folded (409 already_exists); names
// with invisible, control or format characters are refused outright (400).
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { bearer } from './support/api.ts'
import { behindLock, expectOk, expectProblem, onPostgresOnly, ownerRows, tenantSuite } from './support/platform.ts'

const suite = tenantSuite()

const createRole = (name: string, token = suite.org.token) => suite.api.app.inject({ method: 'POST', url: '/api/v1/roles', headers: bearer(token), payload: { name, permissions: [] } })
const rename = (id: string, name: string) => suite.api.app.inject({ method: 'PATCH', url: `/api/v1/roles/${id}`, headers: bearer(suite.org.token), payload: { name } })
/** Refused with this status and code, naming the field, and nothing stored. */
async function refused(name: string, status: number, code: string): Promise<Record<string, unknown>> {
  const body = expectProblem(await createRole(name), status, code)
  expect(body).toMatchObject({ field: 'name' })
  expect(await ownerRows(suite.api, 'select 1 from tenant_roles where tenant_id = $1 and name = $2', [suite.org.tenantId, name.trim()])).toEqual([])
  return body
}
// Letters only: the digits 0 and 1 read as o and l, which would make the expected skeletons harder to write.
const suffix = () => randomUUID().slice(0, 6).replace(/[0-9]/g, (digit) => 'ghijklmnop'[Number(digit)]!)

describe('names that look like a system role', () => {
  const lookalikes = [
    ['\u0410dmin', 'Cyrillic capital A'],
    ['ADMIN', 'upper case'],
    ['Admin ', 'a trailing space'],
    ['\uFF21dmin', 'fullwidth A'],
    ['\u{1D400}\u{1D41D}\u{1D426}\u{1D422}\u{1D427}', 'mathematical bold'],
    ['Adm\u0131n', 'dotless i'],
    ['M\u0391N\u0391GER', 'Greek capital alphas'],
    ['\u0410n\u0430lyst', 'Cyrillic a, both cases'],
    ['Audit\u043Er', 'Cyrillic o'],
    ['\u13AAdmin', 'Cherokee A'],
    ['Audit\u0585r', 'Armenian o'],
    ['Audit0r', 'digit zero'],
    // Probe: these read as Admin and were accepted as custom roles.
    ['A\u1D05min', 'small capital D'],
    ['Ad\u1D0Din', 'small capital M'],
    ['Admi\u0274', 'small capital N'],
    ['Admi\u057C', 'Armenian n'],
    ['\u15C5dmin', 'Canadian syllabics A'],
    ['Adm\u0130n', 'capital I with a dot'],
    ['Admi\u0307n', 'a second dot on the i'],
    ['Adrnin', 'r and n for m'],
  ] as const

  it.each(lookalikes)('%j (%s) is 409 already_exists, naming the role it looks like', async (name) => {
    expect((await refused(name, 409, 'already_exists')).existing).toMatch(/^(Admin|Manager|Analyst|Auditor)$/)
  })

  it('a rename to a lookalike of a system role is refused the same way', async () => {
    const role = expectOk(await createRole(`Plain ${suffix()}`), 201)
    expectProblem(await rename(role.id, 'M\u0430nager'), 409, 'already_exists')
  })
})

describe('names with invisible, control or format characters', () => {
  const invisible = [
    ['Ad\u200Bmin', 'zero-width space'],
    ['Ad\u200Dmin', 'zero-width joiner'],
    ['\uFEFFAdmin', 'byte order mark'],
    ['\u202EAdmin', 'right-to-left override'],
    ['Ad\u00ADmin', 'soft hyphen'],
    ['Adm\u034Fin', 'combining grapheme joiner'],
    ['Admin\uFE0F', 'variation selector'],
    ['\u3164Admin', 'Hangul filler'],
    ['Ad\tmin', 'tab'],
    ['Ad\u2028min', 'line separator'],
    ['Ad\uE000min', 'private use'],
    ['Stock\u200B keeper', 'zero-width space in an ordinary name'],
  ] as const

  it.each(invisible)('%j (%s) is 400 validation_failed naming the character', async (name) => {
    expect((await refused(name, 400, 'validation_failed')).detail).toMatch(/U\+[0-9A-F]{4}/)
  })
})

describe('names that look like another custom role of the tenant', () => {
  it('are 409; the same name is free in another tenant; a role may take another form of its own name', async () => {
    const name = `Stock Keeper ${suffix()}`
    const role = expectOk(await createRole(name), 201)
    for (const candidate of [name.replace('S', '\u0405').replace('K', '\u041A'), name.replace(' ', '  '), name.toLowerCase(), name.replace('o', '\u03BF')]) {
      expectProblem(await createRole(candidate), 409, 'already_exists')
    }
    const other = expectOk(await createRole(`Other ${suffix()}`), 201)
    expectProblem(await rename(other.id, name.replace('e', '\u0435')), 409, 'already_exists')
    expect(expectOk(await rename(role.id, name.toUpperCase())).name).toBe(name.toUpperCase())
    const elsewhere = await suite.api.signUp()
    expect((await createRole(name.replace('S', '\u0405'), elsewhere.token)).statusCode).toBe(201)
  })

  it('ordinary names stay accepted, accents and other scripts included', async () => {
    for (const name of ['Gérant', 'Gerant', 'Buchhaltung', 'Склад', '倉庫管理', 'Admin assistant', 'Adm1n', 'Auditors', 'Αθήνα']) {
      expect((await createRole(`${name} ${suffix()}`)).statusCode, name).toBe(201)
    }
  })

  it('stores the folded name, and a unique index on it refuses a second row with it', async () => {
    const name = `Ledger ${suffix()}`
    const role = expectOk(await createRole(name), 201)
    const [row] = await ownerRows<{ name_skeleton: string }>(suite.api, 'select name_skeleton from tenant_roles where tenant_id = $1 and id = $2', [suite.org.tenantId, role.id])
    expect(row!.name_skeleton).toBe(name.toLowerCase())
    await expect(ownerRows(suite.api, "insert into tenant_roles (tenant_id, name, name_skeleton) values ($1, 'x', $2)", [suite.org.tenantId, row!.name_skeleton])).rejects.toMatchObject({ code: '23505' })
  })

  onPostgresOnly('two lookalikes created at once: one is created, the other is 409', async () => {
    const name = `Racer ${suffix()}`
    const skeleton = name.toLowerCase()
    const responses = await behindLock(
      suite.api,
      {
        // An uncommitted row holds the index entry: both requests pass the check and wait on it.
        sql: "insert into tenant_roles (tenant_id, name, name_skeleton) values ($1, 'lock holder', $2)",
        params: [suite.org.tenantId, skeleton],
        waiters: 2,
        beforeRelease: (session) => session.query("delete from tenant_roles where tenant_id = $1 and name = 'lock holder'", [suite.org.tenantId]).then(() => undefined),
      },
      () => Promise.all([createRole(name), createRole(name.replace('a', '\u0430'))]),
    )
    expect(responses.map((response) => response.statusCode).sort()).toEqual([201, 409])
    expect(await ownerRows(suite.api, 'select 1 from tenant_roles where tenant_id = $1 and name_skeleton = $2', [suite.org.tenantId, skeleton])).toHaveLength(1)
  })
})
