import { randomUUID } from 'node:crypto'
import type { Config } from '../../config/index.ts'
import { tryGetContext } from '../../context/index.ts'
import { withTenant, type Database, type TenantTx } from '../../db/index.ts'
import { AppError, notFound } from '../../errors/index.ts'
import { decodeCursor, page } from '../../http/pagination.ts'
import { recordAudit, recordPlatformAction } from '../audit/index.ts'
import { currentDataKey, masterKeysOf, unwrap } from '../config/data-keys.ts'
import { decryptValue, encryptValue } from '../config/envelope-crypto.ts'
import { domainEventCatalog, DOMAIN_EVENT_TYPES } from '../events/index.ts'
import { effectiveConfig, type PlanName, type TenantSettings } from '../plans/index.ts'
import { testEventType } from './deliveries.service.ts'
import { endpointHeadersProblem } from './endpoint-headers.ts'
import { isWebhookSecret, newWebhookSecret } from './signing/index.ts'
import { SsrfError, validateWebhookUrl, type Resolver } from './ssrf/index.ts'
import * as repository from './webhooks.repository.ts'
import type { DeliveryRow, EndpointChanges, EndpointRow, EndpointSecretsRow, StoredSecret } from './webhooks.repository.ts'

/** After a rotation the previous secret keeps signing this long (DESIGN §10). */
/** What reads show instead of an endpoint header's value (see presentEndpoint). */
export const MASKED_HEADER_VALUE = '********'

export const PREVIOUS_SECRET_TTL_MS = 24 * 3_600_000

export interface CreateWebhookInput {
  name: string
  url: string
  events: string[]
  headers?: Record<string, string>
  retry_count?: number
  timeout_ms?: number
}

export type UpdateWebhookInput = EndpointChanges

type Page<T> = { data: T[]; next_cursor: string | null }
type WebhooksConfig = Pick<Config, 'MASTER_KEY' | 'WEBHOOK_ALLOW_PRIVATE_TARGETS' | 'WEBHOOK_MAX_RETRIES' | 'WEBHOOK_TIMEOUT_MS'>

/**
 * The tenant's webhook endpoints (tenant in context). Every change is audited in its
 * transaction, never with the secret. The signing secret is sealed with the tenant's data key
 * when MASTER_KEY is set (else stored as it is: the dispatcher must read it to sign).
 */
export class WebhooksService {
  private readonly db: Database
  private readonly config: WebhooksConfig
  /** Tests may give a resolver; DNS otherwise. */
  private readonly resolve?: Resolver

  constructor(
    db: Database,
    config: WebhooksConfig,
    resolve?: Resolver,
  ) {
    this.db = db
    this.config = config
    this.resolve = resolve
  }

  async list(options: { limit?: number; cursor?: string }): Promise<Page<EndpointRow>> {
    const limit = options.limit ?? 50
    const rows = await withTenant(this.db, (tx) => repository.listEndpoints(tx, limit, decodeCursor(options.cursor)))
    return page(rows, limit)
  }

  async get(id: string): Promise<EndpointRow> {
    const endpoint = await withTenant(this.db, (tx) => repository.findEndpoint(tx, id))
    if (!endpoint) throw notFound('webhook', id)
    return endpoint
  }

  /** The endpoint and its secret, shown this once. */
  async create(input: CreateWebhookInput): Promise<EndpointRow & { secret: string }> {
    const events = assertEvents(input.events)
    const headers = assertHeaders(input.headers ?? {})
    await this.assertUrl(input.url)
    const secret = newWebhookSecret()
    const endpoint = await withTenant(this.db, async (tx) => {
      const id = randomUUID()
      const row = await repository.insertEndpoint(tx, {
        id, name: input.name, url: input.url, events, headers,
        retry_count: input.retry_count ?? this.config.WEBHOOK_MAX_RETRIES,
        timeout_ms: input.timeout_ms ?? this.config.WEBHOOK_TIMEOUT_MS,
        secret: await this.seal(tx, id, secret),
      })
      await audit(tx, 'webhook.created', id, { name: row.name, url: row.url, events: row.events, header_names: Object.keys(headers), retry_count: row.retry_count, timeout_ms: row.timeout_ms })
      return row
    })
    return { ...endpoint, secret }
  }

  async update(id: string, input: UpdateWebhookInput): Promise<EndpointRow> {
    const changes: EndpointChanges = { ...input }
    if (input.events !== undefined) changes.events = assertEvents(input.events)
    if (input.headers !== undefined) changes.headers = assertHeaders(input.headers)
    if (input.url !== undefined) await this.assertUrl(input.url)
    return withTenant(this.db, async (tx) => {
      const current = await repository.findEndpoint(tx, id, { lock: true })
      if (!current) throw notFound('webhook', id)
      if (changes.headers) changes.headers = keepMaskedValues(changes.headers, current.headers)
      const updated = (await repository.updateEndpoint(tx, id, changes))!
      await audit(tx, 'webhook.updated', id, endpointDiff(current, updated))
      return updated
    })
  }

