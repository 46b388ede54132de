import { SamlError, SamlErrorCode } from './errors.js'

/**
 * Who the user is, as the access layer knows them after login: plain values only, so that
 * the SAML module needs nothing from the session code.
 */
export interface SamlIdentity {
  readonly sub: string
  /** Verified email. */
  readonly email: string
  readonly name?: string | undefined
  /** Id of the identity provider the user signed in with. */
  readonly idp?: string | undefined
  readonly groups?: readonly string[] | undefined
  /** Other claims of the provider (strings, numbers, booleans, lists of them). */
  readonly claims: Readonly<Record<string, unknown>>
}

/** Bounds on what one attribute may carry. */
export const attributeLimits = Object.freeze({
  maxValues: 500,
  maxValueChars: 8192,
})

/** The fields an `attributes` entry may name besides a claim. */
export const identityFields = ['email', 'sub', 'name', 'groups', 'idp'] as const

/**
 * The values of the attribute mapped to identity `field` (an identity field or a claim name):
 * a list, empty when the user has none. Objects and nulls in claims are skipped.
 */
export function attributeValues(identity: SamlIdentity, field: string, attribute: string):
  string[] {
  const raw = fieldValue(identity, field)
  const values = (Array.isArray(raw) ? raw : [raw]).flatMap(scalarText)
  if (values.length > attributeLimits.maxValues) {
    throw new SamlError(SamlErrorCode.identityIncomplete, `attribute "${attribute}" has ` +
      `${values.length} values, more than the limit of ${attributeLimits.maxValues}`)
  }
  if (values.some((value) => value.length > attributeLimits.maxValueChars)) {
    throw new SamlError(SamlErrorCode.identityIncomplete, `a value of attribute "${attribute}" ` +
      `is longer than the limit of ${attributeLimits.maxValueChars} characters`)
  }
  return values
}

function fieldValue(identity: SamlIdentity, field: string): unknown {
  switch (field) {
    case 'email': return identity.email
    case 'sub': return identity.sub
    case 'name': return identity.name ?? identity.claims['name']
    case 'groups': return identity.groups ?? identity.claims['groups']
    case 'idp': return identity.idp
    default: return Object.hasOwn(identity.claims, field) ? identity.claims[field] : undefined
  }
}

function scalarText(value: unknown): string[] {
  if (typeof value === 'string') return value === '' ? [] : [value]
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return [String(value)]
  }
  return []
}
