import { deflateRawSync } from 'node:zlib'

import { describe, expect, it } from 'vitest'

import {
  MemorySamlIdStore, SamlIdentityProvider, samlEndpoints, type AuthnRequest,
} from '../../src/saml/index.js'
import { authDomain, identity, memoryKeys, samlApp, session } from './support.js'

const app = samlApp()
const ssoUrl = samlEndpoints(authDomain, app.name).ssoUrl

/** An `AuthnRequest` with ID `id`, parsed as the SSO endpoint parses it. */
function request(idp: SamlIdentityProvider, id: string, passive: boolean): AuthnRequest {
  const xml = '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ' +
    `xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}" Version="2.0" ` +
    `IssueInstant="${new Date().toISOString()}" Destination="${ssoUrl}" ` +
    `IsPassive="${passive}"><saml:Issuer>${app.entityId}</saml:Issuer></samlp:AuthnRequest>`
  return idp.parseRequest(app, { binding: 'redirect', relayState: undefined,
    samlRequest: deflateRawSync(Buffer.from(xml)).toString('base64') })
}

describe('SamlIdentityProvider#refusePassive', () => {
  it('records no request ID, so unsigned visitors cannot fill the ID store', async () => {
    // A login records three IDs: its request's, and the response's and assertion's it issues.
    const ids = new MemorySamlIdStore({ maxEntries: 3 })
    const idp = new SamlIdentityProvider({ authDomain, keys: memoryKeys(), ids })

    for (let i = 0; i < 5; i++) {
      const answer = await idp.refusePassive(app, request(idp, `_passive-${i}`, true))
      expect(answer.response.xml).toContain('urn:oasis:names:tc:SAML:2.0:status:NoPassive')
    }
    const login = await idp.respond(app, request(idp, '_login-1', false), identity, session)

    expect(ids.size).toBe(3)
    expect(login.response.xml).toContain('InResponseTo="_login-1"')
  })
})
