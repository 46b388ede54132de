import { createHash } from 'node:crypto'

import type { Logger } from 'pino'

import { hostHasApp } from '../apps/match-app.js'
import type { AccessConfig } from '../config/types.js'
import { FileKeyStore, type KeyStore } from '../keys/key-store.js'
import { MemoryLoginStateStore, type LoginStateStore } from '../login/login-states.js'
import { OidcLogin, type PendingLogin } from '../login/oidc-login.js'
import { openSqliteStores } from '../store/sqlite-stores.js'
import type { AccessStores, AuditQuery, AuditRecord } from '../store/types.js'
import { ServiceTokens } from '../tokens/service-tokens.js'
import { TokenService } from '../tokens/session-token.js'
import { text } from './answers.js'
import { handleAppHost } from './app-host.js'
import { Auditor } from './auditor.js'
import { handleAuthDomain } from './auth-domain.js'
import type { GateContext, Handoff } from './context.js'
import { AssertionSigner } from './forward.js'
import { SamlGateState } from './saml-state.js'
import { SessionReader } from './session-reader.js'
import type { GateDecision, GateRequest, RequestGate, TcpSessionEnd } from './types.js'

/** Options of {@link createAccessGate}. */
export interface AccessGateOptions {
  /** From `validateAccessConfig`. */
  readonly config: AccessConfig
  /** The relay's data directory: keys (`access-keys.json`) and `access.db` live there. */
  readonly dataDir: string
  readonly logger: Logger
  /** Replaces the SQLite stores (tests, or a shared database). */
  readonly stores?: AccessStores
  /** Replaces the key file. */
  readonly keys?: KeyStore
  readonly pendingLogins?: LoginStateStore<PendingLogin>
  readonly handoffs?: LoginStateStore<Handoff>
  /** Interval of the retention sweep (audit records, expired sessions). Default 1 hour. */
  readonly sweepIntervalMs?: number
  readonly nowMs?: () => number
}

/** The running gate: the relay calls `decide`; the rest is for the CLI and tests. */
export interface AccessGate extends RequestGate {
  readonly config: AccessConfig
  readonly stores: AccessStores
  readonly serviceTokens: ServiceTokens
  /** The issuer (`iss`) of every token: `https://<authDomain>` of the first config. */
  readonly issuer: string
  /** Audit records, newest first. */
  audit(filter?: AuditQuery): Promise<AuditRecord[]>
  /** Adds how a TCP session went (start, end, bytes, outcome) to its audit record. */
  tcpSessionEnded(session: TcpSessionEnd): Promise<void>
  /**
   * Swaps in a new validated config at once (SIGHUP or a file change). Key rotation
   * settings and the token issuer (from authDomain) take effect at the next start.
   */
  reload(config: AccessConfig): void
  /** Stops the sweep timer and closes the stores it opened. */
  close(): Promise<void>
}

/**
 * Builds the access gate from a validated config: opens the keys and stores under
 * `dataDir`, then answers `decide()` for every public request. The auth domain is served by
 * the gate itself; app hosts get their policies evaluated on every request; routed hosts
 * no app covers are refused; hosts with neither an app nor a tunnel are left to the relay
 * (which answers 404). Any failure inside the gate answers 500 and never forwards.
 */
export async function createAccessGate(options: AccessGateOptions): Promise<AccessGate> {
  const { config } = options
  const nowMs = options.nowMs ?? Date.now
  const log = options.logger.child({ component: 'access' })
  const keys = options.keys ?? await FileKeyStore.open({ dataDir: options.dataDir,
    rotationMs: config.keyRotationMs, overlapMs: config.keyOverlapMs, nowMs })
  const stores = options.stores ?? openSqliteStores(options.dataDir)
  const issuer = `https://${config.authDomain}`
  const tokens = new TokenService({ keys, issuer, nowMs })
  const serviceTokens = new ServiceTokens({ store: stores.serviceTokens, nowMs })
  const shared = {
    stores, keys, tokens, serviceTokens, log, nowMs,
    pendingLogins: options.pendingLogins ?? new MemoryLoginStateStore<PendingLogin>({ nowMs }),
    handoffs: options.handoffs ?? new MemoryLoginStateStore<Handoff>({ nowMs }),
    sessions: new SessionReader(tokens, stores.sessions, nowMs),
    auditor: new Auditor(stores.audit, log, nowMs),
    saml: new SamlGateState({ dataDir: options.dataDir, nowMs }),
  }
  const contextFor = (next: AccessConfig): GateContext => ({
    ...shared,
    config: next,
    oidc: new OidcLogin(next.identityProviders),
    authAudience: createHash('sha256').update(`keyway-auth\0${next.authDomain}`).digest('hex'),
  })
  let ctx = contextFor(config)
  const signer = new AssertionSigner()
  const sweep = setInterval(() => {
    const now = nowMs()
    Promise.all([stores.audit.purgeBefore(now - ctx.config.auditRetentionMs),
      stores.sessions.purgeExpired(now)])
      .catch((err: unknown) => log.warn({ err }, 'access retention sweep failed'))
  }, options.sweepIntervalMs ?? 3600_000)
  sweep.unref()

  const decide = async (request: GateRequest): Promise<GateDecision> => {
    const current = ctx
    if (request.host === current.config.authDomain) return handleAuthDomain(current, request)
    if (hostHasApp(current.config.apps, request.host)) {
      return handleAppHost(current, signer, request)
    }
    if (request.tunnel === undefined) return { action: 'forward' }
    await current.auditor.record(request, { decision: 'deny', reason: 'no_app' })
    return text(403, 'access denied')
  }

  return {
    get config() {
      return ctx.config
    },
    stores,
    serviceTokens,
    issuer,
    audit: (filter) => stores.audit.query(filter),
    reload: (next) => {
      // Requests under way keep the context they started with; new ones see the new config.
      // Keys, stores and sessions carry over, so nobody is signed out by a reload.
      ctx = contextFor(next)
    },
    decide: async (request) => {
      try {
        return await decide(request)
      } catch (err) {
        log.error({ err, reqId: request.reqId, host: request.host }, 'access gate failed')
        return text(500, `the access check failed (request ${request.reqId})`)
      }
    },
    tcpSessionEnded: async (session) => {
      const { reqId, ...facts } = session
      await stores.audit.endTcpSession(reqId, facts)
    },
    close: async () => {
      clearInterval(sweep)
      if (options.stores === undefined) stores.close()
    },
  }
}
