import { InvalidArgumentError, Option } from 'commander'

/** pino levels accepted by `--log-level`. */
export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof logLevels)[number]

/** The longest grace period a flag accepts: one hour, as in the config files. */
const maxGracePeriodMs = 3_600_000

/** `--config FILE`, required. */
export function configOption(what: 'relay' | 'connector'): Option {
  return new Option('-c, --config <file>', `the ${what} config file (${what}.yaml)`)
    .makeOptionMandatory()
}

/** `--log-level LEVEL`, default `info` or `$KEYWAY_LOG_LEVEL`. */
export function logLevelOption(defaultLevel: LogLevel = 'info'): Option {
  return new Option('--log-level <level>', 'how much to log as JSON lines on stdout')
    .choices(logLevels)
    .env('KEYWAY_LOG_LEVEL')
    .default(defaultLevel)
}

/** `--grace-period MS`: overrides the config's `gracePeriodMs`. */
export function gracePeriodOption(): Option {
  return new Option(
    '--grace-period <ms>',
    'on SIGTERM/SIGINT, how long in-flight requests may finish (default: gracePeriodMs ' +
      'from the config, 30000)',
  ).argParser(parseGracePeriodMs)
}

/** Parses a whole number of milliseconds from 0 to one hour. */
export function parseGracePeriodMs(value: string): number {
  const ms = Number(value)
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(ms) || ms > maxGracePeriodMs) {
    throw new InvalidArgumentError(
      `expected a whole number of milliseconds from 0 to ${maxGracePeriodMs}, such as 30000`,
    )
  }
  return ms
}
