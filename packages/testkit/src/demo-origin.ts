import type { IncomingMessage, ServerResponse } from 'node:http'

import { headerPairs } from './http-origin-routes.js'
import { startHttpOrigin, type HttpOrigin } from './http-origin.js'

/** Headers that carry the relay's signed identity, in the order they are looked for. */
export const identityAssertionHeaders = [
  'keyway-access-jwt-assertion',
  'keyway-jwt-assertion',
  'cf-access-jwt-assertion',
] as const

const emailHeaders = [
  'keyway-authenticated-user-email',
  'keyway-access-authenticated-user-email',
  'cf-access-authenticated-user-email',
]

/** Options of {@link startDemoOrigin}. */
export interface DemoOriginOptions {
  /** Default 127.0.0.1. */
  readonly host?: string
  /** Default 0: a free port. */
  readonly port?: number
  /** Shown as the page heading. Default 'Keyway demo origin'. */
  readonly title?: string
}

/**
 * Starts the small web app that `keyway demo` puts behind the tunnel. Its page shows the
 * request as the origin received it and, when the relay sent one, the identity assertion's
 * claims. It decodes the assertion for display only: it does not verify it. `/headers.json`
 * answers the same facts as JSON.
 */
export function startDemoOrigin(options: DemoOriginOptions = {}): Promise<HttpOrigin> {
  const title = options.title ?? 'Keyway demo origin'
  return startHttpOrigin({
    host: options.host,
    port: options.port,
    handler: (req, res) => serveDemoPage(req, res, title),
  })
}

/**
 * Decodes the claims of a compact JWT without checking its signature, for display; undefined
 * when it is not a JWT with a JSON object payload.
 */
export function decodeJwtUnverified(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.')
  if (parts.length !== 3 || parts[1] === undefined) return undefined
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'))
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims)
      ? (claims as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

function serveDemoPage(req: IncomingMessage, res: ServerResponse, title: string): void {
  req.resume()
  const headers = headerPairs(req.rawHeaders)
  const find = (names: readonly string[]): string | undefined =>
    headers.find(([name]) => names.includes(name.toLowerCase()))?.[1]
  const assertion = find(identityAssertionHeaders)
  const claims = assertion === undefined ? undefined : decodeJwtUnverified(assertion)
  const email = find(emailHeaders) ?? (typeof claims?.['email'] === 'string' ? claims['email'] : '')
  const path = new URL(req.url ?? '/', 'http://demo.invalid').pathname

  if (path === '/headers.json') {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ method: req.method, url: req.url, headers, identity: claims ?? null }))
    return
  }
  res.setHeader('content-type', 'text/html; charset=utf-8')
  res.setHeader('cache-control', 'no-store')
  res.end(
    renderPage({ title, method: req.method ?? '', url: req.url ?? '', headers, claims, email }),
  )
}

interface PageModel {
  readonly title: string
  readonly method: string
  readonly url: string
  readonly headers: ReadonlyArray<readonly [string, string]>
  readonly claims: Record<string, unknown> | undefined
  readonly email: string
}

function renderPage(page: PageModel): string {
  const identity = page.claims
    ? `<section class="ok"><h2>Signed in as ${
      escapeHtml(page.email || String(page.claims['sub']))
    }</h2>
<p>The relay vouched for this visitor with a signed identity assertion. Its claims
(decoded here for display; an origin must verify the signature against the relay's keys):</p>
${table(Object.entries(page.claims).map(([name, value]) => [name, formatClaim(name, value)]))}
</section>`
    : `<section class="none"><h2>No identity assertion</h2>
<p>This request carried no identity header: the route is public, or the relay has no access
policy for it.</p></section>`
  const shown = page.headers.map(([name, value]): [string, string] => [
    name,
    value.length > 80 ? `${value.slice(0, 77)}...` : value,
  ])
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(page.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f6fb;color:#1c2333}
main{max-width:860px;margin:2rem auto;padding:0 1rem}
h1{font-size:1.7rem;margin-bottom:.2rem} .lead{color:#4a5672;margin-top:0}
section{background:#fff;border-radius:10px;padding:1rem 1.3rem;margin:1.2rem 0;
box-shadow:0 1px 3px rgba(0,0,0,.08)} .ok{border-left:6px solid #2e9d5b}
.none{border-left:6px solid #c28a1a} table{border-collapse:collapse;width:100%}
td{padding:.3rem .5rem;border-top:1px solid #e6e9f0;vertical-align:top;
font:13px/1.4 ui-monospace,monospace;word-break:break-all} td:first-child{width:32%;color:#4a5672}
</style></head><body><main>
<h1>${escapeHtml(page.title)}</h1>
<p class="lead">This page is served by a private origin and reached through a Keyway tunnel.</p>
${identity}
<section><h2>The request as the origin received it</h2>
<p><code>${escapeHtml(page.method)} ${escapeHtml(page.url)}</code></p>
${table(shown)}</section>
</main></body></html>
`
}

function table(rows: ReadonlyArray<readonly [string, string]>): string {
  const body = rows
    .map(([name, value]) => `<tr><td>${escapeHtml(name)}</td><td>${escapeHtml(value)}</td></tr>`)
    .join('\n')
  return `<table>\n${body}\n</table>`
}

function formatClaim(name: string, value: unknown): string {
  if (['exp', 'iat', 'nbf'].includes(name) && typeof value === 'number') {
    return `${value} (${new Date(value * 1000).toISOString()})`
  }
  return typeof value === 'string' ? value : JSON.stringify(value)
}

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')
}
