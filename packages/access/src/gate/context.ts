import type { IncomingMessage } from 'node:http'

import type { Logger } from 'pino'

import type { AccessConfig } from '../config/types.js'
import type { KeyStore } from '../keys/key-store.js'
import type { LoginStateStore } from '../login/login-states.js'
import type { OidcLogin, PendingLogin } from '../login/oidc-login.js'
import type { AccessStores } from '../store/types.js'
import type { ServiceTokens } from '../tokens/service-tokens.js'
import type { TokenService } from '../tokens/session-token.js'
import type { Auditor } from './auditor.js'
import type { SamlGateState } from './saml-state.js'
import type { SessionReader } from './session-reader.js'
import type { GateRequest } from './types.js'

/** A one-time code carrying a session from the auth domain to one app host. */
export interface Handoff {
  readonly sid: string
  readonly host: string
  /** Path and query on that host to go back to. */
  readonly returnPath: string
  /** Must equal the app host's `keyway_nonce` cookie: the code works only in that browser. */
  readonly appNonce: string
}

/** Everything the gate's handlers share. */
export interface GateContext {
  readonly config: AccessConfig
  readonly stores: AccessStores
  readonly keys: KeyStore
  readonly tokens: TokenService
  readonly serviceTokens: ServiceTokens
  readonly oidc: OidcLogin
  readonly pendingLogins: LoginStateStore<PendingLogin>
  readonly handoffs: LoginStateStore<Handoff>
  readonly sessions: SessionReader
  readonly auditor: Auditor
  readonly log: Logger
  readonly nowMs: () => number
  /** `aud` of auth-domain tokens. */
  readonly authAudience: string
  /** Keys and seen IDs of the SAML identity provider. */
  readonly saml: SamlGateState
}

/** Names of the relay's cookies. */
export const cookieNames = Object.freeze({
  auth: 'keyway_auth',
  login: 'keyway_login',
  appNonce: 'keyway_nonce',
  /** Followed by the first 16 hex characters of the app's audience tag. */
  appPrefix: 'keyway_session_',
})

/** Lifetimes of the login flow's short-lived values. */
export const loginLimits = Object.freeze({
  pendingLoginMs: 10 * 60_000,
  handoffMs: 60_000,
})

/** The form of the random values bound to a browser by cookie. */
export const browserValuePattern = /^[A-Za-z0-9_-]{22,43}$/

/** The app-session cookie name of an app. */
export function appCookieName(audience: string): string {
  return `${cookieNames.appPrefix}${audience.slice(0, 16)}`
}

/** The port written in the request's Host header, if any. */
export function requestPort(req: IncomingMessage): string | undefined {
  const host = req.headers.host ?? ''
  const match = /:(\d{1,5})$/.exec(host)
  return match?.[1]
}

/** `proto://host[:port]` on the listener the request came through. */
export function originFor(request: GateRequest, host: string): string {
  const port = requestPort(request.req)
  const defaultPort = request.proto === 'https' ? '443' : '80'
  const suffix = port === undefined || port === defaultPort ? '' : `:${port}`
  return `${request.proto}://${host}${suffix}`
}

/** The redirect URI registered at every identity provider. */
export function callbackUrl(request: GateRequest, authDomain: string): string {
  return `${originFor(request, authDomain)}/.keyway/callback`
}

/**
 * The relay's own endpoint a path names (`/.keyway/NAME` or `/_keyway/NAME`), or undefined
 * when the path belongs to the app.
 */
export function reservedEndpoint(path: string): string | undefined {
  const match = /^\/[._]keyway\/([a-z]+)\/?$/.exec(path)
  if (match !== null) return match[1]
  return /^\/[._]keyway(\/|$)/.test(path) ? 'unknown' : undefined
}

/** A browser navigation (which may be redirected to a login) rather than a script call. */
export function isNavigation(request: GateRequest): boolean {
  const { req } = request
  if (request.kind !== 'http' || (req.method !== 'GET' && req.method !== 'HEAD')) return false
  if (String(req.headers['x-requested-with'] ?? '').toLowerCase() === 'xmlhttprequest') {
    return false
  }
  const accept = String(req.headers.accept ?? '').toLowerCase()
  return !(accept.includes('application/json') && !accept.includes('text/html'))
}
