import { describe, expect, it } from 'vitest'

import { evaluatePolicies, evaluationOrder, validateAccessConfig } from '../../src/index.js'
import type { AccessConfig, Identity } from '../../src/index.js'

function configWith(policies: unknown[], ruleGroups: unknown[] = []): AccessConfig {
  return validateAccessConfig({
    authDomain: 'auth.example.test',
    identityProviders: [{ id: 'corp', type: 'oidc', issuer: 'https://idp.example.test',
      clientId: 'keyway', clientSecret: 'secret-value' }],
    ruleGroups,
    apps: [{ name: 'wiki', domains: ['wiki.example.test'], policies }],
  }, 'relay.yaml')
}

const alice: Identity = {
  sub: 'alice', email: 'alice@example.com', idp: 'corp', groups: ['eng', 'oncall'],
  claims: { department: 'platform', level: 3, roles: ['admin', 'dev'] },
}
const bob: Identity = {
  sub: 'bob', email: 'Bob@Other.org', idp: 'github', groups: [], claims: {},
}

const office = { clientIp: '10.1.2.3' }
const home = { clientIp: '203.0.113.9' }
const v6 = { clientIp: '2001:db8::42' }

type Row = [string, unknown[], { clientIp: string; serviceToken?: string }, Identity | undefined,
  string, string | undefined, string]

const rows: Row[] = [
  ['everyone admits any signed-in user',
    [{ name: 'all', action: 'allow', include: ['everyone'] }], home, bob,
    'allow', 'all', 'policy_allow'],
  ['an email list matches case-insensitively',
    [{ name: 'e', action: 'allow', include: [{ email: ['BOB@other.org'] }] }], home, bob,
    'allow', 'e', 'policy_allow'],
  ['an email list refuses others',
    [{ name: 'e', action: 'allow', include: [{ email: ['carol@example.com'] }] }], home, alice,
    'deny', undefined, 'no_matching_policy'],
  ['emailDomain matches the exact domain',
    [{ name: 'd', action: 'allow', include: [{ emailDomain: ['@example.com'] }] }], home, alice,
    'allow', 'd', 'policy_allow'],
  ['emailDomain does not match a suffix of another domain',
    [{ name: 'd', action: 'allow', include: [{ emailDomain: ['ample.com'] }] }], home, alice,
    'deny', undefined, 'no_matching_policy'],
  ['group matches one of the user groups',
    [{ name: 'g', action: 'allow', include: [{ group: ['oncall'] }] }], home, alice,
    'allow', 'g', 'policy_allow'],
  ['idp matches the login method',
    [{ name: 'i', action: 'allow', include: [{ idp: ['github'] }] }], home, bob,
    'allow', 'i', 'policy_allow'],
  ['claim matches a string claim',
    [{ name: 'c', action: 'allow',
      include: [{ claim: { name: 'department', values: ['platform'] } }] }],
    home, alice,
    'allow', 'c', 'policy_allow'],
  ['claim matches a number claim as text',
    [{ name: 'c', action: 'allow', include: [{ claim: { name: 'level', values: ['3'] } }] }],
    home, alice,
    'allow', 'c', 'policy_allow'],
  ['claim matches one element of a list claim',
    [{ name: 'c', action: 'allow', include: [{ claim: { name: 'roles', values: ['admin'] } }] }],
    home, alice,
    'allow', 'c', 'policy_allow'],
  ['claim refuses a missing claim',
    [{ name: 'c', action: 'allow', include: [{ claim: { name: 'roles', values: ['admin'] } }] }],
    home, bob,
    'deny', undefined, 'no_matching_policy'],
  ['require needs every entry to hold',
    [{ name: 'r', action: 'allow', include: ['everyone'],
      require: [{ group: ['eng'] }, { ipRange: ['10.0.0.0/8'] }] }],
    home, alice,
    'deny', undefined, 'no_matching_policy'],
  ['require passes when every entry holds',
    [{ name: 'r', action: 'allow', include: ['everyone'],
      require: [{ group: ['eng'] }, { ipRange: ['10.0.0.0/8'] }] }],
    office, alice,
    'allow', 'r', 'policy_allow'],
  ['exclude removes matching users',
    [{ name: 'x', action: 'allow', include: ['everyone'],
      exclude: [{ email: ['alice@example.com'] }] }],
    home, alice,
    'deny', undefined, 'no_matching_policy'],
  ['ipRange matches IPv6 CIDR blocks',
    [{ name: 'v6', action: 'allow', include: [{ ipRange: ['2001:db8::/32'] }] }], v6, alice,
    'allow', 'v6', 'policy_allow'],
  ['ipRange matches IPv4-mapped IPv6 client addresses',
    [{ name: 'v4', action: 'allow', include: [{ ipRange: ['10.0.0.0/8'] }] }],
    { clientIp: '::ffff:10.9.9.9' }, alice,
    'allow', 'v4', 'policy_allow'],
  ['a block before an allow decides first',
    [{ name: 'no-bob', action: 'block', include: [{ email: ['bob@other.org'] }] },
      { name: 'all', action: 'allow', include: ['everyone'] }], home, bob,
    'deny', 'no-bob', 'blocked'],
  ['an allow before a block decides first',
    [{ name: 'all', action: 'allow', include: ['everyone'] },
      { name: 'no-bob', action: 'block', include: [{ email: ['bob@other.org'] }] }], home, bob,
    'allow', 'all', 'policy_allow'],
  ['bypass admits anonymous requests from its range',
    [{ name: 'office', action: 'bypass', include: [{ ipRange: ['10.0.0.0/8'] }] }],
    office, undefined,
    'allow', 'office', 'bypass'],
  ['an allow policy without identity asks for a login',
    [{ name: 'all', action: 'allow', include: ['everyone'] }], home, undefined,
    'deny', undefined, 'login_required'],
  ['a network-only block refuses anonymous requests before a login',
    [{ name: 'bad-net', action: 'block', include: [{ ipRange: ['203.0.113.0/24'] }] },
      { name: 'all', action: 'allow', include: ['everyone'] }], home, undefined,
    'deny', 'bad-net', 'blocked'],
  ['service_auth admits a named service token',
    [{ name: 'ci', action: 'service_auth', include: [{ serviceToken: ['ci'] }] }],
    { ...home, serviceToken: 'ci' }, undefined,
    'allow', 'ci', 'service_token'],
  ['service_auth refuses another service token',
    [{ name: 'ci', action: 'service_auth', include: [{ serviceToken: ['ci'] }] }],
    { ...home, serviceToken: 'backup' }, undefined,
    'deny', undefined, 'service_token_not_allowed'],
  ['anyServiceToken admits every valid service token',
    [{ name: 'm', action: 'service_auth', include: ['anyServiceToken'] }],
    { ...home, serviceToken: 'backup' }, undefined,
    'allow', 'm', 'service_token'],
  ['a service token is refused where only allow policies exist',
    [{ name: 'all', action: 'allow', include: ['everyone'] }],
    { ...home, serviceToken: 'ci' }, undefined,
    'deny', undefined, 'service_token_not_allowed'],
  ['a service_auth policy does not admit a request without a token',
    [{ name: 'm', action: 'service_auth', include: ['anyServiceToken'] }], home, alice,
    'deny', undefined, 'no_matching_policy'],
  ['ruleGroup applies the group conditions',
    [{ name: 'eng', action: 'allow', include: [{ ruleGroup: 'engineers' }] }], home, alice,
    'allow', 'eng', 'policy_allow'],
  ['ruleGroup refuses users outside the group',
    [{ name: 'eng', action: 'allow', include: [{ ruleGroup: 'engineers' }] }], home, bob,
    'deny', undefined, 'no_matching_policy'],
]

