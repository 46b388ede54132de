/** Errors of the command line. Each has a stable `code` and the exit code it ends with. */

export const CliErrorCode = {
  usage: 'ERR_USAGE',
  tokenMissing: 'ERR_TOKEN_MISSING',
  tokenUnreadable: 'ERR_TOKEN_UNREADABLE',
  tokenMalformed: 'ERR_TOKEN_MALFORMED',
  unknownTunnel: 'ERR_UNKNOWN_TUNNEL',
  noRuleMatches: 'ERR_NO_RULE_MATCHES',
  demoFailed: 'ERR_DEMO_FAILED',
  /** `keyway access login|token|ssh|tcp`: the access client's error, message as is. */
  accessClient: 'ERR_ACCESS_CLIENT',
  accessNotConfigured: 'ERR_ACCESS_NOT_CONFIGURED',
  serviceToken: 'ERR_SERVICE_TOKEN',
} as const
export type CliErrorCode = (typeof CliErrorCode)[keyof typeof CliErrorCode]

/** Exit codes: 0 success, 1 a problem the user can fix, 2 a wrong command line. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** A second shutdown signal: stop at once without draining. */
  interrupted: 130,
} as const

/**
 * A problem the user can act on. Its message is printed as is, without a stack trace, and
 * the process exits with `exitCode`.
 */
export class CliError extends Error {
  readonly code: CliErrorCode
  readonly exitCode: number

  constructor(code: CliErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options)
    this.name = 'CliError'
    this.code = code
    this.exitCode = code === CliErrorCode.usage ? ExitCode.usage : ExitCode.failure
  }
}
