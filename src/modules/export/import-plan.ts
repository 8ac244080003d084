// What an import does with each table of an export (docs/decisions.md D57). The export left the
// secrets out (export-plan.ts), so what depended on them cannot come back as it was: each such
// table is imported changed, or not at all, and the summary says which and why. Every other
// table is copied as it is, its tenant_id replaced by the target's.
import { randomBytes } from 'node:crypto'
import type { TenantTx } from '../../db/index.ts'
import { checkRoleName } from '../rbac/index.ts'
import { assertEndpointFields } from '../webhooks/webhooks.service.ts'
import { REDACTED } from './export-plan.ts'
import { invalidFile } from './import-reader.ts'

/** Tables read (and counted) but not inserted, and why. */
export const NOT_IMPORTED: Readonly<Record<string, string>> = {
  audit_log:
    "each entry's hash covers its tenant, so copied entries cannot verify in this tenant's chain: the tenant.imported entry records the file's SHA-256 and the source chain's head instead (the file's own entries still verify against the source tenant's id)",
  audit_chain_heads: 'the target keeps its own chain (see audit_log)',
  audit_chain_witnesses: 'the target keeps its own chain (see audit_log)',
  invitations: "their tokens are not in the file and name the source tenant: invited members get new invitations",
  usage_daily: "metering of the source tenant's traffic: copied, the same requests would count twice against quotas and in billing",
}

/**
 * Tenant tables that may hold rows in an "empty" tenant: logs, metering and data keys, which every
 * tenant gains from operators' calls, and which the import appends to or leaves alone.
 * tenant_configurations may hold what provisioning wrote (DEFAULT_CONFIGURATION), nothing else.
 */
export const IGNORED_FOR_EMPTINESS: ReadonlySet<string> = new Set(['audit_log', 'audit_chain_heads', 'audit_chain_witnesses', 'rbac_audit_log', 'usage_daily', 'tenant_data_keys'])

// The dispatcher claims these; a copied delivery in one of them would be sent by the import.
const DUE_DELIVERY = new Set(['pending', 'delivering', 'failed'])

type Row = Record<string, unknown>

/** What the rules need from the import run in progress. */
export interface RuleContext {
  tx: TenantTx
  /** The target's id of a user of the file, or undefined when the file had no such user. */
  userId(fileUserId: unknown): string | undefined
  /** The target's system role for a file's role id; refuses an unknown one. */
  roleId(fileRoleId: unknown, at: string): string
  /** A new sealed secret for an imported webhook endpoint (WebhooksService.sealUnseenSecret). */
  sealSecret(endpointId: string): Promise<{ value: string; key_version: number | null }>
  /** The members without a password here (not suspended): they get invitations. */
  invited(row: Row): boolean
  note: Notes
}

/** The summary's "changed" and "skipped" lines, counted as rows go by. */
export interface Notes {
  changed(table: string, change: string, id?: string): void
  skipped(table: string, reason: string, key?: string): void
}

export interface TableRule {
  /** A reason when this row is not imported. */
  skip?(row: Row): string | undefined
  /** Changes the row in place before it is inserted. */
  transform?(row: Row, context: RuleContext, at: string): void | Promise<void>
}

