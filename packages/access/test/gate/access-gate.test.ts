import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  appCookieName, createAccessGate, createMemoryStores, FileKeyStore, TokenService,
  validateAccessConfig, type AccessGate, type AccessStores, type GateDecision,
} from '../../src/index.js'
import { fakeRequest } from '../support/fake-request.js'

const allowAll = [{ name: 'all', action: 'allow', include: ['everyone'] }]
const config = validateAccessConfig({
  authDomain: 'auth.example.test',
  identityProviders: [
    { id: 'corp', name: 'Corp SSO', type: 'oidc', issuer: 'https://idp.example.test',
      clientId: 'keyway', clientSecret: 'secret-value' },
    { id: 'github', name: 'GitHub', type: 'oidc', issuer: 'https://gh.example.test',
      clientId: 'keyway', clientSecret: 'secret-value' },
  ],
  apps: [
    { name: 'wiki', domains: ['wiki.example.test'], policies: allowAll },
    { name: 'blog', domains: ['blog.example.test'], policies: allowAll },
    { name: 'site', domains: ['www.example.test'], public: true },
    { name: 'api', domains: ['api.example.test'], policies: allowAll,
      cors: { preflight: 'relay', allowedOrigins: ['https://app.example.test'],
        allowedMethods: ['GET', 'PUT'], allowedHeaders: ['Content-Type'] } },
    { name: 'feed', domains: ['feed.example.test'], policies: allowAll,
      cors: { preflight: 'origin' } },
  ],
}, 'relay.yaml')
const [wiki, blog] = config.apps as [typeof config.apps[0], typeof config.apps[0]]
const xhr: Array<[string, string]> = [['Accept', 'application/json']]
let stores: AccessStores
let gate: AccessGate
let tokens: TokenService

beforeAll(async () => {
  stores = createMemoryStores()
  const keys = await FileKeyStore.open({ rotationMs: 86_400_000, overlapMs: 3600_000 })
  gate = await createAccessGate({ config, dataDir: '/nonexistent', stores, keys,
    logger: pino({ level: 'silent' }) })
  tokens = new TokenService({ keys, issuer: gate.issuer })
  await stores.sessions.create({ id: 'sid-1', sub: 'alice', email: 'alice@example.com',
    idp: 'corp', groups: [], claims: {}, createdAtMs: Date.now(),
    expiresAtMs: Date.now() + 3600_000, revokedAtMs: undefined })
})
afterAll(() => gate.close())

async function tokenFor(type: 'app' | 'auth', aud: string): Promise<string> {
  return tokens.sign({ type, aud, sub: 'alice', email: 'alice@example.com', idp: 'corp',
    sid: 'sid-1', expiresAtMs: Date.now() + 600_000 })
}

function status(decision: GateDecision): number | 'forward' | 'handled' {
  return decision.action === 'respond' ? decision.status : decision.action
}

