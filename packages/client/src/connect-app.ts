import type { Duplex } from 'node:stream'
import { resolveAppTarget, type AppTarget } from './app-url.js'
import { ClientError, ClientErrorCode, isClientError } from './errors.js'
import { login, type LoginOptions } from './login.js'
import { openTcpTunnel, type Credentials, type TcpTunnelOptions } from './tcp-tunnel.js'
import { TokenCache } from './token-cache.js'

/** A service token, as `--service-token-id` / `--service-token-secret` give it. */
export interface ServiceToken {
  readonly clientId: string
  readonly clientSecret: string
}

/** Options of {@link resolveCredentials} and {@link connectApp}. */
export interface ConnectOptions extends LoginOptions, TcpTunnelOptions {
  /** Use this service token; no browser is ever opened then. */
  readonly serviceToken?: ServiceToken
  /** May a browser login happen when no valid token is cached? Default true. */
  readonly interactive?: boolean
}

/**
 * The credentials for the app at `url`: the service token when one is given, else the
 * cached app token, else (when interactive) the token of a new browser login. Throws
 * `ERR_LOGIN_REQUIRED` when a login is needed but not allowed.
 */
export async function resolveCredentials(
  url: string | AppTarget,
  options: ConnectOptions = {},
): Promise<Credentials> {
  const app = typeof url === 'string' ? resolveAppTarget(url) : url
  if (options.serviceToken !== undefined) {
    const { clientId, clientSecret } = options.serviceToken
    if (clientId === '' || clientSecret === '') {
      throw new TypeError("'serviceToken' needs both a client id and a client secret")
    }
    return { kind: 'service-token', clientId, clientSecret }
  }
  const cached = new TokenCache(options).read(app)
  if (cached !== undefined) return { kind: 'app-token', token: cached.token }
  if (options.interactive === false) throw loginRequired(app)
  return { kind: 'app-token', token: await login(app.url.href, options) }
}

/**
 * Opens a TCP session to the app at `url` with the best credentials at hand (see
 * {@link resolveCredentials}). When the relay refuses a cached app token (it expired early
 * or was revoked by a logout) and a login is allowed, the token is dropped, the user logs
 * in again, and the session is opened once more. Without a cached token the relay is asked
 * first without credentials, so that an unreachable relay or an unknown app fails before
 * any browser opens.
 */
export async function connectApp(
  url: string | AppTarget,
  options: ConnectOptions = {},
): Promise<Duplex> {
  const app = typeof url === 'string' ? resolveAppTarget(url) : url
  if (needsLogin(app, options)) {
    // Ask the relay before opening a browser: one that cannot be reached, or that has no
    // such app, fails at once instead of after a login that could never help.
    try {
      return await openTcpTunnel(app, undefined, options)
    } catch (err) {
      if (!isClientError(err, ClientErrorCode.notLoggedIn)) throw err
    }
  }
  const credentials = await resolveCredentials(app, options)
  try {
    return await openTcpTunnel(app, credentials, options)
  } catch (err) {
    const retry =
      credentials.kind === 'app-token' &&
      options.interactive !== false &&
      isClientError(err, ClientErrorCode.notLoggedIn)
    if (!retry) throw err
    const cache = new TokenCache(options)
    if (cache.read(app)?.token === credentials.token) cache.remove(app)
    const token = await login(app.url.href, options)
    return openTcpTunnel(app, { kind: 'app-token', token }, options)
  }
}

function needsLogin(app: AppTarget, options: ConnectOptions): boolean {
  if (options.serviceToken !== undefined || options.interactive === false) return false
  return new TokenCache(options).read(app) === undefined
}

function loginRequired(app: AppTarget): ClientError {
  const message =
    `not logged in to ${app.display}; run: keyway access login ${app.url.origin} ` +
    '(or pass --service-token-id and --service-token-secret)'
  return new ClientError(ClientErrorCode.loginRequired, message)
}
