import { randomBytes } from 'node:crypto'

import { normalizePath } from '../apps/normalize-path.js'
import { AccessError, AccessErrorCode } from '../errors.js'
import { validateReturnUrl, type ReturnTarget } from '../login/return-url.js'
import type { SessionRecord } from '../store/types.js'
import { samlPathPrefix } from '../saml/index.js'
import { htmlPage, json, redirect, setCookie, text } from './answers.js'
import {
  browserValuePattern, callbackUrl, cookieNames, loginLimits, originFor, requestPort,
  reservedEndpoint,
  type GateContext,
} from './context.js'
import { cookieValue } from './identity-headers.js'
import { launcherEntries, launcherPage, launcherSignInPage } from './launcher.js'
import { chooserPage, loginFailedPage, signedOutPage } from './pages.js'
import { handleSamlRoute, localReturnUrl } from './saml-routes.js'
import type { GateDecision, GateRequest } from './types.js'

/**
 * Serves the auth domain: `/.keyway/login` (start, or reuse the auth-domain session),
 * `/.keyway/callback` (the identity provider's redirect URI), `/.keyway/logout`,
 * `/.keyway/certs` (the JWKS), the SAML identity provider under `/_keyway/saml/` and the app
 * launcher at `/`. Everything else is 404.
 */
export async function handleAuthDomain(
  ctx: GateContext,
  request: GateRequest,
): Promise<GateDecision> {
  if (request.kind !== 'http') return text(404, 'not found')
  // As on app hosts: a path servers could read two ways is refused, never resolved.
  if (!normalizePath(request.path).ok) {
    await ctx.auditor.record(request, { decision: 'deny', reason: 'bad_path' })
    return text(400, 'bad request path')
  }
  const url = new URL(request.path, 'http://auth.invalid')
  const endpoint = url.pathname === '/' ? 'home' : reservedEndpoint(url.pathname)
  if (url.pathname.startsWith(samlPathPrefix)) return handleSamlRoute(ctx, request, url)
  switch (endpoint) {
    case 'login':
      return startLogin(ctx, request, url.searchParams)
    case 'callback':
      return finishLogin(ctx, request, url.search)
    case 'logout':
      return logout(ctx, request)
    case 'certs':
      return json(200, await ctx.keys.jwks(), [['Cache-Control', 'public, max-age=300']])
    case 'home':
      return launcher(ctx, request)
    default:
      return text(404, 'not found')
  }
}

async function launcher(ctx: GateContext, request: GateRequest): Promise<GateDecision> {
  const found = await ctx.sessions.read(request.req, cookieNames.auth,
    { audience: ctx.authAudience, type: 'auth' })
  if (found.ok) {
    const entries = launcherEntries(ctx, request, found.live.identity)
    return htmlPage(200, launcherPage(found.live.session.email, entries))
  }
  const home = `${originFor(request, ctx.config.authDomain)}/`
  return htmlPage(200, launcherSignInPage(`/.keyway/login?${new URLSearchParams(
    { redirect_url: home })}`))
}

async function readAuthSession(
  ctx: GateContext,
  request: GateRequest,
): Promise<SessionRecord | undefined> {
  const found = await ctx.sessions.read(request.req, cookieNames.auth,
    { audience: ctx.authAudience, type: 'auth' })
  return found.ok ? found.live.session : undefined
}

function returnRules(ctx: GateContext, request: GateRequest) {
  return { apps: ctx.config.apps, authDomain: ctx.config.authDomain, proto: request.proto,
    port: requestPort(request.req) }
}

async function startLogin(
  ctx: GateContext,
  request: GateRequest,
  params: URLSearchParams,
): Promise<GateDecision> {
  const local = localReturnUrl(ctx, request, params.get('redirect_url'))
  const target = local !== undefined ? undefined
    : validateReturnUrl(params.get('redirect_url'), returnRules(ctx, request))
  const returnUrl = local ?? target?.url.href
  if (returnUrl === undefined) {
    await ctx.auditor.record(request, { decision: 'deny', reason: 'bad_return_url' })
    return htmlPage(400, loginFailedPage('The address to return to is not allowed.', request.reqId))
  }
  const appNonce = params.get('app_nonce') ?? ''
  if (target !== undefined && !browserValuePattern.test(appNonce)) {
    await ctx.auditor.record(request, { decision: 'deny', reason: 'bad_app_nonce' })
    return htmlPage(400, loginFailedPage('Start the sign-in from the application.', request.reqId))
  }
  // A SAML request with ForceAuthn asks for a login at the provider, not the session's.
  const forceLogin = local !== undefined && params.get('prompt') === 'login'
  const session = forceLogin ? undefined : await readAuthSession(ctx, request)
  if (session !== undefined) {
    return target === undefined ? redirect(returnUrl) : handOff(ctx, session, target, appNonce)
  }

  const providers = ctx.config.identityProviders
  const chosen = params.get('idp') ?? (providers.length === 1 ? providers[0]?.id : undefined)
  if (chosen === undefined || ctx.oidc.provider(chosen) === undefined) {
    const choices = providers.map((provider) => ({
      name: provider.displayName,
      href: `/.keyway/login?${new URLSearchParams({ redirect_url: returnUrl,
        app_nonce: appNonce, idp: provider.id, ...(forceLogin ? { prompt: 'login' } : {}) })}`,
    }))
    return htmlPage(200, chooserPage(choices))
  }
  const known = cookieValue(request.req.rawHeaders, cookieNames.login)
  const binding = known !== undefined && browserValuePattern.test(known) ? known
    : randomBytes(32).toString('base64url')
  const { url, pending } = await ctx.oidc.start(chosen, callbackUrl(request, ctx.config.authDomain),
    { returnUrl, browserBinding: binding, appNonce }, { forceLogin })
  await ctx.pendingLogins.put(pending.state, pending, loginLimits.pendingLoginMs)
  const bindingCookie = setCookie(cookieNames.login, binding, { secure: request.proto === 'https',
    maxAgeSeconds: loginLimits.pendingLoginMs / 1000 })
  return redirect(url.href, [bindingCookie])
}

