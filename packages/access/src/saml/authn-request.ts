import { inflateRawSync } from 'node:zlib'

import type { Element } from '@xmldom/xmldom'

import type { SamlAppConfig } from './config.js'
import { SamlError, SamlErrorCode } from './errors.js'
import { childElements, parseUntrustedXml, textOf } from './xml.js'
import { entityFormatUri, NameIdFormatUri, SamlBinding, SamlNs } from './vocabulary.js'

/** How an `AuthnRequest` arrived. */
export type RequestBinding = 'redirect' | 'post'

/** The fields of an SSO request as the gate read them from the query or form body. */
export interface SsoRequestInput {
  readonly binding: RequestBinding
  /** `SAMLRequest` as received (URL or form decoding already done). */
  readonly samlRequest: string | undefined
  readonly relayState: string | undefined
}

/** Bounds on what an `AuthnRequest` may be. */
export interface AuthnRequestLimits {
  /** Longest `SAMLRequest` value, before base64 decoding. */
  readonly maxEncodedBytes: number
  /** Longest XML document, after base64 decoding and (Redirect binding) inflating. */
  readonly maxXmlBytes: number
  /** An `IssueInstant` older than this is refused; its ID is remembered this long. */
  readonly maxRequestAgeMs: number
  /** How far in the future an `IssueInstant` may lie. */
  readonly clockSkewMs: number
  readonly maxRelayStateBytes: number
  readonly maxIdChars: number
}

/** Defaults of {@link AuthnRequestLimits}. */
export const authnRequestDefaults: AuthnRequestLimits = Object.freeze({
  maxEncodedBytes: 16 * 1024,
  maxXmlBytes: 32 * 1024,
  maxRequestAgeMs: 15 * 60_000,
  clockSkewMs: 2 * 60_000,
  maxRelayStateBytes: 1024,
  maxIdChars: 256,
})

/** What the identity provider needs from a valid `AuthnRequest`. */
export interface AuthnRequest {
  readonly id: string
  readonly issuer: string
  /** Where the response goes: the requested ACS URL, or the app's first. */
  readonly acsUrl: string
  readonly issueInstantMs: number
  /** Until when the request ID must be remembered to refuse a replay. */
  readonly expiresAtMs: number
  readonly forceAuthn: boolean
  readonly isPassive: boolean
  readonly binding: RequestBinding
  readonly relayState: string | undefined
}

/** Where and when the request is being parsed. */
export interface AuthnRequestContext {
  readonly app: SamlAppConfig
  /** This app's SSO URL; a `Destination` other than it is refused. */
  readonly ssoUrl: string
  readonly nowMs: number
  readonly limits?: Partial<AuthnRequestLimits>
}

const ncName = /^[A-Za-z_][A-Za-z0-9_.-]*$/
const base64Text = /^[A-Za-z0-9+/]*={0,2}$/

/**
 * Decodes, parses and checks an `AuthnRequest` for `context.app`. Throws a {@link SamlError}
 * whose message may be shown on the error page; nothing is ever sent to an unchecked URL.
 * The request ID is not consumed here: the response builder claims it.
 */
export function parseAuthnRequest(input: SsoRequestInput, context: AuthnRequestContext):
  AuthnRequest {
  const limits = { ...authnRequestDefaults, ...context.limits }
  const relayState = checkRelayState(input.relayState, limits)
  const xml = decodeSamlRequest(input.binding, input.samlRequest, limits)
  const root = parseUntrustedXml(xml, 'AuthnRequest').documentElement
  if (root === null || root.namespaceURI !== SamlNs.protocol ||
    root.localName !== 'AuthnRequest') {
    throw invalid(`the SAML message is not an AuthnRequest (root element ` +
      `"${quote(root?.localName ?? '')}")`)
  }

  const id = root.getAttribute('ID') ?? ''
  if (!ncName.test(id) || id.length > limits.maxIdChars) {
    throw invalid(`the AuthnRequest's "ID" must be an XML ID of at most ${limits.maxIdChars} ` +
      `characters, got "${quote(id)}"`)
  }
  if (root.getAttribute('Version') !== '2.0') {
    throw invalid(`the AuthnRequest's "Version" must be 2.0, got ` +
      `"${quote(root.getAttribute('Version') ?? '')}"`)
  }
  const issuer = readIssuer(root, context.app)
  const acsUrl = readAcsUrl(root, context.app)
  checkBindingAndDestination(root, context.ssoUrl)
  checkNameIdPolicy(root, context.app)
  const issueInstantMs = readIssueInstant(root, context.nowMs, limits)
  return Object.freeze({
    id,
    issuer,
    acsUrl,
    issueInstantMs,
    expiresAtMs: issueInstantMs + limits.maxRequestAgeMs + limits.clockSkewMs,
    forceAuthn: root.getAttribute('ForceAuthn') === 'true',
    isPassive: root.getAttribute('IsPassive') === 'true',
    binding: input.binding,
    relayState,
  })
}

