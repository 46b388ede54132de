/**
 * The parts of the access layer that the command line needs before it opens any store:
 * loading this module loads no database driver.
 */
export { parseDurationMs } from './config/durations.js'
export { auditDecisions, type AuditDecision } from './store/types.js'
