export { recordPlatformAction, type PlatformAuditEntry } from './platform-audit.ts'
export { recordAudit, entryHash, canonicalJson, CREATED_AT_TEXT_SQL, GENESIS_HASH, type AuditEntry, type ChainedFields } from './audit-log.ts'
export { redact } from './redact.ts'
export { auditRoutes } from './audit.routes.ts'
