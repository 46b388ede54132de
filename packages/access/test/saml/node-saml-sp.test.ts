import { SAML, ValidateInResponseTo, type SamlConfig } from '@node-saml/node-saml'
import { afterAll, describe, expect, it } from 'vitest'

import type { SamlAppConfig } from '../../src/saml/index.js'
import { identity, identityProvider, memoryKeys, samlApp, session } from './support.js'

const keys = memoryKeys()
afterAll(() => undefined)

/** A strict node-saml service provider for `app`, trusting the relay's certificate. */
function strictSp(app: SamlAppConfig, overrides: Partial<SamlConfig> = {}): SAML {
  const idp = identityProvider(keys)
  return new SAML({
    entryPoint: idp.endpoints(app).ssoUrl,
    callbackUrl: app.acsUrls[0] ?? '',
    issuer: app.entityId,
    audience: app.entityId,
    idpIssuer: idp.endpoints(app).idpEntityId,
    idpCert: keys.signingKey().certificatePem,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: true,
    validateInResponseTo: ValidateInResponseTo.always,
    acceptedClockSkewMs: 0,
    ...overrides,
  })
}

describe('responses checked by @node-saml/node-saml as a strict SP', () => {
  it('accepts the signed response to its own Redirect-binding AuthnRequest', async () => {
    const app = samlApp()
    const idp = identityProvider(keys)
    const sp = strictSp(app)
    const url = new URL(await sp.getAuthorizeUrlAsync('deep/link?x=1', undefined, {}))
    const request = idp.parseRequest(app, {
      binding: 'redirect',
      samlRequest: url.searchParams.get('SAMLRequest') ?? undefined,
      relayState: url.searchParams.get('RelayState') ?? undefined,
    })
    const answer = await idp.respond(app, request, identity, session)
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: answer.response.base64 })
    expect(profile?.nameID).toBe('ada@example.test')
    expect(profile?.inResponseTo).toBe(request.id)
    expect(profile?.['memberOf']).toEqual(['engineering', 'wiki-admins', 'a&b <c>'])
    expect(profile?.['displayName']).toBe('</saml:AttributeValue><saml:AttributeValue>admin')
    expect(answer.body).toContain('name="RelayState" value="deep/link?x=1"')
  })
})
