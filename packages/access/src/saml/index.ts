/**
 * Keyway's SAML 2.0 identity provider: SaaS apps send their users to the relay's auth domain,
 * which logs them in, evaluates the app's policies and posts back a signed assertion.
 */
export { SamlError, SamlErrorCode } from './errors.js'
export {
  parseSamlApp,
  samlConfigLimits,
  validateSamlApp,
  type NameIdSource,
  type SamlAppConfig,
  type SamlSignTarget,
} from './config.js'
export {
  matchSamlRoute,
  samlEndpoints,
  samlPathPrefix,
  type SamlEndpoints,
  type SamlRoute,
} from './endpoints.js'
export {
  SamlKeyStore,
  samlKeyDefaults,
  type SamlKeyStoreOptions,
  type SamlSigningKey,
} from './keys.js'
export { createSelfSignedCertificate, certificateBody } from './certificate.js'
export { buildIdpMetadata, metadataContentType, type IdpMetadataInput } from './metadata.js'
export {
  authnRequestDefaults,
  decodeSamlRequest,
  parseAuthnRequest,
  type AuthnRequest,
  type AuthnRequestContext,
  type AuthnRequestLimits,
  type RequestBinding,
  type SsoRequestInput,
} from './authn-request.js'
export { attributeLimits, identityFields, type SamlIdentity } from './attributes.js'
export {
  assertionDefaults,
  buildSamlResponse,
  newSamlId,
  samlTime,
  type AssertionTimes,
  type SamlResponse,
  type SamlResponseInput,
} from './response.js'
export {
  buildNoPassiveResponse, type StatusResponse, type StatusResponseInput,
} from './status-response.js'
export { signElement, type SignatureKey, type SignedElement } from './signature.js'
export {
  escapeHtml,
  renderDenialPage,
  renderMessagePage,
  renderPostForm,
  type HtmlPage,
  type MessagePageInput,
  type PostFormInput,
} from './post-form.js'
export { MemorySamlIdStore, type MemorySamlIdStoreOptions, type SamlIdStore } from './replay.js'
export {
  readSsoRequest,
  SamlIdentityProvider,
  type SamlIdentityProviderOptions,
  type SamlKeys,
  type SamlLoginAnswer,
  type SamlSession,
} from './idp.js'
export { NameIdFormatUri, SamlBinding, SamlNs, type NameIdFormat } from './vocabulary.js'
