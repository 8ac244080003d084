import { runWithTenant, tryGetContext } from '../../context/index.ts'
import { withSystem, withTenant, type Database, type TenantTx } from '../../db/index.ts'
import { AppError, notFound } from '../../errors/index.ts'
import { canonicalJson, recordAudit, recordPlatformAction } from '../audit/index.ts'
import * as repository from './config.repository.ts'
import type { ConfigEntryRow, SealedEntryRow } from './config.repository.ts'
import { CONFIG_KEY_PATTERN } from './config.schemas.ts'
import { currentDataKey, unwrap, type MasterKeys } from './data-keys.ts'
import { decryptValue, DecryptionError, encryptValue } from './envelope-crypto.ts'
import { isPlainObject } from '../../lib/plain-object.ts'
import { isLiveTenant } from '../tenants/index.ts'
import { assertNotReserved } from './reserved-keys.ts'

// Largest value accepted, as serialized JSON: configuration, not a document store. Encrypted
// values are sealed whole, so this also bounds what one reveal decrypts.
export const MAX_VALUE_BYTES = 64 * 1024

/** An entry as callers see it: encrypted values masked (value null) unless revealed. */
export interface ConfigEntry {
  key: string
  value: unknown
  is_encrypted: boolean
  masked?: true
  updated_at: Date
}

export interface PutConfigInput {
  value: unknown
  /** Omitted: an existing entry keeps its mode (a secret is never downgraded by accident); a new one is plain. */
  is_encrypted?: boolean
}

const ENCRYPTION_UNAVAILABLE = 'set MASTER_KEY (32 bytes, base64) to store encrypted values'

/**
 * The tenant's configuration (tenant in context). Encrypted values are sealed under the tenant's
 * data key (envelope-crypto.ts, data-keys.ts); they leave the service only through reveal().
 */
export class ConfigService {
  private readonly db: Database
  private readonly masterKeys: MasterKeys | undefined

  constructor(
    db: Database,
    masterKeys: MasterKeys | undefined,
  ) {
    this.db = db
    this.masterKeys = masterKeys
  }

  async list(options: { limit?: number; cursor?: string }): Promise<{ data: ConfigEntry[]; next_cursor: string | null }> {
    const limit = options.limit ?? 50
    const rows = await withTenant(this.db, (tx) => repository.listEntries(tx, limit, decodeKeyCursor(options.cursor)))
    const data = rows.slice(0, limit)
    const last = data[data.length - 1]
    return { data: data.map(masked), next_cursor: rows.length > limit && last ? encodeKeyCursor(last.key) : null }
  }

  async get(key: string): Promise<ConfigEntry> {
    const row = await withTenant(this.db, (tx) => repository.findEntry(tx, key))
    if (!row) throw notFound('configuration key', key)
    return masked(row)
  }

  /**
   * The entry with its value decrypted. The caller has checked the reveal permission. Revealing an
   * encrypted value is audited in the tenant's log (operators also in the platform log).
   */
  async reveal(key: string): Promise<ConfigEntry> {
    return withTenant(this.db, async (tx) => {
      const row = await repository.findSealedEntry(tx, key)
      if (!row) throw notFound('configuration key', key)
      if (!row.is_encrypted) return plain(row)
      const value = this.decrypt(tx, row)
      await recordAudit(tx, { action: 'config.revealed', resourceType: 'config', resourceId: key, changes: { key } })
      await auditIfOperator(tx, 'config.revealed', key, {})
      return { ...plain(row), value }
    })
  }

  /** Creates or replaces an entry. Refused before anything is written when encryption is asked for without MASTER_KEY. */
  async put(key: string, input: PutConfigInput): Promise<ConfigEntry> {
    assertNotReserved(key)
    assertValueSize(input.value)
    if (input.is_encrypted === true) this.master()
    const row = await withTenant(this.db, async (tx) => {
      const previous = await repository.findEntry(tx, key)
      const encrypt = input.is_encrypted ?? previous?.is_encrypted ?? false
      const stored = encrypt ? await this.putEncrypted(tx, key, input.value) : await repository.upsertPlain(tx, key, input.value)
      await recordAudit(tx, { action: 'config.written', resourceType: 'config', resourceId: key, changes: writtenChanges(key, previous, encrypt, input.value) })
      await auditIfOperator(tx, 'config.written', key, { encrypted: encrypt })
      return stored
    })
    return masked(row)
  }

  /**
   * An operator's write into a tenant they have not selected (POST /api/v1/tenants/:id/config):
   * the same rules and audit entries, in that tenant's context with the operator as the actor.
   */
  async putForTenant(tenantId: string, key: string, input: PutConfigInput): Promise<ConfigEntry> {
    await this.assertWritableTenant(tenantId)
    return runWithTenant(tenantId, () => this.put(key, input))
  }

