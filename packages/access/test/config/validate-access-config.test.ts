import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, describe, expect, it } from 'vitest'

import { AccessConfigError, validateAccessConfig } from '../../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'keyway-access-config-'))
const file = join(dir, 'relay.yaml')
writeFileSync(join(dir, 'corp.secret'), 'file-secret\n', { mode: 0o600 })
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const provider = { id: 'corp', type: 'oidc', issuer: 'https://login.example.test',
  clientId: 'keyway', clientSecretFile: 'corp.secret' }
const allowAll = [{ name: 'all', action: 'allow', include: ['everyone'] }]

function problemsOf(raw: unknown): readonly string[] {
  try {
    validateAccessConfig(raw, file)
  } catch (err) {
    expect(err).toBeInstanceOf(AccessConfigError)
    expect((err as AccessConfigError).code).toBe('ERR_CONFIG')
    return (err as AccessConfigError).problems
  }
  throw new Error('the config was accepted')
}

describe('validateAccessConfig', () => {
  it('fills defaults, reads the client secret file and freezes the result', () => {
    const config = validateAccessConfig({
      authDomain: 'Auth.Example.Test',
      identityProviders: [provider],
      apps: [{ name: 'wiki', domains: ['wiki.example.test', '*.docs.example.test/api/'],
        policies: allowAll }],
    }, file)
    expect(config.authDomain).toBe('auth.example.test')
    expect(config.sessionDurationMs).toBe(24 * 3600_000)
    expect(config.identityProviders[0]).toMatchObject({ clientSecret: 'file-secret',
      scopes: ['openid', 'email', 'profile'], groupsClaim: 'groups', displayName: 'corp' })
    expect(config.apps[0]!.domains.map((d) => [d.host, d.path, d.wildcard])).toEqual([
      ['wiki.example.test', '/', false], ['*.docs.example.test', '/api', true]])
    expect(config.apps[0]!.audience).toMatch(/^[0-9a-f]{64}$/)
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(config.apps[0])).toBe(true)
  })

  it('reports every problem at once with file, field path, expectation and fix', () => {
    const problems = problemsOf({
      authDomain: '*.example.test',
      identityProviders: [{ id: 'corp', type: 'saml', issuer: 'http://login.example.test',
        clientId: '', clientSecretFile: 'missing.secret' }],
      apps: [{ name: 'wiki', domains: ['https://wiki.example.test'],
        policies: [{ name: 'p', action: 'permit', include: [{ emial: ['a@b.c'] }] }] }],
      sessionDuration: 'forever',
      extra: 1,
    })
    const expected = [
      '"access.extra" is not a known key',
      '"access.authDomain" must be one plain hostname',
      '"access.identityProviders[1].type" must be "oidc"',
      '"access.identityProviders[1].issuer" must be an https:// URL',
      '"access.identityProviders[1].clientId" must be a non-empty string',
      '"access.identityProviders[1].clientSecretFile" cannot be read (ENOENT)',
      '"access.apps[1].domains[1]" must not hold a scheme',
      '"access.apps[1].policies[1].action" must be one of allow, block, bypass, service_auth',
      '"access.apps[1].policies[1].include[1].emial" is not a known selector',
      '"access.sessionDuration" must be a duration like 30m, 12h or 7d',
    ]
    for (const text of expected) {
      expect(problems.some((line) => line.startsWith(`${file}: `) && line.includes(text)),
        `${text}\nin\n${problems.join('\n')}`).toBe(true)
    }
    expect(problems).toHaveLength(expected.length)
  })

  it.each([
    ['a user selector in a bypass policy',
      [{ name: 'b', action: 'bypass', include: [{ email: ['a@example.com'] }] }],
      '"access.apps[1].policies[1].include[1]" uses "email", which needs a signed-in user'],
    ['a service token in an allow policy',
      [{ name: 'a', action: 'allow', include: [{ serviceToken: ['ci'] }] }],
      'service tokens pass only service_auth policies'],
    ['a service_auth policy without tokens',
      [{ name: 's', action: 'service_auth', include: [{ ipRange: ['10.0.0.0/8'] }] }],
      '"access.apps[1].policies[1].include" must name service tokens'],
    ['an unknown rule group',
      [{ name: 'g', action: 'allow', include: [{ ruleGroup: 'nobody' }] }],
      '"access.apps[1].policies[1].include[1].ruleGroup" names no rule group'],
    ['a bad CIDR block',
      [{ name: 'n', action: 'bypass', include: [{ ipRange: ['10.0.0.0/40'] }] }],
      '"access.apps[1].policies[1].include[1].ipRange[1]" is not an IPv4 or IPv6 CIDR block'],
    ['an empty include',
      [{ name: 'e', action: 'allow', include: [] }],
      '"access.apps[1].policies[1].include" must be a non-empty list of selectors'],
  ])('refuses %s', (_title, policies, message) => {
    const problems = problemsOf({ authDomain: 'auth.example.test', identityProviders: [provider],
      apps: [{ name: 'wiki', domains: ['wiki.example.test'], policies }] })
    expect(problems.join('\n')).toContain(message)
  })

  it('refuses two apps claiming the same domain and an app on the auth domain', () => {
    const problems = problemsOf({ authDomain: 'auth.example.test', identityProviders: [provider],
      apps: [
        { name: 'a', domains: ['x.example.test'], policies: allowAll },
        { name: 'b', domains: ['X.example.test'], policies: allowAll },
        { name: 'c', domains: ['auth.example.test'], policies: allowAll },
      ] })
    expect(problems.join('\n')).toContain('"access.apps[2].domains[1]" "x.example.test" is ' +
      'already claimed by app "a"')
    expect(problems.join('\n')).toContain('"access.apps[3].domains" may not claim the auth domain')
  })

  it('refuses policies on a public app and an app without policies', () => {
    const problems = problemsOf({ authDomain: 'auth.example.test', identityProviders: [provider],
      apps: [
        { name: 'a', domains: ['a.example.test'], public: true, policies: allowAll },
        { name: 'b', domains: ['b.example.test'] },
      ] })
    expect(problems.join('\n')).toContain('"access.apps[1].policies" must be absent on a ' +
      '"public: true" app')
    expect(problems.join('\n')).toContain('"access.apps[2].policies" must be a non-empty list ' +
      'of policies')
  })

  it('accepts an http issuer on loopback for test providers', () => {
    const config = validateAccessConfig({ authDomain: 'auth.localhost',
      identityProviders: [{ ...provider, issuer: 'http://127.0.0.1:9999' }],
      apps: [{ name: 'a', domains: ['a.localhost'], policies: allowAll }] }, file)
    expect(config.identityProviders[0]!.issuer).toBe('http://127.0.0.1:9999')
  })

  it('never puts the client secret into a message', () => {
    const problems = problemsOf({ authDomain: 'auth.example.test',
      identityProviders: [{ ...provider, clientSecretFile: undefined,
        clientSecret: 'super-secret-value', issuer: 'ftp://x' }],
      apps: [] })
    expect(problems.join('\n')).not.toContain('super-secret-value')
  })
})
