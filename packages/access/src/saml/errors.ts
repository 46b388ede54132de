/**
 * Errors of the SAML identity provider. Each has a stable `code` that callers switch on and
 * the HTTP `status` to answer with. Messages describe the request, never secrets, so the error
 * page may show them.
 */

export const SamlErrorCode = {
  requestMissing: 'ERR_SAML_REQUEST_MISSING',
  requestTooLarge: 'ERR_SAML_REQUEST_TOO_LARGE',
  requestEncoding: 'ERR_SAML_REQUEST_ENCODING',
  xmlForbidden: 'ERR_SAML_XML_FORBIDDEN',
  xmlMalformed: 'ERR_SAML_XML_MALFORMED',
  requestInvalid: 'ERR_SAML_REQUEST_INVALID',
  requestExpired: 'ERR_SAML_REQUEST_EXPIRED',
  issuerUnknown: 'ERR_SAML_ISSUER_UNKNOWN',
  acsUnknown: 'ERR_SAML_ACS_UNKNOWN',
  destinationMismatch: 'ERR_SAML_DESTINATION_MISMATCH',
  bindingUnsupported: 'ERR_SAML_BINDING_UNSUPPORTED',
  nameIdPolicy: 'ERR_SAML_NAMEID_POLICY',
  relayStateTooLarge: 'ERR_SAML_RELAY_STATE_TOO_LARGE',
  replayed: 'ERR_SAML_REPLAYED',
  idpInitiatedDisabled: 'ERR_SAML_IDP_INITIATED_DISABLED',
  identityIncomplete: 'ERR_SAML_IDENTITY_INCOMPLETE',
  idStoreFull: 'ERR_SAML_ID_STORE_FULL',
  keyStore: 'ERR_SAML_KEY_STORE',
  signing: 'ERR_SAML_SIGNING',
} as const
export type SamlErrorCode = (typeof SamlErrorCode)[keyof typeof SamlErrorCode]

const statusByCode: Readonly<Record<SamlErrorCode, number>> = {
  ERR_SAML_REQUEST_MISSING: 400,
  ERR_SAML_REQUEST_TOO_LARGE: 413,
  ERR_SAML_REQUEST_ENCODING: 400,
  ERR_SAML_XML_FORBIDDEN: 400,
  ERR_SAML_XML_MALFORMED: 400,
  ERR_SAML_REQUEST_INVALID: 400,
  ERR_SAML_REQUEST_EXPIRED: 400,
  ERR_SAML_ISSUER_UNKNOWN: 400,
  ERR_SAML_ACS_UNKNOWN: 400,
  ERR_SAML_DESTINATION_MISMATCH: 400,
  ERR_SAML_BINDING_UNSUPPORTED: 400,
  ERR_SAML_NAMEID_POLICY: 400,
  ERR_SAML_RELAY_STATE_TOO_LARGE: 400,
  ERR_SAML_REPLAYED: 400,
  ERR_SAML_IDP_INITIATED_DISABLED: 404,
  ERR_SAML_IDENTITY_INCOMPLETE: 403,
  ERR_SAML_ID_STORE_FULL: 503,
  ERR_SAML_KEY_STORE: 500,
  ERR_SAML_SIGNING: 500,
}

/** A SAML request that cannot be answered, or an identity provider that cannot answer. */
export class SamlError extends Error {
  readonly code: SamlErrorCode
  /** The HTTP status of the error page. */
  readonly status: number

  constructor(code: SamlErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options)
    this.name = 'SamlError'
    this.code = code
    this.status = statusByCode[code]
  }
}
