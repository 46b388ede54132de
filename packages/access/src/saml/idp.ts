import { deflateRawSync } from 'node:zlib'

import {
  authnRequestDefaults, decodeSamlRequest, parseAuthnRequest, type AuthnRequest,
  type AuthnRequestLimits, type SsoRequestInput,
} from './authn-request.js'
import type { SamlIdentity } from './attributes.js'
import type { SamlAppConfig } from './config.js'
import { samlEndpoints, type SamlEndpoints } from './endpoints.js'
import { SamlError, SamlErrorCode } from './errors.js'
import type { SamlSigningKey } from './keys.js'
import { buildIdpMetadata, metadataContentType } from './metadata.js'
import {
  renderDenialPage, renderMessagePage, renderPostForm, type HtmlPage,
} from './post-form.js'
import type { SamlIdStore } from './replay.js'
import { buildSamlResponse, type AssertionTimes, type SamlResponse } from './response.js'
import { buildNoPassiveResponse, type StatusResponse } from './status-response.js'

/** The signing keys the identity provider needs; {@link SamlKeyStore} is one. */
export interface SamlKeys {
  signingKey(): SamlSigningKey
  publishedKeys(): readonly SamlSigningKey[]
}

/** Options of {@link SamlIdentityProvider}. */
export interface SamlIdentityProviderOptions {
  /** Host (and port, if not 443) of the auth domain, where every SAML endpoint lives. */
  readonly authDomain: string
  /** `http` only for tests and local demos. Default `https`. */
  readonly scheme?: 'https' | 'http'
  readonly keys: SamlKeys
  readonly ids: SamlIdStore
  readonly nowMs?: () => number
  readonly requestLimits?: Partial<AuthnRequestLimits>
  readonly times?: Partial<AssertionTimes>
}

/** The auth-domain session a login rides on. */
export interface SamlSession {
  /** The session's id; only a per-app hash of it leaves the relay (`SessionIndex`). */
  readonly id: string
  /** When the user signed in at the team's provider. */
  readonly authnInstantMs: number
  readonly notOnOrAfterMs?: number | undefined
}

/** What to answer a login with: the auto-posting page, and the response it carries. */
export interface SamlLoginAnswer extends HtmlPage {
  readonly response: SamlResponse
  readonly acsUrl: string
}

/**
 * Keyway's SAML identity provider for the apps of one relay: metadata, `AuthnRequest`
 * parsing, signed responses for SP- and IdP-initiated logins, and the pages to send. The
 * caller (the access gate) does the login and the policy decision in between.
 */
export class SamlIdentityProvider {
  readonly #options: SamlIdentityProviderOptions
  readonly #nowMs: () => number

  constructor(options: SamlIdentityProviderOptions) {
    if (options.authDomain === '') throw new TypeError('authDomain must be a host name')
    this.#options = options
    this.#nowMs = options.nowMs ?? Date.now
  }

