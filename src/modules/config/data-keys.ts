// Per-tenant data keys: created lazily on a tenant's first encrypted write, unwrapped per use.
//
// No in-memory cache of unwrapped keys: the wrapped key is read in the same query as the entry
// (or one indexed read on a write), and unwrapping 32 bytes costs microseconds, so a cache would
// save almost nothing while keeping raw key material in memory and needing invalidation.
import { forEachTenant, withTenant, type Database, type TenantTx } from '../../db/index.ts'
import { AppError } from '../../errors/index.ts'
import * as repository from './config.repository.ts'
import { DecryptionError, generateDataKey, rewrapDataKey, unwrapDataKey, wrapDataKey } from './envelope-crypto.ts'

export interface DataKey {
  version: number
  key: Buffer
}

/**
 * MASTER_KEY, and during a rotation MASTER_KEY_PREVIOUS (docs/decisions.md D55): stored data keys
 * open with either, new ones are wrapped with the current key, so servers keep working while
 * `tenantry keys rotate-master` rewraps everything under the current key.
 */
export interface MasterKeys {
  current: Buffer
  previous?: Buffer
}

export function masterKeysOf(config: { MASTER_KEY?: Buffer; MASTER_KEY_PREVIOUS?: Buffer }): MasterKeys | undefined {
  return config.MASTER_KEY ? { current: config.MASTER_KEY, previous: config.MASTER_KEY_PREVIOUS } : undefined
}

const FIRST_VERSION = 1

/** The key new values are sealed with: the tenant's latest version, created (version 1) if it has none. */
export async function currentDataKey(tx: TenantTx, master: MasterKeys): Promise<DataKey> {
  const existing = await repository.latestDataKey(tx)
  if (existing) return { version: existing.version, key: unwrap(master, tx.tenantId, existing) }
  const key = generateDataKey()
  const stored = await repository.insertDataKey(tx, { version: FIRST_VERSION, wrapped_key: wrapDataKey(master.current, tx.tenantId, FIRST_VERSION, key) })
  if (stored) return { version: FIRST_VERSION, key }
  // A concurrent first write committed its key first (the insert waited for it): use that one.
  const winner = (await repository.latestDataKey(tx))!
  return { version: winner.version, key: unwrap(master, tx.tenantId, winner) }
}

/**
 * Unwraps a stored data key. Failure means MASTER_KEY is not the key this tenant's data key was
 * wrapped with (or the stored key was altered or copied from another tenant): the server cannot
 * use encryption for this tenant, which is a configuration problem, not the caller's.
 */
export function unwrap(master: MasterKeys, tenantId: string, row: repository.DataKeyRow): Buffer {
  try {
    return unwrapDataKey(master.current, tenantId, row.version, row.wrapped_key)
  } catch (error) {
    if (!(error instanceof DecryptionError)) throw error
    if (master.previous && opens(master.previous, tenantId, row)) return unwrapDataKey(master.previous, tenantId, row.version, row.wrapped_key)
    throw new AppError('encryption_unavailable', "MASTER_KEY cannot unwrap this tenant's data key: it is not the key the data key was wrapped with, or the stored key was altered", {
      key_version: row.version,
    })
  }
}

/**
 * Master-key rotation for the tenant of tx: rewraps every data key version under newMaster.
 * Idempotent, so an interrupted rotation can run again: versions newMaster already opens are left
 * alone. Values are not touched (the data keys themselves do not change). `tenantry keys
 * rotate-master` runs this per tenant; returns how many versions it rewrapped.
 */
export async function rewrapTenantDataKeys(tx: TenantTx, oldMaster: Buffer, newMaster: Buffer): Promise<number> {
  let rewrapped = 0
  for (const row of await repository.listDataKeysForUpdate(tx)) {
    if (opens(newMaster, tx.tenantId, row)) continue
    const wrapped_key = rewrapDataKey(oldMaster, newMaster, tx.tenantId, row.version, row.wrapped_key)
    await repository.updateWrappedKey(tx, { version: row.version, wrapped_key })
    rewrapped += 1
  }
  return rewrapped
}

function opens(master: Buffer, tenantId: string, row: repository.DataKeyRow): boolean {
  try {
    unwrapDataKey(master, tenantId, row.version, row.wrapped_key)
    return true
  } catch (error) {
    if (error instanceof DecryptionError) return false
    throw error
  }
}

export interface RotationResult {
  tenants: number
  rewrapped: number
  failed: { tenantId: string; error: unknown }[]
}

/**
 * Rewraps every tenant's data keys under keys.current (`tenantry keys rotate-master`), each
 * tenant in its own transaction and context; deleted tenants too (they can be reactivated). A
 * tenant whose keys neither master opens is reported, and the others still run.
 */
export async function rotateMasterKey(db: Database, keys: Required<MasterKeys>): Promise<RotationResult> {
  let rewrapped = 0
  const run = await forEachTenant(
    db,
    async () => {
      rewrapped += await withTenant(db, (tx) => rewrapTenantDataKeys(tx, keys.previous, keys.current))
    },
    { statuses: ['provisioning', 'active', 'suspended', 'deleted'], actor: { type: 'system', job: 'rotate-master-key' } },
  )
  return { tenants: run.succeeded + run.failed.length, rewrapped, failed: run.failed }
}
