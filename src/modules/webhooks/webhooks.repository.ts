// SQL for webhook endpoints and their deliveries; every statement filters on tx.tenantId.
import type { TenantTx } from '../../db/index.ts'
import type { Position } from '../../http/pagination.ts'

export interface EndpointRow {
  id: string
  name: string
  url: string
  events: string[]
  headers: Record<string, string>
  retry_count: number
  timeout_ms: number
  status: 'active' | 'disabled'
  last_success_at: Date | null
  last_failure_at: Date | null
  failure_count: number
  previous_secret_expires_at: Date | null
  created_at: Date
  updated_at: Date
}

/** A stored secret: plain 64 hex when key_version is null, else sealed with that tenant data key version. */
export interface StoredSecret {
  value: string
  key_version: number | null
}

export interface EndpointSecretsRow {
  secret: string
  secret_key_version: number | null
  previous_secret: string | null
  previous_secret_key_version: number | null
  previous_secret_expires_at: Date | null
}

const COLUMNS = `id, name, url, events, headers, retry_count, timeout_ms, status, last_success_at, last_failure_at, failure_count,
  case when previous_secret_expires_at > now() then previous_secret_expires_at end as previous_secret_expires_at, created_at, updated_at`

export async function listEndpoints(tx: TenantTx, limit: number, after: Position | undefined): Promise<(EndpointRow & { position: string })[]> {
  const { rows } = await tx.query<EndpointRow & { position: string }>(
    `select ${COLUMNS}, created_at::text as position from webhook_endpoints
      where tenant_id = $1 and ($2::timestamptz is null or (created_at, id) > ($2::timestamptz, $3::uuid))
      order by created_at, id limit $4`,
    [tx.tenantId, after?.at ?? null, after?.id ?? null, limit + 1],
  )
  return rows
}

export async function findEndpoint(tx: TenantTx, id: string, options: { lock?: boolean } = {}): Promise<EndpointRow | undefined> {
  const { rows } = await tx.query<EndpointRow>(`select ${COLUMNS} from webhook_endpoints where tenant_id = $1 and id = $2${options.lock ? ' for update' : ''}`, [tx.tenantId, id])
  return rows[0]
}

export interface NewEndpoint {
  id: string
  name: string
  url: string
  events: string[]
  headers: Record<string, string>
  retry_count: number
  timeout_ms: number
  secret: StoredSecret
}

export async function insertEndpoint(tx: TenantTx, endpoint: NewEndpoint): Promise<EndpointRow> {
  const { rows } = await tx.query<EndpointRow>(
    `insert into webhook_endpoints (tenant_id, id, name, url, events, headers, retry_count, timeout_ms, secret, secret_key_version)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning ${COLUMNS}`,
    [tx.tenantId, endpoint.id, endpoint.name, endpoint.url, endpoint.events, JSON.stringify(endpoint.headers), endpoint.retry_count, endpoint.timeout_ms, endpoint.secret.value, endpoint.secret.key_version],
  )
  return rows[0]!
}

export type EndpointChanges = Partial<Pick<EndpointRow, 'name' | 'url' | 'events' | 'headers' | 'retry_count' | 'timeout_ms' | 'status'>>

export async function updateEndpoint(tx: TenantTx, id: string, changes: EndpointChanges): Promise<EndpointRow | undefined> {
  const { rows } = await tx.query<EndpointRow>(
    `update webhook_endpoints set name = coalesce($3, name), url = coalesce($4, url), events = coalesce($5, events), headers = coalesce($6::jsonb, headers),
            retry_count = coalesce($7, retry_count), timeout_ms = coalesce($8, timeout_ms), status = coalesce($9, status),
            failure_count = case when $9 = 'active' and status <> 'active' then 0 else failure_count end, updated_at = now()
      where tenant_id = $1 and id = $2 returning ${COLUMNS}`,
    [tx.tenantId, id, changes.name ?? null, changes.url ?? null, changes.events ?? null, changes.headers === undefined ? null : JSON.stringify(changes.headers),
      changes.retry_count ?? null, changes.timeout_ms ?? null, changes.status ?? null],
  )
  return rows[0]
}

export async function deleteEndpoint(tx: TenantTx, id: string): Promise<boolean> {
  const { rowCount } = await tx.query('delete from webhook_endpoints where tenant_id = $1 and id = $2', [tx.tenantId, id])
  return rowCount > 0
}

/** The current secret becomes the previous one (signing until expiresAt); `secret` becomes current. */
export async function rotateSecret(tx: TenantTx, id: string, secret: StoredSecret, expiresAt: Date): Promise<boolean> {
  const { rowCount } = await tx.query(
    `update webhook_endpoints set previous_secret = secret, previous_secret_key_version = secret_key_version, previous_secret_expires_at = $5,
            secret = $3, secret_key_version = $4, updated_at = now()
      where tenant_id = $1 and id = $2`,
    [tx.tenantId, id, secret.value, secret.key_version, expiresAt],
  )
  return rowCount > 0
}

export async function findEndpointSecrets(tx: TenantTx, id: string): Promise<EndpointSecretsRow | undefined> {
  const { rows } = await tx.query<EndpointSecretsRow>(
    `select secret, secret_key_version, previous_secret, previous_secret_key_version, previous_secret_expires_at
       from webhook_endpoints where tenant_id = $1 and id = $2`,
    [tx.tenantId, id],
  )
  return rows[0]
}

export async function findDataKey(tx: TenantTx, version: number): Promise<{ version: number; wrapped_key: string } | undefined> {
  const { rows } = await tx.query<{ version: number; wrapped_key: string }>('select version, wrapped_key from tenant_data_keys where tenant_id = $1 and version = $2', [tx.tenantId, version])
  return rows[0]
}

export interface DeliveryRow {
  id: string
  endpoint_id: string
  event_id: string
  event_type: string
  status: 'pending' | 'delivering' | 'delivered' | 'failed' | 'dlq'
  attempts: number
  next_attempt_at: Date
  last_status_code: number | null
  last_error: string | null
  body: string
  created_at: Date
  delivered_at: Date | null
}

/** Newest first. */
export async function listDeliveries(tx: TenantTx, endpointId: string, limit: number, before: Position | undefined, statuses?: readonly string[]): Promise<(DeliveryRow & { position: string })[]> {
  // The (tenant_id, endpoint_id, created_at) index walks the endpoint's deliveries newest first; the status is checked on the way.
  const { rows } = await tx.query<DeliveryRow & { position: string }>(
    `select id, endpoint_id, event_id, event_type, status, attempts, next_attempt_at, last_status_code, last_error, body, created_at, delivered_at,
            created_at::text as position
       from webhook_deliveries
      where tenant_id = $1 and endpoint_id = $2 and ($3::timestamptz is null or (created_at, id) < ($3::timestamptz, $4::uuid))
        and ($6::text[] is null or status = any($6::text[]))
      order by created_at desc, id desc limit $5`,
    [tx.tenantId, endpointId, before?.at ?? null, before?.id ?? null, limit + 1, statuses ?? null],
  )
  return rows
}
