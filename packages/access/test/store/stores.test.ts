import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, describe, expect, it } from 'vitest'

import {
  createMemoryStores, openSqliteStores, type AccessStores, type AuditRecord,
} from '../../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'keyway-stores-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const record = (overrides: Partial<AuditRecord>): AuditRecord => ({
  timeMs: 1000, reqId: 'r1', app: 'wiki', host: 'wiki.example.test', method: 'GET', path: '/',
  email: 'alice@example.com', sub: 'alice', idp: 'corp', serviceToken: undefined,
  clientIp: '127.0.0.1', decision: 'allow', policy: 'all', reason: 'policy_allow', ...overrides,
})

describe.each([
  ['memory', () => createMemoryStores()],
  ['sqlite', () => openSqliteStores(join(dir, `db-${Math.random()}`))],
])('%s stores', (_kind, open: () => AccessStores) => {
  it('keeps sessions and their revocation', async () => {
    const stores = open()
    const session = { id: 's1', sub: 'alice', email: 'alice@example.com', idp: 'corp',
      groups: ['eng'], claims: { level: 3 }, createdAtMs: 1, expiresAtMs: 5000,
      revokedAtMs: undefined }
    await stores.sessions.create(session)
    await stores.sessions.create({ ...session, id: 's2' })
    expect(await stores.sessions.get('s1')).toEqual(session)
    await stores.sessions.revoke('s1', 100)
    expect((await stores.sessions.get('s1'))?.revokedAtMs).toBe(100)
    expect(await stores.sessions.revokeSubject('alice', 'corp', 200)).toBe(1)
    expect((await stores.sessions.get('s2'))?.revokedAtMs).toBe(200)
    expect(await stores.sessions.purgeExpired(6000)).toBe(2)
    expect(await stores.sessions.get('s1')).toBeUndefined()
    stores.close()
  })

  it('queries the audit log by app, user, decision and time, newest first', async () => {
    const stores = open()
    await stores.audit.record(record({ reqId: 'a' }))
    await stores.audit.record(record({ reqId: 'b', app: 'blog', timeMs: 2000 }))
    await stores.audit.record(record({ reqId: 'c', decision: 'block', policy: 'no',
      reason: 'blocked', timeMs: 3000, email: 'bob@example.com', sub: 'bob' }))
    expect((await stores.audit.query()).map((r) => r.reqId)).toEqual(['c', 'b', 'a'])
    expect((await stores.audit.query({ app: 'wiki' })).map((r) => r.reqId)).toEqual(['c', 'a'])
    expect((await stores.audit.query({ user: 'bob' })).map((r) => r.reqId)).toEqual(['c'])
    expect((await stores.audit.query({ user: 'Bob@Example.com' })).map((r) => r.reqId))
      .toEqual(['c'])
    expect(await stores.audit.query({ user: 'BOB' })).toEqual([])
    expect((await stores.audit.query({ decision: 'block' }))[0]).toEqual(record({ reqId: 'c',
      decision: 'block', policy: 'no', reason: 'blocked', timeMs: 3000, email: 'bob@example.com',
      sub: 'bob' }))
    expect((await stores.audit.query({ sinceMs: 2000, limit: 1 })).map((r) => r.reqId))
      .toEqual(['c'])
    expect(await stores.audit.purgeBefore(2500)).toBe(2)
    expect((await stores.audit.query()).map((r) => r.reqId)).toEqual(['c'])
    stores.close()
  })

  it('keeps service tokens by name and client id', async () => {
    const stores = open()
    const token = { name: 'ci', clientId: 'id.access', salt: 's', hash: 'h', createdAtMs: 1 }
    await stores.serviceTokens.insert(token)
    expect(await stores.serviceTokens.byClientId('id.access')).toEqual(token)
    expect(await stores.serviceTokens.byName('ci')).toEqual(token)
    expect(await stores.serviceTokens.list()).toEqual([token])
    expect(await stores.serviceTokens.remove('ci')).toBe(true)
    expect(await stores.serviceTokens.byName('ci')).toBeUndefined()
    stores.close()
  })
})

describe('openSqliteStores', () => {
  it('sees records written by another connection to the same database', async () => {
    const path = join(dir, 'shared')
    const writer = openSqliteStores(path)
    const reader = openSqliteStores(path)
    await writer.serviceTokens.insert({ name: 'ci', clientId: 'x', salt: 's', hash: 'h',
      createdAtMs: 1 })
    expect((await reader.serviceTokens.byName('ci'))?.clientId).toBe('x')
    writer.close()
    reader.close()
  })
})

describe('openSqliteStores', () => {
  it('keeps the database and its WAL files readable by the owner only', async () => {
    const dataDir = join(dir, 'modes')
    const stores = openSqliteStores(dataDir)
    await stores.audit.record(record({}))

    const modes = readdirSync(dataDir)
      .filter((name) => name.startsWith('access.db'))
      .map((name) => [name, statSync(join(dataDir, name)).mode & 0o777])
    stores.close()

    expect(modes.map(([name]) => name)).toEqual(
      expect.arrayContaining(['access.db', 'access.db-wal']),
    )
    expect(modes.every(([, mode]) => mode === 0o600)).toBe(true)
  })
})
