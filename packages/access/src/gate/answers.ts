import type { GateDecision, HeaderList } from './types.js'

const noStore: HeaderList = [['Cache-Control', 'no-store'], ['X-Content-Type-Options', 'nosniff']]

/** A redirect answer (302) with optional `Set-Cookie` lines. */
export function redirect(location: string, setCookies: readonly string[] = []): GateDecision {
  return {
    action: 'respond',
    status: 302,
    headers: [['Location', location], ...cookieLines(setCookies), ...noStore],
    body: '',
  }
}

/** An HTML page. */
export function htmlPage(
  status: number,
  html: string,
  setCookies: readonly string[] = [],
): GateDecision {
  return {
    action: 'respond',
    status,
    headers: [
      ['Content-Type', 'text/html; charset=utf-8'],
      ['Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'"],
      ['X-Frame-Options', 'DENY'],
      ...cookieLines(setCookies),
      ...noStore,
    ],
    body: html,
  }
}

/** A JSON answer. */
export function json(
  status: number,
  value: unknown,
  extra: HeaderList = [],
): GateDecision {
  return {
    action: 'respond',
    status,
    headers: [['Content-Type', 'application/json'], ...extra, ...noStore],
    body: `${JSON.stringify(value)}\n`,
  }
}

/** A short plain-text answer (for machines and upgrades). */
export function text(status: number, message: string, extra: HeaderList = []): GateDecision {
  return {
    action: 'respond',
    status,
    headers: [['Content-Type', 'text/plain; charset=utf-8'], ...extra, ...noStore],
    body: `${message}\n`,
  }
}

function cookieLines(setCookies: readonly string[]): HeaderList {
  return setCookies.map((line): [string, string] => ['Set-Cookie', line])
}

/** Options of {@link setCookie}. */
export interface CookieOptions {
  readonly secure: boolean
  /** Omit for a cookie that ends with the browser session; 0 deletes it. */
  readonly maxAgeSeconds?: number
}

/** A host-only `Set-Cookie` line: Path=/, HttpOnly, SameSite=Lax, Secure on HTTPS. */
export function setCookie(name: string, value: string, options: CookieOptions): string {
  const parts = [`${name}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax']
  if (options.secure) parts.push('Secure')
  if (options.maxAgeSeconds !== undefined) {
    parts.push(`Max-Age=${Math.max(0, options.maxAgeSeconds)}`)
  }
  return parts.join('; ')
}
