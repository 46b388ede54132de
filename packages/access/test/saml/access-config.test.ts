import { describe, expect, it } from 'vitest'

import { AccessConfigError, validateAccessConfig } from '../../src/index.js'

const base = {
  authDomain: 'auth.example.test',
  identityProviders: [{ id: 'corp', type: 'oidc', issuer: 'https://idp.example.test',
    clientId: 'keyway', clientSecret: 'secret-value' }],
}
const staff = [{ name: 'staff', action: 'allow', include: [{ emailDomain: ['example.test'] }] }]
const wiki = {
  name: 'wiki', type: 'saml', entityId: 'https://wiki.example.test/saml',
  acsUrls: ['https://wiki.example.test/saml/acs'], policies: staff,
}

function problemsOf(apps: unknown[]): readonly string[] {
  try {
    validateAccessConfig({ ...base, apps }, 'relay.yaml')
  } catch (err) {
    if (err instanceof AccessConfigError) return err.problems
    throw err
  }
  return []
}

describe('validateAccessConfig with type: saml apps', () => {
  it('keeps SAML apps apart from self-hosted apps, with parsed policies', () => {
    const config = validateAccessConfig({ ...base, apps: [
      { name: 'docs', domains: ['docs.example.test'], launcher: 'ssh', policies: staff },
      { ...wiki, idpInitiated: true, defaultRelayState: 'https://wiki.example.test/' },
    ] }, 'relay.yaml')
    expect(config.apps.map((app) => app.name)).toEqual(['docs'])
    expect(config.apps[0]?.launcher).toBe('ssh')
    expect(config.samlApps).toHaveLength(1)
    expect(config.samlApps[0]).toMatchObject({ name: 'wiki', type: 'saml', sign: 'both',
      nameIdFormat: 'emailAddress', idpInitiated: true,
      audience: expect.stringMatching(/^[0-9a-f]{64}$/) })
    expect(config.samlApps[0]?.policies[0]).toMatchObject({ name: 'staff', action: 'allow' })
    expect(Object.isFrozen(config.samlApps[0])).toBe(true)
  })

  it.each([
    ['domains', { ...wiki, domains: ['wiki.example.test'] },
      /"access\.apps\[1\]\.domains" is not used by a SAML app.*remove "domains"/],
    ['a bypass policy', { ...wiki, policies: [{ name: 'open', action: 'bypass',
      include: ['everyone'] }] },
    /"access\.apps\[1\]\.policies\[1\]\.action" "bypass" does not fit/],
    ['an unknown selector', { ...wiki, policies: [{ name: 'x', action: 'allow',
      include: [{ colour: ['red'] }] }] },
    /"access\.apps\[1\]\.policies\[1\]\.include\[1\]\.colour" is not a known selector/],
    ['a missing entityId', { ...wiki, entityId: undefined },
      /"access\.apps\[1\]\.entityId" must be a non-empty string/],
    ['an http ACS URL', { ...wiki, acsUrls: ['http://wiki.example.test/acs'] },
      /"access\.apps\[1\]\.acsUrls\[1\]" must be an absolute https URL/],
  ])('names the file, field and fix for %s', (_, app, pattern) => {
    const problems = problemsOf([app])
    expect(problems.some((line) => line.startsWith('relay.yaml: ') && pattern.test(line)),
      problems.join('\n')).toBe(true)
  })

  it('refuses a SAML app named like another app', () => {
    const problems = problemsOf([
      { name: 'wiki', domains: ['wiki.example.test'], policies: staff }, wiki])
    expect(problems).toEqual([expect.stringMatching(
      /"access\.apps\[2\]\.name" repeats the app name "wiki"; names are unique/)])
  })

  it('counts list positions in the file when a SAML app comes first', () => {
    const problems = problemsOf([wiki, { name: 'login', domains: ['auth.example.test'],
      policies: staff }])
    expect(problems).toEqual([expect.stringMatching(
      /"access\.apps\[2\]\.domains" may not claim the auth domain/)])
  })

  it('refuses an unknown launcher value with the choices', () => {
    const problems = problemsOf([{ name: 'x', domains: ['x.example.test'], launcher: 'vnc',
      policies: staff }])
    expect(problems).toEqual([expect.stringMatching(
      /"access\.apps\[1\]\.launcher" must be one of web, ssh, rdp, tcp, hidden/)])
  })
})
