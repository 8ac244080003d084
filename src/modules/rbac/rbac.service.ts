import type { FastifyRequest } from 'fastify'
import type { InvalidationBus } from '../../cache/invalidation-bus.ts'
import type { Config } from '../../config/index.ts'
import type { Database } from '../../db/index.ts'
import type { TenantRecord } from '../access/tenant-directory.ts'
import type { Permission } from './permission-catalog.ts'

/** Custom roles and the RBAC decision log (helper fills in). */
export class RbacService {
  constructor(
    readonly db: Database,
    readonly bus: InvalidationBus,
    readonly config: Config,
  ) {}

  async onDenied(_request: FastifyRequest, _tenant: TenantRecord, _permission: Permission): Promise<void> {}
}
