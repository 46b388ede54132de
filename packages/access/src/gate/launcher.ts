import type { AppConfig, DomainPattern } from '../config/types.js'
import { evaluatePolicies } from '../policy/evaluate-policies.js'
import type { Identity } from '../policy/types.js'
import { samlEndpoints } from '../saml/index.js'
import { requestPort, originFor, type GateContext } from './context.js'
import { escapeHtml, page } from './pages.js'
import { samlPolicyApp } from './saml-routes.js'
import type { GateRequest } from './types.js'

/** One app on the launcher. */
export type LauncherEntry =
  | { readonly kind: 'web'; readonly name: string; readonly href: string }
  /** `href` is the IdP-initiated launch, undefined when the app allows only its own start. */
  | { readonly kind: 'saml'; readonly name: string; readonly href: string | undefined }
  | {
      readonly kind: 'ssh' | 'rdp' | 'tcp'
      readonly name: string
      readonly host: string
      /** The command that connects, to copy into a terminal. */
      readonly command: string
      /** What to do after running it, when there is a next step. */
      readonly then: string | undefined
    }

/** Local ports the shown `keyway access tcp` commands listen on. */
export const launcherLocalPorts = Object.freeze({ rdp: 13389, tcp: 15000 })

/**
 * The apps `identity` may reach, in config order, SAML apps after self-hosted ones: each
 * app's policies are evaluated as for a request from this client. Apps marked `launcher:
 * hidden`, and apps with only wildcard domains (no address to show), are left out.
 */
export function launcherEntries(
  ctx: GateContext,
  request: GateRequest,
  identity: Identity,
): LauncherEntry[] {
  const facts = { clientIp: request.clientIp }
  const entries: LauncherEntry[] = []
  for (const app of ctx.config.apps) {
    const domain = app.domains.find((candidate) => !candidate.wildcard)
    if (app.launcher === 'hidden' || domain === undefined) continue
    const decision = evaluatePolicies(app, facts, identity, ctx.config.ruleGroups)
    if (decision.decision === 'allow') entries.push(selfHostedEntry(request, app, domain))
  }
  for (const app of ctx.config.samlApps) {
    const decision = evaluatePolicies(samlPolicyApp(app), facts, identity,
      ctx.config.ruleGroups)
    if (decision.decision !== 'allow') continue
    const authHost = new URL(originFor(request, ctx.config.authDomain)).host
    const href = app.idpInitiated
      ? samlEndpoints(authHost, app.name, request.proto).launchUrl : undefined
    entries.push({ kind: 'saml', name: app.name, href })
  }
  return entries
}

function selfHostedEntry(request: GateRequest, app: AppConfig, domain: DomainPattern):
  LauncherEntry {
  const kind = app.launcher ?? 'web'
  const origin = originFor(request, domain.host)
  if (kind === 'web' || kind === 'hidden') {
    return { kind: 'web', name: app.name, href: `${origin}${domain.path}` }
  }
  // The client takes a bare host name for HTTPS on 443, and a URL for anything else.
  const port = requestPort(request.req)
  const target = request.proto === 'https' && (port === undefined || port === '443')
    ? domain.host : origin
  if (kind === 'ssh') {
    return { kind, name: app.name, host: domain.host, then: undefined,
      command: `ssh -o ProxyCommand='keyway access ssh --hostname ${target}' ${domain.host}` }
  }
  const listen = `127.0.0.1:${launcherLocalPorts[kind]}`
  return { kind, name: app.name, host: domain.host,
    command: `keyway access tcp --hostname ${target} --listen ${listen}`,
    then: kind === 'rdp' ? `then connect your RDP client to ${listen}`
      : `then connect your client to ${listen}` }
}

/** The launcher page: who is signed in and the apps they may reach. */
export function launcherPage(email: string, entries: readonly LauncherEntry[]): string {
  const items = entries.map((entry) =>
    `<li class="app app-${entry.kind}">${entryHtml(entry)}</li>`)
  const list = items.length === 0
    ? '<p class="empty">No application is open to your account.</p>'
    : `<ul class="apps">\n${items.join('\n')}\n</ul>`
  return page('Your applications',
    `<style>ul.apps{list-style:none;padding:0}li.app{margin:.8rem 0}` +
    `code{display:block;margin:.3rem 0;padding:.5rem;background:#eee;overflow-wrap:anywhere}` +
    `</style>\n<p>Signed in as <strong>${escapeHtml(email)}</strong>.</p>\n${list}\n` +
    '<p><a href="/.keyway/logout">Sign out</a></p>')
}

/** The launcher's face for a visitor without a session: a sign-in link back to it. */
export function launcherSignInPage(loginHref: string): string {
  return page('Your applications', '<p>You are not signed in.</p>\n' +
    `<a class="button" href="${escapeHtml(loginHref)}">Sign in</a>`)
}

function entryHtml(entry: LauncherEntry): string {
  const name = escapeHtml(entry.name)
  switch (entry.kind) {
    case 'web':
      return `<a class="button" href="${escapeHtml(entry.href)}">${name}</a>`
    case 'saml':
      return entry.href === undefined
        ? `<span class="name">${name}</span> <small>(sign in from the app's own page)</small>`
        : `<a class="button" href="${escapeHtml(entry.href)}">${name}</a>`
    default: {
      const then = entry.then === undefined ? '' : `<small>${escapeHtml(entry.then)}</small>`
      return `<span class="name">${name}</span> <small>${entry.kind.toUpperCase()} ` +
        `${escapeHtml(entry.host)}</small>\n<code>${escapeHtml(entry.command)}</code>${then}`
    }
  }
}
