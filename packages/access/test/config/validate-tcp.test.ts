import { describe, expect, it } from 'vitest'

import { AccessConfigError, validateAccessConfig } from '../../src/index.js'

const provider = { id: 'corp', type: 'oidc', issuer: 'https://login.example.test',
  clientId: 'keyway', clientSecret: 'inline-secret' }
const allowAll = [{ name: 'all', action: 'allow', include: ['everyone'] }]

function configWith(tcp: unknown) {
  return validateAccessConfig({
    authDomain: 'auth.example.test',
    identityProviders: [provider],
    apps: [{ name: 'ssh', domains: ['ssh.example.test'], policies: allowAll, tcp }],
  }, 'relay.yaml')
}

function problemsOf(tcp: unknown): readonly string[] {
  try {
    configWith(tcp)
  } catch (err) {
    expect(err).toBeInstanceOf(AccessConfigError)
    return (err as AccessConfigError).problems
  }
  throw new Error('the config was accepted')
}

describe('apps[].tcp', () => {
  it('reads the idle and maximum durations of the app\'s TCP sessions', () => {
    const app = configWith({ idleTimeout: '15m', maxDuration: '8h' }).apps[0]

    expect(app?.tcp).toEqual({ idleTimeoutMs: 15 * 60_000, maxDurationMs: 8 * 3600_000 })
  })

  it('leaves the relay\'s limits when the app has no tcp section', () => {
    expect(configWith(undefined).apps[0]?.tcp).toBeUndefined()
  })

  it.each([
    ['a list', [], 'must be a mapping like { idleTimeout: 15m, maxDuration: 8h }'],
    ['a bad duration', { idleTimeout: 'soon' }, 'idleTimeout" must be a duration'],
    ['an unknown key', { idle: '1m' }, 'idle'],
  ])('names the field for %s', (_case, tcp, expected) => {
    const problems = problemsOf(tcp)

    expect(problems.length).toBe(1)
    expect(problems[0]).toContain('access.apps[1].tcp')
    expect(problems[0]).toContain(expected)
  })
})
