import type { IncomingMessage } from 'node:http'

import type { AppConfig, SamlApp } from '../config/types.js'
import { LogField } from '../log-fields.js'
import { evaluatePolicies } from '../policy/evaluate-policies.js'
import {
  matchSamlRoute, readSsoRequest, SamlError, SamlErrorCode,
  type AuthnRequest, type HtmlPage, type SamlIdentity, type SamlIdentityProvider,
  type SamlSession,
} from '../saml/index.js'
import type { SessionRecord } from '../store/types.js'
import { redirect, text } from './answers.js'
import { cookieNames, originFor, type GateContext } from './context.js'
import type { LiveSession } from './session-reader.js'
import type { GateDecision, GateRequest } from './types.js'

/** Largest POST-binding form read: a `SAMLRequest` at its limit, a `RelayState` and slack. */
export const maxSsoFormBytes = 64 * 1024

/** Query parameter of a resumed SSO request naming the login its `ForceAuthn` caused. */
const forcedLoginParam = 'keyway_forced'

/**
 * Serves `/_keyway/saml/<app>/{metadata,sso,launch}` on the auth domain. An SSO request is
 * checked before anything else (an unknown issuer or ACS URL gets an error page, never a
 * response); then the user signs in through the auth-domain session, the app's policies are
 * evaluated, and only an allowed user gets the page posting a signed response. Every SSO and
 * launch decision is audited.
 */
export async function handleSamlRoute(
  ctx: GateContext,
  request: GateRequest,
  url: URL,
): Promise<GateDecision> {
  const route = matchSamlRoute(url.pathname)
  const app = route === undefined ? undefined
    : ctx.config.samlApps.find((candidate) => candidate.name === route.appName)
  if (route === undefined || app === undefined) return text(404, 'not found')
  const method = request.req.method ?? 'GET'
  const idp = ctx.saml.identityProvider(request, ctx.config.authDomain)
  switch (route.endpoint) {
    case 'metadata':
      if (method !== 'GET' && method !== 'HEAD') return notAllowed('GET, HEAD')
      return pageAnswer(idp.metadata(app))
    case 'sso':
      return singleSignOn(ctx, request, url, app, idp)
    case 'launch':
      if (method !== 'GET') return notAllowed('GET')
      return launch(ctx, request, app, idp)
  }
}

async function singleSignOn(
  ctx: GateContext,
  request: GateRequest,
  url: URL,
  app: SamlApp,
  idp: SamlIdentityProvider,
): Promise<GateDecision> {
  const method = request.req.method ?? 'GET'
  if (method !== 'GET' && method !== 'POST') return notAllowed('GET, POST')
  let parsed: AuthnRequest
  let resumeUrl: string
  try {
    const form = method === 'POST' ? await readForm(request.req) : undefined
    const input = readSsoRequest(method, url.searchParams, form)
    if (input === undefined) return notAllowed('GET, POST')
    parsed = idp.parseRequest(app, input)
    resumeUrl = idp.resumeUrl(app, input)
  } catch (err) {
    return refuse(ctx, request, app, idp, err, {})
  }

  if (parsed.isPassive && await readAuthSession(ctx, request) === undefined) {
    return refusePassive(ctx, request, app, idp, parsed)
  }
  if (parsed.forceAuthn) {
    // Only a session begun after this request sent the user to the provider will do.
    const since = await ctx.saml.takeForcedLogin(url.searchParams.get(forcedLoginParam))
    const live = await readAuthSession(ctx, request)
    if (since === undefined || live === undefined || live.session.createdAtMs < since) {
      const resume = new URL(resumeUrl)
      resume.searchParams.set(forcedLoginParam, await ctx.saml.beginForcedLogin())
      return toLogin(ctx, request, resume.href, true)
    }
  }
  return signedIn(ctx, request, app, idp, resumeUrl, 'saml_sp_initiated',
    (live) => idp.respond(app, parsed, samlIdentity(live.session), samlSession(live.session)))
}

async function launch(
  ctx: GateContext,
  request: GateRequest,
  app: SamlApp,
  idp: SamlIdentityProvider,
): Promise<GateDecision> {
  if (!app.idpInitiated) {
    const err = new SamlError(SamlErrorCode.idpInitiatedDisabled, `${app.name} is opened from ` +
      'its own sign-in page, not from here')
    return refuse(ctx, request, app, idp, err, {})
  }
  return signedIn(ctx, request, app, idp, idp.endpoints(app).launchUrl, 'saml_idp_initiated',
    (live) => idp.launch(app, samlIdentity(live.session), samlSession(live.session)))
}

/**
 * Sends a browser without an auth-domain session to log in (coming back to `returnUrl`);
 * for a signed-in user, evaluates the app's policies and issues the response `issue` makes.
 * The allow is audited only once the response exists, so a replay is audited as a denial.
 */
async function signedIn(
  ctx: GateContext,
  request: GateRequest,
  app: SamlApp,
  idp: SamlIdentityProvider,
  returnUrl: string,
  reason: 'saml_sp_initiated' | 'saml_idp_initiated',
  issue: (live: LiveSession) => Promise<HtmlPage>,
): Promise<GateDecision> {
  const live = await readAuthSession(ctx, request)
  if (live === undefined) return toLogin(ctx, request, returnUrl)
  const who = { email: live.session.email, sub: live.session.sub, idp: live.session.idp }
  const decision = evaluatePolicies(samlPolicyApp(app), { clientIp: request.clientIp },
    live.identity, ctx.config.ruleGroups)
  if (decision.decision !== 'allow') {
    await ctx.auditor.record(request, { decision: decision.reason === 'blocked' ? 'block'
      : 'deny', app: app.name, policy: decision.policy, reason: decision.reason, ...who })
    return pageAnswer(idp.denialPage(app, request.reqId))
  }
  let answer: HtmlPage
  try {
    answer = await issue(live)
  } catch (err) {
    return refuse(ctx, request, app, idp, err, who)
  }
  await ctx.auditor.record(request, { decision: 'allow', app: app.name,
    policy: decision.policy, reason, ...who })
  return pageAnswer(answer)
}

