import { randomBytes } from 'node:crypto'

import { matchApp } from '../apps/match-app.js'
import { normalizePath } from '../apps/normalize-path.js'
import type { AppConfig } from '../config/types.js'
import { evaluatePolicies } from '../policy/evaluate-policies.js'
import type { Decision } from '../policy/types.js'
import { serviceTokenHeaders } from '../tokens/service-tokens.js'
import { htmlPage, redirect, setCookie, text } from './answers.js'
import { handleAppEndpoint } from './app-endpoints.js'
import { loginUrl } from './auth-domain.js'
import {
  appCookieName, cookieNames, isNavigation, loginLimits, originFor, reservedEndpoint,
  type GateContext,
} from './context.js'
import { answerPreflight, isPreflight } from './cors.js'
import { forwardRequest, type AssertionSigner } from './forward.js'
import { forbiddenPage } from './pages.js'
import type { SessionLookup } from './session-reader.js'
import type { GateDecision, GateRequest } from './types.js'

/** Header a non-browser client may send its app session token in, instead of the cookie. */
export const appTokenHeader = 'keyway-access-token'

/**
 * Handles a request to a host some app covers: the relay's own endpoints, then the app's
 * policies, evaluated on every request (upgrades included). Every decision is audited.
 */
export async function handleAppHost(
  ctx: GateContext,
  signer: AssertionSigner,
  request: GateRequest,
): Promise<GateDecision> {
  const normalized = normalizePath(request.path)
  if (!normalized.ok) {
    await ctx.auditor.record(request, { decision: 'deny', reason: 'bad_path' })
    return text(400, 'bad request path')
  }
  const endpoint = reservedEndpoint(normalized.path)
  if (endpoint !== undefined) return handleAppEndpoint(ctx, request, endpoint, normalized.query)
  const match = matchApp(ctx.config.apps, request.host, normalized.path)
  if (match === undefined) {
    await ctx.auditor.record(request, { decision: 'deny', reason: 'no_app' })
    return refuse(request)
  }
  const { app } = match
  if (isPreflight(request.req) && app.cors !== undefined) {
    await ctx.auditor.record(request,
      { decision: 'bypass', app: app.name, reason: 'cors_preflight' })
    if (app.cors.preflight === 'origin') {
      return forwardRequest(ctx, signer, request, app, { kind: 'anonymous' }, 'bypass')
    }
    return answerPreflight(app.cors, request.req)
  }

  const serviceToken = await readServiceToken(ctx, request)
  if (serviceToken === 'invalid') {
    await ctx.auditor.record(request, { decision: 'deny', app: app.name,
      reason: 'service_token_invalid' })
    return refuse(request)
  }
  const lookup = app.public ? { ok: false as const, reason: 'absent' as const }
    : await readAppSession(ctx, request, app)
  const identity = lookup.ok ? lookup.live.identity : undefined
  const decision = evaluatePolicies(app, { clientIp: request.clientIp, serviceToken }, identity,
    ctx.config.ruleGroups)
  const who = lookup.ok ? { email: identity?.email, sub: identity?.sub, idp: identity?.idp } : {}
  if (decision.decision === 'allow') {
    await ctx.auditor.record(request, { decision: auditDecision(decision), app: app.name,
      policy: decision.policy, reason: decision.reason, serviceToken, ...who })
    if (decision.action === 'service_auth' && serviceToken !== undefined) {
      return forwardRequest(ctx, signer, request, app, { kind: 'service', name: serviceToken },
        'service_token')
    }
    return forwardRequest(ctx, signer, request, app,
      lookup.ok ? { kind: 'user', live: lookup.live } : { kind: 'anonymous' },
      auditDecision(decision))
  }

  const reason = decision.reason === 'login_required' && !lookup.ok && lookup.reason !== 'absent'
    ? `login_required_${lookup.reason}_session` : decision.reason
  await ctx.auditor.record(request, { decision: decision.reason === 'blocked' ? 'block' : 'deny',
    app: app.name, policy: decision.policy, reason, serviceToken, ...who })
  if (decision.reason !== 'login_required') return refuse(request)
  if (!isNavigation(request)) return loginRequired(request)
  const appNonce = randomBytes(16).toString('base64url')
  const nonceCookie = setCookie(cookieNames.appNonce, appNonce, {
    secure: request.proto === 'https', maxAgeSeconds: loginLimits.pendingLoginMs / 1000 })
  const returnUrl = `${originFor(request, request.host)}${request.path}`
  return redirect(loginUrl(ctx, request, returnUrl, appNonce), [nonceCookie])
}

/**
 * The 401 for a script or an upgrade: it cannot follow a login redirect, so the answer says
 * where a browser signs in (`Keyway-Login-Url`: the page asked for, which redirects to the
 * login) and, for an upgrade such as a TCP session, the command that does it.
 */
function loginRequired(request: GateRequest): GateDecision {
  const origin = originFor(request, request.host)
  const where = request.kind === 'upgrade' ? `${origin}/` : `${origin}${request.path}`
  const how = request.kind === 'upgrade'
    ? `authentication required; run: keyway access login ${origin}`
    : `authentication required; sign in with a browser at ${where}`
  return text(401, how, [['WWW-Authenticate', 'Keyway-Access'], ['Keyway-Login-Url', where]])
}

function auditDecision(decision: Decision & { decision: 'allow' }) {
  if (decision.action === 'service_auth') return 'service_token' as const
  return decision.action
}

function refuse(request: GateRequest): GateDecision {
  return isNavigation(request) ? htmlPage(403, forbiddenPage(request.reqId))
    : text(403, 'access denied')
}

async function readAppSession(
  ctx: GateContext,
  request: GateRequest,
  app: AppConfig,
): Promise<SessionLookup> {
  const header = request.req.headers[appTokenHeader]
  const token = typeof header === 'string' ? header : undefined
  // A TCP session is opened by `keyway access`, which sends its token in the header. The
  // browser's app cookie is not taken for one: any same-site page (another app's host, or
  // another port of this one) could otherwise open a raw TCP session to the server as the
  // user, and unlike a WebSocket origin no server behind the relay could check its Origin.
  if (token === undefined && isTcpSessionUpgrade(request)) {
    return { ok: false, reason: 'absent' }
  }
  return ctx.sessions.read(request.req, appCookieName(app.audience),
    { audience: app.audience, type: 'app' }, token)
}

/** The WebSocket subprotocol of `keyway access` TCP sessions (`TCP_SUBPROTOCOL`). */
const tcpSubprotocol = 'keyway-tcp.v1'

/** An upgrade that offers the TCP session subprotocol, as the relay bridges it. */
function isTcpSessionUpgrade(request: GateRequest): boolean {
  if (request.kind !== 'upgrade') return false
  const offered = request.req.headers['sec-websocket-protocol']
  return offered !== undefined &&
    offered.split(',').some((name) => name.trim() === tcpSubprotocol)
}

/** The verified service token name, undefined when none was sent, 'invalid' when it fails. */
async function readServiceToken(
  ctx: GateContext,
  request: GateRequest,
): Promise<string | undefined | 'invalid'> {
  const id = request.req.headers[serviceTokenHeaders.clientId]
  const secret = request.req.headers[serviceTokenHeaders.clientSecret]
  if (id === undefined && secret === undefined) return undefined
  if (typeof id !== 'string' || typeof secret !== 'string') return 'invalid'
  return (await ctx.serviceTokens.verify(id, secret)) ?? 'invalid'
}