/**
 * The XML of a `SAMLRequest` value: base64 for the POST binding, base64 of raw DEFLATE for
 * the Redirect binding. Sizes are checked before decoding and while inflating.
 */
export function decodeSamlRequest(
  binding: RequestBinding,
  samlRequest: string | undefined,
  limits: AuthnRequestLimits = authnRequestDefaults,
): string {
  if (samlRequest === undefined || samlRequest === '') {
    throw new SamlError(SamlErrorCode.requestMissing, 'the request carries no "SAMLRequest"; ' +
      'start the login from the service provider')
  }
  if (samlRequest.length > limits.maxEncodedBytes) {
    throw new SamlError(SamlErrorCode.requestTooLarge, `"SAMLRequest" is ` +
      `${samlRequest.length} bytes, more than the limit of ${limits.maxEncodedBytes}`)
  }
  // Query parsers turn an unescaped "+" into a space; base64 never contains spaces.
  const compact = samlRequest.replace(/ /g, '+').replace(/[\r\n\t]/g, '')
  if (!base64Text.test(compact)) {
    throw new SamlError(SamlErrorCode.requestEncoding, '"SAMLRequest" is not base64')
  }
  const raw = Buffer.from(compact, 'base64')
  let bytes: Buffer
  // Some service providers (node-saml by default) deflate POST-binding requests as well.
  if (binding === 'redirect' || !looksLikeXml(raw)) {
    try {
      bytes = inflateRawSync(raw, { maxOutputLength: limits.maxXmlBytes })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new SamlError(SamlErrorCode.requestTooLarge, `"SAMLRequest" inflates to more ` +
          `than the limit of ${limits.maxXmlBytes} bytes`, { cause: err })
      }
      throw new SamlError(SamlErrorCode.requestEncoding, `"SAMLRequest" is neither XML nor ` +
        'raw DEFLATE data', { cause: err })
    }
  } else {
    bytes = raw
  }
  if (bytes.length > limits.maxXmlBytes) {
    throw new SamlError(SamlErrorCode.requestTooLarge, `the AuthnRequest is ${bytes.length} ` +
      `bytes, more than the limit of ${limits.maxXmlBytes}`)
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch (err) {
    throw new SamlError(SamlErrorCode.requestEncoding, 'the AuthnRequest is not UTF-8',
      { cause: err })
  }
}

/** Starts with `<` after an optional byte order mark and white space. */
function looksLikeXml(bytes: Buffer): boolean {
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0
  for (let index = start; index < bytes.length; index += 1) {
    const byte = bytes[index]
    if (byte === 0x3c) return true
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return false
  }
  return false
}

function checkRelayState(value: string | undefined, limits: AuthnRequestLimits):
  string | undefined {
  if (value === undefined || value === '') return undefined
  const bytes = Buffer.byteLength(value)
  if (bytes > limits.maxRelayStateBytes) {
    throw new SamlError(SamlErrorCode.relayStateTooLarge, `"RelayState" is ${bytes} bytes, ` +
      `more than the limit of ${limits.maxRelayStateBytes}`)
  }
  return value
}

