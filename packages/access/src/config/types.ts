/** The validated, frozen shape of the `access:` section of relay.yaml. */

import type { SamlAppConfig } from '../saml/config.js'

/** One parsed CIDR block; addresses are compared as 128-bit numbers (IPv4 mapped). */
export interface CidrRange {
  /** As written in the config, for messages and docs. */
  readonly text: string
  readonly family: 4 | 6
  readonly network: bigint
  readonly prefixBits: number
}

/** One condition of a policy or rule group. */
export type Selector =
  | { readonly kind: 'everyone' }
  | { readonly kind: 'email'; readonly values: readonly string[] }
  | { readonly kind: 'emailDomain'; readonly values: readonly string[] }
  | { readonly kind: 'group'; readonly values: readonly string[] }
  | { readonly kind: 'idp'; readonly values: readonly string[] }
  | { readonly kind: 'claim'; readonly name: string; readonly values: readonly string[] }
  | { readonly kind: 'ipRange'; readonly ranges: readonly CidrRange[] }
  | { readonly kind: 'serviceToken'; readonly names: readonly string[] }
  | { readonly kind: 'anyServiceToken' }
  | { readonly kind: 'ruleGroup'; readonly name: string }

export type SelectorKind = Selector['kind']

/** What a matching policy does. */
export type PolicyAction = 'allow' | 'block' | 'bypass' | 'service_auth'

/** `include` is OR, `require` is AND (each must hold), `exclude` is NOT. */
export interface Rule {
  readonly include: readonly Selector[]
  readonly require: readonly Selector[]
  readonly exclude: readonly Selector[]
}

/** A policy of an app. */
export interface Policy extends Rule {
  readonly name: string
  readonly action: PolicyAction
  /** Lifetime of the app session this policy admits; overrides the app's. */
  readonly sessionDurationMs: number | undefined
}

/** A reusable set of conditions, referenced by `ruleGroup: NAME`. */
export interface RuleGroup extends Rule {
  readonly name: string
}

/** One `domains` entry: a host (exact or `*.` wildcard) and an optional path prefix. */
export interface DomainPattern {
  /** As written (canonical), for messages. */
  readonly text: string
  /** Lower case; `*.example.com` for a wildcard. */
  readonly host: string
  readonly wildcard: boolean
  /** `/` or a prefix without trailing slash, matched on whole segments. */
  readonly path: string
}

/** How CORS preflight requests (`OPTIONS` with `Origin` and `Access-Control-Request-Method`). */
export type CorsConfig =
  | { readonly preflight: 'origin' }
  | {
      readonly preflight: 'relay'
      /** `*` or exact origins like `https://app.example.com`. */
      readonly allowedOrigins: readonly string[]
      readonly allowedMethods: readonly string[]
      readonly allowedHeaders: readonly string[]
      readonly allowCredentials: boolean
      readonly maxAgeSeconds: number
    }

/** A protected (or public) application. */
export interface AppConfig {
  readonly name: string
  readonly domains: readonly DomainPattern[]
  /** The `aud` of this app's tokens: 64 hex characters derived from the name. */
  readonly audience: string
  readonly sessionDurationMs: number | undefined
  readonly policies: readonly Policy[]
  /** Declared `public: true`: served without policies or login; still audited. */
  readonly public: boolean
  readonly cors: CorsConfig | undefined
  /** Also send the `Cf-Access-*` identity header names to the origin. */
  readonly cloudflareHeaders: boolean
  /** How the app launcher shows the app (`launcher:`); `web` when not set. */
  readonly launcher?: LauncherKind
  /** Limits of the app's SSH, RDP and TCP sessions (`tcp:`); the relay's when not set. */
  readonly tcp?: TcpSessionConfig
}

/** An app's `tcp:` section: how long one of its TCP sessions may idle and last. */
export interface TcpSessionConfig {
  readonly idleTimeoutMs?: number
  readonly maxDurationMs?: number
}

/**
 * How the app launcher shows a self-hosted app: a link (`web`), the command that connects
 * to an SSH, RDP or other TCP service behind it, or not at all (`hidden`).
 */
export type LauncherKind = 'web' | 'ssh' | 'rdp' | 'tcp' | 'hidden'

/** An `access.apps` entry with `type: saml`: a SaaS app the relay is the identity provider of. */
export interface SamlApp extends Omit<SamlAppConfig, 'policies'> {
  /** Derived from the name like any app's audience tag. */
  readonly audience: string
  readonly policies: readonly Policy[]
}

/** An OpenID Connect identity provider. */
export interface IdentityProviderConfig {
  readonly id: string
  readonly type: 'oidc'
  /** Shown on the chooser page. Default: the id. */
  readonly displayName: string
  readonly issuer: string
  readonly clientId: string
  /** Read from `clientSecretFile` or given inline; never logged. */
  readonly clientSecret: string
  readonly scopes: readonly string[]
  /** Claim holding the user's groups. Default `groups`. */
  readonly groupsClaim: string
}

/** The whole validated `access:` section. */
export interface AccessConfig {
  readonly file: string
  /** Host where login happens; it keeps its own session across apps. */
  readonly authDomain: string
  /** Global app and auth-domain session lifetime. Default 24 h. */
  readonly sessionDurationMs: number
  readonly identityProviders: readonly IdentityProviderConfig[]
  readonly apps: readonly AppConfig[]
  /** The `type: saml` entries of `apps`, in their listed order. */
  readonly samlApps: readonly SamlApp[]
  readonly ruleGroups: Readonly<Record<string, RuleGroup>>
  /** Signing keys are replaced after this long. Default 30 days. */
  readonly keyRotationMs: number
  /** A replaced key stays published (and accepted) this long. Default 2 days. */
  readonly keyOverlapMs: number
  /** Audit records older than this are deleted. Default 90 days. */
  readonly auditRetentionMs: number
  /** Lifetime of the identity assertion sent to the origin. Default 5 minutes. */
  readonly assertionDurationMs: number
}

/** Defaults for every optional key. */
export const accessConfigDefaults = Object.freeze({
  sessionDurationMs: 24 * 3600_000,
  keyRotationMs: 30 * 24 * 3600_000,
  keyOverlapMs: 2 * 24 * 3600_000,
  auditRetentionMs: 90 * 24 * 3600_000,
  assertionDurationMs: 5 * 60_000,
  scopes: Object.freeze(['openid', 'email', 'profile']),
  groupsClaim: 'groups',
  corsMaxAgeSeconds: 600,
})
