export { recordPlatformAction, type PlatformAuditEntry } from './platform-audit.ts'
