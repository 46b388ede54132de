import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  CookieJar, oidcHeadlessLogin, request, startOidcProvider, type LoopbackResponse,
  type OidcProvider,
} from '@keyway/testkit'

import {
  appCookieName, createAccessGate, validateAccessConfig, type AccessGate,
} from '../../src/index.js'
import { startGateServer, type ForwardedEcho, type GateServer } from '../support/gate-server.js'

const appHosts = ['wiki.localhost', 'blog.localhost', 'secret.localhost', 'api.localhost',
  'short.localhost']
let dataDir: string
let provider: OidcProvider
let server: GateServer
let gate: AccessGate
let relayPort = 0
let clockOffsetMs = 0

const url = (host: string, path = '/'): string => `http://${host}:${relayPort}${path}`
const header = (echo: ForwardedEcho, name: string): string[] =>
  echo.headers.filter(([key]) => key.toLowerCase() === name.toLowerCase()).map(([, v]) => v)

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'keyway-gate-'))
  // The gate needs the provider's issuer and the provider needs the relay's port, so the
  // server starts with a gate that is swapped in once both exist.
  let current: AccessGate | undefined
  server = await startGateServer({ decide: (r) => current!.decide(r) }, appHosts)
  relayPort = server.port
  provider = await startOidcProvider({
    clients: [{ clientId: 'keyway', clientSecret: 'keyway-test-secret',
      redirectUris: [`http://auth.localhost:${relayPort}/.keyway/callback`] }],
    users: { alice: { email: 'alice@example.test', groups: ['eng'] },
      mallory: { email: 'mallory@example.test', emailVerified: false } },
  })
  const config = validateAccessConfig({
    authDomain: 'auth.localhost',
    identityProviders: [{ id: 'test', type: 'oidc', issuer: provider.issuer, clientId: 'keyway',
      clientSecret: 'keyway-test-secret' }],
    apps: [
      { name: 'wiki', domains: ['wiki.localhost'], cloudflareHeaders: true,
        policies: [{ name: 'engineers', action: 'allow', include: [{ group: ['eng'] }] }] },
      { name: 'blog', domains: ['blog.localhost'],
        policies: [{ name: 'everyone', action: 'allow', include: ['everyone'] }] },
      { name: 'secret', domains: ['secret.localhost'],
        policies: [{ name: 'bob-only', action: 'allow',
          include: [{ email: ['bob@example.test'] }] }] },
      { name: 'short', domains: ['short.localhost'], sessionDuration: '1m',
        policies: [{ name: 'everyone', action: 'allow', include: ['everyone'] }] },
      { name: 'api', domains: ['api.localhost'],
        policies: [{ name: 'ci', action: 'service_auth', include: [{ serviceToken: ['ci'] }] }] },
    ],
  }, join(dataDir, 'relay.yaml'))
  gate = await createAccessGate({ config, dataDir, logger: pino({ level: 'silent' }),
    nowMs: () => Date.now() + clockOffsetMs })
  current = gate
})

