import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, describe, expect, it } from 'vitest'

import {
  createServiceToken, formatAuditRecord, listServiceTokens, openSqliteStores, queryAuditLog,
  removeServiceToken, ServiceTokens,
} from '../../src/index.js'

const dataDir = mkdtempSync(join(tmpdir(), 'keyway-admin-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

describe('access admin operations', () => {
  it('creates a service token that a running relay verifies from the same database', async () => {
    const relayStores = openSqliteStores(dataDir)
    try {
      const made = await createServiceToken({ dataDir, name: 'ci' })
      const relayTokens = new ServiceTokens({ store: relayStores.serviceTokens })
      expect(await relayTokens.verify(made.clientId, made.clientSecret)).toBe('ci')
      expect(await listServiceTokens({ dataDir })).toEqual([
        { name: 'ci', clientId: made.clientId, createdAtMs: expect.any(Number) as number }])
      expect(await removeServiceToken({ dataDir, name: 'ci' })).toBe(true)
      expect(await relayTokens.verify(made.clientId, made.clientSecret)).toBeUndefined()
    } finally {
      relayStores.close()
    }
  })

  it('lists audit records written by the relay, with filters', async () => {
    const relayStores = openSqliteStores(dataDir)
    const base = { reqId: 'r', app: 'wiki', host: 'wiki.example.test', method: 'GET', path: '/',
      email: 'alice@example.com', sub: 'alice', idp: 'corp', serviceToken: undefined,
      clientIp: '192.0.2.1', policy: 'staff', reason: 'policy_allow' }
    await relayStores.audit.record({ ...base, timeMs: Date.UTC(2026, 0, 1), decision: 'allow' })
    await relayStores.audit.record({ ...base, timeMs: Date.UTC(2026, 0, 2), decision: 'block',
      reason: 'blocked' })
    relayStores.close()
    const blocks = await queryAuditLog({ dataDir, filter: { decision: 'block' } })
    expect(blocks).toHaveLength(1)
    expect(formatAuditRecord(blocks[0]!)).toBe('2026-01-02T00:00:00.000Z  block          wiki  ' +
      'alice@example.com  192.0.2.1  GET wiki.example.test/  policy=staff  reason=blocked  req=r')
  })
})
