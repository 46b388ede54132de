import { createHmac, generateKeyPairSync } from 'node:crypto'
import { connect } from 'node:net'

import { SignJWT, exportSPKI } from 'jose'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { request, startOidcProvider, type OidcProvider } from '@keyway/testkit'

import {
  appCookieName, createAccessGate, createMemoryStores, FileKeyStore, TokenService,
  validateAccessConfig, type AccessGate, type AccessStores, type AppConfig,
} from '../../src/index.js'
import { startGateServer, type ForwardedEcho, type GateServer } from '../support/gate-server.js'

/**
 * The security regression suite: each attack of docs/security.md, sent over real HTTP to
 * the access gate, with a control case showing that the same request without the attack is
 * let through. Unit tests of the parts (return URLs, tokens, paths) live beside their code.
 */

const everyone = [{ name: 'all', action: 'allow', include: ['everyone'] }]
let provider: OidcProvider
let server: GateServer
let gate: AccessGate
let stores: AccessStores
let keys: FileKeyStore
let tokens: TokenService
let wiki: AppConfig
let blog: AppConfig
let port = 0

const url = (host: string, path = '/'): string => `http://${host}:${port}${path}`
const xhr = { accept: 'application/json', 'x-requested-with': 'XMLHttpRequest' }

beforeAll(async () => {
  let current: AccessGate | undefined
  server = await startGateServer({ decide: (r) => current!.decide(r) },
    ['wiki.localhost', 'blog.localhost'])
  port = server.port
  provider = await startOidcProvider({ clients: [{ clientId: 'keyway',
    clientSecret: 'keyway-test-secret',
    redirectUris: [`http://auth.localhost:${port}/.keyway/callback`] }] })
  const config = validateAccessConfig({
    authDomain: 'auth.localhost',
    identityProviders: [{ id: 'test', type: 'oidc', issuer: provider.issuer, clientId: 'keyway',
      clientSecret: 'keyway-test-secret' }],
    apps: [
      { name: 'wiki', domains: ['wiki.localhost'], policies: everyone },
      { name: 'blog', domains: ['blog.localhost'], policies: everyone },
    ],
  }, 'relay.yaml')
  stores = createMemoryStores()
  keys = await FileKeyStore.open({ rotationMs: 86_400_000, overlapMs: 3600_000 })
  gate = await createAccessGate({ config, dataDir: '/nonexistent', stores, keys,
    logger: pino({ level: 'silent' }) })
  tokens = new TokenService({ keys, issuer: gate.issuer })
  current = gate
  ;[wiki, blog] = config.apps as [AppConfig, AppConfig]
  for (const sid of ['sid-live', 'sid-logout']) await newSession(sid)
})

afterAll(async () => {
  await gate?.close()
  await server?.close()
  await provider?.close()
})

async function newSession(sid: string): Promise<void> {
  await stores.sessions.create({ id: sid, sub: 'alice', email: 'alice@example.test', idp: 'test',
    groups: [], claims: {}, createdAtMs: Date.now(), expiresAtMs: Date.now() + 3600_000,
    revokedAtMs: undefined })
}

function sign(options: { type?: 'app' | 'auth' | 'assertion'; aud?: string; sid?: string;
  service?: TokenService; expiresAtMs?: number } = {}): Promise<string> {
  return (options.service ?? tokens).sign({ type: options.type ?? 'app',
    aud: options.aud ?? wiki.audience, sub: 'alice', email: 'alice@example.test', idp: 'test',
    sid: options.sid ?? 'sid-live', expiresAtMs: options.expiresAtMs ?? Date.now() + 600_000 })
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

function claims(): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000)
  return { iss: gate.issuer, aud: wiki.audience, sub: 'alice', email: 'alice@example.test',
    idp: 'test', sid: 'sid-live', type: 'app', iat: now, nbf: now, exp: now + 600 }
}

