import { Type } from 'typebox'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()])
const Count = Type.Integer({ minimum: 0 })

/** The answer of an import: what went in, what was left out or changed and why (docs/decisions.md D57). */
export const ImportSummarySchema = Type.Object({
  tenant: Type.Object({ id: Type.String({ format: 'uuid' }), slug: Type.String() }),
  source: Type.Object({
    tenant_id: Nullable(Type.String()),
    slug: Nullable(Type.String()),
    name: Nullable(Type.String()),
    plan: Nullable(Type.String()),
    exported_at: Nullable(Type.String()),
    format_version: Type.Integer(),
    audit_chain_head: Nullable(Type.Object({ last_seq: Type.String(), last_hash: Type.String({ description: 'base64' }) })),
  }),
  sha256: Type.String({ description: 'SHA-256 of the file as read (hex), as recorded in the tenant.imported audit entries' }),
  rows: Type.Record(Type.String(), Count, { description: 'rows inserted, per table (users: matched or created)' }),
  users: Type.Object({ matched: Count, created: Count }, { description: 'matched: a user with the same email existed here; created: a new user without a password' }),
  skipped: Type.Record(Type.String(), Type.Object({ rows: Count, reason: Type.String(), keys: Type.Optional(Type.Array(Type.String())) }), { description: 'rows read but not inserted, per table' }),
  changed: Type.Array(Type.Object({ table: Type.String(), rows: Count, change: Type.String(), ids: Type.Optional(Type.Array(Type.String())) }), { description: 'rows inserted differently from the file, and why' }),
  invitations: Type.Array(
    Type.Object({ user_id: Type.String(), email: Type.String(), token: Type.String(), expires_at: Type.String() }),
    { description: 'a new invitation for each invited member; the tokens are shown this once (POST /api/v1/auth/accept-invite)' },
  ),
})
