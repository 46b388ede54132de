import { CookieJar } from './cookie-jar.js'
import { TestkitError, TestkitErrorCode } from './errors.js'
import { request, type LoopbackResponse } from './loopback-request.js'

/** The next request of a scripted navigation. */
export interface NextStep {
  readonly url: URL
  readonly method?: string
  /** Sent as `application/x-www-form-urlencoded`. */
  readonly form?: URLSearchParams
}

/** Options of {@link oidcHeadlessLogin}. */
export interface HeadlessLoginOptions {
  /** Where the navigation starts: an app URL on the relay, or an authorization URL. */
  readonly startUrl: string | URL
  /** The login name typed into the provider's form; it picks the user. */
  readonly login: string
  /** Default 'test-password' (the test provider accepts any). */
  readonly password?: string
  /** Default: a new, empty jar. Pass one to reuse sessions between logins. */
  readonly jar?: CookieJar
  /** Stop before following a redirect to a URL this accepts (such as a bare redirect_uri). */
  readonly stopWhen?: (url: URL) => boolean
  /** Handles pages this function does not know (an IdP chooser): return the next step. */
  readonly onPage?: (response: LoopbackResponse) => NextStep | undefined
  /** Headers sent with every request. Default: a browser's `Accept` for HTML. */
  readonly headers?: Readonly<Record<string, string>>
  /** Requests made at most before giving up. Default 30. */
  readonly maxSteps?: number
  readonly insecureTls?: boolean
}

/** Where a scripted login ended. */
export interface HeadlessLoginResult {
  /** The last response received. */
  readonly response: LoopbackResponse
  /** The redirect target that `stopWhen` accepted, not requested. */
  readonly stoppedAt: URL | undefined
  readonly jar: CookieJar
  /** Every request made, as `METHOD URL`. */
  readonly visited: readonly string[]
}

/**
 * A browser stand-in for the login flow: follows redirects across hosts (every name dialled
 * at 127.0.0.1 with its own `Host`), keeps cookies per host, and fills the test provider's
 * devInteractions login (and consent, when shown) forms. Stops at the first page that is
 * neither a redirect nor such a form, or at a redirect that `stopWhen` accepts.
 */
export async function oidcHeadlessLogin(
  options: HeadlessLoginOptions,
): Promise<HeadlessLoginResult> {
  const jar = options.jar ?? new CookieJar()
  const maxSteps = options.maxSteps ?? 30
  const headers = options.headers ?? { accept: 'text/html,application/xhtml+xml' }
  const visited: string[] = []
  let step: NextStep = { url: new URL(options.startUrl) }

  for (let count = 0; count < maxSteps; count++) {
    const method = step.method ?? (step.form ? 'POST' : 'GET')
    visited.push(`${method} ${step.url.href}`)
    const response = await request(step.url, {
      method,
      jar,
      insecureTls: options.insecureTls,
      headers: step.form
        ? { ...headers, 'content-type': 'application/x-www-form-urlencoded' }
        : headers,
      body: step.form?.toString(),
    })

    if (response.status >= 300 && response.status < 400 && response.location) {
      if (options.stopWhen?.(response.location)) {
        return { response, stoppedAt: response.location, jar, visited }
      }
      const keepsMethod = response.status === 307 || response.status === 308
      step = keepsMethod ? { ...step, url: response.location } : { url: response.location }
      continue
    }
    const next = interactionStep(response, options) ?? options.onPage?.(response)
    if (next === undefined) return { response, stoppedAt: undefined, jar, visited }
    step = next
  }
  throw new TestkitError(
    TestkitErrorCode.loginFailed,
    `login did not finish within ${maxSteps} requests: ${visited.join(' -> ')}`,
  )
}

function interactionStep(
  response: LoopbackResponse,
  options: HeadlessLoginOptions,
): NextStep | undefined {
  if (response.status !== 200) return undefined
  const form = parseFirstForm(response.text())
  const prompt = form?.fields.get('prompt')
  if (form === undefined || (prompt !== 'login' && prompt !== 'consent')) return undefined
  const fields = new URLSearchParams([...form.fields])
  if (prompt === 'login') {
    fields.set('login', options.login)
    fields.set('password', options.password ?? 'test-password')
  }
  return { url: new URL(form.action, response.url), method: 'POST', form: fields }
}

/** The first `<form>` of a page: its action and the named inputs with their values. */
export function parseFirstForm(
  html: string,
): { action: string; fields: Map<string, string> } | undefined {
  const match = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html)
  if (!match) return undefined
  const action = attribute(match[1] ?? '', 'action') ?? ''
  const fields = new Map<string, string>()
  for (const input of (match[2] ?? '').matchAll(/<input\b([^>]*)>/gi)) {
    const name = attribute(input[1] ?? '', 'name')
    if (name !== undefined) fields.set(name, attribute(input[1] ?? '', 'value') ?? '')
  }
  return { action, fields }
}

function attribute(tag: string, name: string): string | undefined {
  const pattern = new RegExp(`\\b${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i')
  const match = pattern.exec(tag)
  if (!match) return undefined
  return decodeEntities(match[1] ?? match[2] ?? match[3] ?? '')
}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos|#39);/gi, (_, entity: string) => {
    const lower = entity.toLowerCase()
    if (lower.startsWith('#x')) return String.fromCodePoint(parseInt(lower.slice(2), 16))
    if (lower.startsWith('#')) return String.fromCodePoint(Number(lower.slice(1)))
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }
    return named[lower] ?? ''
  })
}