  async remove(id: string): Promise<void> {
    await withTenant(this.db, async (tx) => {
      const current = await repository.findEndpoint(tx, id, { lock: true })
      if (!current) throw notFound('webhook', id)
      await repository.deleteEndpoint(tx, id)
      await audit(tx, 'webhook.deleted', id, { name: current.name, url: current.url, events: current.events })
    })
  }

  /** A new secret, shown this once; the old one keeps signing for 24 h (a second rotation ends it early). */
  async rotateSecret(id: string): Promise<{ secret: string; previous_secret_expires_at: Date }> {
    const secret = newWebhookSecret()
    const expiresAt = new Date(Date.now() + PREVIOUS_SECRET_TTL_MS)
    await withTenant(this.db, async (tx) => {
      const current = await repository.findEndpoint(tx, id, { lock: true })
      if (!current) throw notFound('webhook', id)
      await repository.rotateSecret(tx, id, await this.seal(tx, id, secret), expiresAt)
      await audit(tx, 'webhook.secret_rotated', id, { previous_secret_expires_at: expiresAt.toISOString() })
    })
    return { secret, previous_secret_expires_at: expiresAt }
  }

  /**
   * For a tenant import (docs/decisions.md D57): a fresh secret for an endpoint whose secret the
   * export left out, sealed as at creation and shown to no one; rotating it is how an Admin
   * learns one. Runs in the caller's tenant transaction.
   */
  sealUnseenSecret(tx: TenantTx, endpointId: string): Promise<StoredSecret> {
    return this.seal(tx, endpointId, newWebhookSecret())
  }

  /** Newest first; `status` narrows the list (the cursor is a position, so pages stay exact under it). */
  async listDeliveries(endpointId: string, options: { limit?: number; cursor?: string; status?: DeliveryRow['status'][] }): Promise<Page<DeliveryRow>> {
    const limit = options.limit ?? 50
    const rows = await withTenant(this.db, async (tx) => {
      if (!(await repository.findEndpoint(tx, endpointId))) throw notFound('webhook', endpointId)
      return repository.listDeliveries(tx, endpointId, limit, decodeCursor(options.cursor), options.status)
    })
    return page(rows, limit)
  }

  /**
   * For the dispatcher: the secrets that sign a delivery now, current first, then the previous
   * one while its 24 h last. Runs in the caller's tenant transaction.
   */
  async signingSecrets(tx: TenantTx, endpointId: string, now = new Date()): Promise<string[]> {
    const row = await repository.findEndpointSecrets(tx, endpointId)
    if (!row) throw notFound('webhook', endpointId)
    return activeSecrets(row, now, (stored) => this.open(tx, endpointId, stored))
  }

  /**
   * For the dispatcher: the active secrets of a row it has already read (current first). Only
   * sealed secrets need the database (the tenant's data key), in the context's tenant.
   */
  openSecrets(endpointId: string, row: EndpointSecretsRow, now = new Date()): Promise<string[]> {
    if (row.secret_key_version === null && row.previous_secret_key_version === null) return activeSecrets(row, now, async (stored) => stored.value)
    return withTenant(this.db, (tx) => activeSecrets(row, now, (stored) => this.open(tx, endpointId, stored)))
  }

  private async assertUrl(url: string): Promise<void> {
    try {
      await validateWebhookUrl(url, { allowPrivate: this.config.WEBHOOK_ALLOW_PRIVATE_TARGETS, ...(this.resolve ? { resolve: this.resolve } : {}) })
    } catch (error) {
      if (!(error instanceof SsrfError)) throw error
      throw new AppError('validation_failed', error.message, { field: 'url', reason: error.reason, ...error.target })
    }
  }

  private async seal(tx: TenantTx, endpointId: string, secret: string): Promise<StoredSecret> {
    const master = masterKeysOf(this.config)
    if (!master) return { value: secret, key_version: null }
    const dataKey = await currentDataKey(tx, master)
    return { value: encryptValue(dataKey.key, tx.tenantId, secretAad(endpointId), secret), key_version: dataKey.version }
  }