/** Tokens an attacker could put in the wiki's session cookie. */
const forgedTokens: Array<[string, () => Promise<string>]> = [
  ['alg none', async () =>
    `${b64({ alg: 'none', kid: (await keys.signingKey()).kid })}.${b64(claims())}.`],
  ['HS256 signed with the public key', async () => {
    const key = await keys.signingKey()
    const input = `${b64({ alg: 'HS256', kid: key.kid })}.${b64(claims())}`
    const pem = await exportSPKI(key.publicKey)
    return `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`
  }],
  ['an unknown kid', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    return new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid: 'unknown' })
      .sign(privateKey)
  }],
  ['an expired token', () => sign({ expiresAtMs: Date.now() - 60_000,
    service: new TokenService({ keys, issuer: 'https://auth.localhost',
      nowMs: () => Date.now() - 3600_000 }) })],
  ['a token replayed from another app', () => sign({ aud: blog.audience })],
  ['the auth-domain token', () => sign({ type: 'auth' })],
  ['an identity assertion', () => sign({ type: 'assertion' })],
]

/** Sends `GET path` as raw bytes, so that no client library normalises the path first. */
function rawGet(host: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let head = ''
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1')
      const status = /^HTTP\/1\.1 (\d{3})/.exec(head)
      if (status) {
        socket.destroy()
        resolve(Number(status[1]))
      }
    })
    socket.once('error', reject)
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
  })
}

