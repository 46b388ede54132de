import { CliError, ExitCode } from './errors.js'

/** Error codes of the library packages whose messages are written for the user. */
const userFacingCodes: ReadonlySet<string> = new Set([
  'ERR_CONFIG', // relay.yaml (its `access:` section too), or an address it cannot listen on
  'ERR_KEY_STORE', // @keyway/access: the signing keys under dataDir
  'ERR_ACCESS_STORE', // @keyway/access: the database under dataDir
  'ERR_UNKNOWN_TUNNEL', // @keyway/relay: a tunnel name not in relay.yaml
  'ERR_TOKEN_STORE', // @keyway/relay: the token file under dataDir
  'ERR_CONFIG_INVALID', // @keyway/connector: connector.yaml
])

/** Node system errors a user fixes outside Keyway (a port in use, a missing file). */
const systemErrorCode = /^E[A-Z0-9]+$/

/** What to print for a failed command and the exit code to end with. */
export interface ErrorReport {
  readonly text: string
  readonly exitCode: number
}

/**
 * Turns an error that ended a command into the text for standard error. A problem the user
 * can fix (a config error, a missing token, a port in use) is its message alone; anything
 * else is unexpected and keeps its stack for the bug report.
 */
export function reportError(err: unknown): ErrorReport {
  if (err instanceof CliError) return { text: `error: ${err.message}`, exitCode: err.exitCode }
  if (isUserFacing(err)) return { text: `error: ${err.message}`, exitCode: ExitCode.failure }
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err)
  return { text: `error: unexpected failure: ${detail}`, exitCode: ExitCode.failure }
}

function isUserFacing(err: unknown): err is Error & { code: string } {
  if (!(err instanceof Error)) return false
  const code = (err as { code?: unknown }).code
  if (typeof code !== 'string') return false
  return userFacingCodes.has(code) || systemErrorCode.test(code)
}
