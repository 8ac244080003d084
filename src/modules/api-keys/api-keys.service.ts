import type { InvalidationBus } from '../../cache/invalidation-bus.ts'
import type { Database } from '../../db/index.ts'
import type { ApiKeyPrincipal, ApiKeyVerifier } from '../access/principal.ts'

/** API keys (helper fills in): create, list, revoke, verify. */
export class ApiKeysService implements ApiKeyVerifier {
  constructor(
    readonly db: Database,
    readonly bus: InvalidationBus,
  ) {}

  async verify(_key: string): Promise<ApiKeyPrincipal | undefined> {
    return undefined
  }
}
