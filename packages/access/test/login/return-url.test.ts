import { describe, expect, it } from 'vitest'

import { validateAccessConfig, validateReturnPath, validateReturnUrl } from '../../src/index.js'

const config = validateAccessConfig({
  authDomain: 'auth.example.test',
  identityProviders: [{ id: 'corp', type: 'oidc', issuer: 'https://idp.example.test',
    clientId: 'keyway', clientSecret: 'secret-value' }],
  apps: [
    { name: 'wiki', domains: ['wiki.example.test'],
      policies: [{ name: 'all', action: 'allow', include: ['everyone'] }] },
    { name: 'tools', domains: ['*.tools.example.test/admin'],
      policies: [{ name: 'all', action: 'allow', include: ['everyone'] }] },
  ],
}, 'relay.yaml')
const rules = { apps: config.apps, authDomain: config.authDomain, proto: 'https' as const,
  port: undefined }

describe('validateReturnUrl', () => {
  it.each([
    ['https://wiki.example.test/'],
    ['https://wiki.example.test'],
    ['https://wiki.example.test/page?x=1&y=%2F#frag'],
    ['https://WIKI.example.test/a'],
    ['https://wiki.example.test:443/a'],
    ['https://db.tools.example.test/admin/x'],
    ['https://wiki.example.test/my%20page'],
  ])('accepts %s', (raw) => {
    expect(validateReturnUrl(raw, rules)).toBeDefined()
  })

  it.each([
    ['//evil.example'],
    ['/\\evil.example'],
    ['\\\\evil.example'],
    ['/path-only'],
    ['https://wiki.example.test@evil.example/'],
    ['https://user:pass@wiki.example.test/'],
    ['https://evil.example/'],
    ['https://wiki.example.test.evil.example/'],
    ['https://evilwiki.example.test/'],
    ['https://auth.example.test/'],
    ['https://wiki.example.test%2f@evil.example/'],
    ['https://wiki.example.test%09.evil.example/'],
    ['https://wiki.example.test/%09/evil.example'],
    ['https://wiki.example.test/%0d%0aSet-Cookie:x=1'],
    ['https://wiki.example.test/a b'],
    [' https://wiki.example.test/'],
    ['https://wiki.example.test/\tx'],
    ['https://wiki.example.test\\@evil.example/'],
    ['http://wiki.example.test/'],
    ['https://wiki.example.test:8443/'],
    ['javascript:alert(1)'],
    ['data:text/html,hi'],
    ['https:/wiki.example.test/'],
    ['https:\\\\wiki.example.test/'],
    [''],
    [`https://wiki.example.test/${'a'.repeat(3000)}`],
  ])('refuses %s', (raw) => {
    expect(validateReturnUrl(raw, rules)).toBeUndefined()
  })

  it('compares ports with the listener of the login', () => {
    const local = { ...rules, proto: 'http' as const, port: '8080' }
    expect(validateReturnUrl('http://wiki.example.test:8080/', local)?.host)
      .toBe('wiki.example.test')
    expect(validateReturnUrl('http://wiki.example.test/', local)).toBeUndefined()
  })
})

describe('validateReturnPath', () => {
  it.each([['/'], ['/a/b?c=d'], ['/my%20page']])('accepts %s', (raw) => {
    expect(validateReturnPath(raw)).toBe(raw)
  })

  it.each([['//evil'], ['/\\evil'], ['https://evil'], ['evil'], ['/%09/evil'], ['/a\nb'], ['']])(
    'refuses %s', (raw) => {
      expect(validateReturnPath(raw)).toBeUndefined()
    })
})