  private async open(tx: TenantTx, endpointId: string, stored: StoredSecret): Promise<string> {
    if (stored.key_version === null) return stored.value
    const master = masterKeysOf(this.config)
    if (!master) throw new AppError('encryption_unavailable', 'this webhook secret is encrypted: set MASTER_KEY to sign its deliveries')
    const row = await repository.findDataKey(tx, stored.key_version)
    if (!row) throw new AppError('encryption_unavailable', 'the data key this webhook secret was sealed with is missing', { key_version: stored.key_version })
    const secret = decryptValue(unwrap(master, tx.tenantId, row), tx.tenantId, secretAad(endpointId), stored.value)
    if (typeof secret !== 'string' || !isWebhookSecret(secret)) throw new AppError('encryption_unavailable', 'webhook secret decrypted to something else')
    return secret
  }
}

/** The `webhooks` plan feature (plan defaults, overridable in the tenant's settings). */
export function assertWebhooksEnabled(tenant: { plan: PlanName; settings: TenantSettings } | undefined): void {
  if (tenant && effectiveConfig(tenant.plan, tenant.settings).features.webhooks) return
  throw new AppError('feature_not_enabled', "webhooks are not part of this tenant's plan", { feature: 'webhooks' })
}

/** The event types with their data schemas, for GET /api/v1/webhook-events. */
export function webhookEventTypes(): { type: string; description: string; schema: unknown }[] {
  return [...DOMAIN_EVENT_TYPES.map((type) => ({ type, description: domainEventCatalog[type].description, schema: domainEventCatalog[type].data })), testEventType]
}

// The AAD names the row: a sealed secret copied to another endpoint or tenant does not open.
// '/' never occurs in a configuration key, so this cannot collide with a config value's AAD.
const secretAad = (endpointId: string) => `webhook-endpoint/${endpointId}/secret`

async function activeSecrets(row: EndpointSecretsRow, now: Date, open: (stored: StoredSecret) => Promise<string>): Promise<string[]> {
  const secrets = [await open({ value: row.secret, key_version: row.secret_key_version })]
  if (row.previous_secret !== null && row.previous_secret_expires_at !== null && row.previous_secret_expires_at > now) {
    secrets.push(await open({ value: row.previous_secret, key_version: row.previous_secret_key_version }))
  }
  return secrets
}

/** A header sent back as read (its value masked) keeps its stored value. */
function keepMaskedValues(headers: Record<string, string>, stored: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, value === MASKED_HEADER_VALUE && name in stored ? stored[name]! : value]))
}

/**
 * The checks of a created endpoint that need no network: known event types, headers that can be
 * sent and that the dispatcher does not set. For endpoints that arrive another way (a tenant import, D57); their URL is
 * checked when a delivery is sent, as every URL is (ssrf/).
 */
export function assertEndpointFields(endpoint: { events: string[]; headers: Record<string, string> }): void {
  assertEvents(endpoint.events)
  assertHeaders(endpoint.headers)
}

function assertEvents(events: string[]): string[] {
  const known = new Set<string>(DOMAIN_EVENT_TYPES)
  const unknown = events.filter((type) => type !== '*' && !known.has(type))
  if (unknown.length > 0) {
    throw new AppError('validation_failed', `unknown event types: ${unknown.join(', ')} (see GET /api/v1/webhook-events)`, { field: 'events', unknown })
  }
  return events
}

/** Only headers the dispatcher can send and does not set itself (endpoint-headers.ts). */
function assertHeaders(headers: Record<string, string>): Record<string, string> {
  const problem = endpointHeadersProblem(headers)
  if (problem) {
    const message = problem.header === undefined ? `headers: ${problem.reason}` : `header ${JSON.stringify(problem.header)}: ${problem.reason}`
    throw new AppError('validation_failed', message, { field: 'headers', ...problem })
  }
  return headers
}

/** Field → { from, to }; header values are not written to the audit log, only their names. */
function endpointDiff(before: EndpointRow, after: EndpointRow): Record<string, unknown> {
  const changes: Record<string, unknown> = {}
  for (const field of ['name', 'url', 'retry_count', 'timeout_ms', 'status'] as const) {
    if (before[field] !== after[field]) changes[field] = { from: before[field], to: after[field] }
  }
  if (JSON.stringify(before.events) !== JSON.stringify(after.events)) changes.events = { from: before.events, to: after.events }
  if (JSON.stringify(before.headers) !== JSON.stringify(after.headers)) changes.header_names = { from: Object.keys(before.headers), to: Object.keys(after.headers) }
  return changes
}

async function audit(tx: TenantTx, action: string, endpointId: string, changes: Record<string, unknown>): Promise<void> {
  await recordAudit(tx, { action, resourceType: 'webhook', resourceId: endpointId, changes })
  if (tryGetContext()?.actor.type !== 'platform') return
  await recordPlatformAction(tx, { action, targetType: 'webhook', targetId: `${tx.tenantId}:${endpointId}`, metadata: changes })
}