describe('createAccessGate', () => {
  it.each([
    ['/a%2fb'], ['/a%5Cb'], ['/a%00'], ['/a%252e%252e/b'], ['/a/../b'], ['/a/%2e%2e/b'],
    ['/a\\b'],
  ])('answers 400 to the ambiguous path %s', async (path) => {
    expect(status(await gate.decide(fakeRequest(`wiki.example.test${path}`)))).toBe(400)
  })

  it('refuses a routed host that no app covers, and leaves unrouted hosts to the relay',
    async () => {
      expect(status(await gate.decide(fakeRequest('other.example.test/')))).toBe(403)
      expect((await gate.audit({ limit: 1 }))[0]).toMatchObject({ decision: 'deny',
        reason: 'no_app', host: 'other.example.test' })
      const unrouted = await gate.decide(fakeRequest('other.example.test/', { tunnel: undefined }))
      expect(unrouted).toEqual({ action: 'forward' })
    })

  it('forwards a public app without login, stripping forged identity headers', async () => {
    const decision = await gate.decide(fakeRequest('www.example.test/', { headers: [
      ['keyway_jwt_assertion', 'x'], ['Cf-Access-Authenticated-User-Email', 'a@b'],
      ['Cookie', 'keyway_session_0000=x; theme=dark']] }))
    expect(decision).toMatchObject({ action: 'forward', identity: { app: 'site' },
      removeHeaders: ['keyway_jwt_assertion', 'Cf-Access-Authenticated-User-Email', 'Cookie'],
      addHeaders: [['Cookie', 'theme=dark']] })
    expect((await gate.audit({ app: 'site', limit: 1 }))[0]?.decision).toBe('public')
  })

  it('redirects a navigation to the auth domain and answers 401 to scripts and upgrades',
    async () => {
      const page = await gate.decide(fakeRequest('wiki.example.test/x?y=1'))
      expect(status(page)).toBe(302)
      const headers = page.action === 'respond' ? page.headers ?? [] : []
      const location = new URL(headers.find(([name]) => name === 'Location')![1])
      expect(location.origin).toBe('https://auth.example.test')
      expect(location.searchParams.get('redirect_url')).toBe('https://wiki.example.test/x?y=1')
      const nonceCookie = headers.find(([name, v]) =>
        name === 'Set-Cookie' && v.startsWith('keyway_nonce='))
      expect(nonceCookie?.[1]).toMatch(/; Path=\/; HttpOnly; SameSite=Lax; Secure; Max-Age=600$/)
      expect(status(await gate.decide(fakeRequest('wiki.example.test/', { headers: xhr }))))
        .toBe(401)
      expect(status(await gate.decide(fakeRequest('wiki.example.test/',
        { headers: [['X-Requested-With', 'XMLHttpRequest']] })))).toBe(401)
      expect(status(await gate.decide(fakeRequest('wiki.example.test/', { method: 'POST' }))))
        .toBe(401)
      expect(status(await gate.decide(fakeRequest('wiki.example.test/ws', { kind: 'upgrade' }))))
        .toBe(401)
    })

  it('accepts an app token only at its own app', async () => {
    const wikiToken = await tokenFor('app', wiki.audience)
    const atWiki = await gate.decide(fakeRequest('wiki.example.test/',
      { headers: [['Cookie', `${appCookieName(wiki.audience)}=${wikiToken}`]] }))
    expect(atWiki).toMatchObject({ action: 'forward', identity: { user: 'alice@example.com' } })
    const replayed = await gate.decide(fakeRequest('blog.example.test/',
      { headers: [['Cookie', `${appCookieName(blog.audience)}=${wikiToken}`], ...xhr] }))
    expect(status(replayed)).toBe(401)
    expect((await gate.audit({ app: 'blog', limit: 1 }))[0]?.reason)
      .toBe('login_required_invalid_session')
  })

  it('refuses the auth-domain token as an app session', async () => {
    const authToken = await tokenFor('auth', wiki.audience)
    const decision = await gate.decide(fakeRequest('wiki.example.test/',
      { headers: [['Cookie', `${appCookieName(wiki.audience)}=${authToken}`], ...xhr] }))
    expect(status(decision)).toBe(401)
  })

  it('evaluates websocket upgrades like any request', async () => {
    const token = await tokenFor('app', wiki.audience)
    const decision = await gate.decide(fakeRequest('wiki.example.test/socket', { kind: 'upgrade',
      headers: [['Cookie', `${appCookieName(wiki.audience)}=${token}`]] }))
    expect(decision.action).toBe('forward')
    expect((await gate.audit({ app: 'wiki', limit: 1 }))[0]?.path).toBe('/socket')
  })

  it('answers CORS preflights from config, and evaluates a request that only looks like one',
    async () => {
      const preflight = await gate.decide(fakeRequest('api.example.test/items', { method: 'OPTIONS',
        headers: [['Origin', 'https://app.example.test'],
          ['Access-Control-Request-Method', 'PUT']] }))
      expect(preflight).toMatchObject({ action: 'respond', status: 204 })
      expect(preflight.action === 'respond' && preflight.headers).toEqual(expect.arrayContaining([
        ['Access-Control-Allow-Origin', 'https://app.example.test'],
        ['Access-Control-Allow-Methods', 'GET, PUT'],
        ['Access-Control-Allow-Headers', 'content-type']]))
      const stranger = await gate.decide(fakeRequest('api.example.test/items', { method: 'OPTIONS',
        headers: [['Origin', 'https://evil.example'], ['Access-Control-Request-Method', 'PUT']] }))
      expect(stranger.action === 'respond' && stranger.headers?.map(([n]) => n))
        .not.toContain('Access-Control-Allow-Origin')
      const lookalike = await gate.decide(fakeRequest('api.example.test/items', { method: 'OPTIONS',
        headers: [['Origin', 'https://app.example.test']] }))
      expect(status(lookalike)).toBe(401)
    })

  it('passes preflights to the origin unauthenticated when the app says so', async () => {
    const decision = await gate.decide(fakeRequest('feed.example.test/', { method: 'OPTIONS',
      headers: [['Origin', 'https://x.example'], ['Access-Control-Request-Method', 'GET']] }))
    expect(decision.action).toBe('forward')
    expect((await gate.audit({ app: 'feed', limit: 1 }))[0]?.reason).toBe('cors_preflight')
  })

  it('shows a chooser when several identity providers are configured', async () => {
    const nonce = 'n'.repeat(22)
    const decision = await gate.decide(fakeRequest('auth.example.test/.keyway/login?redirect_url=' +
      `${encodeURIComponent('https://wiki.example.test/')}&app_nonce=${nonce}`,
      { tunnel: undefined }))
    expect(status(decision)).toBe(200)
    const body = decision.action === 'respond' ? String(decision.body) : ''
    expect(body).toContain('Sign in with Corp SSO')
    expect(body).toContain('Sign in with GitHub')
    expect(body).toContain('idp=github')
  })

  it.each(['wiki.example.test/.keyway/certs', 'wiki.example.test/_keyway/certs',
    'auth.example.test/.keyway/certs'])('publishes the JWKS at %s', async (target) => {
    const decision = await gate.decide(fakeRequest(target))
    expect(status(decision)).toBe(200)
    const jwks = JSON.parse(decision.action === 'respond' ? String(decision.body) : '{}') as
      { keys: Array<Record<string, unknown>> }
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', alg: 'ES256' })
    expect(jwks.keys[0]).not.toHaveProperty('d')
  })

  it('swaps in a reloaded config for the next request', async () => {
    const own = await createAccessGate({ config, dataDir: '/nonexistent',
      stores: createMemoryStores(),
      keys: await FileKeyStore.open({ rotationMs: 1000, overlapMs: 0 }),
      logger: pino({ level: 'silent' }) })
    try {
      expect(status(await own.decide(fakeRequest('new.example.test/')))).toBe(403)
      own.reload(validateAccessConfig({ authDomain: 'auth.example.test',
        identityProviders: [{ id: 'corp', type: 'oidc', issuer: 'https://idp.example.test',
          clientId: 'keyway', clientSecret: 'secret-value' }],
        apps: [{ name: 'new', domains: ['new.example.test'], public: true }] }, 'relay.yaml'))
      expect(status(await own.decide(fakeRequest('new.example.test/')))).toBe('forward')
      expect(status(await own.decide(fakeRequest('wiki.example.test/')))).toBe(403)
      expect(own.config.apps.map((app) => app.name)).toEqual(['new'])
    } finally {
      await own.close()
    }
  })

  it('fails closed with 500 when a store fails', async () => {
    const broken = createMemoryStores()
    broken.audit.record = () => Promise.reject(new Error('disk full'))
    const failing = await createAccessGate({ config, dataDir: '/nonexistent', stores: broken,
      keys: await FileKeyStore.open({ rotationMs: 1000, overlapMs: 0 }),
      logger: pino({ level: 'silent' }) })
    try {
      const decision = await failing.decide(fakeRequest('www.example.test/'))
      expect(status(decision)).toBe(500)
    } finally {
      await failing.close()
    }
  })
})
