import type { AppConfig } from '../config/types.js'
import type { GateContext } from './context.js'
import { identityHeaderNames, strippedRequestHeaders } from './identity-headers.js'
import type { LiveSession } from './session-reader.js'
import type { GateDecision, GateRequest, HeaderList } from './types.js'

const maxCachedAssertions = 10_000

/** Signs identity assertions for origins, reusing one until half its lifetime has passed. */
export class AssertionSigner {
  readonly #cache = new Map<string, { token: string; expiresAtMs: number }>()

  /** The assertion for a user session at `app`. */
  async forUser(ctx: GateContext, app: AppConfig, live: LiveSession): Promise<string> {
    const { session } = live
    return this.#get(ctx, `${session.id}\n${app.audience}`, session.expiresAtMs, (expiresAtMs) =>
      ctx.tokens.sign({ type: 'assertion', aud: app.audience, sub: session.sub,
        email: session.email, idp: session.idp, sid: session.id, groups: session.groups,
        expiresAtMs }))
  }

  /** The assertion for a service token at `app`: `sub` is `service-token:NAME`, no email. */
  async forServiceToken(ctx: GateContext, app: AppConfig, name: string): Promise<string> {
    return this.#get(ctx, `service\n${name}\n${app.audience}`, Number.MAX_SAFE_INTEGER,
      (expiresAtMs) => ctx.tokens.sign({ type: 'assertion', aud: app.audience,
        sub: `service-token:${name}`, email: '', idp: 'service_token', sid: '', expiresAtMs }))
  }

  async #get(
    ctx: GateContext,
    key: string,
    limitMs: number,
    sign: (expiresAtMs: number) => Promise<string>,
  ): Promise<string> {
    const now = ctx.nowMs()
    const lifetimeMs = ctx.config.assertionDurationMs
    const cached = this.#cache.get(key)
    if (cached !== undefined && cached.expiresAtMs - now > lifetimeMs / 2) return cached.token
    const expiresAtMs = Math.min(now + lifetimeMs, limitMs)
    const token = await sign(expiresAtMs)
    if (this.#cache.size >= maxCachedAssertions) this.#cache.clear()
    this.#cache.set(key, { token, expiresAtMs })
    return token
  }
}

/** Who is forwarded: a user session, a service token, or nobody (bypass, public). */
export type Forwarded =
  | { readonly kind: 'user'; readonly live: LiveSession }
  | { readonly kind: 'service'; readonly name: string }
  | { readonly kind: 'anonymous' }

/**
 * The forward decision: client-sent identity headers and the relay's cookies removed, then
 * the signed assertion and email (also under the `Cf-Access-*` names when the app asks).
 * `decision` (the audited one) goes to the relay with the identity, for its session logs.
 */
export async function forwardRequest(
  ctx: GateContext,
  signer: AssertionSigner,
  request: GateRequest,
  app: AppConfig,
  who: Forwarded,
  decision?: string,
): Promise<GateDecision> {
  const { remove, cookie } = strippedRequestHeaders(request.req.rawHeaders)
  const add: HeaderList = cookie === undefined ? [] : [cookie]
  let user: string | undefined
  if (who.kind !== 'anonymous') {
    const assertion = who.kind === 'user' ? await signer.forUser(ctx, app, who.live)
      : await signer.forServiceToken(ctx, app, who.name)
    const email = who.kind === 'user' ? who.live.session.email : undefined
    user = email ?? `service-token:${(who as { name: string }).name}`
    add.push([identityHeaderNames.assertion, assertion],
      [identityHeaderNames.accessAssertion, assertion])
    if (email !== undefined) add.push([identityHeaderNames.email, email])
    if (app.cloudflareHeaders) {
      add.push([identityHeaderNames.cfAssertion, assertion])
      if (email !== undefined) add.push([identityHeaderNames.cfEmail, email])
    }
  }
  return {
    action: 'forward',
    addHeaders: add,
    removeHeaders: remove,
    identity: {
      ...(user === undefined ? {} : { user }),
      app: app.name,
      ...(decision === undefined ? {} : { decision }),
    },
    ...(app.tcp === undefined ? {} : { tcpSessionLimits: {
      ...(app.tcp.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: app.tcp.idleTimeoutMs }),
      ...(app.tcp.maxDurationMs === undefined ? {} : { maxSessionMs: app.tcp.maxDurationMs }),
    } }),
  }
}
