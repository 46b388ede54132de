/** What the policy engine knows about a request and who sent it. */

/** Facts about the request itself, independent of who sent it. */
export interface RequestFacts {
  /** The client's address as the relay saw it. */
  readonly clientIp: string
  /** Name of the service token the request presented and that verified, if any. */
  readonly serviceToken?: string | undefined
}

/** A signed-in user, as the identity provider described them. */
export interface Identity {
  readonly sub: string
  /** Verified email, lower case. */
  readonly email: string
  /** Id of the identity provider the user signed in with. */
  readonly idp: string
  readonly groups: readonly string[]
  /** Other claims from the provider (strings, numbers, booleans, lists of them). */
  readonly claims: Readonly<Record<string, unknown>>
}

/** Why a request was let through. */
export type AllowReason = 'policy_allow' | 'bypass' | 'service_token' | 'public'

/** Why a request was refused; logged and audited, never shown to the client. */
export type DenyReason =
  | 'blocked'
  | 'no_matching_policy'
  | 'login_required'
  | 'service_token_not_allowed'
  | 'evaluation_error'

/** The outcome of evaluating an app's policies. */
export type Decision =
  | {
      readonly decision: 'allow'
      /** The action of the deciding policy (`public` for a public app). */
      readonly action: 'allow' | 'bypass' | 'service_auth' | 'public'
      readonly policy: string | undefined
      readonly reason: AllowReason
      /** Session lifetime set by the deciding policy, if it sets one. */
      readonly sessionDurationMs: number | undefined
    }
  | {
      readonly decision: 'deny'
      /** The deciding block policy, or undefined when nothing decided. */
      readonly policy: string | undefined
      readonly reason: DenyReason
    }
