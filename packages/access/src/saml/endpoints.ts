/** Where the relay serves each SAML app on the auth domain. */

/** The path prefix of every SAML endpoint on the auth domain. */
export const samlPathPrefix = '/_keyway/saml/'

/** The URLs of one SAML app's identity provider. */
export interface SamlEndpoints {
  /** The identity provider's entity ID (the `Issuer` of its responses): the metadata URL. */
  readonly idpEntityId: string
  /** `GET`: the `EntityDescriptor` to give the service provider. */
  readonly metadataUrl: string
  /** `GET` (HTTP-Redirect binding) and `POST` (HTTP-POST binding) of `AuthnRequest`s. */
  readonly ssoUrl: string
  /** `GET`: an IdP-initiated login, started from the launcher (when enabled for the app). */
  readonly launchUrl: string
}

/** What a path under {@link samlPathPrefix} asks for. */
export interface SamlRoute {
  readonly appName: string
  readonly endpoint: 'metadata' | 'sso' | 'launch'
}

/**
 * The endpoints of app `appName` on `authDomain` (a host name, optionally with `:port`):
 * `https://<authDomain>/_keyway/saml/<app>/metadata`, `.../sso` and `.../launch`.
 */
export function samlEndpoints(authDomain: string, appName: string, scheme = 'https'):
  SamlEndpoints {
  const base = `${scheme}://${authDomain}${samlPathPrefix}${encodeURIComponent(appName)}`
  return Object.freeze({
    idpEntityId: `${base}/metadata`,
    metadataUrl: `${base}/metadata`,
    ssoUrl: `${base}/sso`,
    launchUrl: `${base}/launch`,
  })
}

/**
 * Reads a request path (without query) of the auth domain: the SAML route it names, or
 * undefined when it is not one (the caller answers 404).
 */
export function matchSamlRoute(pathname: string): SamlRoute | undefined {
  if (!pathname.startsWith(samlPathPrefix)) return undefined
  const parts = pathname.slice(samlPathPrefix.length).split('/')
  if (parts.length !== 2 || parts[0] === undefined || parts[0] === '') return undefined
  const endpoint = parts[1]
  if (endpoint !== 'metadata' && endpoint !== 'sso' && endpoint !== 'launch') return undefined
  let appName: string
  try {
    appName = decodeURIComponent(parts[0])
  } catch {
    return undefined
  }
  return { appName, endpoint }
}
