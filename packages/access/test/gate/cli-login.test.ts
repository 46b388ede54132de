import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  appCookieName, createAccessGate, createMemoryStores, FileKeyStore, TokenService,
  validateAccessConfig, type AccessGate, type GateDecision,
} from '../../src/index.js'
import { cliDenial } from '../../src/gate/cli-login.js'
import { fakeRequest } from '../support/fake-request.js'

const config = validateAccessConfig({
  authDomain: 'auth.example.test',
  identityProviders: [{ id: 'corp', type: 'oidc', issuer: 'https://idp.example.test',
    clientId: 'keyway', clientSecret: 'secret-value' }],
  apps: [
    { name: 'ssh', domains: ['ssh.example.test'], policies: [
      { name: 'staff', action: 'allow', include: [{ email: ['alice@example.com'] }] }] },
    { name: 'vault', domains: ['vault.example.test'], policies: [
      { name: 'admins', action: 'allow', include: [{ email: ['root@example.com'] }] }] },
    { name: 'site', domains: ['www.example.test'], public: true },
  ],
}, 'relay.yaml')
const [ssh, vault] = config.apps as [typeof config.apps[0], typeof config.apps[0]]
const nonce = 'n'.repeat(43)
let gate: AccessGate
let tokens: TokenService

beforeAll(async () => {
  const stores = createMemoryStores()
  const keys = await FileKeyStore.open({ rotationMs: 86_400_000, overlapMs: 3600_000 })
  gate = await createAccessGate({ config, dataDir: '/nonexistent', stores, keys,
    logger: pino({ level: 'silent' }) })
  tokens = new TokenService({ keys, issuer: gate.issuer })
  await stores.sessions.create({ id: 'sid-1', sub: 'alice', email: 'alice@example.com',
    idp: 'corp', groups: [], claims: {}, createdAtMs: Date.now(),
    expiresAtMs: Date.now() + 3600_000, revokedAtMs: undefined })
})
afterAll(() => gate.close())

function appToken(audience: string): Promise<string> {
  return tokens.sign({ type: 'app', aud: audience, sub: 'alice', email: 'alice@example.com',
    idp: 'corp', sid: 'sid-1', expiresAtMs: Date.now() + 600_000 })
}

function header(decision: GateDecision, name: string): string | undefined {
  if (decision.action !== 'respond') return undefined
  return decision.headers?.find(([key]) => key.toLowerCase() === name)?.[1]
}

