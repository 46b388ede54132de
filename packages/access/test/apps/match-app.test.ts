import { describe, expect, it } from 'vitest'

import { matchApp, normalizePath, validateAccessConfig } from '../../src/index.js'

const allowAll = [{ name: 'all', action: 'allow', include: ['everyone'] }]
const config = validateAccessConfig({
  authDomain: 'auth.example.test',
  identityProviders: [{ id: 'corp', type: 'oidc', issuer: 'https://idp.example.test',
    clientId: 'keyway', clientSecret: 'secret-value' }],
  apps: [
    { name: 'wild', domains: ['*.example.test'], policies: allowAll },
    { name: 'deep-wild', domains: ['*.eu.example.test'], policies: allowAll },
    { name: 'wiki', domains: ['wiki.example.test'], policies: allowAll },
    { name: 'wiki-admin', domains: ['wiki.example.test/admin'], policies: allowAll },
    { name: 'wiki-admin-api', domains: ['wiki.example.test/admin/api'], policies: allowAll },
    { name: 'wild-path', domains: ['*.example.test/metrics'], policies: allowAll },
  ],
}, 'relay.yaml')

describe('matchApp', () => {
  it.each([
    ['wiki.example.test', '/', 'wiki'],
    ['wiki.example.test', '/admin', 'wiki-admin'],
    ['wiki.example.test', '/admin/', 'wiki-admin'],
    ['wiki.example.test', '/admin/users', 'wiki-admin'],
    ['wiki.example.test', '/administrator', 'wiki'],
    ['wiki.example.test', '/admin/api/v1', 'wiki-admin-api'],
    ['wiki.example.test', '/admin/apis', 'wiki-admin'],
    ['wiki.example.test', '/metrics', 'wiki'],
    ['blog.example.test', '/metrics/x', 'wild-path'],
    ['blog.example.test', '/', 'wild'],
    ['a.eu.example.test', '/', 'deep-wild'],
    ['example.test', '/', undefined],
    ['other.test', '/', undefined],
  ])('%s%s goes to %s', (host, path, app) => {
    expect(matchApp(config.apps, host, path)?.app.name).toBe(app)
  })
})

describe('normalizePath', () => {
  it.each([
    ['/a/b?x=%2f', '/a/b', '?x=%2f'],
    ['/%61dmin', '/admin', ''],
    ['//admin//x', '/admin/x', ''],
    ['/caf%C3%A9', '/café', ''],
  ])('reads %s as %s', (target, path, query) => {
    expect(normalizePath(target)).toEqual({ ok: true, path, query })
  })

  it.each([
    ['/a%2fb'], ['/a%2Fb'], ['/a%5cb'], ['/a%00'], ['/a%252fb'], ['/a/../b'], ['/a/%2e%2e/b'],
    ['/./a'], ['/a\\b'], ['/a%5Cb'], ['/%zz'], ['/%c3'], ['/a%0a'], ['relative'], ['/..'],
  ])('refuses %s', (target) => {
    expect(normalizePath(target).ok).toBe(false)
  })
})
