import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'

import {
  createMemoryStores, openSqliteStores, type AccessStores, type AuditRecord,
} from '../../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'keyway-tcp-audit-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const record = (reqId: string): AuditRecord => ({
  timeMs: 1000, reqId, app: 'ssh', host: 'ssh.example.test', method: 'GET', path: '/',
  email: 'alice@example.com', sub: 'alice', idp: 'corp', serviceToken: undefined,
  clientIp: '198.51.100.7', decision: 'allow', policy: 'staff', reason: 'policy_allow',
})
const facts = { startedAtMs: 1010, endedAtMs: 9010, bytesIn: 4096, bytesOut: 1_048_576,
  outcome: 'closed' as const }

describe.each([
  ['memory', () => createMemoryStores()],
  ['sqlite', () => openSqliteStores(join(dir, `db-${Math.random()}`))],
])('%s audit store', (_kind, open: () => AccessStores) => {
  it('adds the end of a TCP session to the record that let it through', async () => {
    const stores = open()
    await stores.audit.record(record('r1'))
    await stores.audit.record(record('r2'))

    await stores.audit.endTcpSession('r1', facts)
    const [second, first] = await stores.audit.query({ app: 'ssh' })

    expect(first).toEqual({ ...record('r1'), tcp: facts })
    expect(second).toEqual(record('r2'))
    stores.close()
  })
})

describe('sqlite audit store', () => {
  it('adds the TCP session columns to a database made before them', async () => {
    const dataDir = join(dir, 'old')
    mkdirSync(dataDir)
    const old = new Database(join(dataDir, 'access.db'))
    old.exec(`create table audit (
      id integer primary key autoincrement, time_ms integer not null, req_id text not null,
      app text, host text not null, method text not null, path text not null, email text,
      sub text, idp text, service_token text, client_ip text not null, decision text not null,
      policy text, reason text)`)
    old.prepare(`insert into audit (time_ms, req_id, app, host, method, path, client_ip,
      decision) values (500, 'old', 'ssh', 'ssh.example.test', 'GET', '/', '::1', 'allow')`)
      .run()
    old.close()

    const stores = openSqliteStores(dataDir)
    await stores.audit.endTcpSession('old', facts)
    const [found] = await stores.audit.query({})

    expect(found).toMatchObject({ reqId: 'old', timeMs: 500, tcp: facts })
    stores.close()
  })
})
