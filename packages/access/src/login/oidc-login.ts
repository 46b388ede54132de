import * as client from 'openid-client'

import type { IdentityProviderConfig } from '../config/types.js'
import { AccessError, AccessErrorCode } from '../errors.js'
import type { Identity } from '../policy/types.js'

/** What must be kept between sending the browser to the provider and its return. */
export interface PendingLogin {
  readonly idp: string
  readonly state: string
  readonly nonce: string
  readonly codeVerifier: string
  /** The app URL the login was started for. */
  readonly returnUrl: string
  /** Random value of the browser's `keyway_login` cookie: binds the state to the browser. */
  readonly browserBinding: string
  /** Random value of the app host's `keyway_nonce` cookie, checked at the app callback. */
  readonly appNonce: string
}

/** What the login carries from its start to its end, besides the protocol values. */
export type LoginCarry = Pick<PendingLogin, 'returnUrl' | 'browserBinding' | 'appNonce'>

const discoveryTimeoutSeconds = 10
const maxClaimsJsonChars = 8192
const protocolClaims = new Set([
  'iss', 'aud', 'exp', 'iat', 'nbf', 'nonce', 'at_hash', 'c_hash', 'auth_time', 'azp', 'sid',
  'jti', 'acr', 'amr', 'email', 'email_verified', 'sub',
])

/**
 * The relying-party side of OpenID Connect for the configured providers, through
 * `openid-client`: authorization code flow with PKCE (S256), `state` and `nonce`.
 * Discovery runs at the first login of each provider and is retried after a failure.
 */
export class OidcLogin {
  readonly #providers: ReadonlyMap<string, IdentityProviderConfig>
  readonly #configs = new Map<string, Promise<client.Configuration>>()

  constructor(providers: readonly IdentityProviderConfig[]) {
    this.#providers = new Map(providers.map((provider) => [provider.id, provider]))
  }

  /** The provider with this id, or undefined. */
  provider(id: string): IdentityProviderConfig | undefined {
    return this.#providers.get(id)
  }

  /**
   * Builds the authorization URL and what to keep until the provider sends the user back.
   * `forceLogin` asks the provider to authenticate the user again (`prompt=login`).
   */
  async start(
    idp: string,
    redirectUri: string,
    carry: LoginCarry,
    options: { readonly forceLogin?: boolean } = {},
  ): Promise<{ url: URL; pending: PendingLogin }> {
    const provider = this.#require(idp)
    const config = await this.#config(provider)
    const codeVerifier = client.randomPKCECodeVerifier()
    const state = client.randomState()
    const nonce = client.randomNonce()
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: provider.scopes.join(' '),
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...(options.forceLogin === true ? { prompt: 'login' } : {}),
    })
    return { url, pending: { idp, state, nonce, codeVerifier, ...carry } }
  }

  /**
   * Redeems the code of the callback URL (`callbackUrl`: the redirect URI with the
   * provider's query) and returns the user. Throws `ERR_IDENTITY_PROVIDER` when the
   * provider's answer does not check out and `ERR_EMAIL_NOT_VERIFIED` without a verified email.
   */
  async finish(callbackUrl: URL, pending: PendingLogin): Promise<Identity> {
    const provider = this.#require(pending.idp)
    const config = await this.#config(provider)
    let claims: Record<string, unknown>
    try {
      const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      })
      const idClaims: Record<string, unknown> = { ...tokens.claims() }
      claims = { ...idClaims }
      if (typeof claims['email'] !== 'string' || claims['email_verified'] === undefined) {
        const subject = String(idClaims['sub'])
        const info = await client.fetchUserInfo(config, tokens.access_token, subject)
        claims = { ...info, ...idClaims }
      }
    } catch (err) {
      throw new AccessError(AccessErrorCode.identityProvider,
        `the provider "${provider.id}" answered a login that does not check out`, { cause: err })
    }
    return identityFrom(provider, claims)
  }

  #require(id: string): IdentityProviderConfig {
    const provider = this.#providers.get(id)
    if (provider === undefined) throw new TypeError(`unknown identity provider "${id}"`)
    return provider
  }

  #config(provider: IdentityProviderConfig): Promise<client.Configuration> {
    let config = this.#configs.get(provider.id)
    if (config === undefined) {
      const issuer = new URL(provider.issuer)
      config = client.discovery(issuer, provider.clientId, provider.clientSecret, undefined, {
        execute: issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [],
        timeout: discoveryTimeoutSeconds,
      })
      config.catch(() => this.#configs.delete(provider.id))
      this.#configs.set(provider.id, config)
    }
    return config.catch((err: unknown) => {
      throw new AccessError(AccessErrorCode.identityProvider,
        `cannot reach the provider "${provider.id}" at ${provider.issuer}`, { cause: err })
    })
  }
}

function identityFrom(provider: IdentityProviderConfig, claims: Record<string, unknown>): Identity {
  const email = claims['email']
  const verified = claims['email_verified']
  if (typeof email !== 'string' || email === '' || (verified !== true && verified !== 'true')) {
    throw new AccessError(AccessErrorCode.emailNotVerified,
      `the provider "${provider.id}" did not assert a verified email`)
  }
  const rawGroups = claims[provider.groupsClaim]
  const groups = (Array.isArray(rawGroups) ? rawGroups : [rawGroups])
    .filter((group): group is string => typeof group === 'string')
  const extra: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(claims)) {
    if (!protocolClaims.has(name)) extra[name] = value
  }
  const kept = JSON.stringify(extra).length <= maxClaimsJsonChars ? extra : {}
  return Object.freeze({
    sub: String(claims['sub']),
    email: email.toLowerCase(),
    idp: provider.id,
    groups: Object.freeze(groups),
    claims: Object.freeze(kept),
  })
}