export const IMPORT_RULES: Readonly<Record<string, TableRule>> = {
  tenant_users: {
    transform(row, context, at) {
      row.user_id = context.userId(row.user_id) ?? refuse(`${at}: the membership's user is not among the file's users`, at)
      if (row.role_id !== null && row.role_id !== undefined) row.role_id = context.roleId(row.role_id, at)
      if (context.invited(row)) {
        if (row.status !== 'invited') context.note.changed('tenant_users', CHANGES.invited)
        row.status = 'invited'
      } else if (row.status === 'invited') {
        context.note.changed('tenant_users', CHANGES.joinedActive)
        row.status = 'active'
      }
    },
  },
  tenant_roles: {
    transform(row, _context, at) {
      // A name the roles API refuses (invisible characters, a system role's lookalike) is refused
      // here too; the skeleton is computed, whatever the file says (exports before 0015 have none).
      if (typeof row.name !== 'string') refuse(`${at}: a role needs its name`, at)
      try {
        const { name, skeleton } = checkRoleName(row.name as string)
        Object.assign(row, { name, name_skeleton: skeleton })
      } catch (error) {
        refuse(`${at}: ${(error as Error).message}`, at)
      }
    },
  },
  tenant_configurations: {
    skip: (row) => (row.is_encrypted === true ? 'encrypted values are not in the file (they would need the source data key): set them again' : undefined),
  },
  api_keys: {
    transform(row, context, at) {
      // CAUTION: no key in the file can work here. A random digest matches no key (SHA-256
      // preimage), and the key is revoked besides; the row stays as a record of what existed.
      row.key_hash = `\\x${randomBytes(32).toString('hex')}`
      if (row.revoked_at === null || row.revoked_at === undefined) {
        row.revoked_at = new Date().toISOString()
        context.note.changed('api_keys', CHANGES.revoked, String(row.id))
      }
      if (row.role_id !== null && row.role_id !== undefined) row.role_id = context.roleId(row.role_id, at)
      // The creator is kept when they are a member in the file, else forgotten (a user reference).
      if (row.created_by !== null && row.created_by !== undefined) row.created_by = context.userId(row.created_by) ?? null
    },
  },
  rbac_audit_log: {
    transform(row, context) {
      if (row.user_id) row.user_id = context.userId(row.user_id) ?? row.user_id
    },
  },
  inventory_adjustments: {
    transform(row, context) {
      if (row.actor_type === 'user' && row.actor_id) row.actor_id = context.userId(row.actor_id) ?? row.actor_id
    },
  },
  webhook_endpoints: {
    async transform(row, context, at) {
      if (typeof row.id !== 'string') refuse(`${at}: a webhook endpoint needs its id`, at)
      // What creating it through the API would refuse, the file may not bring in either.
      if (!Array.isArray(row.events) || !row.headers || typeof row.headers !== 'object') refuse(`${at}: a webhook endpoint needs its events and headers`, at)
      try {
        assertEndpointFields({ events: row.events as string[], headers: row.headers as Record<string, string> })
      } catch (error) {
        refuse(`${at}: ${(error as Error).message}`, at)
      }
      const sealed = await context.sealSecret(row.id as string)
      Object.assign(row, { secret: sealed.value, secret_key_version: sealed.key_version, previous_secret: null, previous_secret_key_version: null, previous_secret_expires_at: null })
      row.status = 'disabled'
      const redacted = Object.values(row.headers as Record<string, string>).includes(REDACTED)
      context.note.changed('webhook_endpoints', redacted ? CHANGES.disabledWithHeaders : CHANGES.disabled, row.id as string)
    },
  },
  webhook_deliveries: {
    transform(row, context) {
      Object.assign(row, { lease_until: null, lease_token: null })
      if (typeof row.status === 'string' && DUE_DELIVERY.has(row.status)) {
        row.status = 'dlq'
        context.note.changed('webhook_deliveries', CHANGES.deadLettered)
      }
    },
  },
}

const CHANGES = {
  joinedActive:
    'active instead of invited: the person already has an account with a password here, and an invitation token would sign its holder in to that account; they join as POST /members adds an existing account',
  invited:
    'invited instead of active: the person has no password in this deployment; a new invitation each, its token in "invitations" (shown once)',
  revoked: 'imported revoked: the export leaves key hashes out, so no key of the file can work; create new keys',
  disabled:
    'imported disabled with a new secret nobody has seen: rotate it (POST /api/v1/webhooks/:id/rotate-secret), give it to the receiver, then PATCH status active',
  disabledWithHeaders:
    'imported disabled with a new secret nobody has seen, and header values the export replaced by "[redacted]": set the headers and rotate the secret, then PATCH status active',
  deadLettered: 'still due in the source: dead-lettered (status dlq) so that the import sends nothing; replay them once the endpoint works',
}

function refuse(message: string, at: string): never {
  throw invalidFile('rejected_row', message, { at })
}
