import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  appCookieName, createAccessGate, createMemoryStores, FileKeyStore, TokenService,
  validateAccessConfig, type AccessGate, type GateDecision,
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
let appToken: string

beforeAll(async () => {
  const keys = await FileKeyStore.open({ rotationMs: 86_400_000, overlapMs: 3600_000 })
  const stores = createMemoryStores()
  gate = await createAccessGate({ config, dataDir: '/nonexistent', stores, keys,
    logger: pino({ level: 'silent' }) })
  await stores.sessions.create({ id: 'sid-1', sub: 'alice', email: 'alice@example.com',
    idp: 'corp', groups: [], claims: {}, createdAtMs: Date.now(),
    expiresAtMs: Date.now() + 3600_000, revokedAtMs: undefined })
  appToken = await new TokenService({ keys, issuer: gate.issuer }).sign({ type: 'app',
    aud: config.apps[0]?.audience ?? '', sub: 'alice', email: 'alice@example.com', idp: 'corp',
    sid: 'sid-1', expiresAtMs: Date.now() + 600_000 })
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

describe('the credentials of a TCP session', () => {
  const tcpOffer: [string, string] = ['Sec-WebSocket-Protocol', 'keyway-tcp.v1']
  const cookie = (): [string, string] =>
    ['Cookie', `${appCookieName(config.apps[0]?.audience ?? '')}=${appToken}`]

  it('takes the app token from the Keyway-Access-Token header', async () => {
    const decision = await gate.decide(fakeRequest('ssh.example.test/', { kind: 'upgrade',
      headers: [tcpOffer, ['Keyway-Access-Token', appToken]] }))

    expect(decision.action).toBe('forward')
  })

  it("never takes a browser's app cookie, which any same-site page could have it send",
    async () => {
      const refused = answer(await gate.decide(fakeRequest('ssh.example.test/', {
        kind: 'upgrade', headers: [tcpOffer, ['Origin', 'https://ssh.example.test:8443'],
          cookie()] })))

      expect(refused.status).toBe(401)
    })

  it('still takes the cookie for a WebSocket upgrade to a web app', async () => {
    const decision = await gate.decide(fakeRequest('ssh.example.test/socket', {
      kind: 'upgrade', headers: [['Sec-WebSocket-Protocol', 'chat'], cookie()] }))

    expect(decision.action).toBe('forward')
  })
})