async function finishLogin(
  ctx: GateContext,
  request: GateRequest,
  search: string,
): Promise<GateDecision> {
  const params = new URLSearchParams(search)
  const state = params.get('state')
  const pending = state === null || state === '' ? undefined : await ctx.pendingLogins.take(state)
  const binding = cookieValue(request.req.rawHeaders, cookieNames.login)
  const refusal = state === null || state === '' ? 'missing_state'
    : pending === undefined ? 'unknown_state'
      : binding === undefined || binding !== pending.browserBinding ? 'state_mismatch'
        : params.has('error') ? 'provider_error' : undefined
  if (refusal !== undefined || pending === undefined) {
    await ctx.auditor.record(request,
      { decision: 'login_failed', reason: refusal, idp: pending?.idp })
    return htmlPage(403, loginFailedPage('This sign-in link is not valid. Start again from the ' +
      'application.', request.reqId))
  }

  let identity
  try {
    const returned = new URL(`${callbackUrl(request, ctx.config.authDomain)}${search}`)
    identity = await ctx.oidc.finish(returned, pending)
  } catch (err) {
    const code = err instanceof AccessError ? err.code : 'ERR_UNKNOWN'
    const reason = code === AccessErrorCode.emailNotVerified ? 'email_not_verified'
      : 'provider_failed'
    ctx.log.info({ err, reqId: request.reqId, idp: pending.idp }, 'login failed')
    await ctx.auditor.record(request, { decision: 'login_failed', reason, idp: pending.idp })
    const status = reason === 'email_not_verified' ? 403 : 502
    return htmlPage(status, loginFailedPage(reason === 'email_not_verified'
      ? 'Your account has no verified email address.' : 'The sign-in could not be completed.',
    request.reqId))
  }

  const now = ctx.nowMs()
  const session: SessionRecord = {
    id: randomBytes(24).toString('base64url'), sub: identity.sub, email: identity.email,
    idp: identity.idp, groups: identity.groups, claims: identity.claims, createdAtMs: now,
    expiresAtMs: now + ctx.config.sessionDurationMs, revokedAtMs: undefined,
  }
  await ctx.stores.sessions.create(session)
  await ctx.auditor.record(request, { decision: 'login', email: session.email, sub: session.sub,
    idp: session.idp, reason: 'oidc' })
  const authToken = await ctx.tokens.sign({ type: 'auth', aud: ctx.authAudience, sub: session.sub,
    email: session.email, idp: session.idp, sid: session.id, expiresAtMs: session.expiresAtMs })
  const secure = request.proto === 'https'
  const cookies = [
    setCookie(cookieNames.auth, authToken, { secure,
      maxAgeSeconds: Math.floor(ctx.config.sessionDurationMs / 1000) }),
    setCookie(cookieNames.login, '', { secure, maxAgeSeconds: 0 }),
  ]
  const local = localReturnUrl(ctx, request, pending.returnUrl)
  if (local !== undefined) return redirect(local, cookies)
  const target = validateReturnUrl(pending.returnUrl, returnRules(ctx, request))
  if (target === undefined) {
    return redirect(`${originFor(request, ctx.config.authDomain)}/`, cookies)
  }
  return handOff(ctx, session, target, pending.appNonce, cookies)
}

/** Sends the browser to the app host's callback with a one-time code for `session`. */
async function handOff(
  ctx: GateContext,
  session: SessionRecord,
  target: ReturnTarget,
  appNonce: string,
  cookies: readonly string[] = [],
): Promise<GateDecision> {
  const code = randomBytes(24).toString('base64url')
  const returnPath = `${target.url.pathname}${target.url.search}`
  await ctx.handoffs.put(code, { sid: session.id, host: target.host, returnPath, appNonce },
    loginLimits.handoffMs)
  return redirect(`${target.url.origin}/.keyway/callback?code=${code}`, cookies)
}

async function logout(ctx: GateContext, request: GateRequest): Promise<GateDecision> {
  const found = await ctx.sessions.read(request.req, cookieNames.auth,
    { audience: ctx.authAudience, type: 'auth' })
  if (found.ok) {
    const { session } = found.live
    await ctx.stores.sessions.revoke(session.id, ctx.nowMs())
    await ctx.auditor.record(request, { decision: 'logout', email: session.email,
      sub: session.sub, idp: session.idp })
  }
  const cleared = setCookie(cookieNames.auth, '', { secure: request.proto === 'https',
    maxAgeSeconds: 0 })
  return htmlPage(200, signedOutPage(), [cleared])
}

/** The auth domain's login URL for a return URL and the app host's nonce. */
export function loginUrl(
  ctx: GateContext,
  request: GateRequest,
  returnUrl: string,
  appNonce: string,
): string {
  const query = new URLSearchParams({ redirect_url: returnUrl, app_nonce: appNonce })
  return `${originFor(request, ctx.config.authDomain)}/.keyway/login?${query}`
}
