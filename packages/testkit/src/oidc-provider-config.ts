import { generateKeyPairSync, randomBytes } from 'node:crypto'

import type { Configuration, KoaContextWithOIDC } from 'oidc-provider'

/** A relying party the test provider knows. */
export interface OidcClientConfig {
  readonly clientId: string
  readonly clientSecret: string
  readonly redirectUris: readonly string[]
  readonly postLogoutRedirectUris?: readonly string[]
  /**
   * How the client authenticates at the token endpoint. Default 'client_secret_post', which is
   * what openid-client 6 uses when given a secret string.
   */
  readonly tokenEndpointAuthMethod?: 'client_secret_post' | 'client_secret_basic'
}

/** A user the test provider knows, by login name. */
export interface OidcUser {
  readonly email: string
  /** Default true. */
  readonly emailVerified?: boolean
  readonly groups?: readonly string[]
  readonly name?: string
  /** More claims released with the `openid` scope. */
  readonly claims?: Readonly<Record<string, unknown>>
}

/** Options of the test OpenID provider; plain JSON so a separate process can take them. */
export interface OidcProviderOptions {
  /** Default 0: a free port. */
  readonly port?: number
  /** Interface to listen on. Default 127.0.0.1. */
  readonly host?: string
  /** Host name in the issuer URL. Default: `host`. */
  readonly issuerHost?: string
  readonly clients: readonly OidcClientConfig[]
  /** Known users by login name; any other login is `LOGIN@example.test`, verified. */
  readonly users?: Readonly<Record<string, OidcUser>>
}

const scopes = ['openid', 'offline_access', 'email', 'profile', 'groups']
// `groups` rides on `openid` as well, so a relying party gets it whatever scopes it asks for.
const scopeClaims = {
  openid: ['sub', 'groups'],
  email: ['email', 'email_verified'],
  profile: ['name', 'preferred_username'],
  groups: ['groups'],
}
const allClaims = [...new Set(Object.values(scopeClaims).flat())]

/** The claims the provider releases for a login name. */
export function claimsFor(
  login: string,
  users: Readonly<Record<string, OidcUser>>,
): Record<string, unknown> {
  const user = Object.hasOwn(users, login) ? users[login] : undefined
  return {
    ...user?.claims,
    sub: login,
    email: user?.email ?? `${login}@example.test`,
    email_verified: user?.emailVerified ?? true,
    name: user?.name ?? login,
    preferred_username: login,
    groups: [...(user?.groups ?? [])],
  }
}

/**
 * Builds the oidc-provider configuration: the clients, devInteractions for login (any
 * password; the login name picks the user), consent granted by `loadExistingGrant`, PKCE
 * required, scope claims in the ID token too, and fresh signing and cookie keys.
 */
export function buildProviderConfiguration(options: OidcProviderOptions): Configuration {
  const users = options.users ?? {}
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const signingKey = {
    ...privateKey.export({ format: 'jwk' }),
    kid: `test-${randomBytes(6).toString('hex')}`,
    use: 'sig',
    alg: 'RS256',
  }

  return {
    clients: options.clients.map((client) => ({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      redirect_uris: [...client.redirectUris],
      post_logout_redirect_uris: [...(client.postLogoutRedirectUris ?? [])],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: client.tokenEndpointAuthMethod ?? 'client_secret_post',
    })),
    scopes,
    claims: scopeClaims,
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    features: { devInteractions: { enabled: true } },
    findAccount: (_ctx, sub) => ({
      accountId: sub,
      claims: () => ({ ...claimsFor(sub, users), sub }),
    }),
    loadExistingGrant,
  }
}

async function loadExistingGrant(ctx: KoaContextWithOIDC) {
  const { client, session, provider } = ctx.oidc
  if (client === undefined || session?.accountId === undefined) return undefined
  const grant = new provider.Grant({ clientId: client.clientId, accountId: session.accountId })
  grant.addOIDCScope(scopes.join(' '))
  grant.addOIDCClaims(allClaims)
  await grant.save()
  return grant
}
