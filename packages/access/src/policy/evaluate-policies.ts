import type { AppConfig, Policy, Rule, RuleGroup, Selector } from '../config/types.js'
import { identitySelectors } from '../config/validate-policies.js'
import { inRange } from './ip-range.js'
import type { Decision, Identity, RequestFacts } from './types.js'

/**
 * Evaluates `app`'s policies for one request. `bypass` and `service_auth` policies come
 * first, in their listed order; then `allow` and `block` in their listed order, the first
 * that matches deciding. Nothing matching, or any failure while evaluating, denies: the
 * engine fails closed. Pure: the same input always gives the same decision.
 */
export function evaluatePolicies(
  app: AppConfig,
  facts: RequestFacts,
  identity: Identity | undefined,
  ruleGroups: Readonly<Record<string, RuleGroup>> = {},
): Decision {
  if (app.public) {
    return { decision: 'allow', action: 'public', policy: undefined, reason: 'public',
      sessionDurationMs: undefined }
  }
  try {
    return evaluateInOrder(app.policies, facts, identity, ruleGroups)
  } catch {
    return { decision: 'deny', policy: undefined, reason: 'evaluation_error' }
  }
}

/** The order policies are evaluated in: bypass and service_auth first, then the rest. */
export function evaluationOrder(policies: readonly Policy[]): Policy[] {
  const early = policies.filter((p) => p.action === 'bypass' || p.action === 'service_auth')
  const late = policies.filter((p) => p.action === 'allow' || p.action === 'block')
  return [...early, ...late]
}

function evaluateInOrder(
  policies: readonly Policy[],
  facts: RequestFacts,
  identity: Identity | undefined,
  ruleGroups: Readonly<Record<string, RuleGroup>>,
): Decision {
  const context: Context = { facts, identity: undefined, ruleGroups }
  for (const policy of evaluationOrder(policies)) {
    if (policy.action === 'bypass' && ruleHolds(policy, context)) {
      return allow(policy, 'bypass')
    }
    if (policy.action === 'service_auth' && facts.serviceToken !== undefined &&
      ruleHolds(policy, context)) {
      return allow(policy, 'service_token')
    }
    if (policy.action !== 'allow' && policy.action !== 'block') continue
    const needsUser = policy.action === 'allow' || needsIdentity(policy, ruleGroups)
    if (identity === undefined && needsUser) {
      const reason = facts.serviceToken === undefined ? 'login_required'
        : 'service_token_not_allowed'
      return { decision: 'deny', policy: undefined, reason }
    }
    if (!ruleHolds(policy, { ...context, identity })) continue
    if (policy.action === 'block') {
      return { decision: 'deny', policy: policy.name, reason: 'blocked' }
    }
    return allow(policy, 'policy_allow')
  }
  if (identity === undefined && facts.serviceToken !== undefined) {
    return { decision: 'deny', policy: undefined, reason: 'service_token_not_allowed' }
  }
  return { decision: 'deny', policy: undefined, reason: 'no_matching_policy' }
}

function allow(policy: Policy, reason: 'bypass' | 'service_token' | 'policy_allow'): Decision {
  return { decision: 'allow', action: policy.action as 'allow' | 'bypass' | 'service_auth',
    policy: policy.name, reason, sessionDurationMs: policy.sessionDurationMs }
}

interface Context {
  readonly facts: RequestFacts
  readonly identity: Identity | undefined
  readonly ruleGroups: Readonly<Record<string, RuleGroup>>
}

function needsIdentity(rule: Rule, ruleGroups: Readonly<Record<string, RuleGroup>>): boolean {
  return [...rule.include, ...rule.require, ...rule.exclude].some((selector) => {
    if (selector.kind !== 'ruleGroup') return identitySelectors.has(selector.kind)
    const group = lookupGroup(selector.name, ruleGroups)
    return needsIdentity(group, {})
  })
}

function ruleHolds(rule: Rule, context: Context): boolean {
  return rule.include.some((selector) => selectorMatches(selector, context)) &&
    rule.require.every((selector) => selectorMatches(selector, context)) &&
    !rule.exclude.some((selector) => selectorMatches(selector, context))
}

function lookupGroup(name: string, ruleGroups: Readonly<Record<string, RuleGroup>>): RuleGroup {
  const group = Object.hasOwn(ruleGroups, name) ? ruleGroups[name] : undefined
  // A reference the config check missed cannot be decided: throwing denies the request.
  if (group === undefined) throw new Error(`unknown rule group "${name}"`)
  return group
}

function selectorMatches(selector: Selector, context: Context): boolean {
  const { facts, identity } = context
  switch (selector.kind) {
    case 'everyone':
      return true
    case 'email':
      return identity !== undefined && selector.values.includes(identity.email.toLowerCase())
    case 'emailDomain': {
      const domain = identity?.email.toLowerCase().split('@').pop()
      return domain !== undefined && selector.values.includes(domain)
    }
    case 'group':
      return identity !== undefined && identity.groups.some((g) => selector.values.includes(g))
    case 'idp':
      return identity !== undefined && selector.values.includes(identity.idp.toLowerCase())
    case 'claim':
      return identity !== undefined && claimMatches(identity.claims[selector.name], selector.values)
    case 'ipRange':
      return selector.ranges.some((range) => inRange(range, facts.clientIp))
    case 'serviceToken':
      return facts.serviceToken !== undefined && selector.names.includes(facts.serviceToken)
    case 'anyServiceToken':
      return facts.serviceToken !== undefined
    case 'ruleGroup':
      return ruleHolds(lookupGroup(selector.name, context.ruleGroups), context)
    default:
      throw new Error(`unknown selector ${JSON.stringify(selector satisfies never)}`)
  }
}

function claimMatches(value: unknown, wanted: readonly string[]): boolean {
  const values = Array.isArray(value) ? value : [value]
  return values.some((one) =>
    (typeof one === 'string' || typeof one === 'number' || typeof one === 'boolean') &&
    wanted.includes(String(one)))
}
