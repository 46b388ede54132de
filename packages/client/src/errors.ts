/** Errors of the access client. Each has a stable `code` that callers switch on. */

export const ClientErrorCode = {
  /** No valid app token, or the relay refused it (401). */
  notLoggedIn: 'ERR_NOT_LOGGED_IN',
  /** The relay refused the service token (401 with service-token headers). */
  serviceTokenRefused: 'ERR_SERVICE_TOKEN_REFUSED',
  /** A policy denies this user or token (403). */
  accessDenied: 'ERR_ACCESS_DENIED',
  /** The relay serves no app on that hostname (404). */
  appNotFound: 'ERR_APP_NOT_FOUND',
  /** The app's tunnel or origin is down (502, 503, 504). */
  appUnavailable: 'ERR_APP_UNAVAILABLE',
  /** The relay could not be reached (DNS, TCP, TLS). */
  relayUnreachable: 'ERR_RELAY_UNREACHABLE',
  /** The relay answered the upgrade in an unexpected way. */
  unexpectedAnswer: 'ERR_UNEXPECTED_ANSWER',
  /** The session ended by a reset (origin, relay or network). */
  connectionReset: 'ERR_CONNECTION_RESET',
  /** The peer broke the TCP-over-WebSocket framing. */
  protocol: 'ERR_PROTOCOL',
  /** `--hostname` is neither a hostname nor an http(s) URL. */
  badHostname: 'ERR_BAD_HOSTNAME',
  /** The browser login did not complete in time. */
  loginTimeout: 'ERR_LOGIN_TIMEOUT',
  /** The browser login came back with an error. */
  loginFailed: 'ERR_LOGIN_FAILED',
  /** The token cache under `~/.keyway` could not be used. */
  tokenCache: 'ERR_TOKEN_CACHE',
  /** Another login held the lock for longer than allowed. */
  lockTimeout: 'ERR_LOCK_TIMEOUT',
  /** An interactive login was needed but not allowed. */
  loginRequired: 'ERR_LOGIN_REQUIRED',
  /** The local listener of `keyway access tcp` could not be opened. */
  listen: 'ERR_LISTEN',
} as const
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode]

/** Extra facts some errors carry. */
export interface ClientErrorDetails {
  /** HTTP status of the refused upgrade. */
  status?: number
  /** The relay's `keyway-error` code, when it sent one. */
  relayCode?: string
  /** Where to log in, for `ERR_NOT_LOGGED_IN`. */
  loginUrl?: string
  /** HTTP/2 reset code or WebSocket close code, for `ERR_CONNECTION_RESET`. */
  closeCode?: number
}

/**
 * An error a user can act on: the message is one line that says what happened and, where
 * there is one, what to do about it.
 */
export class ClientError extends Error {
  readonly code: ClientErrorCode
  readonly status: number | undefined
  readonly relayCode: string | undefined
  readonly loginUrl: string | undefined
  readonly closeCode: number | undefined

  constructor(
    code: ClientErrorCode,
    message: string,
    options: ClientErrorDetails & { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? {} : { cause: options.cause })
    this.name = 'ClientError'
    this.code = code
    this.status = options.status
    this.relayCode = options.relayCode
    this.loginUrl = options.loginUrl
    this.closeCode = options.closeCode
  }
}

/** True for a {@link ClientError}, optionally of one code. */
export function isClientError(err: unknown, code?: ClientErrorCode): err is ClientError {
  return err instanceof ClientError && (code === undefined || err.code === code)
}
