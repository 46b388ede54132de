import { parseSamlApp } from '../saml/config.js'
import { isMapping, type Problems } from './problems.js'
import type { AppConfig, RuleGroup, SamlApp } from './types.js'
import { audienceTag, parsePolicies } from './validate-apps.js'

/** True for an `apps` entry that declares `type: saml`; the other parser skips it. */
export function isSamlEntry(raw: unknown): boolean {
  return isMapping(raw) && raw['type'] === 'saml'
}

/**
 * Parses the `type: saml` entries of `apps` (found at `path`), keeping their list positions
 * in messages. Their policies are parsed like any app's; a SAML app admits signed-in users
 * only, so only `allow` and `block` policies fit it. Names are unique across `otherApps`
 * too: the launcher and the audit log know apps by name.
 */
export function parseSamlApps(
  problems: Problems,
  raw: unknown,
  path: string,
  ruleGroups: Readonly<Record<string, RuleGroup>>,
  otherApps: readonly AppConfig[],
): SamlApp[] {
  if (!Array.isArray(raw)) return []
  const apps: SamlApp[] = []
  const names = new Set(otherApps.map((app) => app.name))
  for (const [index, item] of raw.entries()) {
    if (!isSamlEntry(item)) continue
    const app = parseSamlEntry(problems, item as Record<string, unknown>, `${path}[${index}]`,
      ruleGroups)
    if (app === undefined) continue
    if (names.has(app.name)) {
      problems.add(`${path}[${index}].name`, `repeats the app name "${app.name}"; names are ` +
        'unique across every kind of app')
    }
    names.add(app.name)
    apps.push(app)
  }
  return apps
}

function parseSamlEntry(
  problems: Problems,
  raw: Record<string, unknown>,
  path: string,
  ruleGroups: Readonly<Record<string, RuleGroup>>,
): SamlApp | undefined {
  const { domains, ...rest } = raw
  if (domains !== undefined) {
    problems.add(`${path}.domains`, 'is not used by a SAML app: the SaaS app keeps its own ' +
      'address and sends its users to the auth domain; remove "domains" and set entityId and ' +
      'acsUrls from the service provider\'s SAML settings')
  }
  const before = problems.list.length
  const config = parseSamlApp(problems, rest, path)
  const policies = rest['policies'] === undefined ? []
    : parsePolicies(problems, rest['policies'], `${path}.policies`, ruleGroups, false)
  for (const [index, policy] of policies.entries()) {
    if (policy.action === 'allow' || policy.action === 'block') continue
    problems.add(`${path}.policies[${index}].action`, `"${policy.action}" does not fit a SAML ` +
      'app, which signs in users only; use allow or block')
  }
  if (config === undefined || problems.list.length > before) return undefined
  return Object.freeze({
    ...config,
    audience: audienceTag(config.name),
    policies: Object.freeze(policies),
  })
}
