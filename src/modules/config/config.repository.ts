// SQL for tenant_configurations and tenant_data_keys; every statement filters on tx.tenantId.
import type { TenantTx } from '../../db/index.ts'

/** What callers may see of an entry: never the ciphertext. `value` is null for encrypted entries. */
export interface ConfigEntryRow {
  key: string
  value: unknown
  is_encrypted: boolean
  updated_at: Date
}

/** An entry with what decrypting it needs: its ciphertext and its tenant's wrapped data key. */
export interface SealedEntryRow extends ConfigEntryRow {
  encrypted_value: string | null
  key_version: number | null
  wrapped_key: string | null
}

export interface DataKeyRow {
  version: number
  wrapped_key: string
}

const ENTRY_COLUMNS = 'key, value, is_encrypted, updated_at'

export async function listEntries(tx: TenantTx, limit: number, afterKey: string | undefined): Promise<ConfigEntryRow[]> {
  const { rows } = await tx.query<ConfigEntryRow>(
    `select ${ENTRY_COLUMNS} from tenant_configurations where tenant_id = $1 and ($2::text is null or key > $2) order by key limit $3`,
    [tx.tenantId, afterKey ?? null, limit + 1],
  )
  return rows
}

export async function findEntry(tx: TenantTx, key: string): Promise<ConfigEntryRow | undefined> {
  const { rows } = await tx.query<ConfigEntryRow>(`select ${ENTRY_COLUMNS} from tenant_configurations where tenant_id = $1 and key = $2`, [tx.tenantId, key])
  return rows[0]
}

/** One round trip for a reveal: the entry, its ciphertext and the data key version it was sealed with. */
export async function findSealedEntry(tx: TenantTx, key: string): Promise<SealedEntryRow | undefined> {
  const { rows } = await tx.query<SealedEntryRow>(
    `select c.key, c.value, c.is_encrypted, c.updated_at, c.encrypted_value, c.key_version, k.wrapped_key
       from tenant_configurations c
       left join tenant_data_keys k on k.tenant_id = c.tenant_id and k.version = c.key_version
      where c.tenant_id = $1 and c.key = $2`,
    [tx.tenantId, key],
  )
  return rows[0]
}

export async function upsertPlain(tx: TenantTx, key: string, value: unknown): Promise<ConfigEntryRow> {
  const { rows } = await tx.query<ConfigEntryRow>(
    `insert into tenant_configurations (tenant_id, key, value, encrypted_value, is_encrypted, key_version) values ($1, $2, $3::jsonb, null, false, null)
     on conflict (tenant_id, key) do update
       set value = excluded.value, encrypted_value = null, is_encrypted = false, key_version = null, updated_at = now()
     returning ${ENTRY_COLUMNS}`,
    [tx.tenantId, key, JSON.stringify(value)],
  )
  return rows[0]!
}

export async function upsertEncrypted(tx: TenantTx, key: string, sealed: { ciphertext: string; keyVersion: number }): Promise<ConfigEntryRow> {
  const { rows } = await tx.query<ConfigEntryRow>(
    `insert into tenant_configurations (tenant_id, key, value, encrypted_value, is_encrypted, key_version) values ($1, $2, null, $3, true, $4)
     on conflict (tenant_id, key) do update
       set value = null, encrypted_value = excluded.encrypted_value, is_encrypted = true, key_version = excluded.key_version, updated_at = now()
     returning ${ENTRY_COLUMNS}`,
    [tx.tenantId, key, sealed.ciphertext, sealed.keyVersion],
  )
  return rows[0]!
}

export async function deleteEntry(tx: TenantTx, key: string): Promise<boolean> {
  const { rowCount } = await tx.query('delete from tenant_configurations where tenant_id = $1 and key = $2', [tx.tenantId, key])
  return rowCount > 0
}

/** The version new values are sealed with: the highest. */
export async function latestDataKey(tx: TenantTx): Promise<DataKeyRow | undefined> {
  const { rows } = await tx.query<DataKeyRow>('select version, wrapped_key from tenant_data_keys where tenant_id = $1 order by version desc limit 1', [tx.tenantId])
  return rows[0]
}

/** Inserts a data key unless that version exists (a concurrent first write won): true when this one was stored. */
export async function insertDataKey(tx: TenantTx, dataKey: DataKeyRow): Promise<boolean> {
  const { rowCount } = await tx.query(
    'insert into tenant_data_keys (tenant_id, version, wrapped_key) values ($1, $2, $3) on conflict (tenant_id, version) do nothing',
    [tx.tenantId, dataKey.version, dataKey.wrapped_key],
  )
  return rowCount > 0
}

/** Every version, locked: master-key rotation rewraps them in place. */
export async function listDataKeysForUpdate(tx: TenantTx): Promise<DataKeyRow[]> {
  const { rows } = await tx.query<DataKeyRow>('select version, wrapped_key from tenant_data_keys where tenant_id = $1 order by version for update', [tx.tenantId])
  return rows
}

export async function updateWrappedKey(tx: TenantTx, dataKey: DataKeyRow): Promise<void> {
  await tx.query('update tenant_data_keys set wrapped_key = $3 where tenant_id = $1 and version = $2', [tx.tenantId, dataKey.version, dataKey.wrapped_key])
}