const groups = [{ name: 'engineers', include: [{ group: ['eng'] }],
  exclude: [{ idp: ['github'] }] }]

describe('evaluatePolicies', () => {
  it.each(rows)('%s', (_title, policies, facts, identity, decision, policy, reason) => {
    const config = configWith(policies, groups)
    const app = config.apps[0]!
    const result = evaluatePolicies(app, facts, identity, config.ruleGroups)
    expect({ decision: result.decision, policy: result.policy, reason: result.reason })
      .toEqual({ decision, policy, reason })
  })

  it('evaluates allow A, block B, service_auth C, bypass D, allow E as C, D, A, B, E', () => {
    const policies = [
      { name: 'A', action: 'allow', include: [{ email: ['nobody@example.com'] }] },
      { name: 'B', action: 'block', include: [{ email: ['nobody@example.com'] }] },
      { name: 'C', action: 'service_auth', include: [{ serviceToken: ['ci'] }] },
      { name: 'D', action: 'bypass', include: [{ ipRange: ['10.0.0.0/8'] }] },
      { name: 'E', action: 'allow', include: ['everyone'] },
    ]
    const app = configWith(policies).apps[0]!
    expect(evaluationOrder(app.policies).map((p) => p.name)).toEqual(['C', 'D', 'A', 'B', 'E'])
    expect(evaluatePolicies(app, office, alice).policy).toBe('D')
    expect(evaluatePolicies(app, { ...office, serviceToken: 'ci' }, alice).policy).toBe('C')
    expect(evaluatePolicies(app, home, alice).policy).toBe('E')
    // A comes before B, though both match: the first allow or block in the list decides.
    const nobody = { ...alice, sub: 'nobody', email: 'nobody@example.com' }
    expect(evaluatePolicies(app, home, nobody)).toMatchObject({ decision: 'allow', policy: 'A' })
  })

  it('fails closed when a rule group it names is missing at evaluation time', () => {
    const config = configWith(
      [{ name: 'eng', action: 'allow', include: [{ ruleGroup: 'engineers' }] }], groups)
    const result = evaluatePolicies(config.apps[0]!, home, alice, {})
    expect(result).toEqual({ decision: 'deny', policy: undefined, reason: 'evaluation_error' })
  })

  it('allows every request to a public app without policies', () => {
    const config = validateAccessConfig({
      authDomain: 'auth.example.test',
      identityProviders: [{ id: 'corp', type: 'oidc', issuer: 'https://idp.example.test',
        clientId: 'keyway', clientSecret: 'secret-value' }],
      apps: [{ name: 'site', domains: ['www.example.test'], public: true }],
    }, 'relay.yaml')
    expect(evaluatePolicies(config.apps[0]!, home, undefined)).toMatchObject(
      { decision: 'allow', action: 'public', reason: 'public' })
  })

  it('carries the deciding policy session duration', () => {
    const app = configWith([{ name: 'short', action: 'allow', include: ['everyone'],
      sessionDuration: '15m' }]).apps[0]!
    expect(evaluatePolicies(app, home, alice)).toMatchObject({ sessionDurationMs: 900_000 })
  })
})
