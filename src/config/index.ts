export { loadConfig, loadDotEnv, ConfigError } from './load-config.ts'
export { configSchema, type Config, type NodeEnv } from './config.schema.ts'
