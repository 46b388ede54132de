import { SignedXml } from 'xml-crypto'

import { SamlError, SamlErrorCode } from './errors.js'
import { SamlNs, SignatureAlgorithm } from './vocabulary.js'

/** The private key and certificate a signature is made with. */
export interface SignatureKey {
  readonly privateKeyPem: string
  readonly certificatePem: string
}

/** Which element of a `Response` document to sign. */
export type SignedElement = 'Response' | 'Assertion'

const paths: Readonly<Record<SignedElement, { target: string; issuer: string }>> = {
  Response: {
    target: `/*[local-name(.)='Response' and namespace-uri(.)='${SamlNs.protocol}']`,
    issuer: `/*[local-name(.)='Response']/*[local-name(.)='Issuer' and ` +
      `namespace-uri(.)='${SamlNs.assertion}']`,
  },
  Assertion: {
    target: `/*[local-name(.)='Response']/*[local-name(.)='Assertion' and ` +
      `namespace-uri(.)='${SamlNs.assertion}']`,
    issuer: `/*[local-name(.)='Response']/*[local-name(.)='Assertion']/*[local-name(.)=` +
      `'Issuer' and namespace-uri(.)='${SamlNs.assertion}']`,
  },
}

/**
 * Signs one element of the serialised `Response` `xml` (enveloped, RSA-SHA256, SHA-256
 * digest, exclusive canonicalisation), placing `ds:Signature` right after that element's
 * `Issuer` as SAML core 5.4.1 requires, with the certificate in `KeyInfo`.
 */
export function signElement(xml: string, which: SignedElement, key: SignatureKey): string {
  const { target, issuer } = paths[which]
  try {
    const signer = new SignedXml({
      privateKey: key.privateKeyPem,
      publicCert: key.certificatePem,
      signatureAlgorithm: SignatureAlgorithm.rsaSha256,
      canonicalizationAlgorithm: SignatureAlgorithm.exclusiveC14n,
    })
    signer.addReference({
      xpath: target,
      transforms: [SignatureAlgorithm.envelopedSignature, SignatureAlgorithm.exclusiveC14n],
      digestAlgorithm: SignatureAlgorithm.sha256,
    })
    signer.computeSignature(xml,
      { prefix: 'ds', location: { reference: issuer, action: 'after' } })
    return signer.getSignedXml()
  } catch (err) {
    throw new SamlError(SamlErrorCode.signing, `cannot sign the SAML ${which}`, { cause: err })
  }
}