  async listForTenant(tenantId: string, options: { limit?: number; cursor?: string }): Promise<{ data: ConfigEntry[]; next_cursor: string | null }> {
    await this.assertWritableTenant(tenantId)
    return runWithTenant(tenantId, () => this.list(options))
  }

  // A deleted tenant waits for its purge or a reactivation: nothing is written into it meanwhile.
  private async assertWritableTenant(tenantId: string): Promise<void> {
    if (!(await withSystem(this.db, (tx) => isLiveTenant(tx, tenantId)))) throw notFound('tenant', tenantId)
  }

  async remove(key: string): Promise<void> {
    await withTenant(this.db, async (tx) => {
      if (!(await repository.deleteEntry(tx, key))) throw notFound('configuration key', key)
      await recordAudit(tx, { action: 'config.deleted', resourceType: 'config', resourceId: key, changes: { key } })
      await auditIfOperator(tx, 'config.deleted', key, {})
    })
  }

  private async putEncrypted(tx: TenantTx, key: string, value: unknown): Promise<ConfigEntryRow> {
    const dataKey = await currentDataKey(tx, this.master())
    const ciphertext = encryptValue(dataKey.key, tx.tenantId, key, value)
    return repository.upsertEncrypted(tx, key, { ciphertext, keyVersion: dataKey.version })
  }

  private decrypt(tx: TenantTx, row: SealedEntryRow): unknown {
    const master = this.master()
    if (row.encrypted_value === null || row.key_version === null || row.wrapped_key === null) throw undecryptable(row.key)
    const dataKey = unwrap(master, tx.tenantId, { version: row.key_version, wrapped_key: row.wrapped_key })
    try {
      return decryptValue(dataKey, tx.tenantId, row.key, row.encrypted_value)
    } catch (error) {
      if (error instanceof DecryptionError) throw undecryptable(row.key)
      throw error
    }
  }

  private master(): MasterKeys {
    if (!this.masterKeys) throw new AppError('encryption_unavailable', ENCRYPTION_UNAVAILABLE)
    return this.masterKeys
  }
}

const plain = (row: ConfigEntryRow): ConfigEntry => ({ key: row.key, value: row.value, is_encrypted: row.is_encrypted, updated_at: row.updated_at })

const masked = (row: ConfigEntryRow): ConfigEntry => (row.is_encrypted ? { ...plain(row), value: null, masked: true } : plain(row))

// The ciphertext fails authentication: altered, or copied from another key or tenant. The data
// cannot be recovered by retrying, so it is a conflict with the stored state, not a server fault.
const undecryptable = (key: string) => new AppError('conflict', `the stored value of ${key} cannot be decrypted`, { key })

function assertValueSize(value: unknown): void {
  const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8')
  if (bytes > MAX_VALUE_BYTES) {
    throw new AppError('validation_failed', `value is ${bytes} bytes as JSON; the limit is ${MAX_VALUE_BYTES}`, { field: 'value', limit: MAX_VALUE_BYTES })
  }
}

// Keyset cursor over keys: opaque to callers, checked against the key pattern when it comes back.
const KEY_PATTERN = new RegExp(CONFIG_KEY_PATTERN)

const encodeKeyCursor = (key: string) => Buffer.from(key, 'utf8').toString('base64url')

function decodeKeyCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined
  const key = Buffer.from(cursor, 'base64url').toString('utf8')
  if (!KEY_PATTERN.test(key)) throw new AppError('validation_failed', 'cursor is not one this API returned', { field: 'cursor' })
  return key
}

/**
 * What a write tells the audit log: never the value. Values are free-form JSON whose secrets
 * redaction by key name cannot reliably find, and an audit entry cannot be erased once written.
 * For plain object values it names the top-level fields that changed (names only).
 */
function writtenChanges(key: string, previous: ConfigEntryRow | undefined, encrypted: boolean, value: unknown): Record<string, unknown> {
  const changes: Record<string, unknown> = { key, encrypted, created: previous === undefined }
  if (previous && previous.is_encrypted !== encrypted) changes.was_encrypted = previous.is_encrypted
  if (!encrypted && previous && !previous.is_encrypted && isPlainObject(previous.value) && isPlainObject(value)) {
    const fields = new Set([...Object.keys(previous.value), ...Object.keys(value)])
    const before = previous.value
    changes.changed_fields = [...fields].filter((field) => field in before !== field in value || canonicalJson(before[field]) !== canonicalJson(value[field])).sort()
  }
  return changes
}


/** Operators acting inside a tenant leave a platform audit entry; never the value. */
async function auditIfOperator(tx: TenantTx, action: string, key: string, metadata: Record<string, unknown>): Promise<void> {
  if (tryGetContext()?.actor.type !== 'platform') return
  await recordPlatformAction(tx, { action, targetType: 'tenant_configuration', targetId: `${tx.tenantId}:${key}`, metadata: { key, ...metadata } })
}
