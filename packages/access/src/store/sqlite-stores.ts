import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs'
import { join } from 'node:path'

import Database from 'better-sqlite3'

import { AccessError, AccessErrorCode } from '../errors.js'
import { maxAuditQueryRows } from './types.js'
import type {
  AccessStores, AuditDecision, AuditQuery, AuditRecord, AuditStore, ServiceTokenRecord,
  ServiceTokenStore, SessionRecord, SessionStore, TcpSessionFacts,
} from './types.js'

type Db = Database.Database

const schema = `
create table if not exists sessions (
  id text primary key, sub text not null, email text not null, idp text not null,
  groups_json text not null, claims_json text not null, created_at_ms integer not null,
  expires_at_ms integer not null, revoked_at_ms integer
);
create index if not exists sessions_subject on sessions (sub, idp);
create table if not exists audit (
  id integer primary key autoincrement, time_ms integer not null, req_id text not null,
  app text, host text not null, method text not null, path text not null, email text,
  sub text, idp text, service_token text, client_ip text not null, decision text not null,
  policy text, reason text
);
create index if not exists audit_time on audit (time_ms);
create table if not exists service_tokens (
  name text primary key, client_id text not null unique, salt text not null,
  hash text not null, created_at_ms integer not null
);
`

/**
 * Opens (creating when needed) `<dataDir>/access.db`: SQLite in WAL mode, shared by the
 * sessions, audit and service token stores. A committed write survives the process being
 * killed, so an answered decision is never lost from the audit log.
 */
export function openSqliteStores(dataDir: string): AccessStores {
  let db: Db
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 })
    const file = join(dataDir, 'access.db')
    // SQLite gives its -wal and -shm files the database file's mode: make that owner-only
    // before the first open, and for a database made before this rule.
    closeSync(openSync(file, 'a', 0o600))
    chmodSync(file, 0o600)
    db = new Database(file)
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('busy_timeout = 5000')
    db.exec(schema)
    addTcpSessionColumns(db)
  } catch (err) {
    throw new AccessError(AccessErrorCode.store, `cannot open the access database in ${dataDir}`,
      { cause: err })
  }
  return {
    sessions: new SqliteSessionStore(db),
    audit: new SqliteAuditStore(db),
    serviceTokens: new SqliteServiceTokenStore(db),
    close: () => db.close(),
  }
}

interface SessionRow {
  id: string; sub: string; email: string; idp: string; groups_json: string; claims_json: string
  created_at_ms: number; expires_at_ms: number; revoked_at_ms: number | null
}

class SqliteSessionStore implements SessionStore {
  readonly #insert: Database.Statement
  readonly #get: Database.Statement<[string], SessionRow>
  readonly #revoke: Database.Statement
  readonly #revokeSubject: Database.Statement
  readonly #purge: Database.Statement

