import { describe, expect, it } from 'vitest'

import { validateAccessConfig, type Identity } from '../../src/index.js'
import type { GateContext } from '../../src/gate/context.js'
import { launcherEntries, launcherPage } from '../../src/gate/launcher.js'
import { localReturnUrl } from '../../src/gate/saml-routes.js'
import { fakeRequest } from '../support/fake-request.js'

const staff = [{ name: 'staff', action: 'allow', include: [{ emailDomain: ['example.com'] }] }]
const config = validateAccessConfig({
  authDomain: 'auth.example.com',
  identityProviders: [{ id: 'corp', type: 'oidc', issuer: 'https://idp.example.com',
    clientId: 'keyway', clientSecret: 'secret-value' }],
  apps: [
    { name: 'wiki', domains: ['wiki.example.com/docs'], policies: staff },
    { name: 'office', domains: ['*.office.example.com', 'office.example.com'],
      policies: [{ name: 'lan', action: 'allow', include: [{ ipRange: ['10.0.0.0/8'] }] }] },
    { name: 'all-tenants', domains: ['*.tenants.example.com'], policies: staff },
    { name: 'bastion', domains: ['ssh.example.com'], launcher: 'ssh', policies: staff },
    { name: 'db', domains: ['db.example.com'], launcher: 'tcp', policies: staff },
    { name: 'grafana', domains: ['grafana.example.com'], launcher: 'hidden', policies: staff },
    { name: 'crm', type: 'saml', entityId: 'https://crm.example.net/sp',
      acsUrls: ['https://crm.example.net/acs'], idpInitiated: true, policies: staff },
    { name: 'tickets', type: 'saml', entityId: 'https://tickets.example.net/sp',
      acsUrls: ['https://tickets.example.net/acs'],
      policies: [{ name: 'none', action: 'block', include: ['everyone'] }] },
  ],
}, 'relay.yaml')
const ctx = { config } as GateContext
const ada: Identity = { sub: 'ada', email: 'ada@example.com', idp: 'corp', groups: [],
  claims: {} }

describe('launcherEntries', () => {
  it('lists the apps the policies admit, with addresses for the listener in use', () => {
    const entries = launcherEntries(ctx, fakeRequest('auth.example.com/'), ada)
    expect(entries).toEqual([
      { kind: 'web', name: 'wiki', href: 'https://wiki.example.com/docs' },
      { kind: 'ssh', name: 'bastion', host: 'ssh.example.com', then: undefined,
        command: "ssh -o ProxyCommand='keyway access ssh --hostname ssh.example.com' " +
          'ssh.example.com' },
      { kind: 'tcp', name: 'db', host: 'db.example.com',
        command: 'keyway access tcp --hostname db.example.com --listen 127.0.0.1:15000',
        then: 'then connect your client to 127.0.0.1:15000' },
      { kind: 'saml', name: 'crm',
        href: 'https://auth.example.com/_keyway/saml/crm/launch' },
    ])
  })

  it('evaluates network policies against the client address', () => {
    const inside = launcherEntries(ctx, fakeRequest('auth.example.com/',
      { clientIp: '10.1.2.3' }), ada)
    expect(inside.map((entry) => entry.name)).toContain('office')
    expect(inside.find((entry) => entry.name === 'office'))
      .toMatchObject({ href: 'https://office.example.com/' })
  })

  it('gives the commands a URL when the relay is not on the HTTPS port', () => {
    const entries = launcherEntries(ctx, fakeRequest('auth.example.com:8080/',
      { proto: 'http' }), ada)
    expect(entries.find((entry) => entry.name === 'bastion')).toMatchObject({
      command: "ssh -o ProxyCommand='keyway access ssh --hostname " +
        "http://ssh.example.com:8080' ssh.example.com" })
    expect(entries.find((entry) => entry.name === 'crm')).toMatchObject({
      href: 'http://auth.example.com:8080/_keyway/saml/crm/launch' })
  })
})

describe('launcherPage', () => {
  it('shows names and email as text, never as markup', () => {
    const html = launcherPage('"><script>alert(1)</script>@example.com', [
      { kind: 'web', name: '<img src=x onerror=alert(1)>', href: 'https://a.example.com/"x' },
      { kind: 'saml', name: 'a & b', href: undefined },
    ])
    expect(html).not.toContain('<script>')
    expect(html).not.toContain('<img')
    expect(html).toContain('&#60;img src=x onerror=alert(1)&#62;')
    expect(html).toContain('href="https://a.example.com/&#34;x"')
    expect(html).toContain('a &#38; b')
  })

  it('says so when no app is open to the user', () => {
    expect(launcherPage('ada@example.com', [])).toContain('No application is open')
  })
})

describe('localReturnUrl', () => {
  const request = fakeRequest('auth.example.com/.keyway/login')

  it.each([
    ['the launcher', 'https://auth.example.com/', true],
    ['a SAML SSO request', 'https://auth.example.com/_keyway/saml/crm/sso?SAMLRequest=x', true],
    ['a SAML launch', 'https://auth.example.com/_keyway/saml/crm/launch', true],
    ['an unknown SAML app', 'https://auth.example.com/_keyway/saml/nope/sso', false],
    ['metadata', 'https://auth.example.com/_keyway/saml/crm/metadata', false],
    ['another path', 'https://auth.example.com/.keyway/logout', false],
    ['another scheme', 'http://auth.example.com/', false],
    ['another port', 'https://auth.example.com:8443/', false],
    ['another host', 'https://evil.example.com/', false],
    ['user info', 'https://x@auth.example.com/', false],
    ['a query on the launcher', 'https://auth.example.com/?next=https://evil.example.com', false],
    ['a relative path', '/', false],
  ])('%s: %s', (_, raw, accepted) => {
    expect(localReturnUrl(ctx, request, raw)).toBe(accepted ? raw : undefined)
  })
})
