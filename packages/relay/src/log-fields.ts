import { pino, type Logger, type LoggerOptions } from 'pino'

/**
 * Names of the structured log fields the relay writes, in one place so that dashboards
 * and tests that read the JSON lines back agree with the code.
 */
export const LogField = {
  relayId: 'relayId',
  tunnelId: 'tunnelId',
  connectorId: 'connectorId',
  connectionId: 'connectionId',
  connIndex: 'connIndex',
  reqId: 'reqId',
  kind: 'kind',
  host: 'host',
  method: 'method',
  path: 'path',
  status: 'status',
  code: 'code',
  outcome: 'outcome',
  clientIp: 'clientIp',
  durationMs: 'durationMs',
  bytesIn: 'bytesIn',
  bytesOut: 'bytesOut',
  resetCode: 'resetCode',
  user: 'user',
  decision: 'decision',
  app: 'app',
  publicUrl: 'publicUrl',
  tunnelUrl: 'tunnelUrl',
  err: 'err',
} as const

/** Paths pino censors wherever they appear: credentials never reach the log. */
export const relayRedactPaths: readonly string[] = Object.freeze([
  'authorization',
  'token',
  'secret',
  'cookie',
  '*.authorization',
  '*.token',
  '*.secret',
  '*.cookie',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
])

/** Options for {@link createRelayLogger}. */
export interface RelayLoggerOptions {
  /** pino level; `info` when omitted. */
  level?: string
  /** Where JSON lines go; standard output when omitted. */
  destination?: NodeJS.WritableStream
}

/** The root logger of a relay process: pino JSON lines with credentials redacted. */
export function createRelayLogger(options: RelayLoggerOptions = {}): Logger {
  const settings: LoggerOptions = {
    level: options.level ?? 'info',
    base: { name: 'keyway-relay' },
    redact: { paths: [...relayRedactPaths], censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
  }
  return options.destination === undefined
    ? pino(settings)
    : pino(settings, options.destination as pino.DestinationStream)
}