afterAll(async () => {
  await gate?.close()
  await server?.close()
  await provider?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

async function login(startUrl: string, jar = new CookieJar(), user = 'alice') {
  return oidcHeadlessLogin({ startUrl, login: user, jar })
}

async function jwks(host: string): Promise<JSONWebKeySet> {
  return (await request(url(host, '/.keyway/certs'))).json<JSONWebKeySet>()
}

const xhr = { accept: 'application/json', 'x-requested-with': 'XMLHttpRequest' }

describe('access gate login flow', () => {
  it('logs in through the provider and forwards a verifiable identity to the origin', async () => {
    const result = await login(url('wiki.localhost', '/page?x=1'))
    expect(result.response.status).toBe(200)
    expect(result.response.url.href).toBe(url('wiki.localhost', '/page?x=1'))
    expect(result.visited.some((step) => step.includes(provider.issuer))).toBe(true)
    const echo = result.response.json<ForwardedEcho>()
    expect(echo.url).toBe('/page?x=1')

    const [assertion] = header(echo, 'Keyway-Jwt-Assertion')
    const { payload } = await jwtVerify(assertion!, createLocalJWKSet(await jwks('wiki.localhost')),
      { issuer: 'https://auth.localhost', audience: gate.config.apps[0]!.audience,
        algorithms: ['ES256'] })
    expect(payload).toMatchObject({ sub: 'alice', email: 'alice@example.test', idp: 'test',
      type: 'assertion', groups: ['eng'] })
    expect(header(echo, 'Keyway-Authenticated-User-Email')).toEqual(['alice@example.test'])
    expect(header(echo, 'Cf-Access-Jwt-Assertion')).toEqual([assertion])
    expect(header(echo, 'cookie').join(';')).not.toContain('keyway_')

    const cookie = result.jar.get('wiki.localhost', appCookieName(gate.config.apps[0]!.audience))
    expect(cookie).toMatchObject({ hostOnly: true, httpOnly: true, sameSite: 'lax', secure: false,
      path: '/' })
    expect(result.jar.get('auth.localhost', 'keyway_auth')).toMatchObject({ httpOnly: true })
    const logins = await gate.audit({ decision: 'login', user: 'alice@example.test' })
    expect(logins.length).toBeGreaterThanOrEqual(1)
  })

  it('lets a second app reuse the auth-domain session without asking the provider', async () => {
    const first = await login(url('wiki.localhost'))
    const second = await oidcHeadlessLogin({ startUrl: url('blog.localhost', '/post'),
      login: 'unused', jar: first.jar })
    expect(second.response.status).toBe(200)
    expect(second.visited.some((step) => step.includes(provider.issuer))).toBe(false)
    expect(second.visited.some((step) => step.includes('auth.localhost'))).toBe(true)
    const echo = second.response.json<ForwardedEcho>()
    expect(header(echo, 'Keyway-Authenticated-User-Email')).toEqual(['alice@example.test'])
    expect(header(echo, 'Cf-Access-Jwt-Assertion')).toEqual([])
  })

  it('refuses a user no policy admits with 403 and records the denial', async () => {
    const result = await login(url('secret.localhost', '/vault'))
    expect(result.response.status).toBe(403)
    expect(result.response.text()).not.toContain('no_matching_policy')
    const [denial] = await gate.audit({ app: 'secret', decision: 'deny' })
    expect(denial).toMatchObject({ app: 'secret', email: 'alice@example.test', sub: 'alice',
      idp: 'test', reason: 'no_matching_policy', decision: 'deny', host: 'secret.localhost',
      method: 'GET' })
  })

  it('refuses a login without a verified email', async () => {
    const result = await login(url('blog.localhost'), new CookieJar(), 'mallory')
    expect(result.response.status).toBe(403)
    const [failure] = await gate.audit({ decision: 'login_failed' })
    expect(failure?.reason).toBe('email_not_verified')
  })

  it('admits a service token at a service_auth app and refuses a wrong secret', async () => {
    const token = await gate.serviceTokens.create('ci')
    const headers = { 'Keyway-Access-Client-Id': token.clientId,
      'Keyway-Access-Client-Secret': token.clientSecret, accept: 'application/json' }
    const allowed = await request(url('api.localhost', '/deploy'), { headers })
    expect(allowed.status).toBe(200)
    const echo = allowed.json<ForwardedEcho>()
    expect(header(echo, 'keyway-access-client-secret')).toEqual([])
    const { payload } = await jwtVerify(header(echo, 'Keyway-Jwt-Assertion')[0]!,
      createLocalJWKSet(await jwks('api.localhost')), { issuer: 'https://auth.localhost' })
    expect(payload.sub).toBe('service-token:ci')
    const [record] = await gate.audit({ app: 'api', decision: 'service_token' })
    expect(record).toMatchObject({ serviceToken: 'ci', policy: 'ci' })

    const wrong = await request(url('api.localhost', '/deploy'),
      { headers: { ...headers, 'Keyway-Access-Client-Secret': 'f'.repeat(64) } })
    expect(wrong.status).toBe(403)
    const atWiki = await request(url('wiki.localhost', '/'), { headers })
    expect(atWiki.status).toBe(403)
    expect((await gate.audit({ app: 'wiki' }))[0]?.reason).toBe('service_token_not_allowed')
  })

  it('rejects a tampered cookie: a redirect for browsers, 401 for scripts', async () => {
    const result = await login(url('wiki.localhost'))
    const name = appCookieName(gate.config.apps[0]!.audience)
    const value = result.jar.get('wiki.localhost', name)!.value
    // Changes the third character from the end, so that the signature bytes differ.
    const tampered = `${value.slice(0, -3)}${value.at(-3) === 'A' ? 'B' : 'A'}${value.slice(-2)}`
    const jar = new CookieJar()
    jar.set('wiki.localhost', name, tampered)
    const page = await request(url('wiki.localhost', '/x'),
      { jar, headers: { accept: 'text/html' } })
    expect(page.status).toBe(302)
    expect(page.location?.origin).toBe(new URL(url('auth.localhost')).origin)
    expect(page.location?.pathname).toBe('/.keyway/login')
    expect(page.location?.searchParams.get('redirect_url')).toBe(url('wiki.localhost', '/x'))
    const script = await request(url('wiki.localhost', '/x'), { jar, headers: xhr })
    expect(script.status).toBe(401)
  })

  it('strips forged identity headers, underscore spellings included', async () => {
    const result = await login(url('blog.localhost'))
    const forged = await request(url('blog.localhost', '/'), { jar: result.jar, headers: [
      ['Keyway_Jwt_Assertion', 'forged'], ['KEYWAY-AUTHENTICATED-USER-EMAIL', 'ceo@example.test'],
      ['cf_access_authenticated_user_email', 'ceo@example.test'],
      ['cookie', `theme=dark; ${result.jar.cookieHeader(url('blog.localhost'))}`],
    ] })
    expect(forged.status).toBe(200)
    const echo = forged.json<ForwardedEcho>()
    expect(header(echo, 'cookie')).toEqual(['theme=dark'])
    const values = echo.headers.map(([, value]) => value)
    expect(values).not.toContain('forged')
    expect(values).not.toContain('ceo@example.test')
    expect(header(echo, 'Keyway-Authenticated-User-Email')).toEqual(['alice@example.test'])
  })

  it('answers 403 to a callback with a missing or unknown state', async () => {
    const missing = await request(url('auth.localhost', '/.keyway/callback?code=abc'))
    expect(missing.status).toBe(403)
    const unknown = await request(url('auth.localhost', '/.keyway/callback?code=abc&state=nope'))
    expect(unknown.status).toBe(403)
    const reasons = (await gate.audit({ decision: 'login_failed', limit: 2 })).map((r) => r.reason)
    expect(reasons).toEqual(['unknown_state', 'missing_state'])
  })

  it('answers 403 when the state comes back to another browser', async () => {
    const jar = new CookieJar()
    const start = await request(url('wiki.localhost', '/'), { jar })
    const toProvider = await request(start.location!, { jar })
    const state = toProvider.location!.searchParams.get('state')!
    const attacker = await request(url('auth.localhost', `/.keyway/callback?code=x&state=${state}`))
    expect(attacker.status).toBe(403)
    expect((await gate.audit({ decision: 'login_failed', limit: 1 }))[0]?.reason)
      .toBe('state_mismatch')
  })

  it('refuses to return to a host that is not an app of this relay', async () => {
    const evil = encodeURIComponent(`http://evil.localhost:${relayPort}/`)
    const nonce = 'n'.repeat(22)
    const answer = await request(url('auth.localhost',
      `/.keyway/login?redirect_url=${evil}&app_nonce=${nonce}`))
    expect(answer.status).toBe(400)
    expect((await gate.audit({ limit: 1 }))[0]?.reason).toBe('bad_return_url')
  })

  it('refuses a one-time code that arrives in another browser', async () => {
    const victim = await login(url('wiki.localhost'))
    const start = await request(url('blog.localhost', '/'), { jar: victim.jar })
    const authStep = await request(start.location!, { jar: victim.jar })
    expect(authStep.location?.pathname).toBe('/.keyway/callback')
    const elsewhere = await request(authStep.location!, { jar: new CookieJar() })
    expect(elsewhere.status).toBe(403)
    expect((await gate.audit({ decision: 'login_failed', limit: 1 }))[0]?.reason)
      .toBe('bad_handoff')
  })

  it('ends the session on every app at logout', async () => {
    const first = await login(url('wiki.localhost'))
    await oidcHeadlessLogin({ startUrl: url('blog.localhost'), login: 'unused', jar: first.jar })
    const before = await request(url('blog.localhost', '/'), { jar: first.jar, headers: xhr })
    expect(before.status).toBe(200)
    const stolen = first.jar.all().map((c) => `${c.domain}\t${c.name}\t${c.value}`)

    const out = await request(url('wiki.localhost', '/.keyway/logout'), { jar: first.jar })
    expect(out.status).toBe(302)
    expect(out.location?.href).toBe(url('auth.localhost', '/.keyway/logout'))
    const replayed = new CookieJar()
    for (const line of stolen) {
      const [domain, name, value] = line.split('\t') as [string, string, string]
      replayed.set(domain, name, value)
    }
    for (const host of ['wiki.localhost', 'blog.localhost']) {
      const after: LoopbackResponse = await request(url(host, '/'), { jar: replayed, headers: xhr })
      expect(after.status, host).toBe(401)
    }
    expect((await gate.audit({ decision: 'logout', limit: 1 }))[0]?.email)
      .toBe('alice@example.test')
  })

  it('issues a new app session silently when the app token expired', async () => {
    const first = await login(url('short.localhost', '/a'))
    expect(first.response.status).toBe(200)
    clockOffsetMs = 2 * 60_000
    try {
      const expired = await request(url('short.localhost', '/a'), { jar: first.jar, headers: xhr })
      expect(expired.status).toBe(401)
      expect((await gate.audit({ app: 'short', limit: 1 }))[0]?.reason)
        .toBe('login_required_expired_session')
      const again = await oidcHeadlessLogin({ startUrl: url('short.localhost', '/b'),
        login: 'unused', jar: first.jar })
      expect(again.response.status).toBe(200)
      expect(again.visited.some((step) => step.includes(provider.issuer))).toBe(false)
      const [issued] = await gate.audit({ app: 'short', decision: 'allow', limit: 2 })
      expect(issued?.email).toBe('alice@example.test')
    } finally {
      clockOffsetMs = 0
    }
  })

  it('serves the identity of the session at /.keyway/identity', async () => {
    const result = await login(url('blog.localhost'))
    const identity = await request(url('blog.localhost', '/.keyway/identity'), { jar: result.jar })
    expect(identity.json()).toMatchObject({ email: 'alice@example.test', sub: 'alice',
      idp: 'test' })
    const anonymous = await request(url('blog.localhost', '/.keyway/identity'))
    expect(anonymous.status).toBe(401)
  })
})
