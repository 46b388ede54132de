import type { IncomingMessage } from 'node:http'

import type { Identity } from '../policy/types.js'
import type { SessionRecord, SessionStore } from '../store/types.js'
import type { TokenClaims, TokenService, TokenType } from '../tokens/session-token.js'
import { cookieValues } from './identity-headers.js'

/** A session found in a request. */
export interface LiveSession {
  readonly session: SessionRecord
  readonly claims: TokenClaims
  readonly identity: Identity
}

/** Why no session was found: nothing sent, or a token that no longer holds. */
export type SessionLookup =
  | { readonly ok: true; readonly live: LiveSession }
  | { readonly ok: false; readonly reason: 'absent' | 'invalid' | 'expired' | 'revoked' }

const maxCachedTokens = 10_000
// A sibling host can toss in a same-named cookie for a parent domain; a few are tried.
const maxCandidateTokens = 4

/**
 * Reads session tokens from cookies. Signature checks are cached per token until it
 * expires, so they do not dominate the cost of a request; the session record (and so a
 * logout) is looked up on every request.
 */
export class SessionReader {
  readonly #tokens: TokenService
  readonly #sessions: SessionStore
  readonly #nowMs: () => number
  readonly #verified = new Map<string, TokenClaims>()

  constructor(tokens: TokenService, sessions: SessionStore, nowMs: () => number) {
    this.#tokens = tokens
    this.#sessions = sessions
    this.#nowMs = nowMs
  }

  /**
   * The session of the cookie `cookie` (or of an explicit `token`) for `audience`. When the
   * cookie is sent several times, the first value that holds a live session wins.
   */
  async read(
    req: IncomingMessage,
    cookie: string,
    expected: { audience: string; type: TokenType },
    token?: string,
  ): Promise<SessionLookup> {
    const candidates = (token === undefined ? cookieValues(req.rawHeaders, cookie) : [token])
      .filter((value) => value !== '')
      .slice(0, maxCandidateTokens)
    let first: SessionLookup = { ok: false, reason: 'absent' }
    for (const [index, candidate] of candidates.entries()) {
      const found = await this.#readOne(candidate, expected)
      if (found.ok) return found
      if (index === 0) first = found
    }
    return first
  }

  async #readOne(
    token: string,
    expected: { audience: string; type: TokenType },
  ): Promise<SessionLookup> {
    const claims = await this.#verify(token, expected)
    if (claims === 'expired') return { ok: false, reason: 'expired' }
    if (claims === undefined) return { ok: false, reason: 'invalid' }
    const session = await this.#sessions.get(claims.sid)
    if (session === undefined || session.sub !== claims.sub || session.idp !== claims.idp) {
      return { ok: false, reason: 'invalid' }
    }
    if (session.revokedAtMs !== undefined) return { ok: false, reason: 'revoked' }
    if (session.expiresAtMs <= this.#nowMs()) return { ok: false, reason: 'expired' }
    const identity: Identity = { sub: session.sub, email: session.email, idp: session.idp,
      groups: session.groups, claims: session.claims }
    return { ok: true, live: { session, claims, identity } }
  }

  async #verify(
    token: string,
    expected: { audience: string; type: TokenType },
  ): Promise<TokenClaims | 'expired' | undefined> {
    const cacheKey = `${expected.type}\n${expected.audience}\n${token}`
    const cached = this.#verified.get(cacheKey)
    if (cached !== undefined) {
      if (cached.exp * 1000 > this.#nowMs()) return cached
      this.#verified.delete(cacheKey)
      return 'expired'
    }
    const result = await this.#tokens.verify(token, expected)
    if (!result.ok) return result.reason === 'expired' ? 'expired' : undefined
    if (this.#verified.size >= maxCachedTokens) this.#verified.clear()
    this.#verified.set(cacheKey, result.claims)
    return result.claims
  }
}
