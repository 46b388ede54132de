import { DOMImplementation, XMLSerializer } from '@xmldom/xmldom'

import { newSamlId, samlTime } from './response.js'
import { signElement, type SignatureKey } from './signature.js'
import { element } from './xml.js'
import { SamlNs, statusNoPassive, statusResponder } from './vocabulary.js'

/** Everything a `Response` without an assertion is made of. */
export interface StatusResponseInput {
  /** The identity provider's entity ID for the app (its metadata URL). */
  readonly idpEntityId: string
  /** A checked ACS URL of the app. */
  readonly acsUrl: string
  readonly inResponseTo: string
  readonly key: SignatureKey
  readonly nowMs: number
}

/** A signed `Response` that carries no assertion. */
export interface StatusResponse {
  readonly xml: string
  /** `SAMLResponse` form value. */
  readonly base64: string
  readonly responseId: string
}

/**
 * The signed answer to a passive request from a user who is not signed in: status
 * `Responder` with the second-level `NoPassive`, and no assertion (SAML core 3.4.1).
 */
export function buildNoPassiveResponse(input: StatusResponseInput): StatusResponse {
  const responseId = newSamlId()
  const doc = new DOMImplementation().createDocument(SamlNs.protocol, 'samlp:Response', null)
  const root = doc.documentElement
  if (root === null) throw new TypeError('cannot create the response document')
  root.setAttributeNS(SamlNs.xmlns, 'xmlns:samlp', SamlNs.protocol)
  root.setAttributeNS(SamlNs.xmlns, 'xmlns:saml', SamlNs.assertion)
  root.setAttribute('ID', responseId)
  root.setAttribute('Version', '2.0')
  root.setAttribute('IssueInstant', samlTime(input.nowMs))
  root.setAttribute('Destination', input.acsUrl)
  root.setAttribute('InResponseTo', input.inResponseTo)
  root.appendChild(element(doc, SamlNs.assertion, 'saml:Issuer', {}, [input.idpEntityId]))
  root.appendChild(element(doc, SamlNs.protocol, 'samlp:Status', {}, [
    element(doc, SamlNs.protocol, 'samlp:StatusCode', { Value: statusResponder }, [
      element(doc, SamlNs.protocol, 'samlp:StatusCode', { Value: statusNoPassive }),
    ]),
  ]))
  // Signed whatever the app's `sign`: there is no assertion to carry a signature.
  const xml = signElement(new XMLSerializer().serializeToString(doc), 'Response', input.key)
  return Object.freeze({
    xml,
    base64: Buffer.from(xml, 'utf8').toString('base64'),
    responseId,
  })
}
