import type { IncomingHttpHeaders } from 'node:http'
import type { AppTarget } from './app-url.js'
import { ClientError, ClientErrorCode } from './errors.js'

/** Header of a 401 refusal that names the relay's login page for the app. */
export const LOGIN_URL_HEADER = 'keyway-login-url'

/** Header of the relay's own answers that explains them in one code. */
export const RELAY_ERROR_HEADER = 'keyway-error'

/** A refused upgrade, as the client saw it. */
export interface Refusal {
  readonly status: number
  readonly headers: IncomingHttpHeaders
}

/** Which credentials the refused upgrade carried. */
export type CredentialKind = 'app-token' | 'service-token' | 'none'

/**
 * Turns the relay's refusal of a TCP session upgrade into one error a user can act on:
 * 401 not logged in (or service token refused), 403 denied by policy, 404 no such app,
 * 502/503/504 app unavailable, anything else unexpected.
 */
export function refusalError(refusal: Refusal, app: AppTarget, used: CredentialKind): ClientError {
  const { status } = refusal
  const relayCode = headerValue(refusal.headers, RELAY_ERROR_HEADER)
  const details = { status, ...(relayCode === undefined ? {} : { relayCode }) }
  const because = relayCode === undefined ? `HTTP ${status}` : `HTTP ${status} ${relayCode}`
  const loginCommand = `keyway access login ${app.url.origin}`

  if (status === 401 && used === 'service-token') {
    const message =
      `the service token was refused by ${app.display} (${because}); ` +
      'check --service-token-id and --service-token-secret'
    return new ClientError(ClientErrorCode.serviceTokenRefused, message, details)
  }
  if (status === 401 || isLoginRedirect(refusal, app)) {
    const loginUrl =
      headerValue(refusal.headers, LOGIN_URL_HEADER) ?? headerValue(refusal.headers, 'location')
    const state = used === 'app-token' ? 'your session has expired or was revoked' : 'no session'
    const message = `not logged in to ${app.display} (${state}); run: ${loginCommand}`
    return new ClientError(ClientErrorCode.notLoggedIn, message, {
      ...details,
      ...(loginUrl === undefined ? {} : { loginUrl }),
    })
  }
  if (status === 403 && used === 'service-token') {
    const message =
      `access to ${app.display} is denied (${because}): the service token is not valid ` +
      'or no policy allows it; check --service-token-id and --service-token-secret'
    return new ClientError(ClientErrorCode.accessDenied, message, details)
  }
  if (status === 403) {
    const message =
      `access to ${app.display} is denied by its policy (${because}); ` +
      "ask the app's administrators for access"
    return new ClientError(ClientErrorCode.accessDenied, message, details)
  }
  if (status === 404 || status === 421) {
    const message = `the relay has no app at ${app.display} (${because}); check --hostname`
    return new ClientError(ClientErrorCode.appNotFound, message, details)
  }
  if (status === 502 || status === 503 || status === 504) {
    const message =
      `${app.display} is unavailable (${because}): its tunnel or server is down; ` +
      'try again later'
    return new ClientError(ClientErrorCode.appUnavailable, message, details)
  }
  const location = headerValue(refusal.headers, 'location')
  const where = location === undefined ? '' : ` to ${location}`
  const message =
    `${app.display} refused the TCP session (${because}${where}); ` +
    'is it a Keyway app that serves ssh://, rdp:// or tcp://?'
  return new ClientError(ClientErrorCode.unexpectedAnswer, message, details)
}

/**
 * The error for a relay that cannot be reached at all (name resolution, TCP connect, TLS,
 * handshake timeout).
 */
export function unreachableError(err: unknown, app: AppTarget): ClientError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  const reason = code ?? (err instanceof Error ? err.message : String(err))
  const message =
    `cannot reach the relay for ${app.display} at ${app.hostname}:${app.port} (${reason}); ` +
    'check the hostname and your network'
  return new ClientError(ClientErrorCode.relayUnreachable, message, { cause: err })
}

/** A redirect to a login page (a gate that treated the upgrade as a navigation). */
function isLoginRedirect(refusal: Refusal, app: AppTarget): boolean {
  if (refusal.status < 300 || refusal.status > 399) return false
  const location = headerValue(refusal.headers, 'location')
  if (location === undefined) return false
  try {
    const target = new URL(location, app.url)
    // An http -> https redirect of the same address is not a login.
    return target.host !== app.url.host || target.pathname !== app.url.pathname
  } catch {
    return false
  }
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name]
  const first = Array.isArray(value) ? value[0] : value
  return first === undefined || first === '' ? undefined : first.slice(0, 2048)
}
