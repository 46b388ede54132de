import { AccessConfigError } from '../errors.js'
import { describe, isMapping, Problems, readString } from '../config/problems.js'
import { NameIdFormatUri, type NameIdFormat } from './vocabulary.js'

/** What a response is signed on. Strict service providers want both. */
export type SamlSignTarget = 'response' | 'assertion' | 'both'

/** Which identity field the `NameID` is taken from. */
export type NameIdSource = 'email' | 'sub'

/** A validated, frozen `access.apps` entry with `type: saml`. */
export interface SamlAppConfig {
  readonly name: string
  readonly type: 'saml'
  /** The service provider's entity ID: the `Audience` of every assertion for this app. */
  readonly entityId: string
  /** Allowed assertion consumer URLs; the first is the default. */
  readonly acsUrls: readonly string[]
  readonly nameIdFormat: NameIdFormat
  /** Unused for `transient`, whose name IDs are fresh random values. */
  readonly nameIdFrom: NameIdSource
  /**
   * SAML attribute name to identity field: `email`, `sub`, `name`, `groups`, `idp`, or the
   * name of any claim of the provider.
   */
  readonly attributes: Readonly<Record<string, string>>
  readonly sign: SamlSignTarget
  readonly idpInitiated: boolean
  readonly defaultRelayState: string | undefined
  /** As written; the access config validator parses them like any app's. */
  readonly policies: unknown
}

/** Limits of the config values, in bytes of UTF-8. */
export const samlConfigLimits = Object.freeze({
  /** SAML core 8.3.6 caps entity IDs at 1024 characters. */
  maxEntityIdChars: 1024,
  maxAcsUrls: 16,
  maxUrlChars: 2048,
  maxAttributes: 64,
  maxRelayStateBytes: 1024,
})

const samlAppKeys = [
  'name', 'type', 'entityId', 'acsUrls', 'nameIdFormat', 'nameIdFrom', 'attributes', 'sign',
  'idpInitiated', 'defaultRelayState', 'policies',
]
const signTargets: readonly SamlSignTarget[] = ['response', 'assertion', 'both']
const nameIdSources: readonly NameIdSource[] = ['email', 'sub']
const nameIdFormats = Object.keys(NameIdFormatUri) as NameIdFormat[]
const loopbackHost = /^(localhost|.+\.localhost|127\.\d+\.\d+\.\d+|\[::1\])$/

/**
 * Validates one `type: saml` app entry found at `path` (for example `access.apps[3]`),
 * recording every problem in `problems`. Returns undefined when it has any problem.
 */
export function parseSamlApp(
  problems: Problems,
  raw: unknown,
  path: string,
): SamlAppConfig | undefined {
  if (!isMapping(raw)) {
    problems.add(path, `must be a mapping { name, type: saml, entityId, acsUrls, policies }, ` +
      `got ${describe(raw)}`)
    return undefined
  }
  const before = problems.list.length
  problems.unknownKeys(raw, samlAppKeys, path)
  const name = readString(problems, raw['name'], `${path}.name`, 'name: wiki')
  if (raw['type'] !== 'saml') {
    problems.add(`${path}.type`, `must be "saml" for a SAML app, got ${describe(raw['type'])}`)
  }
  const entityId = readEntityId(problems, raw['entityId'], `${path}.entityId`)
  const acsUrls = readAcsUrls(problems, raw['acsUrls'], `${path}.acsUrls`)
  const nameIdFormat = readChoice(problems, raw['nameIdFormat'], `${path}.nameIdFormat`,
    nameIdFormats, 'emailAddress')
  const nameIdFrom = readNameIdFrom(problems, raw['nameIdFrom'], `${path}.nameIdFrom`,
    nameIdFormat)
  const attributes = readAttributes(problems, raw['attributes'], `${path}.attributes`)
  const sign = readChoice(problems, raw['sign'], `${path}.sign`, signTargets, 'both')
  const idpInitiated = readFlag(problems, raw['idpInitiated'], `${path}.idpInitiated`)
  const defaultRelayState = readRelayState(problems, raw['defaultRelayState'],
    `${path}.defaultRelayState`)
  if (raw['policies'] === undefined) {
    problems.add(`${path}.policies`, 'is missing; a SAML app needs policies like any app, for ' +
      'example policies: [{ name: staff, action: allow, ' +
      'include: [{ emailDomain: [example.com] }] }]')
  }
  if (problems.list.length > before || name === undefined || entityId === undefined ||
    acsUrls === undefined) {
    return undefined
  }
  return Object.freeze({
    name,
    type: 'saml',
    entityId,
    acsUrls: Object.freeze(acsUrls),
    nameIdFormat,
    nameIdFrom,
    attributes: Object.freeze(attributes),
    sign,
    idpInitiated,
    defaultRelayState,
    policies: raw['policies'],
  })
}

/**
 * Validates one `type: saml` app entry on its own, throwing an {@link AccessConfigError} with
 * every problem; `file` and `path` name where it was found.
 */
