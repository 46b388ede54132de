import { deflateRawSync } from 'node:zlib'

import { describe, expect, it } from 'vitest'

import {
  parseAuthnRequest, SamlError, samlEndpoints, type RequestBinding, type SsoRequestInput,
} from '../../src/saml/index.js'
import { authDomain, samlApp } from './support.js'

const app = samlApp()
const ssoUrl = samlEndpoints(authDomain, app.name).ssoUrl
const nowMs = Date.UTC(2026, 11, 4, 12, 0, 0)

/** A hand-written AuthnRequest; `attributes` and `inner` replace the defaults. */
function requestXml(options: { attributes?: Record<string, string | undefined>;
  issuer?: string; inner?: string; prolog?: string } = {}): string {
  const attributes: Record<string, string | undefined> = {
    ID: '_req-1', Version: '2.0', IssueInstant: '2026-12-04T11:59:30Z', Destination: ssoUrl,
    AssertionConsumerServiceURL: 'https://wiki.example.test/saml/acs2',
    ProtocolBinding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
    ...options.attributes,
  }
  const text = Object.entries(attributes)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => ` ${name}="${value}"`).join('')
  return `${options.prolog ?? ''}<samlp:AuthnRequest ` +
    `xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ` +
    `xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"${text}>` +
    `<saml:Issuer>${options.issuer ?? app.entityId}</saml:Issuer>${options.inner ?? ''}` +
    '</samlp:AuthnRequest>'
}

function encode(binding: RequestBinding, xml: string): string {
  const bytes = Buffer.from(xml)
  return (binding === 'redirect' ? deflateRawSync(bytes) : bytes).toString('base64')
}

function parse(input: Partial<SsoRequestInput> & { xml?: string }, now = nowMs) {
  const binding = input.binding ?? 'redirect'
  const samlRequest = input.samlRequest ?? encode(binding, input.xml ?? requestXml())
  return parseAuthnRequest({ binding, samlRequest, relayState: input.relayState },
    { app, ssoUrl, nowMs: now })
}

function codeOf(action: () => unknown): string {
  try {
    action()
  } catch (err) {
    if (err instanceof SamlError) return `${err.code}: ${err.message}`
    throw err
  }
  return 'no error'
}

const billionLaughs = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
  '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'

