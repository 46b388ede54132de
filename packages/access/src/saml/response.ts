import { createHash, randomBytes } from 'node:crypto'

import { DOMImplementation, XMLSerializer, type Document, type Element } from '@xmldom/xmldom'

import { attributeValues, type SamlIdentity } from './attributes.js'
import type { SamlAppConfig } from './config.js'
import { SamlError, SamlErrorCode } from './errors.js'
import { signElement, type SignatureKey } from './signature.js'
import { element, type XmlAttributes } from './xml.js'
import {
  attrNameFormatUnspecified, authnContextPasswordProtected, NameIdFormatUri, SamlNs,
  statusSuccess, subjectConfirmationBearer,
} from './vocabulary.js'

/** Lifetimes of an assertion. */
export interface AssertionTimes {
  /** `NotOnOrAfter` of the conditions and the bearer confirmation, from now. */
  readonly assertionLifetimeMs: number
  /** `NotBefore` is set back this far for service providers whose clocks run behind. */
  readonly notBeforeSkewMs: number
}

/** Defaults of {@link AssertionTimes}. */
export const assertionDefaults: AssertionTimes = Object.freeze({
  assertionLifetimeMs: 5 * 60_000,
  notBeforeSkewMs: 60_000,
})

/** Everything one `Response` is made of. */
export interface SamlResponseInput {
  readonly app: SamlAppConfig
  /** The identity provider's entity ID for this app (its metadata URL). */
  readonly idpEntityId: string
  readonly identity: SamlIdentity
  /** A checked ACS URL of the app: the request's, or the app's first. */
  readonly acsUrl: string
  /** The `AuthnRequest`'s ID; undefined for an IdP-initiated login (no attribute at all). */
  readonly inResponseTo: string | undefined
  readonly key: SignatureKey
  readonly nowMs: number
  /** When the user signed in at the team's provider. */
  readonly authnInstantMs: number
  /** The auth-domain session: hashed per app into `SessionIndex`, never sent as is. */
  readonly sessionId: string
  /** End of that session, sent as `SessionNotOnOrAfter`. */
  readonly sessionNotOnOrAfterMs?: number | undefined
  readonly times?: Partial<AssertionTimes>
  /** Makes `ID` values; random by default. */
  readonly newId?: () => string
}

/** A signed `Response` ready to post. */
export interface SamlResponse {
  readonly xml: string
  /** `SAMLResponse` form value. */
  readonly base64: string
  readonly responseId: string
  readonly assertionId: string
  /** The assertion is not accepted from this time on; remember its ID until then. */
  readonly notOnOrAfterMs: number
}

/** A fresh XML ID: an underscore and 160 random bits in hex. */
export function newSamlId(): string {
  return `_${randomBytes(20).toString('hex')}`
}

/**
 * Builds and signs the `Response` for one login. Built as a DOM, so every value from the
 * provider is text, escaped on output; signed on the assertion, the response or both as the
 * app's `sign` says.
 */
export function buildSamlResponse(input: SamlResponseInput): SamlResponse {
  const times = { ...assertionDefaults, ...input.times }
  const newId = input.newId ?? newSamlId
  const responseId = newId()
  const assertionId = newId()
  const notOnOrAfterMs = input.nowMs + times.assertionLifetimeMs
  const doc = new DOMImplementation().createDocument(SamlNs.protocol, 'samlp:Response', null)
  const root = doc.documentElement
  if (root === null) throw new TypeError('cannot create the response document')

  root.setAttributeNS(SamlNs.xmlns, 'xmlns:samlp', SamlNs.protocol)
  root.setAttributeNS(SamlNs.xmlns, 'xmlns:saml', SamlNs.assertion)
  setAttributes(root, {
    ID: responseId,
    Version: '2.0',
    IssueInstant: samlTime(input.nowMs),
    Destination: input.acsUrl,
    InResponseTo: input.inResponseTo,
  })
  root.appendChild(issuer(doc, input.idpEntityId))
  root.appendChild(element(doc, SamlNs.protocol, 'samlp:Status', {}, [
    element(doc, SamlNs.protocol, 'samlp:StatusCode', { Value: statusSuccess }),
  ]))
  root.appendChild(buildAssertion(doc, input, assertionId, notOnOrAfterMs, times))

  let xml = new XMLSerializer().serializeToString(doc)
  if (input.app.sign !== 'response') xml = signElement(xml, 'Assertion', input.key)
  if (input.app.sign !== 'assertion') xml = signElement(xml, 'Response', input.key)
  return Object.freeze({
    xml,
    base64: Buffer.from(xml, 'utf8').toString('base64'),
    responseId,
    assertionId,
    notOnOrAfterMs,
  })
}

