import { SAML, ValidateInResponseTo, type SamlConfig } from '@node-saml/node-saml'
import { describe, expect, it } from 'vitest'

import type { SamlAppConfig, SamlSignTarget } from '../../src/saml/index.js'
import { identity, identityProvider, memoryKeys, samlApp, session } from './support.js'

const keys = memoryKeys()

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

/** The `SAMLRequest` and `RelayState` the SP sends by the Redirect binding. */
async function redirectRequest(sp: SAML, relayState: string) {
  const url = new URL(await sp.getAuthorizeUrlAsync(relayState, undefined, {}))
  return {
    binding: 'redirect' as const,
    samlRequest: url.searchParams.get('SAMLRequest') ?? undefined,
    relayState: url.searchParams.get('RelayState') ?? undefined,
  }
}

/** The same, by the POST binding (read from the SP's auto-submitting form). */
async function postRequest(sp: SAML, relayState: string) {
  const form = await sp.getAuthorizeFormAsync(relayState)
  const field = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(form)?.[1]
  return { binding: 'post' as const, samlRequest: field('SAMLRequest'),
    relayState: field('RelayState') }
}

/** Runs one SP-initiated login of `app` against `sp`; returns the base64 response. */
async function login(app: SamlAppConfig, sp: SAML, binding: 'redirect' | 'post' = 'redirect') {
  const idp = identityProvider(keys)
  const input = binding === 'redirect' ? await redirectRequest(sp, 'deep/link?x=1')
    : await postRequest(sp, 'deep/link?x=1')
  const request = idp.parseRequest(app, input)
  const answer = await idp.respond(app, request, identity, session)
  return { request, answer, SAMLResponse: answer.response.base64 }
}

describe('responses checked by @node-saml/node-saml as a strict SP', () => {
  it.each([
    ['redirect', {}],
    ['post', { skipRequestCompression: true }],
    ['post (deflated, node-saml\'s default)', {}],
  ] as const)('accepts the signed response to its own %s-binding AuthnRequest',
    async (name, spOptions) => {
      const binding = name.startsWith('post') ? 'post' : 'redirect'
      const app = samlApp()
      const sp = strictSp(app, spOptions)
      const { request, answer, SAMLResponse } = await login(app, sp, binding)
      const { profile } = await sp.validatePostResponseAsync({ SAMLResponse })
      expect(profile?.nameID).toBe('ada@example.test')
      expect(profile?.nameIDFormat).toBe('urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress')
      expect(profile?.inResponseTo).toBe(request.id)
      expect(profile?.['email']).toBe('ada@example.test')
      expect(profile?.['memberOf']).toEqual(['engineering', 'wiki-admins', 'a&b <c>'])
      expect(profile?.['displayName']).toBe('</saml:AttributeValue><saml:AttributeValue>admin')
      expect(profile?.['dept']).toBe('R&D')
      expect(answer.acsUrl).toBe('https://wiki.example.test/saml/acs')
      expect(answer.body).toContain('name="RelayState" value="deep/link?x=1"')
    })

  it.each([
    ['response', { wantAssertionsSigned: false }],
    ['assertion', { wantAuthnResponseSigned: false }],
  ] as const)('accepts sign: %s when the SP wants only that signed', async (sign, wants) => {
    const app = samlApp({ sign })
    const sp = strictSp(app, wants)
    const { SAMLResponse } = await login(app, sp)
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse })
    expect(profile?.nameID).toBe('ada@example.test')
  })

  it.each(['response', 'assertion'] as const satisfies readonly SamlSignTarget[])(
    'is refused with sign: %s by an SP that wants both signed', async (sign) => {
      const app = samlApp({ sign })
      const sp = strictSp(app)
      const { SAMLResponse } = await login(app, sp)
      await expect(sp.validatePostResponseAsync({ SAMLResponse })).rejects.toThrow(/signature/i)
    })

  it('sends persistent name IDs from the subject', async () => {
    const app = samlApp({ nameIdFormat: 'persistent' })
    const sp = strictSp(app, {
      identifierFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
    })
    const { SAMLResponse } = await login(app, sp)
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse })
    expect(profile?.nameID).toBe('user-1234')
  })

  it('accepts an IdP-initiated response, which has no InResponseTo', async () => {
    const app = samlApp({ idpInitiated: true, defaultRelayState: '/home' })
    const sp = strictSp(app, { validateInResponseTo: ValidateInResponseTo.ifPresent })
    const answer = await identityProvider(keys).launch(app, identity, session)
    expect(answer.response.xml).not.toContain('InResponseTo')
    expect(answer.body).toContain('name="RelayState" value="/home"')
    const { profile } = await sp.validatePostResponseAsync({
      SAMLResponse: answer.response.base64 })
    expect(profile?.nameID).toBe('ada@example.test')
    expect(profile?.inResponseTo).toBeUndefined()
  })

  it('refuses an IdP-initiated response where InResponseTo is always required', async () => {
    const app = samlApp({ idpInitiated: true })
    const answer = await identityProvider(keys).launch(app, identity, session)
    await expect(strictSp(app).validatePostResponseAsync({
      SAMLResponse: answer.response.base64 })).rejects.toThrow(/InResponseTo/)
  })

  it('fails a tampered response as an invalid signature', async () => {
    const app = samlApp()
    const sp = strictSp(app)
    const { answer } = await login(app, sp)
    const tampered = answer.response.xml.replace('>wiki-admins<', '>root-admins<')
    await expect(sp.validatePostResponseAsync({
      SAMLResponse: Buffer.from(tampered).toString('base64'),
    })).rejects.toThrow(/Invalid (document )?signature/)
  })

  it('refuses an assertion presented to another app\'s entity ID', async () => {
    const crm = samlApp({ name: 'crm', entityId: 'https://crm.example.test/saml',
      idpInitiated: true })
    const answer = await identityProvider(keys).launch(crm, identity, session)
    const wiki = samlApp()
    const sp = strictSp(wiki, { idpIssuer: undefined,
      validateInResponseTo: ValidateInResponseTo.never })
    await expect(sp.validatePostResponseAsync({ SAMLResponse: answer.response.base64 }))
      .rejects.toThrow(/audience/i)
  })

  it('refuses the same response a second time (the SP has used up the request ID)', async () => {
    const app = samlApp()
    const sp = strictSp(app)
    const { SAMLResponse } = await login(app, sp)
    await sp.validatePostResponseAsync({ SAMLResponse })
    await expect(sp.validatePostResponseAsync({ SAMLResponse })).rejects.toThrow(/InResponseTo/)
  })
})