describe('parseAuthnRequest', () => {
  it.each(['redirect', 'post'] as const)('reads a valid request sent by the %s binding',
    (binding) => {
      const request = parse({ binding, relayState: 'state/ä?x=1' })
      expect(request).toMatchObject({
        id: '_req-1',
        issuer: app.entityId,
        acsUrl: 'https://wiki.example.test/saml/acs2',
        binding,
        relayState: 'state/ä?x=1',
        forceAuthn: false,
        isPassive: false,
      })
      expect(request.expiresAtMs).toBe(Date.UTC(2026, 11, 4, 11, 59, 30) + 17 * 60_000)
    })

  it('sends the response to the first ACS URL when the request names none', () => {
    const xml = requestXml({ attributes: { AssertionConsumerServiceURL: undefined } })
    expect(parse({ xml }).acsUrl).toBe('https://wiki.example.test/saml/acs')
  })

  it('reads ForceAuthn and IsPassive', () => {
    const xml = requestXml({ attributes: { ForceAuthn: 'true', IsPassive: 'true' } })
    expect(parse({ xml })).toMatchObject({ forceAuthn: true, isPassive: true })
  })

  it.each([
    ['an unknown issuer', { xml: requestXml({ issuer: 'https://evil.example/sp' }) },
      'ERR_SAML_ISSUER_UNKNOWN: the AuthnRequest\'s "Issuer" is "https://evil.example/sp", ' +
      'but app "wiki" expects "https://wiki.example.test/saml/metadata"'],
    ['no issuer', { xml: requestXml().replace(/<saml:Issuer>.*<\/saml:Issuer>/, '') },
      'ERR_SAML_ISSUER_UNKNOWN: the AuthnRequest must have one "Issuer"'],
    ['an unknown ACS URL', { xml: requestXml({ attributes: {
      AssertionConsumerServiceURL: 'https://evil.example/acs' } }) },
    'ERR_SAML_ACS_UNKNOWN: the AuthnRequest\'s "AssertionConsumerServiceURL" ' +
      '"https://evil.example/acs" is not one of app "wiki"\'s acsUrls'],
    ['an ACS URL differing only by a trailing slash', { xml: requestXml({ attributes: {
      AssertionConsumerServiceURL: 'https://wiki.example.test/saml/acs/' } }) },
    'ERR_SAML_ACS_UNKNOWN'],
    ['a DOCTYPE (Redirect binding)', { xml: `${billionLaughs}${requestXml()}` },
      'ERR_SAML_XML_FORBIDDEN: the AuthnRequest contains a DOCTYPE or ENTITY declaration'],
    ['a DOCTYPE (POST binding)', { binding: 'post' as const,
      xml: `${billionLaughs}${requestXml()}` }, 'ERR_SAML_XML_FORBIDDEN'],
    ['a lower-case doctype', { xml: `<!doctype x>${requestXml()}` }, 'ERR_SAML_XML_FORBIDDEN'],
    ['an oversized SAMLRequest', { samlRequest: 'A'.repeat(16 * 1024 + 1) },
      'ERR_SAML_REQUEST_TOO_LARGE: "SAMLRequest" is 16385 bytes, more than the limit of 16384'],
    ['a request inflating past the limit', {
      samlRequest: deflateRawSync(Buffer.from(requestXml({
        inner: `<!--${' '.repeat(40_000)}-->` }))).toString('base64') },
    'ERR_SAML_REQUEST_TOO_LARGE: "SAMLRequest" inflates to more than the limit of 32768 bytes'],
    ['a POST request past the XML limit', { binding: 'post' as const, samlRequest: Buffer.from(
      requestXml({ inner: `<!--${' '.repeat(12_000)}-->` })).toString('base64') },
    'ERR_SAML_REQUEST_TOO_LARGE'],
    ['no SAMLRequest', { samlRequest: '' }, 'ERR_SAML_REQUEST_MISSING'],
    ['a SAMLRequest that is not base64', { samlRequest: 'PHNhbWw$$' },
      'ERR_SAML_REQUEST_ENCODING: "SAMLRequest" is not base64'],
    ['Redirect data that is not DEFLATE', { samlRequest: Buffer.from('<x/>')
      .toString('base64') }, 'ERR_SAML_REQUEST_ENCODING'],
    ['XML that is not well-formed', { xml: '<samlp:AuthnRequest' }, 'ERR_SAML_XML_MALFORMED'],
    ['a message that is not an AuthnRequest', { xml: '<samlp:Response xmlns:samlp=' +
      '"urn:oasis:names:tc:SAML:2.0:protocol"/>' }, 'ERR_SAML_REQUEST_INVALID'],
    ['an ID that is not an XML ID', { xml: requestXml({ attributes: { ID: '1abc' } }) },
      'ERR_SAML_REQUEST_INVALID'],
    ['SAML 1.1', { xml: requestXml({ attributes: { Version: '1.1' } }) },
      'ERR_SAML_REQUEST_INVALID: the AuthnRequest\'s "Version" must be 2.0, got "1.1"'],
    ['another Destination', { xml: requestXml({ attributes: {
      Destination: 'https://other.example/sso' } }) }, 'ERR_SAML_DESTINATION_MISMATCH'],
    ['the Artifact binding', { xml: requestXml({ attributes: {
      ProtocolBinding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact' } }) },
    'ERR_SAML_BINDING_UNSUPPORTED'],
    ['another name ID format', { xml: requestXml({ inner: '<samlp:NameIDPolicy Format=' +
      '"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"/>' }) },
    'ERR_SAML_NAMEID_POLICY'],
    ['an old IssueInstant', { xml: requestXml({ attributes: {
      IssueInstant: '2026-12-04T11:44:59Z' } }) }, 'ERR_SAML_REQUEST_EXPIRED'],
    ['an IssueInstant in the future', { xml: requestXml({ attributes: {
      IssueInstant: '2026-12-04T12:02:01Z' } }) }, 'ERR_SAML_REQUEST_EXPIRED'],
    ['an IssueInstant without a zone', { xml: requestXml({ attributes: {
      IssueInstant: '2026-12-04T11:59:30' } }) }, 'ERR_SAML_REQUEST_INVALID'],
    ['a RelayState over 1024 bytes', { relayState: 'r'.repeat(1025) },
      'ERR_SAML_RELAY_STATE_TOO_LARGE: "RelayState" is 1025 bytes, more than the limit of 1024'],
  ])('refuses %s with a precise error', (_, input, expected) => {
    expect(codeOf(() => parse(input))).toContain(expected)
  })

  it('accepts a base64 value whose "+" a query parser turned into a space', () => {
    let xml = requestXml()
    let samlRequest = encode('post', xml)
    for (let pad = 0; !samlRequest.includes('+') && pad < 200; pad += 1) {
      xml = requestXml({ inner: `<!--${'~'.repeat(pad)}-->` })
      samlRequest = encode('post', xml)
    }
    expect(samlRequest).toContain('+')
    const request = parse({ binding: 'post', samlRequest: samlRequest.replace(/\+/g, ' ') })
    expect(request.id).toBe('_req-1')
  })

  it('gives each error the HTTP status of its page', () => {
    const statusOf = (input: Partial<SsoRequestInput>): number | undefined => {
      try {
        parse(input)
      } catch (err) {
        return err instanceof SamlError ? err.status : undefined
      }
      return undefined
    }
    expect(statusOf({ samlRequest: 'A'.repeat(20_000) })).toBe(413)
    expect(statusOf({ samlRequest: '' })).toBe(400)
  })
})