describe('/.keyway/cli', () => {
  it.each([
    ['no port', `nonce=${nonce}`],
    ['a privileged port', `port=80&nonce=${nonce}`],
    ['a port out of range', `port=70000&nonce=${nonce}`],
    ['no nonce', 'port=40000'],
    ['a short nonce', 'port=40000&nonce=abc'],
  ])('answers 400 to %s', async (_case, query) => {
    const decision = await gate.decide(fakeRequest(`ssh.example.test/.keyway/cli?${query}`))

    expect(decision).toMatchObject({ action: 'respond', status: 400 })
  })

  it('sends a browser without a session to the login, to come back to itself', async () => {
    const path = `/.keyway/cli?port=40000&nonce=${nonce}`
    const decision = await gate.decide(fakeRequest(`ssh.example.test${path}`))
    const location = new URL(header(decision, 'location') ?? '')

    expect(decision).toMatchObject({ action: 'respond', status: 302 })
    expect(location.origin + location.pathname).toBe('https://auth.example.test/.keyway/login')
    expect(location.searchParams.get('redirect_url')).toBe(`https://ssh.example.test${path}`)
    expect(header(decision, 'set-cookie')).toMatch(/^keyway_nonce=/)
  })

  it('asks before it lets the command line in', async () => {
    const token = await appToken(ssh.audience)
    const path = `/.keyway/cli?port=40000&nonce=${nonce}`
    const decision = await gate.decide(fakeRequest(`ssh.example.test${path}`,
      { headers: [['Cookie', `${appCookieName(ssh.audience)}=${token}`]] }))
    const body = decision.action === 'respond' ? String(decision.body) : ''

    expect(decision).toMatchObject({ action: 'respond', status: 200 })
    expect(body).toContain(`<form method="post" action="${path.replace('&', '&#38;')}">`)
    expect(body).toContain('asks to use your session for <strong>ssh.example.test</strong>')
    expect(body).not.toContain(token)
  })

  it("hands a live session's app token to the loopback listener once confirmed", async () => {
    const token = await appToken(ssh.audience)
    const decision = await gate.decide(fakeRequest(
      `ssh.example.test/.keyway/cli?port=40000&nonce=${nonce}`,
      { method: 'POST', headers: [['Cookie', `${appCookieName(ssh.audience)}=${token}`],
        ['Origin', 'https://ssh.example.test']] }))
    const location = new URL(header(decision, 'location') ?? '')

    expect(location.origin + location.pathname).toBe('http://127.0.0.1:40000/callback')
    expect(location.searchParams.get('token')).toBe(token)
    expect(location.searchParams.get('nonce')).toBe(nonce)
    expect((await gate.audit({ app: 'ssh', limit: 1 }))[0]).toMatchObject(
      { decision: 'allow', reason: 'cli_token_issued', email: 'alice@example.com' })
  })

  it('refuses a confirmation posted from another site', async () => {
    const token = await appToken(ssh.audience)
    const decision = await gate.decide(fakeRequest(
      `ssh.example.test/.keyway/cli?port=40000&nonce=${nonce}`,
      { method: 'POST', headers: [['Cookie', `${appCookieName(ssh.audience)}=${token}`],
        ['Origin', 'https://evil.example']] }))

    expect(decision).toMatchObject({ action: 'respond', status: 403 })
    expect(header(decision, 'location')).toBeUndefined()
  })

  it('tells the listener access_denied when the policy now refuses the user', async () => {
    const token = await appToken(vault.audience)
    const decision = await gate.decide(fakeRequest(
      `vault.example.test/.keyway/cli?port=40000&nonce=${nonce}`,
      { headers: [['Cookie', `${appCookieName(vault.audience)}=${token}`]] }))
    const location = new URL(header(decision, 'location') ?? '')

    expect(location.searchParams.get('error')).toBe('access_denied')
    expect(location.searchParams.get('token')).toBeNull()
    expect((await gate.audit({ app: 'vault', limit: 1 }))[0]).toMatchObject(
      { decision: 'deny', reason: 'no_matching_policy', email: 'alice@example.com' })
  })

  it("does not take another app's token", async () => {
    const token = await appToken(vault.audience)
    const decision = await gate.decide(fakeRequest(
      `ssh.example.test/.keyway/cli?port=40000&nonce=${nonce}`,
      { headers: [['Cookie', `${appCookieName(ssh.audience)}=${token}`]] }))

    expect(header(decision, 'location')).toMatch(/^https:\/\/auth\.example\.test\/\.keyway\/login/)
  })

  it('answers 404 on a public app, which has no token to give', async () => {
    const decision = await gate.decide(
      fakeRequest(`www.example.test/.keyway/cli?port=40000&nonce=${nonce}`))

    expect(decision).toMatchObject({ action: 'respond', status: 404 })
  })
})

describe('cliDenial', () => {
  it('sends a refused access-client login back to its listener with access_denied', () => {
    const decision = cliDenial(`/.keyway/cli?port=40000&nonce=${nonce}`)

    expect(header(decision as GateDecision, 'location')).toBe(
      `http://127.0.0.1:40000/callback?nonce=${nonce}&error=access_denied`)
  })

  it.each([['/wiki/page'], ['/.keyway/cli?port=22&nonce=x'], ['/.keyway/clix']])(
    'leaves %s to the usual refusal page', (path) => {
      expect(cliDenial(path)).toBeUndefined()
    })
})
