import { errors, jwtVerify, SignJWT, type JWTHeaderParameters, type JWTPayload } from 'jose'

import { signingAlgorithm, type KeyStore } from '../keys/key-store.js'

/**
 * What a token is for. `auth`: the auth domain's session; `app`: one app's session cookie;
 * `assertion`: the identity statement sent to an origin (never accepted as a session).
 */
export type TokenType = 'auth' | 'app' | 'assertion'

/** The claims of every Keyway token. */
export interface TokenClaims {
  readonly iss: string
  readonly aud: string
  readonly sub: string
  readonly email: string
  readonly idp: string
  /** The session (auth-domain login) the token belongs to. */
  readonly sid: string
  readonly type: TokenType
  readonly iat: number
  readonly nbf: number
  readonly exp: number
  /** Only in assertions: the user's groups, for origins. */
  readonly groups?: readonly string[]
}

/** What to put in a new token; times come from the service's clock. */
export interface TokenRequest {
  readonly type: TokenType
  readonly aud: string
  readonly sub: string
  readonly email: string
  readonly idp: string
  readonly sid: string
  readonly expiresAtMs: number
  readonly groups?: readonly string[]
}

/** Why a token was refused; logged, never shown to the client. */
export type TokenRejection =
  | 'malformed'
  | 'wrong_alg'
  | 'unknown_kid'
  | 'bad_signature'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'wrong_type'
  | 'expired'
  | 'not_yet_valid'

export type VerifyResult =
  | { readonly ok: true; readonly claims: TokenClaims }
  | { readonly ok: false; readonly reason: TokenRejection }

const clockToleranceSeconds = 5
const maxTokenChars = 4096

/** Signs and verifies Keyway's ES256 JWTs against a {@link KeyStore}. */
export class TokenService {
  readonly #keys: KeyStore
  readonly #issuer: string
  readonly #nowMs: () => number

  constructor(options: { keys: KeyStore; issuer: string; nowMs?: () => number }) {
    this.#keys = options.keys
    this.#issuer = options.issuer
    this.#nowMs = options.nowMs ?? Date.now
  }

  get issuer(): string {
    return this.#issuer
  }

  /** Signs a token with the current key; its header carries the key's `kid`. */
  async sign(request: TokenRequest): Promise<string> {
    const key = await this.#keys.signingKey()
    const nowSeconds = Math.floor(this.#nowMs() / 1000)
    const payload: JWTPayload = {
      email: request.email,
      idp: request.idp,
      sid: request.sid,
      type: request.type,
      ...(request.groups === undefined ? {} : { groups: [...request.groups] }),
    }
    return new SignJWT(payload)
      .setProtectedHeader({ alg: signingAlgorithm, kid: key.kid, typ: 'JWT' })
      .setIssuer(this.#issuer)
      .setAudience(request.aud)
      .setSubject(request.sub)
      .setIssuedAt(nowSeconds)
      .setNotBefore(nowSeconds)
      .setExpirationTime(Math.floor(request.expiresAtMs / 1000))
      .sign(key.privateKey)
  }

  /**
   * Verifies `token`: algorithm ES256 only, a known `kid`, the signature, `iss`, `aud`
   * equal to `audience`, `nbf`/`exp` (5 s tolerance) and `type`. Never throws for bad input.
   */
  async verify(
    token: string,
    expected: { audience: string; type: TokenType },
  ): Promise<VerifyResult> {
    if (token.length > maxTokenChars) return { ok: false, reason: 'malformed' }
    let rejection: TokenRejection | undefined
    const resolveKey = async (header: JWTHeaderParameters) => {
      if (header.alg !== signingAlgorithm) rejection = 'wrong_alg'
      else if (typeof header.kid !== 'string') rejection = 'unknown_kid'
      const key = rejection === undefined
        ? await this.#keys.verificationKey(header.kid as string) : undefined
      if (key === undefined) {
        rejection ??= 'unknown_kid'
        throw new Error(rejection)
      }
      return key
    }
    try {
      const { payload } = await jwtVerify(token, resolveKey, {
        algorithms: [signingAlgorithm],
        issuer: this.#issuer,
        audience: expected.audience,
        clockTolerance: clockToleranceSeconds,
        currentDate: new Date(this.#nowMs()),
        requiredClaims: ['sub', 'iat', 'nbf', 'exp'],
      })
      const claims = readClaims(payload)
      if (claims === undefined) return { ok: false, reason: 'malformed' }
      if (claims.type !== expected.type) return { ok: false, reason: 'wrong_type' }
      return { ok: true, claims }
    } catch (err) {
      return { ok: false, reason: rejection ?? rejectionOf(err) }
    }
  }
}

function rejectionOf(err: unknown): TokenRejection {
  if (err instanceof errors.JWTExpired) return 'expired'
  if (err instanceof errors.JOSEAlgNotAllowed) return 'wrong_alg'
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature'
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return 'wrong_issuer'
    if (err.claim === 'aud') return 'wrong_audience'
    if (err.claim === 'nbf') return 'not_yet_valid'
  }
  return 'malformed'
}

function readClaims(payload: JWTPayload): TokenClaims | undefined {
  const text = (name: string): string | undefined =>
    typeof payload[name] === 'string' ? (payload[name] as string) : undefined
  const type = text('type')
  const aud = typeof payload.aud === 'string' ? payload.aud : undefined
  const [sub, email, idp, sid, iss] =
    [text('sub'), text('email'), text('idp'), text('sid'), text('iss')]
  if (type !== 'auth' && type !== 'app' && type !== 'assertion') return undefined
  if ([sub, email, idp, sid, iss, aud].includes(undefined)) return undefined
  if (![payload.iat, payload.nbf, payload.exp].every((time) => Number.isInteger(time))) {
    return undefined
  }
  return Object.freeze({
    iss: iss as string, aud: aud as string, sub: sub as string, email: email as string,
    idp: idp as string, sid: sid as string, type,
    iat: payload.iat as number, nbf: payload.nbf as number, exp: payload.exp as number,
  })
}
