/**
 * The SAML 2.0 and XML signature vocabulary Keyway's identity provider speaks: namespaces,
 * bindings, name ID formats, status codes and algorithms. Read top to bottom.
 */

/** XML namespaces. */
export const SamlNs = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
  xmlns: 'http://www.w3.org/2000/xmlns/',
} as const

/** The two bindings an `AuthnRequest` may arrive by; responses always go by POST. */
export const SamlBinding = {
  redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
} as const

/** Config names of the supported name ID formats and their URIs. */
export const NameIdFormatUri = {
  emailAddress: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  unspecified: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  transient: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
} as const
export type NameIdFormat = keyof typeof NameIdFormatUri

/** `Issuer` elements carry this format (or none, which means the same). */
export const entityFormatUri = 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity'

/** Attribute names are sent as URIs or plain names; this format says "either". */
export const attrNameFormatUnspecified = 'urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified'

export const subjectConfirmationBearer = 'urn:oasis:names:tc:SAML:2.0:cm:bearer'

/** The user signed in at the team's provider through a browser over TLS. */
export const authnContextPasswordProtected =
  'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport'

export const statusSuccess = 'urn:oasis:names:tc:SAML:2.0:status:Success'

/** The identity provider could not answer; the second-level code says why. */
export const statusResponder = 'urn:oasis:names:tc:SAML:2.0:status:Responder'

/** A passive request (`IsPassive="true"`) that would need the user to sign in. */
export const statusNoPassive = 'urn:oasis:names:tc:SAML:2.0:status:NoPassive'

/** Signature and digest algorithms: RSA-SHA256 with exclusive canonicalisation. */
export const SignatureAlgorithm = {
  rsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  exclusiveC14n: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  envelopedSignature: 'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
} as const
