/**
 * The access layer's state behind small interfaces: sessions (with revocation), the audit
 * log and service tokens. SQLite under `dataDir` is the embedded default, memory is for
 * tests; a shared database can implement the same interfaces for several relays.
 */

/** A login on the auth domain; every app token of the login carries its id as `sid`. */
export interface SessionRecord {
  readonly id: string
  readonly sub: string
  readonly email: string
  readonly idp: string
  readonly groups: readonly string[]
  readonly claims: Readonly<Record<string, unknown>>
  readonly createdAtMs: number
  readonly expiresAtMs: number
  /** Set by logout: from then on every token of the session is refused. */
  readonly revokedAtMs: number | undefined
}

/** Sessions and their revocation. */
export interface SessionStore {
  create(session: SessionRecord): Promise<void>
  get(id: string): Promise<SessionRecord | undefined>
  /** Marks a session revoked; its record stays until it expires so the revocation holds. */
  revoke(id: string, atMs: number): Promise<void>
  /** Revokes every live session of a user; returns how many. */
  revokeSubject(sub: string, idp: string, atMs: number): Promise<number>
  /** Deletes sessions that expired before `nowMs`; returns how many. */
  purgeExpired(nowMs: number): Promise<number>
}

/** Every decision an audit record can carry, for filters and their validation. */
export const auditDecisions = Object.freeze([
  'allow', 'bypass', 'service_token', 'public', 'block', 'deny', 'login', 'login_failed',
  'logout',
] as const)

/** What an audit record says happened. */
export type AuditDecision = (typeof auditDecisions)[number]

/** One decision of the access layer. */
export interface AuditRecord {
  readonly timeMs: number
  readonly reqId: string
  readonly app: string | undefined
  readonly host: string
  readonly method: string
  readonly path: string
  readonly email: string | undefined
  readonly sub: string | undefined
  readonly idp: string | undefined
  readonly serviceToken: string | undefined
  readonly clientIp: string
  readonly decision: AuditDecision
  readonly policy: string | undefined
  /** Why: a reason code for denials, and the allow reason otherwise. */
  readonly reason: string | undefined
  /** For a decision that let an SSH, RDP or TCP session through: how it went, once ended. */
  readonly tcp?: TcpSessionFacts
}

/** An SSH, RDP or TCP session from the relay's answer to its end. */
export interface TcpSessionFacts {
  readonly startedAtMs: number
  readonly endedAtMs: number
  /** Bytes from the user to the server. */
  readonly bytesIn: number
  /** Bytes from the server to the user. */
  readonly bytesOut: number
  /** `closed`: both sides ended their output; `reset`: anything else. */
  readonly outcome: 'closed' | 'reset'
}

/** Filters of {@link AuditStore.query}; every given filter must hold. */
export interface AuditQuery {
  readonly app?: string
  /** Email (in any case) or subject (exactly). */
  readonly user?: string
  readonly decision?: AuditDecision
  readonly sinceMs?: number
  /** Default 100, at most 10,000; newest first. */
  readonly limit?: number
}

/** The audit log. `record` resolves only once the record is durable. */
export interface AuditStore {
  record(entry: AuditRecord): Promise<void>
  query(filter?: AuditQuery): Promise<AuditRecord[]>
  /** Deletes records older than `beforeMs`; returns how many. */
  purgeBefore(beforeMs: number): Promise<number>
  /** Adds how the TCP session let through by request `reqId` went to its record. */
  endTcpSession(reqId: string, facts: TcpSessionFacts): Promise<void>
}

/** A stored service token: only a salted hash of its secret. */
export interface ServiceTokenRecord {
  readonly name: string
  readonly clientId: string
  /** base64url */
  readonly salt: string
  /** base64url scrypt of the secret */
  readonly hash: string
  readonly createdAtMs: number
}

/** Service token records. */
export interface ServiceTokenStore {
  insert(record: ServiceTokenRecord): Promise<void>
  byClientId(clientId: string): Promise<ServiceTokenRecord | undefined>
  byName(name: string): Promise<ServiceTokenRecord | undefined>
  list(): Promise<ServiceTokenRecord[]>
  /** True when a token of that name existed. */
  remove(name: string): Promise<boolean>
}

/** The three stores, opened together. */
export interface AccessStores {
  readonly sessions: SessionStore
  readonly audit: AuditStore
  readonly serviceTokens: ServiceTokenStore
  close(): void
}

/** Bound on query results. */
export const maxAuditQueryRows = 10_000