function readIssuer(root: Element, app: SamlAppConfig): string {
  const issuers = childElements(root, SamlNs.assertion, 'Issuer')
  const issuer = issuers[0]
  if (issuers.length !== 1 || issuer === undefined) {
    throw new SamlError(SamlErrorCode.issuerUnknown, 'the AuthnRequest must have one "Issuer", ' +
      `the service provider's entity ID (app "${app.name}" expects "${app.entityId}")`)
  }
  const format = issuer.getAttribute('Format')
  const value = textOf(issuer)
  if ((format !== null && format !== '' && format !== entityFormatUri) ||
    value !== app.entityId) {
    throw new SamlError(SamlErrorCode.issuerUnknown, `the AuthnRequest's "Issuer" is ` +
      `"${quote(value)}", but app "${app.name}" expects "${app.entityId}"; set the app's ` +
      'entityId to the service provider\'s entity ID')
  }
  return value
}

function readAcsUrl(root: Element, app: SamlAppConfig): string {
  const requested = root.getAttribute('AssertionConsumerServiceURL')
  const fallback = app.acsUrls[0]
  if (fallback === undefined) throw new TypeError(`app "${app.name}" has no acsUrls`)
  if (requested === null || requested === '') return fallback
  if (!app.acsUrls.includes(requested)) {
    throw new SamlError(SamlErrorCode.acsUnknown, `the AuthnRequest's ` +
      `"AssertionConsumerServiceURL" "${quote(requested)}" is not one of app "${app.name}"'s ` +
      'acsUrls; no response is sent to it. Add it to acsUrls if the service provider uses it')
  }
  return requested
}

function checkBindingAndDestination(root: Element, ssoUrl: string): void {
  const binding = root.getAttribute('ProtocolBinding')
  if (binding !== null && binding !== '' && binding !== SamlBinding.post) {
    throw new SamlError(SamlErrorCode.bindingUnsupported, `the AuthnRequest asks for the ` +
      `response by "${quote(binding)}"; Keyway answers by ${SamlBinding.post} only`)
  }
  const destination = root.getAttribute('Destination')
  if (destination !== null && destination !== '' && destination !== ssoUrl) {
    throw new SamlError(SamlErrorCode.destinationMismatch, `the AuthnRequest's "Destination" ` +
      `"${quote(destination)}" is not this SSO URL ${ssoUrl}`)
  }
}

function checkNameIdPolicy(root: Element, app: SamlAppConfig): void {
  const policy = childElements(root, SamlNs.protocol, 'NameIDPolicy')[0]
  const format = policy?.getAttribute('Format') ?? ''
  if (format === '' || format === NameIdFormatUri.unspecified) return
  if (format !== NameIdFormatUri[app.nameIdFormat]) {
    throw new SamlError(SamlErrorCode.nameIdPolicy, `the AuthnRequest asks for name ID format ` +
      `"${quote(format)}", but app "${app.name}" sends ${NameIdFormatUri[app.nameIdFormat]}; ` +
      'set the app\'s nameIdFormat to match the service provider')
  }
}

function readIssueInstant(root: Element, nowMs: number, limits: AuthnRequestLimits): number {
  const text = root.getAttribute('IssueInstant') ?? ''
  const ms = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(text) ? Date.parse(text) : NaN
  if (Number.isNaN(ms)) {
    throw invalid(`the AuthnRequest's "IssueInstant" must be a UTC time like ` +
      `2026-01-31T12:00:00Z, got "${quote(text)}"`)
  }
  if (ms > nowMs + limits.clockSkewMs || ms < nowMs - limits.maxRequestAgeMs) {
    throw new SamlError(SamlErrorCode.requestExpired, `the AuthnRequest was issued at ${text}, ` +
      `outside the accepted window (at most ${limits.maxRequestAgeMs / 60_000} minutes old); ` +
      'start the login again from the service provider')
  }
  return ms
}

function invalid(message: string): SamlError {
  return new SamlError(SamlErrorCode.requestInvalid, message)
}

/** A value from the request, cut short for a message. */
function quote(value: string): string {
  return value.length > 200 ? `${value.slice(0, 200)}...` : value
}
