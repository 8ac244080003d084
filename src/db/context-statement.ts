// The statement that puts a transaction into a tenant's context. Both set_config calls are
// transaction-local (third argument true): when the transaction ends, a pooled connection
// returns to its login role with no tenant, so nothing carries over to the next request.
//
// set_config('role', …) is SET ROLE as a function: it lets the role switch and the tenant travel
// in one prepared statement. When the pool already logs in as the app role, the switch is skipped.
import { isUuid } from '../lib/uuid.ts'

export const SET_TENANT_SQL = "select set_config('app.current_tenant_id', $1, true)"
export const SET_ROLE_AND_TENANT_SQL =
  "select set_config('role', $2, true), set_config('app.current_tenant_id', $1, true)"

/** '' (no tenant) makes the RLS policy compare with NULL: no rows. */
export const NO_TENANT = ''

export function contextStatement(tenantId: string, appRole: string, loggedInAsAppRole: boolean) {
  return loggedInAsAppRole
    ? { text: SET_TENANT_SQL, values: [tenantId] }
    : { text: SET_ROLE_AND_TENANT_SQL, values: [tenantId, appRole] }
}

/** CAUTION: the tenant id reaches the database as a setting; refuse anything but a uuid. */
export function assertTenantId(tenantId: string): void {
  if (!isUuid(tenantId)) {
    throw new TypeError('tenantId must be a uuid')
  }
}
