/** A cookie as a browser would keep it. */
export interface StoredCookie {
  readonly name: string
  readonly value: string
  /** The host that set it (host-only), or its `Domain` attribute without a leading dot. */
  readonly domain: string
  /** True when set without a `Domain` attribute: sent to exactly that host. */
  readonly hostOnly: boolean
  readonly path: string
  /** Absolute expiry; undefined for a session cookie. */
  readonly expiresAtMs: number | undefined
  readonly secure: boolean
  readonly httpOnly: boolean
  /** The `SameSite` attribute as written, lower case, or undefined. */
  readonly sameSite: string | undefined
}

/**
 * A small browser-like cookie store for scripted logins: cookies are keyed by domain, path and
 * name, follow `Domain`, `Path`, `Max-Age`, `Expires` and `Secure`, and are sent back only to
 * matching hosts and paths. `SameSite` is recorded (for assertions) but not enforced: a
 * scripted redirect chain is always a top-level navigation.
 */
export class CookieJar {
  readonly #cookies = new Map<string, StoredCookie>()
  readonly #nowMs: () => number

  constructor(options: { nowMs?: () => number } = {}) {
    this.#nowMs = options.nowMs ?? Date.now
  }

  /** Stores the `Set-Cookie` lines of a response to `url`. */
  setFromResponse(url: string | URL, setCookieLines: readonly string[]): void {
    const target = new URL(url)
    for (const line of setCookieLines) this.#store(target, line)
  }

  /** The `Cookie` header a browser would send to `url`, or undefined when none applies. */
  cookieHeader(url: string | URL): string | undefined {
    const target = new URL(url)
    const host = target.hostname.toLowerCase()
    const path = target.pathname || '/'
    const secureChannel = isTrustworthy(target)
    const matching = this.all()
      .filter((cookie) =>
        (cookie.hostOnly ? host === cookie.domain : domainMatches(host, cookie.domain)) &&
        pathMatches(path, cookie.path) &&
        (!cookie.secure || secureChannel))
      .sort((a, b) => b.path.length - a.path.length)
    if (matching.length === 0) return undefined
    return matching.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ')
  }

  /** The cookie named `name` stored for exactly `host` (host-only or `Domain=host`). */
  get(host: string, name: string): StoredCookie | undefined {
    const wanted = host.toLowerCase()
    return this.all().find((cookie) => cookie.domain === wanted && cookie.name === name)
  }

  /** Every unexpired cookie. */
  all(): StoredCookie[] {
    const now = this.#nowMs()
    for (const [key, cookie] of this.#cookies) {
      if (cookie.expiresAtMs !== undefined && cookie.expiresAtMs <= now) this.#cookies.delete(key)
    }
    return [...this.#cookies.values()]
  }

  /** Stores a cookie by hand, as if `host` had set it (host-only, path `/`). */
  set(host: string, name: string, value: string): void {
    this.#store(new URL(`http://${host}/`), `${name}=${value}; Path=/`)
  }

  /** Removes every cookie named `name` stored for `host`; true if one was removed. */
  delete(host: string, name: string): boolean {
    let removed = false
    for (const [key, cookie] of this.#cookies) {
      if (cookie.domain === host.toLowerCase() && cookie.name === name) {
        removed = this.#cookies.delete(key) || removed
      }
    }
    return removed
  }

  clear(): void {
    this.#cookies.clear()
  }

  #store(url: URL, line: string): void {
    const [pair = '', ...attributeParts] = line.split(';')
    const equals = pair.indexOf('=')
    if (equals <= 0) return
    const name = pair.slice(0, equals).trim()
    const value = pair.slice(equals + 1).trim()
    const host = url.hostname.toLowerCase()
    const attributes = new Map<string, string>()
    for (const part of attributeParts) {
      const split = part.indexOf('=')
      const key = (split === -1 ? part : part.slice(0, split)).trim().toLowerCase()
      attributes.set(key, split === -1 ? '' : part.slice(split + 1).trim())
    }

    const domainAttribute = attributes.get('domain')?.replace(/^\./, '').toLowerCase()
    if (domainAttribute && !domainMatches(host, domainAttribute)) return
    const secure = attributes.has('secure')
    if (secure && !isTrustworthy(url)) return
    const path = attributes.get('path')?.startsWith('/')
      ? (attributes.get('path') as string)
      : defaultPath(url.pathname)
    const expiresAtMs = this.#expiry(attributes)
    const cookie: StoredCookie = {
      name,
      value,
      domain: domainAttribute || host,
      hostOnly: !domainAttribute,
      path,
      expiresAtMs,
      secure,
      httpOnly: attributes.has('httponly'),
      sameSite: attributes.get('samesite')?.toLowerCase(),
    }
    const key = `${cookie.domain}\n${cookie.hostOnly}\n${path}\n${name}`
    if (expiresAtMs !== undefined && expiresAtMs <= this.#nowMs()) this.#cookies.delete(key)
    else this.#cookies.set(key, cookie)
  }

  #expiry(attributes: Map<string, string>): number | undefined {
    const maxAge = attributes.get('max-age')
    if (maxAge !== undefined && /^-?\d+$/.test(maxAge)) {
      return this.#nowMs() + Number(maxAge) * 1000
    }
    const expires = attributes.get('expires')
    if (expires !== undefined) {
      const at = Date.parse(expires)
      if (!Number.isNaN(at)) return at
    }
    return undefined
  }
}

function domainMatches(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`)
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true
  if (!requestPath.startsWith(cookiePath)) return false
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/'
}

function defaultPath(requestPath: string): string {
  const lastSlash = requestPath.lastIndexOf('/')
  return lastSlash <= 0 ? '/' : requestPath.slice(0, lastSlash)
}

/** HTTPS, or a loopback name, which browsers treat as a secure context. */
function isTrustworthy(url: URL): boolean {
  const host = url.hostname.toLowerCase()
  return (
    url.protocol === 'https:' ||
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '127.0.0.1' ||
    host === '[::1]'
  )
}
