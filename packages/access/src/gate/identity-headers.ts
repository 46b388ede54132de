import type { HeaderList } from './types.js'

/** Headers the access layer sends to origins, in the case it writes them. */
export const identityHeaderNames = Object.freeze({
  assertion: 'Keyway-Jwt-Assertion',
  accessAssertion: 'Keyway-Access-Jwt-Assertion',
  email: 'Keyway-Authenticated-User-Email',
  cfAssertion: 'Cf-Access-Jwt-Assertion',
  cfEmail: 'Cf-Access-Authenticated-User-Email',
})

/** Every cookie the relay sets starts with this; none of them reaches an origin. */
export const relayCookiePrefix = 'keyway_'

/**
 * True for a request header only the relay may set: `Keyway-Access-*`, `Keyway-Jwt-*`,
 * `Keyway-Authenticated-*`, `Cf-Access-*`, in any case and with `_` written for `-` (some
 * servers read `Keyway_Jwt_Assertion` as the same header).
 */
export function isIdentityHeader(name: string): boolean {
  const normal = name.toLowerCase().replaceAll('_', '-')
  return normal.startsWith('keyway-access-') || normal.startsWith('keyway-jwt-') ||
    normal.startsWith('keyway-authenticated-') || normal.startsWith('cf-access-')
}

/** The pairs of Node's flat `rawHeaders`. */
export function headerPairs(raw: readonly string[]): HeaderList {
  const pairs: HeaderList = []
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i] as string, raw[i + 1] as string])
  return pairs
}

/** Parses `Cookie` header values into name/value pairs, in order. */
export function parseCookies(values: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = []
  for (const value of values) {
    for (const part of value.split(';')) {
      const equals = part.indexOf('=')
      if (equals <= 0) continue
      out.push([part.slice(0, equals).trim(), part.slice(equals + 1).trim()])
    }
  }
  return out
}

/** Every value sent for the cookie `name` (a parent domain may have set one too). */
export function cookieValues(raw: readonly string[], name: string): string[] {
  const cookieLines = headerPairs(raw)
    .filter(([header]) => header.toLowerCase() === 'cookie')
    .map(([, value]) => value)
  return parseCookies(cookieLines).filter(([cookie]) => cookie === name).map(([, value]) => value)
}

/** The value of the cookie `name` in the request, when sent exactly once. */
export function cookieValue(raw: readonly string[], name: string): string | undefined {
  const found = cookieValues(raw, name)
  return found.length === 1 ? found[0] : undefined
}

/**
 * What the relay must remove from a request before it is forwarded, and the cleaned
 * `Cookie` header to add back (the client's cookies without the relay's).
 */
export function strippedRequestHeaders(raw: readonly string[]): {
  remove: string[]
  cookie: [string, string] | undefined
} {
  const pairs = headerPairs(raw)
  const remove = new Set<string>()
  for (const [name] of pairs) if (isIdentityHeader(name)) remove.add(name)
  const cookieLines = pairs.filter(([name]) => name.toLowerCase() === 'cookie')
  const cookies = parseCookies(cookieLines.map(([, value]) => value))
  const kept = cookies.filter(([name]) => !name.toLowerCase().startsWith(relayCookiePrefix))
  if (kept.length === cookies.length) return { remove: [...remove], cookie: undefined }
  for (const [name] of cookieLines) remove.add(name)
  const cookie: [string, string] | undefined = kept.length === 0 ? undefined
    : ['Cookie', kept.map(([name, value]) => `${name}=${value}`).join('; ')]
  return { remove: [...remove], cookie }
}
