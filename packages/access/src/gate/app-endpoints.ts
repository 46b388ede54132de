import { hostMatches } from '../config/domain-pattern.js'
import { matchApp } from '../apps/match-app.js'
import { normalizePath } from '../apps/normalize-path.js'
import { validateReturnPath } from '../login/return-url.js'
import { evaluatePolicies } from '../policy/evaluate-policies.js'
import { htmlPage, json, redirect, setCookie, text } from './answers.js'
import { cliDenial, cliLogin } from './cli-login.js'
import { appCookieName, cookieNames, originFor, type GateContext } from './context.js'
import { cookieValue } from './identity-headers.js'
import { forbiddenPage, loginFailedPage } from './pages.js'
import type { LiveSession } from './session-reader.js'
import type { GateDecision, GateRequest } from './types.js'

/**
 * The relay's endpoints on every app host: `/.keyway/callback` (takes the one-time code
 * from the auth domain and sets the app cookie), `/.keyway/cli` (the access client's login),
 * `/.keyway/identity`, `/.keyway/logout` and `/.keyway/certs`.
 */
export async function handleAppEndpoint(
  ctx: GateContext,
  request: GateRequest,
  endpoint: string,
  query: string,
): Promise<GateDecision> {
  if (request.kind !== 'http') return text(404, 'not found')
  switch (endpoint) {
    case 'callback':
      return appCallback(ctx, request, new URLSearchParams(query))
    case 'cli':
      return cliLogin(ctx, request, new URLSearchParams(query))
    case 'identity':
      return identity(ctx, request)
    case 'logout':
      return logout(ctx, request)
    case 'certs':
      return json(200, await ctx.keys.jwks(), [['Cache-Control', 'public, max-age=300']])
    default:
      return text(404, 'not found')
  }
}

async function appCallback(
  ctx: GateContext,
  request: GateRequest,
  params: URLSearchParams,
): Promise<GateDecision> {
  const code = params.get('code')
  const handoff = code === null ? undefined : await ctx.handoffs.take(code)
  const returnPath = validateReturnPath(handoff?.returnPath)
  const normalized = returnPath === undefined ? undefined : normalizePath(returnPath)
  const match = normalized?.ok === true ? matchApp(ctx.config.apps, request.host, normalized.path)
    : undefined
  const session = handoff === undefined ? undefined : await ctx.stores.sessions.get(handoff.sid)
  const nonce = cookieValue(request.req.rawHeaders, cookieNames.appNonce)
  const now = ctx.nowMs()
  const live = nonce !== undefined && nonce === handoff?.appNonce && session !== undefined &&
    session.revokedAtMs === undefined && session.expiresAtMs > now
  if (handoff === undefined || handoff.host !== request.host || match === undefined ||
    returnPath === undefined || !live || session === undefined) {
    await ctx.auditor.record(request, { decision: 'login_failed', reason: 'bad_handoff',
      app: match?.app.name })
    return htmlPage(403, loginFailedPage('This sign-in link is not valid. Start again from the ' +
      'application.', request.reqId))
  }

  const { app } = match
  const identityOf = { sub: session.sub, email: session.email, idp: session.idp,
    groups: session.groups, claims: session.claims }
  const decision = evaluatePolicies(app, { clientIp: request.clientIp }, identityOf,
    ctx.config.ruleGroups)
  const who = { email: session.email, sub: session.sub, idp: session.idp, app: app.name }
  if (decision.decision === 'deny') {
    await ctx.auditor.record(request, { decision: decision.reason === 'blocked' ? 'block' : 'deny',
      policy: decision.policy, reason: decision.reason, ...who })
    return cliDenial(returnPath) ?? htmlPage(403, forbiddenPage(request.reqId))
  }
  const durationMs = decision.sessionDurationMs ?? app.sessionDurationMs ??
    ctx.config.sessionDurationMs
  const expiresAtMs = Math.min(session.expiresAtMs, now + durationMs)
  const token = await ctx.tokens.sign({ type: 'app', aud: app.audience, sub: session.sub,
    email: session.email, idp: session.idp, sid: session.id, expiresAtMs })
  await ctx.auditor.record(request, { decision: 'allow', policy: decision.policy,
    reason: 'session_issued', ...who })
  const secure = request.proto === 'https'
  const cookie = setCookie(appCookieName(app.audience), token, { secure,
    maxAgeSeconds: Math.floor((expiresAtMs - now) / 1000) })
  const clearNonce = setCookie(cookieNames.appNonce, '', { secure, maxAgeSeconds: 0 })
  return redirect(returnPath, [cookie, clearNonce])
}

/** The first live session among the apps of this host. */
async function hostSession(
  ctx: GateContext,
  request: GateRequest,
): Promise<(LiveSession & { readonly app: string }) | undefined> {
  for (const app of hostApps(ctx, request.host)) {
    const found = await ctx.sessions.read(request.req, appCookieName(app.audience),
      { audience: app.audience, type: 'app' })
    if (found.ok) return { ...found.live, app: app.name }
  }
  return undefined
}

function hostApps(ctx: GateContext, host: string) {
  return ctx.config.apps.filter((app) => app.domains.some((domain) => hostMatches(domain, host)))
}

async function identity(ctx: GateContext, request: GateRequest): Promise<GateDecision> {
  const live = await hostSession(ctx, request)
  if (live === undefined) return json(401, { error: 'not signed in' })
  const { session, claims } = live
  return json(200, { email: session.email, sub: session.sub, idp: session.idp,
    groups: session.groups, iat: claims.iat, exp: claims.exp })
}

async function logout(ctx: GateContext, request: GateRequest): Promise<GateDecision> {
  const live = await hostSession(ctx, request)
  if (live !== undefined) {
    const { session } = live
    await ctx.stores.sessions.revoke(session.id, ctx.nowMs())
    await ctx.auditor.record(request, { decision: 'logout', app: live.app,
      email: session.email, sub: session.sub, idp: session.idp })
  }
  const secure = request.proto === 'https'
  const cleared = hostApps(ctx, request.host)
    .map((app) => setCookie(appCookieName(app.audience), '', { secure, maxAgeSeconds: 0 }))
  const authLogout = `${originFor(request, ctx.config.authDomain)}/.keyway/logout`
  return redirect(authLogout, cleared)
}
