// What provisioning writes to a new tenant's configuration. A tenant import counts a tenant that
// holds only these keys as empty, and replaces them with the imported configuration.
export const DEFAULT_CONFIGURATION: Readonly<Record<string, unknown>> = { timezone: 'UTC', locale: 'en' }
