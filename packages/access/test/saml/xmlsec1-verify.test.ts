import { createPublicKey } from 'node:crypto'

import { afterAll, describe, expect, it } from 'vitest'

import { SamlKeyStore, type SamlSignTarget } from '../../src/saml/index.js'
import {
  identity, identityProvider, memoryKeys, run, samlApp, scratchDir, session, writeFiles,
} from './support.js'

const keys = memoryKeys()
const scratch = scratchDir('keyway-xmlsec1-')
afterAll(() => scratch.remove())

const assertionXpath = "//*[local-name()='Assertion']/*[local-name()='Signature']"
const responseXpath = "/*[local-name()='Response']/*[local-name()='Signature']"

/** `xmlsec1 --verify` of the signature at `xpath` with the PEM public key of `certificatePem`. */
async function xmlsecVerify(xml: string, certificatePem: string, xpath: string) {
  const publicKey = createPublicKey(certificatePem).export({ type: 'spki', format: 'pem' })
  const files = writeFiles(scratch.dir, { 'response.xml': xml, 'idp.pub': publicKey.toString() })
  return run('/usr/bin/xmlsec1', [
    '--verify', '--enabled-key-data', 'key-name', '--pubkey-pem', files['idp.pub'] ?? '',
    '--id-attr:ID', 'urn:oasis:names:tc:SAML:2.0:assertion:Assertion',
    '--id-attr:ID', 'urn:oasis:names:tc:SAML:2.0:protocol:Response',
    '--node-xpath', xpath, files['response.xml'] ?? '',
  ])
}

async function responseXml(sign: SamlSignTarget): Promise<string> {
  const app = samlApp({ sign, idpInitiated: true })
  const answer = await identityProvider(keys).launch(app, identity, session)
  return answer.response.xml
}

describe('responses checked by xmlsec1 --verify', () => {
  it.each([
    ['both', responseXpath], ['both', assertionXpath], ['response', responseXpath],
    ['assertion', assertionXpath],
  ] as const)('verifies the signature of sign: %s at %s', async (sign, xpath) => {
    const result = await xmlsecVerify(await responseXml(sign), keys.signingKey().certificatePem,
      xpath)
    expect(result.stderr).toContain('OK')
    expect(result.code).toBe(0)
  })

  it.each([['response', responseXpath], ['assertion', assertionXpath]] as const)(
    'fails a tampered %s signature', async (sign, xpath) => {
      const xml = (await responseXml(sign)).replace('>wiki-admins<', '>root-admins<')
      expect(xml).toContain('root-admins')
      const result = await xmlsecVerify(xml, keys.signingKey().certificatePem, xpath)
      expect(result.stderr).toContain('FAIL')
      expect(result.code).toBe(1)
    })

  it('tells the two signatures of sign: both apart', async () => {
    const xml = (await responseXml('both')).replace('Destination="https://wiki.example.test/',
      'Destination="https://evil.example.test/')
    expect(xml).toContain('evil.example.test')
    const certificate = keys.signingKey().certificatePem
    expect((await xmlsecVerify(xml, certificate, assertionXpath)).code).toBe(0)
    expect((await xmlsecVerify(xml, certificate, responseXpath)).code).toBe(1)
  })

  it('fails a response checked against another key', async () => {
    const other = SamlKeyStore.open()
    const result = await xmlsecVerify(await responseXml('both'),
      other.signingKey().certificatePem, responseXpath)
    expect(result.code).toBe(1)
  })

  it('places each signature right after its Issuer', async () => {
    const xml = await responseXml('both')
    const issuer = '<saml:Issuer>https://auth.keyway.test/_keyway/saml/wiki/metadata</saml:Issuer>'
    expect(xml.split(`${issuer}<ds:Signature`)).toHaveLength(3)
    expect(xml).toContain('Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"')
    expect(xml).toContain('<ds:CanonicalizationMethod ' +
      'Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>')
  })
})
