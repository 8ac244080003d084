import type { InvalidationBus } from '../../cache/invalidation-bus.ts'
import { runWithTenant } from '../../context/index.ts'
import { withTenant, type Database } from '../../db/index.ts'
import { AppError, notFound } from '../../errors/index.ts'
import { recordAudit } from '../audit/index.ts'
import { lookUpRecord, verificationRecord, type ResolveTxt } from './domain-verification.ts'
import * as repository from './domains.repository.ts'
import { findTenant, lockTenant } from './tenants.repository.ts'

export interface CustomDomain {
  domain: string
  verified: boolean
  verified_at: string | null
  verification: { type: 'TXT'; name: string; value: string }
}

/**
 * A tenant's custom domains (settings.domains, set by the operator) and their proof of ownership.
 * A domain routes (by its full Host) only once its TXT record was seen, and to one tenant only.
 */
export class DomainsService {
  private readonly db: Database
  private readonly bus: InvalidationBus
  private readonly resolveTxt: ResolveTxt

  constructor(
    db: Database,
    bus: InvalidationBus,
    resolveTxt: ResolveTxt,
  ) {
    this.db = db
    this.bus = bus
    this.resolveTxt = resolveTxt
  }

  list(tenantId: string): Promise<CustomDomain[]> {
    return runWithTenant(tenantId, () =>
      withTenant(this.db, async (tx) => {
        const tenant = await findTenant(tx, tenantId)
        const verified = new Map((await repository.verifiedDomains(tx)).map((row) => [row.domain, row.verified_at]))
        return (tenant?.settings.domains ?? []).map((domain) => present(tenantId, domain, verified.get(domain)))
      }),
    )
  }

  /** Looks the TXT record up now; 422 saying what DNS answered when it is not there. */
  async verify(tenantId: string, domain: string): Promise<CustomDomain> {
    const name = domain.toLowerCase()
    const listed = await this.list(tenantId)
    if (!listed.some((entry) => entry.domain === name)) throw notFound('domain', name)
    const record = verificationRecord(tenantId, name)
    // Outside the transaction: a DNS answer may take seconds, and nothing is held meanwhile.
    const lookup = await lookUpRecord(this.resolveTxt, record)
    if (!lookup.found) throw new AppError('unprocessable', `publish a TXT record ${record.name} with the value "${record.value}", then verify again: ${lookup.why}`, { record })
    const verifiedAt = await runWithTenant(tenantId, () =>
      withTenant(this.db, async (tx) => {
        await repository.lockDomain(tx, name)
        const holder = await repository.domainTenant(tx, name)
        if (holder !== undefined && holder !== tenantId) {
          throw new AppError('already_exists', `${name} is verified by another tenant: it routes to one tenant, and the operator must remove it there first`, { field: 'domain' })
        }
        // Still listed under the lock: an operator removing it meanwhile wins.
        const tenant = await lockTenant(tx, tenantId)
        if (!tenant?.settings.domains?.includes(name)) throw notFound('domain', name)
        const at = await repository.insertVerified(tx, name)
        if (holder === undefined) await recordAudit(tx, { action: 'tenant.domain_verified', resourceType: 'domain', resourceId: name, changes: { record: record.name } })
        return at
      }),
    )
    this.bus.publish({ kind: 'tenant', tenantId })
    return present(tenantId, name, verifiedAt)
  }
}

function present(tenantId: string, domain: string, verifiedAt: Date | undefined): CustomDomain {
  return { domain, verified: verifiedAt !== undefined, verified_at: verifiedAt?.toISOString() ?? null, verification: verificationRecord(tenantId, domain) }
}
