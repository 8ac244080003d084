// What a tenant export holds: every tenant-scoped table of the registry, in the registry's order
// (a table after those it references, so an import can insert in file order), and the users who
// are members. Secrets and what is derived from them stay out: an export file is read and moved
// around by people, and must not let its reader sign webhooks, use keys or decrypt anything.
import { tenantTables } from '../../db/index.ts'

/** Tables left out entirely, and why. */
export const SKIPPED_TABLES: Readonly<Record<string, string>> = {
  tenant_data_keys: 'data keys wrapped by MASTER_KEY: they open encrypted configuration values',
  tenant_domains: 'proof of DNS ownership holds where it was made: a domain would route to the imported copy unproven (verify it again there)',
}

/** Columns left out of each table's rows (the rest of the row is exported). */
export const REDACTED_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  api_keys: ['key_hash'],
  invitations: ['token_hash'],
  tenant_configurations: ['encrypted_value'],
  webhook_endpoints: ['secret', 'previous_secret'],
}

/** Columns whose values are replaced by REDACTED, keeping their keys (custom webhook headers may hold credentials). */
export const REDACTED_VALUES: Readonly<Record<string, readonly string[]>> = {
  webhook_endpoints: ['headers'],
}

export const REDACTED = '[redacted]'

/** The tables an export reads, in order. */
export const exportedTables = (): string[] => tenantTables().filter((table) => !(table in SKIPPED_TABLES))

/** The members' user records: never the password hash. */
export const MEMBER_USERS_SQL = `
  select u.id, u.email, u.name, u.status, u.created_at
    from tenant_users tu join users u on u.id = tu.user_id
   where tu.tenant_id = $1
   order by u.created_at, u.id`

/** The system roles (global) by id and name: what a membership's role_id means in this deployment. */
export const SYSTEM_ROLES_SQL = 'select id, name from roles order by name'