describe('security regressions over HTTP', () => {
  describe('return addresses of the login', () => {
    const login = (target: string) => request(url('auth.localhost',
      `/.keyway/login?redirect_url=${encodeURIComponent(target)}&app_nonce=${'n'.repeat(22)}`))

    it('sends a valid return address on to the provider (the control case)', async () => {
      const answer = await login(url('wiki.localhost', '/page'))

      expect(answer.status).toBe(302)
      expect(answer.location?.origin).toBe(provider.issuer)
    })

    it.each([
      ['a protocol-relative address', () => '//evil.localhost/'],
      ['a backslash address', () => '/\\evil.localhost/'],
      ['user info before another host', () => `http://wiki.localhost:${port}@evil.localhost/`],
      ['an encoded tab in the host', () => `http://wiki.localhost%09.evil.localhost:${port}/`],
      ['an encoded newline in the path', () => url('wiki.localhost', '/a%0d%0aSet-Cookie:x=1')],
      ['encoded whitespace before the address', () => `%20${url('wiki.localhost')}`],
      ['another host', () => url('evil.localhost')],
      ['another port of an app host', () => `http://wiki.localhost:${port + 1}/`],
      ['the auth domain itself', () => url('auth.localhost', '/.keyway/logout')],
      ['a javascript: address', () => 'javascript:alert(1)'],
    ])('refuses %s with 400', async (_name, target) => {
      const answer = await login(target())

      expect(answer.status).toBe(400)
      expect(answer.location).toBeUndefined()
      expect((await gate.audit({ limit: 1 }))[0]?.reason).toBe('bad_return_url')
    })
  })

  describe('session tokens', () => {
    const withCookie = async (token: string) => request(url('wiki.localhost', '/'),
      { headers: { ...xhr, cookie: `${appCookieName(wiki.audience)}=${token}` } })

    it('lets the relay-signed wiki token in at the wiki (the control case)', async () => {
      expect((await withCookie(await sign())).status).toBe(200)
    })

    it.each(forgedTokens)('refuses %s as the wiki session', async (_name, forge) => {
      const answer = await withCookie(await forge())

      expect(answer.status).toBe(401)
      expect((await gate.audit({ app: 'wiki', limit: 1 }))[0]?.reason)
        .toMatch(/^login_required_(invalid|expired)_session$/)
    })
  })

  describe('identity headers sent by the client', () => {
    it.each([
      ['Keyway-Jwt-Assertion'], ['keyway_jwt_assertion'], ['KEYWAY-AUTHENTICATED-USER-EMAIL'],
      ['Keyway_Authenticated_User_Email'], ['Keyway-Access-Jwt-Assertion'],
      ['Cf-Access-Jwt-Assertion'], ['cf_access_authenticated_user_email'],
      ['CF_ACCESS_JWT_ASSERTION'],
    ])('never reach the origin: %s', async (name) => {
      const answer = await request(url('wiki.localhost', '/'), { headers: [
        ['accept', 'application/json'], [name, 'forged@example.test'],
        ['cookie', `${appCookieName(wiki.audience)}=${await sign()}`],
      ] })
      const echo = answer.json<ForwardedEcho>()

      expect(answer.status).toBe(200)
      expect(echo.headers.map(([, value]) => value)).not.toContain('forged@example.test')
      expect(echo.headers.find(([key]) => key === 'Keyway-Authenticated-User-Email')?.[1])
        .toBe('alice@example.test')
    })
  })

  describe('paths', () => {
    it('forwards a plain path (the control case)', async () => {
      expect(await rawGet(`wiki.localhost:${port}`, '/a/b%20c')).toBe(302)
    })

    it.each([
      ['/a%2fb'], ['/a%2Fb'], ['/a%5cb'], ['/a%00b'], ['/a%252fb'], ['/%252e%252e/b'],
      ['/a/../b'], ['/../etc/passwd'], ['/a/%2e%2e/b'], ['/a/.%2e/b'], ['/a/./b'],
      ['/a\\b'],
    ])('answers 400 to %s', async (path) => {
      expect(await rawGet(`wiki.localhost:${port}`, path)).toBe(400)
      expect((await gate.audit({ limit: 1 }))[0]?.reason).toBe('bad_path')
    })

    it('serves the auth domain its plain paths (the control case)', async () => {
      expect(await rawGet(`auth.localhost:${port}`, '/.keyway/certs')).toBe(200)
    })

    it.each([
      ['/.keyway/login/../certs'], ['/%2e%2e/.keyway/certs'], ['/.keyway%2fcerts'], ['/./'],
    ])('answers 400 to %s on the auth domain, never resolving it', async (path) => {
      expect(await rawGet(`auth.localhost:${port}`, path)).toBe(400)
      expect((await gate.audit({ limit: 1 }))[0]?.reason).toBe('bad_path')
    })
  })

  describe('the login flow', () => {
    it('answers 403 to a callback without state or with one it never issued', async () => {
      const missing = await request(url('auth.localhost', '/.keyway/callback?code=x'))
      const unknown = await request(url('auth.localhost', '/.keyway/callback?code=x&state=y'))

      expect(missing.status).toBe(403)
      expect(unknown.status).toBe(403)
    })

    it('answers 401 to scripts without a session and redirects navigations', async () => {
      const script = await request(url('wiki.localhost', '/api'), { headers: xhr })
      const json = await request(url('wiki.localhost', '/api'),
        { headers: { accept: 'application/json' } })
      const page = await request(url('wiki.localhost', '/page'),
        { headers: { accept: 'text/html' } })

      expect(script.status).toBe(401)
      expect(json.status).toBe(401)
      expect(page.status).toBe(302)
      expect(page.location?.href.startsWith(url('auth.localhost', '/.keyway/login?'))).toBe(true)
    })

    it('revokes the session on two apps at logout', async () => {
      const wikiToken = await sign({ sid: 'sid-logout' })
      const blogToken = await sign({ sid: 'sid-logout', aud: blog.audience })
      const at = (app: AppConfig, host: string, token: string, path = '/') =>
        request(url(host, path), { headers: { ...xhr,
          cookie: `${appCookieName(app.audience)}=${token}` } })

      const before = [await at(wiki, 'wiki.localhost', wikiToken),
        await at(blog, 'blog.localhost', blogToken)]
      const out = await at(wiki, 'wiki.localhost', wikiToken, '/.keyway/logout')
      const after = [await at(wiki, 'wiki.localhost', wikiToken),
        await at(blog, 'blog.localhost', blogToken)]

      expect(before.map((answer) => answer.status)).toEqual([200, 200])
      expect(out.status).toBe(302)
      expect(after.map((answer) => answer.status)).toEqual([401, 401])
      expect((await gate.audit({ app: 'blog', limit: 1 }))[0]?.reason)
        .toBe('login_required_revoked_session')
    })
  })
})
