import type { HeaderList } from '@keyway/protocol'
import { discardRequest } from './origin-errors.js'
import { headerValue } from './headers.js'
import type { StreamContext } from './stream-context.js'

/** Answers `http_status:NNN`: the status and an empty body. */
export function respondStatus(ctx: StreamContext, status: number): void {
  ctx.status = status
  const headers: HeaderList = status === 204 || status === 304 ? [] : [['Content-Length', '0']]
  ctx.stream.respond({ status, headers, hasBody: false })
  discardRequest(ctx)
}

/** What the `hello_world` service reports back. */
export interface HelloReport {
  service: 'keyway hello_world'
  method: string
  host: string
  path: string
  headers: HeaderList
  rule: number
}

/**
 * Answers `hello_world`: a page showing the request as the connector received it. JSON
 * when the client asks for `application/json`, HTML otherwise.
 */
export function respondHello(ctx: StreamContext): void {
  const { head } = ctx.stream
  const headers = head.headers ?? []
  const report: HelloReport = {
    service: 'keyway hello_world',
    method: head.method ?? '',
    host: head.host,
    path: head.target ?? '/',
    headers,
    rule: ctx.rule.number,
  }
  const wantsJson = (headerValue(headers, 'accept') ?? '').includes('application/json')
  const body = Buffer.from(wantsJson ? `${JSON.stringify(report, null, 2)}\n` : helloHtml(report))
  const bodyless = head.method === 'HEAD'

  ctx.status = 200
  ctx.stream.respond({
    status: 200,
    headers: [
      ['Content-Type', wantsJson ? 'application/json' : 'text/html; charset=utf-8'],
      ['Content-Length', String(body.length)],
      ['Cache-Control', 'no-store'],
    ],
    hasBody: !bodyless,
  })
  if (!bodyless) {
    ctx.bytesOut += body.length
    ctx.stream.data.end(body)
  }
  discardRequest(ctx)
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)
}

function helloHtml(report: HelloReport): string {
  const rows = report.headers
    .map(([name, value]) => `<tr><th>${escapeHtml(name)}</th><td>${escapeHtml(value)}</td></tr>`)
    .join('\n')
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Keyway tunnel works</title>
<style>body{font:15px system-ui,sans-serif;margin:2rem auto;max-width:50rem}
th{text-align:left;padding-right:1rem;vertical-align:top}td{word-break:break-all}</style>
</head>
<body>
<h1>Your Keyway tunnel works</h1>
<p>The connector answered this request itself (service <code>hello_world</code>,
ingress rule ${report.rule}).</p>
<h2>Request received</h2>
<table>
<tr><th>method</th><td>${escapeHtml(report.method)}</td></tr>
<tr><th>host</th><td>${escapeHtml(report.host)}</td></tr>
<tr><th>path</th><td>${escapeHtml(report.path)}</td></tr>
</table>
<h2>Headers</h2>
<table>
${rows}
</table>
</body>
</html>
`
}
