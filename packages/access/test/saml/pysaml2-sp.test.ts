import { fileURLToPath } from 'node:url'

import { afterAll, describe, expect, it } from 'vitest'

import type { SamlAppConfig, SamlIdentityProvider } from '../../src/saml/index.js'
import {
  identity, identityProvider, memoryKeys, run, samlApp, scratchDir, session, writeFiles,
} from './support.js'

const script = fileURLToPath(new URL('./pysaml2_sp.py', import.meta.url))
const keys = memoryKeys()
const scratch = scratchDir('keyway-pysaml2-')
afterAll(() => scratch.remove())

/** Runs one command of the pysaml2 SP with Debian's python (the one that has saml2). */
async function pysaml2(args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const result = await run('/usr/bin/python3', [script], JSON.stringify(args))
  if (result.code !== 0) throw new Error(`pysaml2_sp.py failed: ${result.stderr}`)
  return JSON.parse(result.stdout) as Record<string, unknown>
}

function spArgs(idp: SamlIdentityProvider, app: SamlAppConfig): Record<string, unknown> {
  const { metadata } = writeFiles(scratch.dir, { metadata: idp.metadata(app).body })
  return { metadata, entityId: app.entityId, acsUrl: app.acsUrls[0] }
}

describe('responses checked by pysaml2 as a service provider', () => {
  it.each(['redirect', 'post'] as const)(
    'accepts the response to its own %s-binding AuthnRequest', async (binding) => {
      const app = samlApp()
      const idp = identityProvider(keys)
      const sp = spArgs(idp, app)
      const made = await pysaml2({ ...sp, command: 'request', binding, relayState: 'r-1' })
      const request = idp.parseRequest(app, {
        binding,
        samlRequest: String(made['samlRequest']),
        relayState: String(made['relayState']),
      })
      expect(request.id).toBe(made['id'])
      const answer = await idp.respond(app, request, identity, session)

      const result = await pysaml2({ ...sp, command: 'verify', requestId: request.id,
        samlResponse: answer.response.base64 })
      expect(result).toMatchObject({ ok: true, nameId: 'ada@example.test',
        inResponseTo: request.id, issuer: idp.endpoints(app).idpEntityId })
      expect(result['ava']).toMatchObject({
        memberOf: ['engineering', 'wiki-admins', 'a&b <c>'],
        displayName: ['</saml:AttributeValue><saml:AttributeValue>admin'],
        dept: ['R&D'],
      })
      expect(answer.body).toContain('name="RelayState" value="r-1"')
    })

  it('rejects a tampered response', async () => {
    const app = samlApp()
    const idp = identityProvider(keys)
    const sp = spArgs(idp, app)
    const made = await pysaml2({ ...sp, command: 'request', binding: 'redirect', relayState: 'r' })
    const request = idp.parseRequest(app, { binding: 'redirect',
      samlRequest: String(made['samlRequest']), relayState: 'r' })
    const answer = await idp.respond(app, request, identity, session)
    const tampered = answer.response.xml.replace('>ada@example.test</saml:NameID>',
      '>eve@example.test</saml:NameID>')
    expect(tampered).toContain('eve@example.test')
    const result = await pysaml2({ ...sp, command: 'verify', requestId: request.id,
      samlResponse: Buffer.from(tampered).toString('base64') })
    expect(result['ok']).toBe(false)
    expect(String(result['error'])).toMatch(/signature/i)
  })

  it('accepts an IdP-initiated response as unsolicited, without InResponseTo', async () => {
    const app = samlApp({ idpInitiated: true })
    const idp = identityProvider(keys)
    const answer = await idp.launch(app, identity, session)
    expect(answer.response.xml).not.toContain('InResponseTo')
    const result = await pysaml2({ ...spArgs(idp, app), command: 'verify', requestId: null,
      samlResponse: answer.response.base64 })
    expect(result).toMatchObject({ ok: true, nameId: 'ada@example.test', inResponseTo: null })
  })

  it.each([
    ['response', { wantAssertionsSigned: false }],
    ['assertion', { wantResponseSigned: false }],
  ] as const)('accepts sign: %s when it wants only that signed', async (sign, wants) => {
    const app = samlApp({ sign, idpInitiated: true })
    const idp = identityProvider(keys)
    const answer = await idp.launch(app, identity, session)
    const result = await pysaml2({ ...spArgs(idp, app), ...wants, command: 'verify',
      requestId: null, samlResponse: answer.response.base64 })
    expect(result).toMatchObject({ ok: true, nameId: 'ada@example.test' })
  })

  it.each(['response', 'assertion'] as const)(
    'rejects sign: %s when it wants both signed', async (sign) => {
      const app = samlApp({ sign, idpInitiated: true })
      const idp = identityProvider(keys)
      const answer = await idp.launch(app, identity, session)
      const result = await pysaml2({ ...spArgs(idp, app), command: 'verify', requestId: null,
        samlResponse: answer.response.base64 })
      expect(result['ok']).toBe(false)
    })

  it('rejects an assertion issued for another app', async () => {
    const crm = samlApp({ name: 'crm', entityId: 'https://crm.example.test/saml',
      idpInitiated: true })
    const idp = identityProvider(keys)
    const answer = await idp.launch(crm, identity, session)
    const result = await pysaml2({ ...spArgs(idp, samlApp()), command: 'verify',
      requestId: null, samlResponse: answer.response.base64 })
    expect(result['ok']).toBe(false)
  })
})