export function validateSamlApp(raw: unknown, file: string, path = 'access.apps[0]'):
  SamlAppConfig {
  const problems = new Problems(file)
  const app = parseSamlApp(problems, raw, path)
  if (app === undefined) throw new AccessConfigError(file, problems.list)
  return app
}

function readEntityId(problems: Problems, value: unknown, path: string): string | undefined {
  const text = readString(problems, value, path, 'entityId: https://wiki.example.com/saml')
  if (text === undefined) return undefined
  if (text.length > samlConfigLimits.maxEntityIdChars || /\s/.test(text)) {
    problems.add(path, `must be a URI of at most ${samlConfigLimits.maxEntityIdChars} ` +
      'characters without spaces; copy the entity ID from the service provider\'s SAML settings')
    return undefined
  }
  return text
}

function readAcsUrls(problems: Problems, value: unknown, path: string): string[] | undefined {
  const list = typeof value === 'string' ? [value] : value
  const max = samlConfigLimits.maxAcsUrls
  if (!Array.isArray(list) || list.length === 0 || list.length > max) {
    problems.add(path, `must be a list of 1 to ${max} assertion consumer URLs, got ` +
      `${describe(value)}; for example acsUrls: [https://wiki.example.com/saml/acs]`)
    return undefined
  }
  const urls: string[] = []
  for (const [index, item] of list.entries()) {
    const url = readAcsUrl(problems, item, `${path}[${index}]`)
    if (url === undefined) continue
    if (urls.includes(url)) problems.add(`${path}[${index}]`, `repeats "${url}"; list it once`)
    urls.push(url)
  }
  return urls.length === list.length ? urls : undefined
}

function readAcsUrl(problems: Problems, value: unknown, path: string): string | undefined {
  const text = readString(problems, value, path, 'https://wiki.example.com/saml/acs')
  if (text === undefined) return undefined
  let url: URL | undefined
  try {
    url = new URL(text)
  } catch {
    url = undefined
  }
  const secure = url !== undefined && (url.protocol === 'https:' ||
    (url.protocol === 'http:' && loopbackHost.test(url.hostname)))
  if (url === undefined || !secure || url.hash !== '' || url.username !== '' ||
    text.length > samlConfigLimits.maxUrlChars) {
    problems.add(path, 'must be an absolute https URL without user info or fragment (http only ' +
      `for localhost), got ${describe(text)}; copy the ACS URL from the service provider`)
    return undefined
  }
  return text
}

function readChoice<T extends string>(
  problems: Problems,
  value: unknown,
  path: string,
  choices: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) {
    return value as T
  }
  problems.add(path, `must be one of ${choices.join(', ')}, got ${describe(value)}; ` +
    `leave it out for ${fallback}`)
  return fallback
}

function readNameIdFrom(
  problems: Problems,
  value: unknown,
  path: string,
  format: NameIdFormat,
): NameIdSource {
  const fallback: NameIdSource = format === 'persistent' ? 'sub' : 'email'
  const source = readChoice(problems, value, path, nameIdSources, fallback)
  if (format === 'emailAddress' && source !== 'email') {
    problems.add(path, 'must be email when nameIdFormat is emailAddress; set nameIdFormat: ' +
      'persistent (or unspecified) to send the subject')
  }
  if (format === 'transient' && value !== undefined) {
    problems.add(path, 'has no effect with nameIdFormat transient (each assertion gets a fresh ' +
      'random name ID); remove it')
  }
  return source
}

function readAttributes(
  problems: Problems,
  value: unknown,
  path: string,
): Record<string, string> {
  if (value === undefined) return {}
  const max = samlConfigLimits.maxAttributes
  if (!isMapping(value) || Object.keys(value).length > max) {
    problems.add(path, `must be a mapping of at most ${max} SAML attribute names to identity ` +
      `fields, got ${describe(value)}; for example attributes: { email: email, groups: groups }`)
    return {}
  }
  const attributes: Record<string, string> = {}
  for (const [name, field] of Object.entries(value)) {
    if (name.trim() === '' || name.length > samlConfigLimits.maxUrlChars) {
      problems.add(`${path}.${name}`, 'must be a non-empty attribute name of at most ' +
        `${samlConfigLimits.maxUrlChars} characters`)
      continue
    }
    const text = readString(problems, field, `${path}.${name}`,
      'email, sub, name, groups, idp or a claim name such as department')
    if (text !== undefined) attributes[name] = text
  }
  return attributes
}

function readFlag(problems: Problems, value: unknown, path: string): boolean {
  if (value === undefined) return false
  if (typeof value === 'boolean') return value
  problems.add(path, `must be true or false, got ${describe(value)}`)
  return false
}

function readRelayState(problems: Problems, value: unknown, path: string): string | undefined {
  if (value === undefined) return undefined
  const max = samlConfigLimits.maxRelayStateBytes
  if (typeof value !== 'string' || value === '' || Buffer.byteLength(value) > max) {
    problems.add(path, `must be a non-empty string of at most ${max} bytes, got ` +
      `${describe(value)}; for example the SP's start page https://wiki.example.com/`)
    return undefined
  }
  return value
}
