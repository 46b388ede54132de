import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'

import { AccessConfigError } from '../errors.js'
import { parseDomainPattern } from './domain-pattern.js'
import { describe, isMapping, Problems, readString, readStringList } from './problems.js'
import { accessConfigDefaults, type AccessConfig, type IdentityProviderConfig } from './types.js'
import { parseApps } from './validate-apps.js'
import { parseSamlApps } from './validate-saml-apps.js'
import { parseRuleGroups, readDuration } from './validate-policies.js'

const topKeys = [
  'authDomain', 'identityProviders', 'apps', 'ruleGroups', 'sessionDuration', 'keyRotation',
  'keyOverlap', 'auditRetention', 'assertionDuration',
]
const idpKeys = [
  'id', 'type', 'name', 'issuer', 'clientId', 'clientSecret', 'clientSecretFile', 'scopes',
  'groupsClaim',
]

/**
 * Validates the raw `access:` section of relay.yaml (`file` is that file, for messages and to
 * resolve `clientSecretFile`). Reports every problem at once in an {@link AccessConfigError};
 * returns the frozen config with defaults filled in.
 */
export function validateAccessConfig(raw: unknown, file: string): AccessConfig {
  const problems = new Problems(file)
  const base = 'access'
  if (!isMapping(raw)) {
    problems.add(base, `must be a mapping with authDomain, identityProviders and apps, got ` +
      describe(raw))
    throw new AccessConfigError(file, problems.list)
  }
  problems.unknownKeys(raw, topKeys, base)

  const authDomain = readAuthDomain(problems, raw['authDomain'], `${base}.authDomain`)
  const identityProviders = parseProviders(problems, raw['identityProviders'],
    `${base}.identityProviders`, dirname(resolve(file)))
  const ruleGroups = parseRuleGroups(problems, raw['ruleGroups'], `${base}.ruleGroups`)
  const apps = parseApps(problems, raw['apps'], `${base}.apps`, ruleGroups)
  const samlApps = parseSamlApps(problems, raw['apps'], `${base}.apps`, ruleGroups, apps)
  const rawApps: unknown[] = Array.isArray(raw['apps']) ? raw['apps'] : []
  for (const app of apps) {
    if (app.domains.some((domain) => domain.host === authDomain)) {
      // Positions in the file: SAML entries and entries with problems are not in `apps`.
      const index = rawApps.findIndex((item) => isMapping(item) && item['type'] !== 'saml' &&
        typeof item['name'] === 'string' && item['name'].trim() === app.name)
      problems.add(`${base}.apps[${index}].domains`, `may not claim the auth domain ` +
        `"${authDomain}"; it is served by the relay itself`)
    }
  }
  const duration = (key: string, fallback: number): number =>
    readDuration(problems, raw[key], `${base}.${key}`) ?? fallback
  const config: AccessConfig = {
    file,
    authDomain: authDomain ?? '',
    sessionDurationMs: duration('sessionDuration', accessConfigDefaults.sessionDurationMs),
    identityProviders: Object.freeze(identityProviders),
    apps: Object.freeze(apps),
    samlApps: Object.freeze(samlApps),
    ruleGroups: Object.freeze(ruleGroups),
    keyRotationMs: duration('keyRotation', accessConfigDefaults.keyRotationMs),
    keyOverlapMs: duration('keyOverlap', accessConfigDefaults.keyOverlapMs),
    auditRetentionMs: duration('auditRetention', accessConfigDefaults.auditRetentionMs),
    assertionDurationMs: duration('assertionDuration', accessConfigDefaults.assertionDurationMs),
  }
  if (problems.list.length > 0) throw new AccessConfigError(file, problems.list)
  return Object.freeze(config)
}

function readAuthDomain(problems: Problems, value: unknown, path: string): string | undefined {
  const text = readString(problems, value, path, 'authDomain: auth.example.com')
  if (text === undefined) return undefined
  const parsed = parseDomainPattern(text)
  if (typeof parsed === 'string' || parsed.wildcard || parsed.path !== '/') {
    problems.add(path, 'must be one plain hostname (no "*.", no path), for example ' +
      'auth.example.com')
    return undefined
  }
  return parsed.host
}

