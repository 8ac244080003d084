export {
  runWithContext,
  runWithTenant,
  tryGetContext,
  getContext,
  currentTenantId,
  TenantContextError,
  type Actor,
  type RequestContext,
} from './request-context.ts'
