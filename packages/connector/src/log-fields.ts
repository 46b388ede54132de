import { pino, type Logger, type LoggerOptions } from 'pino'

/**
 * Names of the structured log fields the connector writes. Kept in one place so that
 * dashboards and tests that read the JSON lines back agree with the code.
 */
export const LogField = {
  tunnelId: 'tunnelId',
  connectorId: 'connectorId',
  connIndex: 'connIndex',
  relay: 'relay',
  streamId: 'streamId',
  reqId: 'reqId',
  kind: 'kind',
  host: 'host',
  method: 'method',
  path: 'path',
  rule: 'rule',
  service: 'service',
  status: 'status',
  code: 'code',
  durationMs: 'durationMs',
  delayMs: 'delayMs',
  bytesIn: 'bytesIn',
  bytesOut: 'bytesOut',
  err: 'err',
} as const

/** Paths pino censors wherever they appear in a log line: credentials never reach the log. */
export const connectorRedactPaths: readonly string[] = Object.freeze([
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
  '*.headers.authorization',
  '*.headers.cookie',
])

/** Options for {@link createConnectorLogger}. */
export interface ConnectorLoggerOptions {
  /** pino level; `info` when omitted. */
  level?: string
  /** Where JSON lines go; standard output when omitted. */
  destination?: NodeJS.WritableStream
}

/** The root logger of a connector process: pino JSON lines with credentials redacted. */
export function createConnectorLogger(options: ConnectorLoggerOptions = {}): Logger {
  const settings: LoggerOptions = {
    level: options.level ?? 'info',
    base: { name: 'keyway-connector' },
    redact: { paths: [...connectorRedactPaths], censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
  }
  return options.destination === undefined
    ? pino(settings)
    : pino(settings, options.destination as pino.DestinationStream)
}
