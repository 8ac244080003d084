// The members' users of an export, matched or created in this deployment. Users are global: one
// person, many tenants. A file's user is the person with the same email here when there is one
// (their account, password and status untouched), else a new user without a password, who joins
// by an invitation. The file's user id is kept when it is free; either way the import maps the
// file's ids to this deployment's for every reference (memberships, keys' creators, logs).
import { randomUUID } from 'node:crypto'
import type { TenantTx } from '../../db/index.ts'
import { normaliseEmail } from '../users/index.ts'
import { isUuid } from '../../lib/uuid.ts'
import { invalidFile } from './import-reader.ts'

// The fields an export writes for a user (export-plan.ts MEMBER_USERS_SQL). Anything else — a
// password hash, a platform-admin flag — is refused: an import takes no credential from a file.
const USER_FIELDS = new Set(['id', 'email', 'name', 'status', 'created_at'])

interface Target {
  id: string
  email: string
  hasPassword: boolean
}

export class ImportedUsers {
  private readonly byFileId = new Map<string, Target>()
  private readonly byTargetId = new Map<string, Target>()
  private readonly emails = new Set<string>()
  private readonly fileIds = new Set<string>()
  matched = 0
  created = 0

  /** The target of a file's user id (memberships, api_keys.created_by …). */
  get(fileId: unknown): Target | undefined {
    return typeof fileId === 'string' ? this.byFileId.get(fileId.toLowerCase()) : undefined
  }

  /** A target user by this deployment's id (after a membership's user_id was mapped). */
  target(id: unknown): Target | undefined {
    return typeof id === 'string' ? this.byTargetId.get(id) : undefined
  }

  /** Matches or creates one batch of the file's users. */
  async add(tx: TenantTx, rows: { row: Record<string, unknown>; at: string }[]): Promise<void> {
    const users = rows.map(({ row, at }) => this.validate(row, at))
    const { rows: existing } = await tx.query<{ id: string; email: string; has_password: boolean }>(
      // An erased account is nobody: its placeholder address matches no one (a new row with it is refused).
      "select id, email, has_password from users where email = any($1::text[]) and status <> 'erased'",
      [users.map((user) => user.email)],
    )
    const byEmail = new Map(existing.map((user) => [user.email, user]))
    const missing = users.filter((user) => !byEmail.has(user.email))
    const { rows: taken } = await tx.query<{ id: string }>('select id from users where id = any($1::uuid[])', [missing.map((user) => user.id)])
    const takenIds = new Set(taken.map((row) => row.id))
    const created = missing.map((user) => ({ ...user, newId: takenIds.has(user.id) ? randomUUID() : user.id }))
    const newIds = new Map(created.map((user) => [user.id, user.newId]))
    if (created.length > 0) {
      // Created disabled when the source had them so; never with a password or platform rights.
      await tx.query(
        `insert into users (id, email, name, status, default_tenant_id)
         select u.id, u.email, u.name, u.status, $2 from jsonb_to_recordset($1::jsonb) as u(id uuid, email text, name text, status text)`,
        [JSON.stringify(created.map((user) => ({ id: user.newId, email: user.email, name: user.name, status: user.status === 'active' ? 'active' : 'disabled' }))), tx.tenantId],
      )
    }
    for (const user of users) {
      const found = byEmail.get(user.email)
      if (found) this.matched += 1
      const target = found ? { id: found.id, email: found.email, hasPassword: found.has_password } : { id: newIds.get(user.id)!, email: user.email, hasPassword: false }
      this.byFileId.set(user.id, target)
      this.byTargetId.set(target.id, target)
    }
    this.created += created.length
  }

  private validate(row: Record<string, unknown>, at: string): { id: string; email: string; name: string | null; status: unknown } {
    const unknown = Object.keys(row).filter((key) => !USER_FIELDS.has(key))
    if (unknown.length > 0) throw invalidFile('unknown_column', `${at}: users carry no ${unknown.join(', ')} in an import`, { at, table: 'users', columns: unknown })
    const { id, email, name, status } = row
    if (!isUuid(id)) throw invalidFile('rejected_row', `${at}: a user needs a uuid id`, { at, table: 'users' })
    if (typeof email !== 'string' || !email.includes('@')) throw invalidFile('rejected_row', `${at}: a user needs an email`, { at, table: 'users' })
    if (name !== null && name !== undefined && typeof name !== 'string') throw invalidFile('rejected_row', `${at}: a user's name is text`, { at, table: 'users' })
    const normalised = normaliseEmail(email)
    if (this.fileIds.has(id.toLowerCase()) || this.emails.has(normalised)) throw invalidFile('rejected_row', `${at}: the file names this user twice`, { at, table: 'users' })
    this.emails.add(normalised)
    this.fileIds.add(id.toLowerCase())
    return { id: id.toLowerCase(), email: normalised, name: (name as string | null | undefined) ?? null, status }
  }
}
