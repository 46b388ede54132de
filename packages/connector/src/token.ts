/** The prefix and separator of a tunnel token: `keyway1.<tunnelName>.<secret>`. */
const TOKEN_PREFIX = 'keyway1'

/**
 * The tunnel name a token claims, for log lines only: the relay alone decides whether the
 * token is valid. Undefined when the token is not in the expected form.
 */
export function tunnelNameOfToken(token: string): string | undefined {
  const parts = token.split('.')
  if (parts.length !== 3 || parts[0] !== TOKEN_PREFIX) return undefined
  const name = parts[1] ?? ''
  return /^[A-Za-z0-9_-]{1,128}$/.test(name) ? name : undefined
}

/**
 * Checks that a token can be sent in a header at all.
 *
 * @throws TypeError naming the problem, never the token.
 */
export function checkToken(token: unknown): string {
  if (typeof token !== 'string' || token.trim() === '') {
    throw new TypeError('"token" must be a non-empty string')
  }
  const trimmed = token.trim()
  if (!/^[\x21-\x7e]+$/.test(trimmed)) {
    throw new TypeError('"token" must not contain spaces or control characters')
  }
  return trimmed
}