function parseProviders(
  problems: Problems,
  raw: unknown,
  path: string,
  configDir: string,
): IdentityProviderConfig[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.add(path, `must be a non-empty list of identity providers, got ${describe(raw)}; ` +
      'for example identityProviders: [{ id: corp, type: oidc, ' +
      'issuer: https://login.example.com, ' +
      'clientId: keyway, clientSecretFile: corp.secret }]')
    return []
  }
  const out: IdentityProviderConfig[] = []
  for (const [index, item] of raw.entries()) {
    const provider = parseProvider(problems, item, `${path}[${index}]`, configDir)
    if (provider === undefined) continue
    if (out.some((other) => other.id === provider.id)) {
      problems.add(`${path}[${index}].id`, `repeats the provider id "${provider.id}"`)
    }
    out.push(provider)
  }
  return out
}

function parseProvider(
  problems: Problems,
  raw: unknown,
  path: string,
  configDir: string,
): IdentityProviderConfig | undefined {
  if (!isMapping(raw)) {
    problems.add(path, `must be a mapping { id, type, issuer, clientId, clientSecretFile }, ` +
      `got ${describe(raw)}`)
    return undefined
  }
  problems.unknownKeys(raw, idpKeys, path)
  const id = readString(problems, raw['id'], `${path}.id`, 'id: corp')
  if (id !== undefined && !/^[a-z0-9][a-z0-9_-]{0,62}$/i.test(id)) {
    problems.add(`${path}.id`,
      'must be letters, digits, "-" and "_" (at most 63), for example corp')
  }
  if (raw['type'] !== 'oidc') {
    problems.add(`${path}.type`, `must be "oidc", got ${describe(raw['type'])}`)
  }
  const issuer = readIssuer(problems, raw['issuer'], `${path}.issuer`)
  const clientId = readString(problems, raw['clientId'], `${path}.clientId`, 'clientId: keyway')
  const clientSecret = readSecret(problems, raw, path, configDir)
  const scopes = raw['scopes'] === undefined ? [...accessConfigDefaults.scopes]
    : readStringList(problems, raw['scopes'], `${path}.scopes`, 'scopes: [openid, email]')
  if (scopes !== undefined && !scopes.includes('openid')) {
    problems.add(`${path}.scopes`, 'must include "openid"')
  }
  const groupsClaim = raw['groupsClaim'] === undefined ? accessConfigDefaults.groupsClaim
    : readString(problems, raw['groupsClaim'], `${path}.groupsClaim`, 'groupsClaim: groups')
  const name = raw['name'] === undefined ? id
    : readString(problems, raw['name'], `${path}.name`, 'name: Corporate login')
  if ([id, issuer, clientId, clientSecret, scopes, groupsClaim, name].includes(undefined)) {
    return undefined
  }
  return Object.freeze({
    id: id as string,
    type: 'oidc',
    displayName: name as string,
    issuer: issuer as string,
    clientId: clientId as string,
    clientSecret: clientSecret as string,
    scopes: Object.freeze(scopes as string[]),
    groupsClaim: groupsClaim as string,
  })
}

function readIssuer(problems: Problems, value: unknown, path: string): string | undefined {
  const text = readString(problems, value, path, 'issuer: https://login.example.com')
  if (text === undefined) return undefined
  let url: URL
  try {
    url = new URL(text)
  } catch {
    problems.add(path, `must be an absolute URL, got ${describe(text)}`)
    return undefined
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) ||
    url.hostname.endsWith('.localhost')
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    problems.add(path, 'must be an https:// URL (http:// is accepted only for loopback test ' +
      'providers)')
    return undefined
  }
  return text
}

function readSecret(
  problems: Problems,
  raw: Record<string, unknown>,
  path: string,
  configDir: string,
): string | undefined {
  const inline = raw['clientSecret']
  const fileValue = raw['clientSecretFile']
  if ((inline === undefined) === (fileValue === undefined)) {
    problems.add(`${path}.clientSecretFile`, 'must be given (or "clientSecret", but not both); ' +
      'for example clientSecretFile: secrets/corp-oidc.secret')
    return undefined
  }
  if (inline !== undefined) {
    if (typeof inline === 'string' && inline.length > 0) return inline
    problems.add(`${path}.clientSecret`, 'must be a non-empty string')
    return undefined
  }
  if (typeof fileValue !== 'string' || fileValue === '') {
    problems.add(`${path}.clientSecretFile`, `must be a file path, got ${describe(fileValue)}`)
    return undefined
  }
  const secretPath = resolve(configDir, fileValue)
  try {
    const secret = readFileSync(secretPath, 'utf8').trim()
    if (secret !== '') return secret
    problems.add(`${path}.clientSecretFile`, `names the empty file ${secretPath}; write the ` +
      'client secret into it')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error'
    problems.add(`${path}.clientSecretFile`, `cannot be read (${code}): ${secretPath}; create ` +
      'it with the client secret, readable by the relay only (chmod 600)')
  }
  return undefined
}
