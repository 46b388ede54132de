import { maxAuditQueryRows } from './types.js'
import type {
  AccessStores, AuditQuery, AuditRecord, AuditStore, ServiceTokenRecord, ServiceTokenStore,
  SessionRecord, SessionStore, TcpSessionFacts,
} from './types.js'

/** Sessions in memory, for tests. */
export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, SessionRecord>()

  async create(session: SessionRecord): Promise<void> {
    this.#sessions.set(session.id, session)
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    return this.#sessions.get(id)
  }

  async revoke(id: string, atMs: number): Promise<void> {
    const session = this.#sessions.get(id)
    if (session !== undefined && session.revokedAtMs === undefined) {
      this.#sessions.set(id, { ...session, revokedAtMs: atMs })
    }
  }

  async revokeSubject(sub: string, idp: string, atMs: number): Promise<number> {
    let count = 0
    for (const session of this.#sessions.values()) {
      if (session.sub !== sub || session.idp !== idp || session.revokedAtMs !== undefined) continue
      this.#sessions.set(session.id, { ...session, revokedAtMs: atMs })
      count++
    }
    return count
  }

  async purgeExpired(nowMs: number): Promise<number> {
    let count = 0
    for (const [id, session] of this.#sessions) {
      if (session.expiresAtMs < nowMs && this.#sessions.delete(id)) count++
    }
    return count
  }
}

/** The audit log in memory, for tests. */
export class MemoryAuditStore implements AuditStore {
  readonly #records: AuditRecord[] = []

  async record(entry: AuditRecord): Promise<void> {
    this.#records.push(Object.freeze({ ...entry }))
  }

  async query(filter: AuditQuery = {}): Promise<AuditRecord[]> {
    const limit = Math.min(filter.limit ?? 100, maxAuditQueryRows)
    return this.#records
      .filter((record) => matchesAuditQuery(record, filter))
      .reverse()
      .slice(0, limit)
  }

  async purgeBefore(beforeMs: number): Promise<number> {
    const before = this.#records.length
    const kept = this.#records.filter((record) => record.timeMs >= beforeMs)
    this.#records.splice(0, this.#records.length, ...kept)
    return before - kept.length
  }

  async endTcpSession(reqId: string, facts: TcpSessionFacts): Promise<void> {
    for (const [index, record] of this.#records.entries()) {
      if (record.reqId !== reqId) continue
      this.#records[index] = Object.freeze({ ...record, tcp: Object.freeze({ ...facts }) })
    }
  }
}

/** True when `record` passes every filter given. */
export function matchesAuditQuery(record: AuditRecord, filter: AuditQuery): boolean {
  if (filter.app !== undefined && record.app !== filter.app) return false
  if (filter.user !== undefined && record.email !== filter.user.toLowerCase() &&
    record.sub !== filter.user) {
    return false
  }
  if (filter.decision !== undefined && record.decision !== filter.decision) return false
  return filter.sinceMs === undefined || record.timeMs >= filter.sinceMs
}

/** Service tokens in memory, for tests. */
export class MemoryServiceTokenStore implements ServiceTokenStore {
  readonly #byName = new Map<string, ServiceTokenRecord>()

  async insert(record: ServiceTokenRecord): Promise<void> {
    this.#byName.set(record.name, record)
  }

  async byClientId(clientId: string): Promise<ServiceTokenRecord | undefined> {
    return [...this.#byName.values()].find((record) => record.clientId === clientId)
  }

  async byName(name: string): Promise<ServiceTokenRecord | undefined> {
    return this.#byName.get(name)
  }

  async list(): Promise<ServiceTokenRecord[]> {
    return [...this.#byName.values()]
  }

  async remove(name: string): Promise<boolean> {
    return this.#byName.delete(name)
  }
}

/** All three stores in memory. */
export function createMemoryStores(): AccessStores {
  return {
    sessions: new MemorySessionStore(),
    audit: new MemoryAuditStore(),
    serviceTokens: new MemoryServiceTokenStore(),
    close: () => undefined,
  }
}
