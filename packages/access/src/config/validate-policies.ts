import { parseCidr } from '../policy/ip-range.js'
import { parseDurationMs } from './durations.js'
import { describe, isMapping, readString, readStringList, type Problems } from './problems.js'
import type { Policy, PolicyAction, Rule, RuleGroup, Selector, SelectorKind } from './types.js'

const actions: readonly PolicyAction[] = ['allow', 'block', 'bypass', 'service_auth']
const selectorKinds: readonly SelectorKind[] = [
  'everyone', 'email', 'emailDomain', 'group', 'idp', 'claim', 'ipRange', 'serviceToken',
  'anyServiceToken', 'ruleGroup',
]
/** Selectors that need a signed-in user. */
export const identitySelectors: ReadonlySet<SelectorKind> =
  new Set(['email', 'emailDomain', 'group', 'idp', 'claim'])
const serviceSelectors: ReadonlySet<SelectorKind> = new Set(['serviceToken', 'anyServiceToken'])

/** Parses one selector entry such as `{ email: [a@example.com] }` or `everyone`. */
export function parseSelector(
  problems: Problems,
  raw: unknown,
  path: string,
): Selector | undefined {
  if (raw === 'everyone' || raw === 'anyServiceToken') raw = { [raw]: true }
  if (!isMapping(raw) || Object.keys(raw).length !== 1) {
    problems.add(path, `must be a mapping with exactly one selector, got ${describe(raw)}; ` +
      `selectors: ${selectorKinds.join(', ')}; for example - emailDomain: [example.com]`)
    return undefined
  }
  const [key, value] = Object.entries(raw)[0] as [string, unknown]
  const at = `${path}.${key}`
  switch (key) {
    case 'everyone':
    case 'anyServiceToken':
      if (value !== true) problems.add(at, `must be true, got ${describe(value)}`)
      return value === true ? { kind: key } : undefined
    case 'email':
    case 'emailDomain':
    case 'group':
    case 'idp': {
      const values = readStringList(problems, value, at, `${key}: [${exampleFor(key)}]`)
      if (values === undefined) return undefined
      const lower = key === 'group' ? values : values.map((one) => one.toLowerCase())
      return { kind: key, values: Object.freeze(lower.map(stripAt(key))) }
    }
    case 'claim':
      return parseClaim(problems, value, at)
    case 'ipRange':
      return parseIpRange(problems, value, at)
    case 'serviceToken': {
      const names = readStringList(problems, value, at, 'serviceToken: [ci-deploy]')
      return names === undefined ? undefined : { kind: key, names: Object.freeze(names) }
    }
    case 'ruleGroup': {
      const name = readString(problems, value, at, 'ruleGroup: engineers')
      return name === undefined ? undefined : { kind: key, name }
    }
    default:
      problems.add(at, `is not a known selector; use one of ${selectorKinds.join(', ')}`)
      return undefined
  }
}

function exampleFor(key: string): string {
  if (key === 'email') return 'alice@example.com'
  if (key === 'emailDomain') return 'example.com'
  if (key === 'group') return 'engineering'
  return 'corp'
}

function stripAt(key: string): (value: string) => string {
  return (value) => (key === 'emailDomain' ? value.replace(/^@/, '') : value)
}

function parseClaim(problems: Problems, value: unknown, at: string): Selector | undefined {
  if (!isMapping(value)) {
    problems.add(at, `must be a mapping { name, values }, got ${describe(value)}; ` +
      'for example claim: { name: department, values: [engineering] }')
    return undefined
  }
  problems.unknownKeys(value, ['name', 'values'], at)
  const name = readString(problems, value['name'], `${at}.name`, 'name: department')
  const values = readStringList(problems, value['values'], `${at}.values`, 'values: [engineering]')
  if (name === undefined || values === undefined) return undefined
  return { kind: 'claim', name, values: Object.freeze(values) }
}

function parseIpRange(problems: Problems, value: unknown, at: string): Selector | undefined {
  const texts = readStringList(problems, value, at, 'ipRange: [10.0.0.0/8, "2001:db8::/32"]')
  if (texts === undefined) return undefined
  const ranges = texts.map((text, index) => {
    const range = parseCidr(text)
    if (range === undefined) {
      problems.add(`${at}[${index}]`, `is not an IPv4 or IPv6 CIDR block, got ${describe(text)}; ` +
        'for example 192.168.0.0/16 or 2001:db8::/32')
    }
    return range
  })
  if (ranges.some((range) => range === undefined)) return undefined
  return { kind: 'ipRange', ranges: Object.freeze(ranges as NonNullable<(typeof ranges)[0]>[]) }
}

function parseSelectorList(
  problems: Problems,
  raw: unknown,
  path: string,
  required: boolean,
): Selector[] {
  if (raw === undefined && !required) return []
  if (!Array.isArray(raw) || (required && raw.length === 0)) {
    problems.add(path, `must be a ${required ? 'non-empty ' : ''}list of selectors, got ` +
      `${describe(raw)}; for example ${path.split('.').pop()}: [{ emailDomain: [example.com] }]`)
    return []
  }
  const out: Selector[] = []
  for (const [index, item] of raw.entries()) {
    const selector = parseSelector(problems, item, `${path}[${index}]`)
    if (selector !== undefined) out.push(selector)
  }
  return out
}

/** Parses `include` (required), `require` and `exclude` of a policy or rule group. */
export function parseRule(problems: Problems, raw: Record<string, unknown>, path: string): Rule {
  return Object.freeze({
    include: Object.freeze(parseSelectorList(problems, raw['include'], `${path}.include`, true)),
    require: Object.freeze(parseSelectorList(problems, raw['require'], `${path}.require`, false)),
    exclude: Object.freeze(parseSelectorList(problems, raw['exclude'], `${path}.exclude`, false)),
  })
}

