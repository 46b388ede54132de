import { randomBytes } from 'node:crypto'

import { matchApp } from '../apps/match-app.js'
import type { AppConfig } from '../config/types.js'
import { evaluatePolicies } from '../policy/evaluate-policies.js'
import { htmlPage, redirect, setCookie, text } from './answers.js'
import { loginUrl } from './auth-domain.js'
import { appCookieName, cookieNames, loginLimits, originFor, type GateContext } from './context.js'
import { cookieValues } from './identity-headers.js'
import { escapeHtml, page } from './pages.js'
import type { LiveSession } from './session-reader.js'
import type { GateDecision, GateRequest } from './types.js'

// The access client's one-time listener: a random port and a 32-byte base64url nonce.
const noncePattern = /^[A-Za-z0-9_-]{22,64}$/
const minLoopbackPort = 1024

/**
 * `/.keyway/cli?port=PORT&nonce=NONCE` on an app host: the login of `keyway access login`.
 * Without an app session the browser goes through the usual login and comes back here;
 * with one, the app's policies are evaluated. A refused user is sent to the client's
 * loopback listener with `error=access_denied`; an allowed one first sees a page asking to
 * let the command line in, whose button posts back here, and only that POST sends the
 * browser to the listener with the app token (`/callback?token=...&nonce=...`).
 *
 * The app cookie is `SameSite=Lax`: a page of another site can make the browser GET this
 * URL, but its POST carries no cookie, and a POST with a foreign `Origin` is refused. So a
 * site cannot have the token sent to a port some other local program listens on.
 */
export async function cliLogin(
  ctx: GateContext,
  request: GateRequest,
  params: URLSearchParams,
): Promise<GateDecision> {
  const listener = loopbackListener(params)
  if (typeof listener === 'string') return text(400, listener)
  const match = matchApp(ctx.config.apps, request.host, '/')
  if (match === undefined || match.app.public) return text(404, 'no app on this host')

  const { app } = match
  const found = await appSession(ctx, request, app)
  if (found === undefined) return startLogin(ctx, request)
  const { live, token } = found
  const posted = request.req.method === 'POST'
  if (posted && !sameOrigin(request)) return text(403, 'the confirmation came from another site')
  const decision = evaluatePolicies(app, { clientIp: request.clientIp }, live.identity,
    ctx.config.ruleGroups)
  const who = { email: live.identity.email, sub: live.identity.sub, idp: live.identity.idp,
    app: app.name }
  const callback = new URL(`http://127.0.0.1:${listener.port}/callback`)
  callback.searchParams.set('nonce', listener.nonce)
  if (decision.decision === 'deny') {
    await ctx.auditor.record(request, { decision: decision.reason === 'blocked' ? 'block' : 'deny',
      policy: decision.policy, reason: decision.reason, ...who })
    callback.searchParams.set('error', 'access_denied')
    return redirect(callback.href)
  }
  if (!posted) return htmlPage(200, confirmPage(request.host, request.path))
  await ctx.auditor.record(request, { decision: 'allow', policy: decision.policy,
    reason: 'cli_token_issued', ...who })
  callback.searchParams.set('token', token)
  return redirect(callback.href)
}

/** The page that asks the user to let the command line in; its form posts back here. */
function confirmPage(host: string, path: string): string {
  return page('Sign in to the command line', `<p>A <code>keyway access</code> command on this
computer asks to use your session for <strong>${escapeHtml(host)}</strong>.</p>
<p>Continue only if you started it.</p>
<form method="post" action="${escapeHtml(path)}"><button type="submit">Continue</button></form>`)
}

/** False for a request whose `Origin` names another site than the app host itself. */
function sameOrigin(request: GateRequest): boolean {
  const origin = request.req.headers.origin
  // Browsers send Origin with every POST; a client without one is not a page of a site.
  return origin === undefined || origin === originFor(request, request.host)
}

/**
 * For a login that `/.keyway/cli` started and the app's policies refuse at the app
 * callback: the redirect that tells the waiting access client `access_denied`, so that it
 * says so at once. Undefined for any other return path.
 */
export function cliDenial(returnPath: string): GateDecision | undefined {
  const url = new URL(returnPath, 'http://app.invalid')
  if (url.pathname !== '/.keyway/cli') return undefined
  const listener = loopbackListener(url.searchParams)
  if (typeof listener === 'string') return undefined
  const callback = new URL(`http://127.0.0.1:${listener.port}/callback`)
  callback.searchParams.set('nonce', listener.nonce)
  callback.searchParams.set('error', 'access_denied')
  return redirect(callback.href)
}

/** The client's listener from `port` and `nonce`, or what is wrong with them. */
function loopbackListener(params: URLSearchParams): { port: number; nonce: string } | string {
  const port = Number(params.get('port'))
  const nonce = params.get('nonce') ?? ''
  if (!Number.isInteger(port) || port < minLoopbackPort || port > 65535) {
    return "'port' must be the access client's loopback port"
  }
  if (!noncePattern.test(nonce)) return "'nonce' is missing or malformed"
  return { port, nonce }
}

/** Sends the browser to the auth domain, to come back to this same URL. */
function startLogin(ctx: GateContext, request: GateRequest): GateDecision {
  const appNonce = randomBytes(16).toString('base64url')
  const nonceCookie = setCookie(cookieNames.appNonce, appNonce, {
    secure: request.proto === 'https', maxAgeSeconds: loginLimits.pendingLoginMs / 1000 })
  const returnUrl = `${originFor(request, request.host)}${request.path}`
  return redirect(loginUrl(ctx, request, returnUrl, appNonce), [nonceCookie])
}

/** The app's live session cookie and its token, which is what the client will send. */
async function appSession(
  ctx: GateContext,
  request: GateRequest,
  app: AppConfig,
): Promise<{ live: LiveSession; token: string } | undefined> {
  const name = appCookieName(app.audience)
  for (const token of cookieValues(request.req.rawHeaders, name).slice(0, 4)) {
    if (token === '') continue
    const found = await ctx.sessions.read(request.req, name,
      { audience: app.audience, type: 'app' }, token)
    if (found.ok) return { live: found.live, token }
  }
  return undefined
}