/** A passive request without a session: a `NoPassive` response, audited as a denial. */
async function refusePassive(
  ctx: GateContext,
  request: GateRequest,
  app: SamlApp,
  idp: SamlIdentityProvider,
  parsed: AuthnRequest,
): Promise<GateDecision> {
  let answer: HtmlPage
  try {
    answer = await idp.refusePassive(app, parsed)
  } catch (err) {
    return refuse(ctx, request, app, idp, err, {})
  }
  await ctx.auditor.record(request, { decision: 'deny', app: app.name,
    reason: 'saml_no_passive' })
  return pageAnswer(answer)
}

/** The shape the policy engine evaluates: a SAML app is never public and has no domains. */
export function samlPolicyApp(app: SamlApp): AppConfig {
  return { name: app.name, domains: [], audience: app.audience, policies: app.policies,
    sessionDurationMs: undefined, public: false, cors: undefined, cloudflareHeaders: false }
}

async function readAuthSession(ctx: GateContext, request: GateRequest):
  Promise<LiveSession | undefined> {
  const found = await ctx.sessions.read(request.req, cookieNames.auth,
    { audience: ctx.authAudience, type: 'auth' })
  return found.ok ? found.live : undefined
}

/** Audits a refused SAML request and answers its error page; other errors propagate (500). */
async function refuse(
  ctx: GateContext,
  request: GateRequest,
  app: SamlApp,
  idp: SamlIdentityProvider,
  err: unknown,
  who: { email?: string; sub?: string; idp?: string },
): Promise<GateDecision> {
  if (!(err instanceof SamlError)) throw err
  const reason = `saml_${err.code.replace(/^ERR_SAML_/, '').toLowerCase()}`
  ctx.log.info({ [LogField.reqId]: request.reqId, [LogField.app]: app.name,
    [LogField.reason]: reason, [LogField.err]: err }, 'saml request refused')
  await ctx.auditor.record(request, { decision: 'deny', app: app.name, reason, ...who })
  return pageAnswer(idp.errorPage(err, request.reqId))
}

function toLogin(ctx: GateContext, request: GateRequest, returnUrl: string, forceLogin = false):
  GateDecision {
  const origin = originFor(request, ctx.config.authDomain)
  const query = new URLSearchParams({ redirect_url: returnUrl })
  if (forceLogin) query.set('prompt', 'login')
  return redirect(`${origin}/.keyway/login?${query}`)
}

function samlIdentity(session: SessionRecord): SamlIdentity {
  const name = session.claims['name']
  return { sub: session.sub, email: session.email, idp: session.idp, groups: session.groups,
    name: typeof name === 'string' ? name : undefined, claims: session.claims }
}

function samlSession(session: SessionRecord): SamlSession {
  return { id: session.id, authnInstantMs: session.createdAtMs,
    notOnOrAfterMs: session.expiresAtMs }
}

function pageAnswer(page: HtmlPage): GateDecision {
  return { action: 'respond', status: page.status, headers: Object.entries(page.headers),
    body: page.body }
}

function notAllowed(allow: string): GateDecision {
  return text(405, 'method not allowed', [['Allow', allow]])
}

/** Reads an `application/x-www-form-urlencoded` body of at most {@link maxSsoFormBytes}. */
function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = String(req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded') {
    return Promise.reject(new SamlError(SamlErrorCode.requestEncoding, 'a POST-binding ' +
      'request must be an application/x-www-form-urlencoded form'))
  }
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > maxSsoFormBytes) return Promise.reject(tooLarge(declared))
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let bytes = 0
    const onData = (chunk: Buffer): void => {
      bytes += chunk.length
      chunks.push(chunk)
      if (bytes <= maxSsoFormBytes) return
      // The rest is left unread: the server drops the connection after the answer.
      req.off('data', onData)
      reject(tooLarge(bytes))
    }
    req.on('data', onData)
    req.once('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))))
    req.once('error', reject)
    req.once('close', () => reject(new SamlError(SamlErrorCode.requestMissing,
      'the SSO form ended early')))
  })
}

function tooLarge(bytes: number): SamlError {
  return new SamlError(SamlErrorCode.requestTooLarge, `the SSO form has ${bytes} bytes or ` +
    `more, above the limit of ${maxSsoFormBytes}`)
}

/**
 * A login's return URL that stays on the auth domain: its front page (the launcher) or the
 * SSO or launch endpoint of a configured SAML app, on the listener the login came through.
 * Undefined for anything else, which is then checked as a return to an app host.
 */
export function localReturnUrl(
  ctx: GateContext,
  request: GateRequest,
  raw: string | null | undefined,
): string | undefined {
  if (raw === null || raw === undefined || raw === '') return undefined
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return undefined
  }
  if (url.origin !== originFor(request, ctx.config.authDomain) || url.username !== '' ||
    url.password !== '') {
    return undefined
  }
  if (url.pathname === '/' && url.search === '') return url.href
  const route = matchSamlRoute(url.pathname)
  if (route === undefined || route.endpoint === 'metadata') return undefined
  return ctx.config.samlApps.some((app) => app.name === route.appName) ? url.href : undefined
}