  constructor(db: Db) {
    this.#insert = db.prepare(`insert into sessions values (@id, @sub, @email, @idp,
      @groups_json, @claims_json, @created_at_ms, @expires_at_ms, @revoked_at_ms)`)
    this.#get = db.prepare('select * from sessions where id = ?')
    this.#revoke = db.prepare(
      'update sessions set revoked_at_ms = ? where id = ? and revoked_at_ms is null')
    this.#revokeSubject = db.prepare(`update sessions set revoked_at_ms = ?
      where sub = ? and idp = ? and revoked_at_ms is null`)
    this.#purge = db.prepare('delete from sessions where expires_at_ms < ?')
  }

  async create(session: SessionRecord): Promise<void> {
    this.#insert.run({
      id: session.id, sub: session.sub, email: session.email, idp: session.idp,
      groups_json: JSON.stringify(session.groups), claims_json: JSON.stringify(session.claims),
      created_at_ms: session.createdAtMs, expires_at_ms: session.expiresAtMs,
      revoked_at_ms: session.revokedAtMs ?? null,
    })
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const row = this.#get.get(id)
    if (row === undefined) return undefined
    return {
      id: row.id, sub: row.sub, email: row.email, idp: row.idp,
      groups: JSON.parse(row.groups_json) as string[],
      claims: JSON.parse(row.claims_json) as Record<string, unknown>,
      createdAtMs: row.created_at_ms, expiresAtMs: row.expires_at_ms,
      revokedAtMs: row.revoked_at_ms ?? undefined,
    }
  }

  async revoke(id: string, atMs: number): Promise<void> {
    this.#revoke.run(atMs, id)
  }

  async revokeSubject(sub: string, idp: string, atMs: number): Promise<number> {
    return this.#revokeSubject.run(atMs, sub, idp).changes
  }

  async purgeExpired(nowMs: number): Promise<number> {
    return this.#purge.run(nowMs).changes
  }
}

interface AuditRow {
  time_ms: number; req_id: string; app: string | null; host: string; method: string
  path: string; email: string | null; sub: string | null; idp: string | null
  service_token: string | null; client_ip: string; decision: string; policy: string | null
  reason: string | null
  tcp_started_at_ms: number | null; tcp_ended_at_ms: number | null
  tcp_bytes_in: number | null; tcp_bytes_out: number | null; tcp_outcome: string | null
}

const tcpSessionColumns = [
  'tcp_started_at_ms integer', 'tcp_ended_at_ms integer', 'tcp_bytes_in integer',
  'tcp_bytes_out integer', 'tcp_outcome text',
]

/** Adds the TCP session columns to an audit table made before they existed. */
function addTcpSessionColumns(db: Db): void {
  const present = new Set(
    db.prepare<[], { name: string }>('select name from pragma_table_info(\'audit\')').all()
      .map((column) => column.name))
  for (const column of tcpSessionColumns) {
    const [name] = column.split(' ')
    if (!present.has(name ?? '')) db.exec(`alter table audit add column ${column}`)
  }
  db.exec('create index if not exists audit_req_id on audit (req_id)')
}

class SqliteAuditStore implements AuditStore {
  readonly #db: Db
  readonly #insert: Database.Statement
  readonly #purge: Database.Statement
  readonly #endTcp: Database.Statement

  constructor(db: Db) {
    this.#db = db
    this.#endTcp = db.prepare(`update audit set tcp_started_at_ms = @started,
      tcp_ended_at_ms = @ended, tcp_bytes_in = @bytes_in, tcp_bytes_out = @bytes_out,
      tcp_outcome = @outcome where req_id = @req_id`)
    this.#insert = db.prepare(`insert into audit (time_ms, req_id, app, host, method, path,
      email, sub, idp, service_token, client_ip, decision, policy, reason) values (@time_ms,
      @req_id, @app, @host, @method, @path, @email, @sub, @idp, @service_token, @client_ip,
      @decision, @policy, @reason)`)
    this.#purge = db.prepare('delete from audit where time_ms < ?')
  }

  async record(entry: AuditRecord): Promise<void> {
    this.#insert.run({
      time_ms: entry.timeMs, req_id: entry.reqId, app: entry.app ?? null, host: entry.host,
      method: entry.method, path: entry.path, email: entry.email ?? null, sub: entry.sub ?? null,
      idp: entry.idp ?? null, service_token: entry.serviceToken ?? null,
      client_ip: entry.clientIp, decision: entry.decision, policy: entry.policy ?? null,
      reason: entry.reason ?? null,
    })
  }

  async query(filter: AuditQuery = {}): Promise<AuditRecord[]> {
    const where: string[] = []
    const params: Record<string, string | number> = {}
    if (filter.app !== undefined) {
      where.push('app = @app')
      params['app'] = filter.app
    }
    if (filter.user !== undefined) {
      // Emails are stored in lower case; subjects are compared as the provider wrote them.
      where.push('(email = lower(@user) or sub = @user)')
      params['user'] = filter.user
    }
    if (filter.decision !== undefined) {
      where.push('decision = @decision')
      params['decision'] = filter.decision
    }
    if (filter.sinceMs !== undefined) {
      where.push('time_ms >= @since')
      params['since'] = filter.sinceMs
    }
    params['limit'] = Math.max(1, Math.min(filter.limit ?? 100, maxAuditQueryRows))
    const clause = where.length === 0 ? '' : `where ${where.join(' and ')}`
    const rows = this.#db
      .prepare<Record<string, string | number>, AuditRow>(
        `select * from audit ${clause} order by id desc limit @limit`)
      .all(params)
    return rows.map(toAuditRecord)
  }

  async purgeBefore(beforeMs: number): Promise<number> {
    return this.#purge.run(beforeMs).changes
  }

  async endTcpSession(reqId: string, facts: TcpSessionFacts): Promise<void> {
    this.#endTcp.run({ req_id: reqId, started: facts.startedAtMs, ended: facts.endedAtMs,
      bytes_in: facts.bytesIn, bytes_out: facts.bytesOut, outcome: facts.outcome })
  }
}

function tcpFacts(row: AuditRow): TcpSessionFacts | undefined {
  if (row.tcp_ended_at_ms === null || row.tcp_started_at_ms === null) return undefined
  return {
    startedAtMs: row.tcp_started_at_ms, endedAtMs: row.tcp_ended_at_ms,
    bytesIn: row.tcp_bytes_in ?? 0, bytesOut: row.tcp_bytes_out ?? 0,
    outcome: row.tcp_outcome === 'closed' ? 'closed' : 'reset',
  }
}

function toAuditRecord(row: AuditRow): AuditRecord {
  const tcp = tcpFacts(row)
  return {
    timeMs: row.time_ms, reqId: row.req_id, app: row.app ?? undefined, host: row.host,
    method: row.method, path: row.path, email: row.email ?? undefined, sub: row.sub ?? undefined,
    idp: row.idp ?? undefined, serviceToken: row.service_token ?? undefined,
    clientIp: row.client_ip, decision: row.decision as AuditDecision,
    policy: row.policy ?? undefined, reason: row.reason ?? undefined,
    ...(tcp === undefined ? {} : { tcp }),
  }
}

interface ServiceTokenRow {
  name: string; client_id: string; salt: string; hash: string; created_at_ms: number
}

class SqliteServiceTokenStore implements ServiceTokenStore {
  readonly #db: Db

  constructor(db: Db) {
    this.#db = db
  }

  async insert(record: ServiceTokenRecord): Promise<void> {
    this.#db.prepare('insert into service_tokens values (?, ?, ?, ?, ?)')
      .run(record.name, record.clientId, record.salt, record.hash, record.createdAtMs)
  }

  async byClientId(clientId: string): Promise<ServiceTokenRecord | undefined> {
    const row = this.#db.prepare<[string], ServiceTokenRow>(
      'select * from service_tokens where client_id = ?').get(clientId)
    return row === undefined ? undefined : toServiceToken(row)
  }

  async byName(name: string): Promise<ServiceTokenRecord | undefined> {
    const row = this.#db.prepare<[string], ServiceTokenRow>(
      'select * from service_tokens where name = ?').get(name)
    return row === undefined ? undefined : toServiceToken(row)
  }

  async list(): Promise<ServiceTokenRecord[]> {
    return this.#db.prepare<[], ServiceTokenRow>('select * from service_tokens order by name')
      .all().map(toServiceToken)
  }

  async remove(name: string): Promise<boolean> {
    return this.#db.prepare('delete from service_tokens where name = ?').run(name).changes > 0
  }
}

function toServiceToken(row: ServiceTokenRow): ServiceTokenRecord {
  return { name: row.name, clientId: row.client_id, salt: row.salt, hash: row.hash,
    createdAtMs: row.created_at_ms }
}