/** Parses `ruleGroups`; a rule group may not reference another rule group. */
export function parseRuleGroups(
  problems: Problems,
  raw: unknown,
  path: string,
): Record<string, RuleGroup> {
  const groups: Record<string, RuleGroup> = {}
  if (raw === undefined) return groups
  if (!Array.isArray(raw)) {
    problems.add(path, 'must be a list of { name, include, require?, exclude? }, got ' +
      describe(raw))
    return groups
  }
  for (const [index, item] of raw.entries()) {
    const at = `${path}[${index}]`
    if (!isMapping(item)) {
      problems.add(at, 'must be a mapping { name, include, require?, exclude? }, got ' +
        describe(item))
      continue
    }
    problems.unknownKeys(item, ['name', 'include', 'require', 'exclude'], at)
    const name = readString(problems, item['name'], `${at}.name`, 'name: engineers')
    const rule = parseRule(problems, item, at)
    for (const [listName, list] of Object.entries(rule)) {
      if ((list as Selector[]).some((selector) => selector.kind === 'ruleGroup')) {
        problems.add(`${at}.${listName}`, 'may not reference another rule group; ' +
          'copy its selectors here instead')
      }
    }
    if (name === undefined) continue
    if (Object.hasOwn(groups, name)) problems.add(`${at}.name`, `repeats the rule group "${name}"`)
    groups[name] = Object.freeze({ name, ...rule })
  }
  return groups
}

/** Parses one policy and checks its selectors suit its action. */
export function parsePolicy(
  problems: Problems,
  raw: unknown,
  path: string,
  ruleGroups: Readonly<Record<string, RuleGroup>>,
): Policy | undefined {
  if (!isMapping(raw)) {
    problems.add(path, `must be a mapping { name, action, include, ... }, got ${describe(raw)}`)
    return undefined
  }
  const known = ['name', 'action', 'include', 'require', 'exclude', 'sessionDuration']
  problems.unknownKeys(raw, known, path)
  const name = readString(problems, raw['name'], `${path}.name`, 'name: engineers')
  const action = raw['action']
  if (typeof action !== 'string' || !(actions as readonly string[]).includes(action)) {
    problems.add(`${path}.action`, `must be one of ${actions.join(', ')}, got ${describe(action)}`)
  }
  const rule = parseRule(problems, raw, path)
  const sessionDurationMs =
    readDuration(problems, raw['sessionDuration'], `${path}.sessionDuration`)
  if (name === undefined || !(actions as readonly string[]).includes(action as string)) {
    return undefined
  }
  checkSelectorsFit(problems, action as PolicyAction, rule, path, ruleGroups)
  return Object.freeze({ name, action: action as PolicyAction, ...rule, sessionDurationMs })
}

function checkSelectorsFit(
  problems: Problems,
  action: PolicyAction,
  rule: Rule,
  path: string,
  ruleGroups: Readonly<Record<string, RuleGroup>>,
): void {
  for (const listName of ['include', 'require', 'exclude'] as const) {
    for (const [index, selector] of rule[listName].entries()) {
      const at = `${path}.${listName}[${index}]`
      const kinds = expandKinds(selector, ruleGroups)
      if (kinds === undefined) {
        problems.add(`${at}.ruleGroup`, `names no rule group in "access.ruleGroups"; known: ` +
          `${Object.keys(ruleGroups).join(', ') || 'none'}`)
        continue
      }
      const identity = kinds.find((kind) => identitySelectors.has(kind))
      const service = kinds.find((kind) => serviceSelectors.has(kind))
      if ((action === 'bypass' || action === 'service_auth') && identity !== undefined) {
        problems.add(at, `uses "${identity}", which needs a signed-in user, in a ${action} ` +
          'policy; use an allow policy for users')
      }
      if ((action === 'allow' || action === 'block') && service !== undefined) {
        problems.add(at, `uses "${service}" in an ${action} policy; service tokens pass only ` +
          'service_auth policies: set "action: service_auth"')
      }
      if (action === 'bypass' && service !== undefined) {
        problems.add(at, `uses "${service}" in a bypass policy; use "action: service_auth"`)
      }
    }
  }
  const includeKinds = rule.include.flatMap((selector) => expandKinds(selector, ruleGroups) ?? [])
  if (action === 'service_auth' && !includeKinds.some((kind) => serviceSelectors.has(kind))) {
    problems.add(`${path}.include`, 'must name service tokens in a service_auth policy; ' +
      'for example include: [{ serviceToken: [ci-deploy] }] or [{ anyServiceToken: true }]')
  }
}

function expandKinds(
  selector: Selector,
  ruleGroups: Readonly<Record<string, RuleGroup>>,
): SelectorKind[] | undefined {
  if (selector.kind !== 'ruleGroup') return [selector.kind]
  const group = Object.hasOwn(ruleGroups, selector.name) ? ruleGroups[selector.name] : undefined
  if (group === undefined) return undefined
  return [...group.include, ...group.require, ...group.exclude].map((one) => one.kind)
}

/** Reads an optional duration (`30m`, `12h`, `7d`); undefined when absent or wrong. */
export function readDuration(problems: Problems, value: unknown, path: string): number | undefined {
  if (value === undefined) return undefined
  const ms = parseDurationMs(value)
  if (ms === undefined) {
    problems.add(path, `must be a duration like 30m, 12h or 7d, got ${describe(value)}`)
  }
  return ms
}