function buildAssertion(
  doc: Document,
  input: SamlResponseInput,
  assertionId: string,
  notOnOrAfterMs: number,
  times: AssertionTimes,
): Element {
  const saml = (name: string, attributes: XmlAttributes = {},
    children: ReadonlyArray<Element | string> = []) =>
    element(doc, SamlNs.assertion, `saml:${name}`, attributes, children)
  const { app, identity } = input
  const assertion = saml('Assertion', {
    ID: assertionId,
    Version: '2.0',
    IssueInstant: samlTime(input.nowMs),
  })
  assertion.setAttributeNS(SamlNs.xmlns, 'xmlns:saml', SamlNs.assertion)
  assertion.appendChild(issuer(doc, input.idpEntityId))
  assertion.appendChild(saml('Subject', {}, [
    saml('NameID', { Format: NameIdFormatUri[app.nameIdFormat] }, [nameIdValue(app, identity)]),
    saml('SubjectConfirmation', { Method: subjectConfirmationBearer }, [
      saml('SubjectConfirmationData', {
        NotOnOrAfter: samlTime(notOnOrAfterMs),
        Recipient: input.acsUrl,
        InResponseTo: input.inResponseTo,
      }),
    ]),
  ]))
  assertion.appendChild(saml('Conditions', {
    NotBefore: samlTime(input.nowMs - times.notBeforeSkewMs),
    NotOnOrAfter: samlTime(notOnOrAfterMs),
  }, [saml('AudienceRestriction', {}, [saml('Audience', {}, [app.entityId])])]))
  assertion.appendChild(saml('AuthnStatement', {
    AuthnInstant: samlTime(input.authnInstantMs),
    SessionIndex: sessionIndex(input.sessionId, app.entityId),
    SessionNotOnOrAfter: input.sessionNotOnOrAfterMs === undefined ? undefined
      : samlTime(input.sessionNotOnOrAfterMs),
  }, [saml('AuthnContext', {}, [
    saml('AuthnContextClassRef', {}, [authnContextPasswordProtected]),
  ])]))

  const attributes = Object.entries(app.attributes)
    .map(([name, field]) => ({ name, values: attributeValues(identity, field, name) }))
    .filter((attribute) => attribute.values.length > 0)
  // The schema wants at least one Attribute in an AttributeStatement.
  if (attributes.length > 0) {
    assertion.appendChild(saml('AttributeStatement', {}, attributes.map(({ name, values }) =>
      saml('Attribute', { Name: name, NameFormat: attrNameFormatUnspecified },
        values.map((value) => saml('AttributeValue', {}, [value]))))))
  }
  return assertion
}

function nameIdValue(app: SamlAppConfig, identity: SamlIdentity): string {
  if (app.nameIdFormat === 'transient') return newSamlId()
  const value = app.nameIdFrom === 'sub' ? identity.sub : identity.email
  if (value === '') {
    throw new SamlError(SamlErrorCode.identityIncomplete, `the user has no ${app.nameIdFrom}, ` +
      `which app "${app.name}" sends as its NameID`)
  }
  return value
}

function issuer(doc: Document, entityId: string): Element {
  return element(doc, SamlNs.assertion, 'saml:Issuer', {}, [entityId])
}

function setAttributes(target: Element, attributes: XmlAttributes): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined) target.setAttribute(name, value)
  }
}

function sessionIndex(sessionId: string, entityId: string): string {
  const digest = createHash('sha256').update(`keyway-saml-session\0${entityId}\0${sessionId}`)
  return `_${digest.digest('hex').slice(0, 40)}`
}

/** SAML's `xs:dateTime` in UTC, to the second. */
export function samlTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}
