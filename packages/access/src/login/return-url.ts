import { hostHasApp } from '../apps/match-app.js'
import type { AppConfig } from '../config/types.js'

const maxReturnUrlChars = 2048
// Scheme, then an authority of host characters and an optional port only: no userinfo,
// no backslash, no whitespace, no percent-encoding in the host.
const absoluteUrl = /^(https?):\/\/([a-z0-9.-]+)(?::(\d{1,5}))?(\/[^\s\\]*)?$/i
// Encoded tab, CR, LF and other controls: some parsers strip them and read another URL.
const encodedWhitespaceOrControl = /%(0[0-9a-f]|1[0-9a-f]|7f)/i

/** Where the login may send the browser back to. */
export interface ReturnTarget {
  readonly url: URL
  readonly host: string
}

/** What a return URL must agree with: this relay's apps, and the listener it came through. */
export interface ReturnUrlRules {
  readonly apps: readonly AppConfig[]
  readonly authDomain: string
  /** The scheme of the listener the login runs on; the return URL must use the same. */
  readonly proto: 'http' | 'https'
  /** The port of that listener as written in Host (undefined for the default port). */
  readonly port: string | undefined
}

/**
 * Accepts a return URL only when it is an absolute `http(s)` URL of an app host of this
 * relay, on the same scheme and port as the login itself. Refuses everything else:
 * protocol-relative (`//evil`), backslash forms (`/\evil`), userinfo (`https://good@evil`),
 * whitespace or control characters, raw or percent-encoded, other hosts, the auth domain.
 */
export function validateReturnUrl(raw: unknown, rules: ReturnUrlRules): ReturnTarget | undefined {
  if (typeof raw !== 'string' || raw.length === 0) return undefined
  if (raw.length > maxReturnUrlChars) return undefined
  if (encodedWhitespaceOrControl.test(raw)) return undefined
  const match = absoluteUrl.exec(raw)
  if (match === null) return undefined
  const [, scheme = '', hostText = '', port] = match
  const host = hostText.toLowerCase().replace(/\.$/, '')
  if (scheme.toLowerCase() !== rules.proto) return undefined
  if (normalPort(port, rules.proto) !== normalPort(rules.port, rules.proto)) return undefined
  if (host === rules.authDomain || !hostHasApp(rules.apps, host)) return undefined
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return undefined
  }
  // The parsed form must agree with what was checked, or a parser difference is at play.
  if (url.hostname !== host || url.username !== '' || url.password !== '') return undefined
  return { url, host }
}

/**
 * Accepts a same-host path to go back to after the app callback: must start with a single
 * `/`, no backslash, no whitespace or control characters (raw or encoded).
 */
export function validateReturnPath(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw.length === 0) return undefined
  if (raw.length > maxReturnUrlChars) return undefined
  if (!raw.startsWith('/') || raw.startsWith('//')) return undefined
  if (/[\s\\]/.test(raw) || encodedWhitespaceOrControl.test(raw)) return undefined
  if (/[\u0000-\u001f\u007f]/.test(raw)) return undefined
  return raw
}

function normalPort(port: string | undefined, proto: 'http' | 'https'): string {
  if (port === undefined || port === '') return proto === 'https' ? '443' : '80'
  return String(Number(port))
}
