import { DOMImplementation, XMLSerializer } from '@xmldom/xmldom'

import type { SamlAppConfig } from './config.js'
import type { SamlEndpoints } from './endpoints.js'
import { element } from './xml.js'
import { NameIdFormatUri, SamlBinding, SamlNs } from './vocabulary.js'

/** Inputs of {@link buildIdpMetadata}. */
export interface IdpMetadataInput {
  readonly app: Pick<SamlAppConfig, 'nameIdFormat'>
  readonly endpoints: SamlEndpoints
  /** Base64 DER bodies of every published certificate, the signing one first. */
  readonly certificates: readonly string[]
}

/** The media type metadata is served with. */
export const metadataContentType = 'application/samlmetadata+xml'

/**
 * The identity provider's `EntityDescriptor` for one app: a signing `KeyDescriptor` per
 * published certificate, the app's name ID format and the SSO endpoint for the Redirect and
 * POST bindings.
 */
export function buildIdpMetadata(input: IdpMetadataInput): string {
  if (input.certificates.length === 0) throw new TypeError('metadata needs a certificate')
  const doc = new DOMImplementation().createDocument(SamlNs.metadata, 'md:EntityDescriptor', null)
  const md = (name: string, attributes = {}, children: Parameters<typeof element>[4] = []) =>
    element(doc, SamlNs.metadata, `md:${name}`, attributes, children)
  const root = doc.documentElement
  if (root === null) throw new TypeError('cannot create the metadata document')
  root.setAttributeNS(SamlNs.xmlns, 'xmlns:md', SamlNs.metadata)
  root.setAttributeNS(SamlNs.xmlns, 'xmlns:ds', SamlNs.dsig)
  root.setAttribute('entityID', input.endpoints.idpEntityId)

  const keys = input.certificates.map((body) => md('KeyDescriptor', { use: 'signing' }, [
    element(doc, SamlNs.dsig, 'ds:KeyInfo', {}, [
      element(doc, SamlNs.dsig, 'ds:X509Data', {}, [
        element(doc, SamlNs.dsig, 'ds:X509Certificate', {}, [body]),
      ]),
    ]),
  ]))
  const descriptor = md('IDPSSODescriptor', {
    protocolSupportEnumeration: SamlNs.protocol,
    WantAuthnRequestsSigned: 'false',
  }, [
    ...keys,
    md('NameIDFormat', {}, [NameIdFormatUri[input.app.nameIdFormat]]),
    md('SingleSignOnService', {
      Binding: SamlBinding.redirect,
      Location: input.endpoints.ssoUrl,
    }),
    md('SingleSignOnService', { Binding: SamlBinding.post, Location: input.endpoints.ssoUrl }),
  ])
  root.appendChild(descriptor)
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(doc)}`
}