  /** The metadata, SSO and launch URLs of `app`. */
  endpoints(app: Pick<SamlAppConfig, 'name'>): SamlEndpoints {
    return samlEndpoints(this.#options.authDomain, app.name, this.#options.scheme)
  }

  /** The `EntityDescriptor` of `app`, with every published certificate. */
  metadata(app: SamlAppConfig): HtmlPage {
    const body = buildIdpMetadata({
      app,
      endpoints: this.endpoints(app),
      certificates: this.#options.keys.publishedKeys().map((key) => key.certificateBody),
    })
    return Object.freeze({
      status: 200,
      headers: { 'content-type': metadataContentType, 'cache-control': 'max-age=300' },
      body,
    })
  }

  /** Parses and checks an `AuthnRequest` for `app`; throws a {@link SamlError}. */
  parseRequest(app: SamlAppConfig, input: SsoRequestInput): AuthnRequest {
    return parseAuthnRequest(input, {
      app,
      ssoUrl: this.endpoints(app).ssoUrl,
      nowMs: this.#nowMs(),
      limits: this.#options.requestLimits,
    })
  }

  /**
   * The SSO URL carrying `input` by the Redirect binding: the return target of a login that
   * interrupts an SSO request (a POST cannot survive the redirects to the provider).
   */
  resumeUrl(app: SamlAppConfig, input: SsoRequestInput): string {
    const limits = { ...authnRequestDefaults, ...this.#options.requestLimits }
    const xml = decodeSamlRequest(input.binding, input.samlRequest, limits)
    const url = new URL(this.endpoints(app).ssoUrl)
    url.searchParams.set('SAMLRequest', deflateRawSync(Buffer.from(xml)).toString('base64'))
    if (input.relayState !== undefined && input.relayState !== '') {
      url.searchParams.set('RelayState', input.relayState)
    }
    return url.href
  }

  /**
   * Answers an SP-initiated login the policies allowed: claims the request ID (a replay
   * throws `ERR_SAML_REPLAYED`), signs the response and returns the page posting it to the
   * request's ACS URL with its `RelayState` unchanged.
   */
  async respond(app: SamlAppConfig, request: AuthnRequest, identity: SamlIdentity,
    session: SamlSession): Promise<SamlLoginAnswer> {
    await this.#claimRequest(app, request)
    return this.#answer(app, identity, session, request.acsUrl, request.id, request.relayState)
  }

  /**
   * Answers a passive request (`IsPassive="true"`) of a user who is not signed in: a signed
   * `Response` with status `NoPassive` and no assertion, posted to the request's ACS URL.
   * The request ID is not recorded: the answer grants nothing, so a replay of it gains
   * nothing, and anyone could otherwise fill the ID store without signing in.
   */
  async refusePassive(app: SamlAppConfig, request: AuthnRequest):
    Promise<HtmlPage & { readonly response: StatusResponse }> {
    const response = buildNoPassiveResponse({
      idpEntityId: this.endpoints(app).idpEntityId,
      acsUrl: request.acsUrl,
      inResponseTo: request.id,
      key: this.#options.keys.signingKey(),
      nowMs: this.#nowMs(),
    })
    const page = renderPostForm({ acsUrl: request.acsUrl, samlResponse: response.base64,
      relayState: request.relayState })
    return Object.freeze({ ...page, response })
  }

  async #claimRequest(app: SamlAppConfig, request: AuthnRequest): Promise<void> {
    const fresh = await this.#options.ids.claim(`request\0${app.entityId}\0${request.id}`,
      request.expiresAtMs, this.#nowMs())
    if (!fresh) {
      throw new SamlError(SamlErrorCode.replayed, `the AuthnRequest "${request.id}" was ` +
        'answered already; start the login again from the service provider')
    }
  }

  /**
   * Answers an IdP-initiated login (from the launcher) the policies allowed: a response
   * without `InResponseTo` to the app's first ACS URL, with its default relay state. Throws
   * `ERR_SAML_IDP_INITIATED_DISABLED` unless the app enables it.
   */
  async launch(app: SamlAppConfig, identity: SamlIdentity, session: SamlSession):
    Promise<SamlLoginAnswer> {
    const acsUrl = app.acsUrls[0]
    if (!app.idpInitiated || acsUrl === undefined) {
      throw new SamlError(SamlErrorCode.idpInitiatedDisabled, `app "${app.name}" does not ` +
        'allow IdP-initiated login; open it from its own sign-in page, or set idpInitiated: true')
    }
    return this.#answer(app, identity, session, acsUrl, undefined, app.defaultRelayState)
  }

  /** The page for a {@link SamlError}: its status and message. */
  errorPage(err: SamlError, requestId?: string): HtmlPage {
    return renderMessagePage({
      status: err.status,
      title: 'Sign-in request refused',
      message: err.message,
      requestId,
    })
  }

  /** The page for a policy denial: no assertion is issued. */
  denialPage(app: Pick<SamlAppConfig, 'name'>, requestId?: string): HtmlPage {
    return renderDenialPage(app.name, requestId)
  }

  async #answer(app: SamlAppConfig, identity: SamlIdentity, session: SamlSession,
    acsUrl: string, inResponseTo: string | undefined, relayState: string | undefined):
    Promise<SamlLoginAnswer> {
    const now = this.#nowMs()
    const response = buildSamlResponse({
      app,
      idpEntityId: this.endpoints(app).idpEntityId,
      identity,
      acsUrl,
      inResponseTo,
      key: this.#options.keys.signingKey(),
      nowMs: now,
      authnInstantMs: session.authnInstantMs,
      sessionId: session.id,
      sessionNotOnOrAfterMs: session.notOnOrAfterMs,
      times: this.#options.times,
    })
    for (const id of [response.responseId, response.assertionId]) {
      if (!(await this.#options.ids.claim(`issued\0${id}`, response.notOnOrAfterMs, now))) {
        throw new SamlError(SamlErrorCode.replayed, 'a generated SAML ID was issued before')
      }
    }
    const page = renderPostForm({ acsUrl, samlResponse: response.base64, relayState })
    return Object.freeze({ ...page, response, acsUrl })
  }
}

/**
 * Reads an SSO request: `GET` carries it in the query (Redirect binding), `POST` in the
 * `application/x-www-form-urlencoded` body (POST binding). Undefined for other methods.
 */
export function readSsoRequest(method: string, query: URLSearchParams, form?: URLSearchParams):
  SsoRequestInput | undefined {
  if (method === 'GET') {
    return {
      binding: 'redirect',
      samlRequest: query.get('SAMLRequest') ?? undefined,
      relayState: query.get('RelayState') ?? undefined,
    }
  }
  if (method === 'POST' && form !== undefined) {
    return {
      binding: 'post',
      samlRequest: form.get('SAMLRequest') ?? undefined,
      relayState: form.get('RelayState') ?? undefined,
    }
  }
  return undefined
}
