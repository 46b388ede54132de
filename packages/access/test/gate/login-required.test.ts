import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  createAccessGate, createMemoryStores, FileKeyStore, validateAccessConfig, type AccessGate,
  type GateDecision,
} from '../../src/index.js'
import { fakeRequest } from '../support/fake-request.js'

const config = validateAccessConfig({
  authDomain: 'auth.example.test',
  identityProviders: [
    { id: 'corp', type: 'oidc', issuer: 'https://idp.example.test', clientId: 'keyway',
      clientSecret: 'secret-value' },
  ],
  apps: [
    { name: 'ssh', domains: ['ssh.example.test'],
      policies: [{ name: 'all', action: 'allow', include: ['everyone'] }] },
  ],
}, 'relay.yaml')
let gate: AccessGate

beforeAll(async () => {
  const keys = await FileKeyStore.open({ rotationMs: 86_400_000, overlapMs: 3600_000 })
  gate = await createAccessGate({ config, dataDir: '/nonexistent', stores: createMemoryStores(),
    keys, logger: pino({ level: 'silent' }) })
})
afterAll(() => gate.close())

function answer(decision: GateDecision) {
  if (decision.action !== 'respond') throw new Error(`expected an answer, got ${decision.action}`)
  const header = (name: string) => decision.headers?.find(([key]) => key === name)?.[1]
  return { status: decision.status, body: String(decision.body), header }
}

describe('the 401 for a request that cannot follow a login redirect', () => {
  it('tells a script where a browser signs in', async () => {
    const refused = answer(await gate.decide(fakeRequest('ssh.example.test/api?q=1',
      { headers: [['Accept', 'application/json']] })))

    expect(refused.status).toBe(401)
    expect(refused.header('Keyway-Login-Url')).toBe('https://ssh.example.test/api?q=1')
    expect(refused.body).toBe(
      'authentication required; sign in with a browser at https://ssh.example.test/api?q=1\n')
  })

  it('names the login command for an upgrade such as a TCP session', async () => {
    const refused = answer(await gate.decide(fakeRequest('ssh.example.test/', { kind: 'upgrade' })))

    expect(refused.status).toBe(401)
    expect(refused.header('Keyway-Login-Url')).toBe('https://ssh.example.test/')
    expect(refused.body).toBe(
      'authentication required; run: keyway access login https://ssh.example.test\n')
  })
})
