import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { CookieJar, loopbackLookup, oidcHeadlessLogin, request, stopAll } from '@keyway/testkit'

import { startAccessStack, type AccessStack } from './support/access-stack.js'
import type { OriginView } from './support/identity-origin.js'
import { runKeyway } from './support/keyway-process.js'

let stack: AccessStack

beforeAll(async () => {
  stack = await startAccessStack()
})

afterAll(async () => {
  await stopAll()
  await stack?.close()
})

const xhr = { accept: 'application/json', 'x-requested-with': 'XMLHttpRequest' }
const json = { accept: 'application/json' }
/** Navigations (HTML accepted) that ask the test origin for its JSON view. */
const page = { accept: 'text/html, application/json' }

function header(view: OriginView, name: string): string[] {
  return view.headers.filter(([key]) => key.toLowerCase() === name).map(([, value]) => value)
}

/** Opens a WebSocket through the relay: the echo it gets back, or the refusal's status. */
function webSocket(url: string, cookie: string): Promise<string | number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { lookup: loopbackLookup, headers: { cookie } })
    socket.once('open', () => socket.send('ping through the relay'))
    socket.once('message', (data: Buffer) => {
      socket.close()
      resolve(data.toString())
    })
    socket.once('unexpected-response', (_req, res) => {
      socket.terminate()
      resolve(res.statusCode ?? 0)
    })
    socket.once('error', reject)
  })
}

function login(startUrl: string, user = 'alice', jar = new CookieJar()) {
  return oidcHeadlessLogin({ startUrl, login: user, jar, headers: page })
}

describe('single sign-on through keyway relay, scripted', () => {
  it('logs in through the provider and the origin verifies the identity it receives', async () => {
    const result = await login(stack.url('wiki.localhost', '/docs?page=2'))
    const view = result.response.json<OriginView>()

    expect(result.response.status).toBe(200)
    expect(result.response.url.href).toBe(stack.url('wiki.localhost', '/docs?page=2'))
    expect(result.visited.some((step) => step.startsWith(`GET ${stack.provider.issuer}/auth`)))
      .toBe(true)
    expect(view.error).toBeNull()
    expect(view.user).toMatchObject({ sub: 'alice', email: 'alice@example.test', idp: 'test',
      type: 'assertion', iss: 'https://auth.localhost', groups: ['eng'] })
    expect(view.url).toBe('/docs?page=2')
    expect(header(view, 'keyway-authenticated-user-email')).toEqual(['alice@example.test'])
    expect(header(view, 'cf-access-jwt-assertion')).toEqual(header(view, 'keyway-jwt-assertion'))
    expect(header(view, 'cookie').join(';')).not.toContain('keyway_')
    const [appCookie] = result.jar.all().filter((c) => c.domain === 'wiki.localhost')
    expect(appCookie).toMatchObject({ hostOnly: true, httpOnly: true, sameSite: 'lax' })
  })

  it('reuses the auth-domain session for a second app without asking the provider', async () => {
    const first = await login(stack.url('wiki.localhost'))
    const second = await login(stack.url('blog.localhost', '/post/1'), 'nobody', first.jar)
    const view = second.response.json<OriginView>()

    expect(second.visited.some((step) => step.includes(stack.provider.issuer))).toBe(false)
    expect(second.visited.some((step) => step.includes('auth.localhost'))).toBe(true)
    expect(view.user).toMatchObject({ sub: 'alice', email: 'alice@example.test' })
    expect(header(view, 'cf-access-jwt-assertion')).toEqual([])
  })

  it('refuses a user no policy admits and records why in the audit log', async () => {
    const result = await login(stack.url('wiki.localhost', '/secret'), 'bob')
    const denials = await stack.logs('--app', 'wiki', '--decision', 'deny', '--user', 'bob')

    expect(result.response.status).toBe(403)
    expect(result.response.text()).not.toContain('no_matching_policy')
    expect(denials[0]).toMatchObject({ email: 'bob@example.test', sub: 'bob', idp: 'test',
      host: 'wiki.localhost', reason: 'no_matching_policy' })
  })

  it('answers 401 to scripts and redirects browsers that have no session', async () => {
    const script = await request(stack.url('wiki.localhost', '/api/x'), { headers: xhr })
    const browser = await request(stack.url('wiki.localhost', '/x'),
      { headers: { accept: 'text/html' } })

    expect(script.status).toBe(401)
    expect(browser.status).toBe(302)
    expect(browser.location?.href.startsWith(stack.url('auth.localhost', '/.keyway/login?')))
      .toBe(true)
  })

  it('evaluates WebSocket upgrades: with a session they pass, without one 401', async () => {
    const { jar } = await login(stack.url('wiki.localhost'))
    const wsUrl = stack.url('wiki.localhost', '/socket').replace('http:', 'ws:')

    const admitted = await webSocket(wsUrl, jar.cookieHeader(stack.url('wiki.localhost')) ?? '')
    const refused = await webSocket(wsUrl, '')
    const [record] = await stack.logs('--app', 'wiki', '--decision', 'allow', '--limit', '1')

    expect(admitted).toBe('ping through the relay')
    expect(refused).toBe(401)
    expect(record).toMatchObject({ path: '/socket', email: 'alice@example.test' })
  })

  it('replaces forged identity headers, underscore spellings included', async () => {
    const { jar } = await login(stack.url('blog.localhost'))
    const forged = await request(stack.url('blog.localhost', '/'), { jar, headers: [
      ['accept', 'application/json'],
      ['Keyway_Jwt_Assertion', 'forged'],
      ['keyway-authenticated-user-email', 'ceo@example.test'],
      ['Cf_Access_Authenticated_User_Email', 'ceo@example.test'],
    ] })
    const view = forged.json<OriginView>()
    const values = view.headers.map(([, value]) => value)

    expect(values).not.toContain('forged')
    expect(values).not.toContain('ceo@example.test')
    expect(view.user?.['email']).toBe('alice@example.test')
  })

  it('ends the session on every app at logout, for copies of the cookies too', async () => {
    const first = await login(stack.url('wiki.localhost'))
    await login(stack.url('blog.localhost'), 'alice', first.jar)
    const copy = new CookieJar()
    for (const cookie of first.jar.all()) copy.set(cookie.domain, cookie.name, cookie.value)
    const before = await request(stack.url('blog.localhost'), { jar: copy, headers: xhr })

    const out = await request(stack.url('wiki.localhost', '/.keyway/logout'), { jar: first.jar })
    const after = await Promise.all(['wiki.localhost', 'blog.localhost'].map((host) =>
      request(stack.url(host), { jar: copy, headers: xhr })))
    const [logout] = await stack.logs('--decision', 'logout', '--limit', '1')

    expect(before.status).toBe(200)
    expect(out.status).toBe(302)
    expect(after.map((answer) => answer.status)).toEqual([401, 401])
    expect(logout).toMatchObject({ email: 'alice@example.test', host: 'wiki.localhost',
      app: 'wiki' })
  })

  it('admits a service token made with the CLI and the origin verifies its identity', async () => {
    const created = await runKeyway(['access', 'service-token', 'create', 'ci', '--json',
      '--config', stack.relay.configFile])
    const token = JSON.parse(created.stdout) as { clientId: string; clientSecret: string }
    const answer = await request(stack.url('api.localhost', '/deploy'), { headers: {
      ...json,
      'Keyway-Access-Client-Id': token.clientId,
      'Keyway-Access-Client-Secret': token.clientSecret,
    } })
    const view = answer.json<OriginView>()

    expect(view.user).toMatchObject({ sub: 'service-token:ci', type: 'assertion' })
    expect(header(view, 'keyway-access-client-secret')).toEqual([])
    expect(stack.relay.handle.output()).not.toContain(token.clientSecret)
  })

  it('writes logins and allowed requests to the audit log, read with keyway logs', async () => {
    await login(stack.url('blog.localhost', '/audited'))
    const alice = await stack.logs('--user', 'alice@example.test', '--app', 'blog')
    const logins = await stack.logs('--decision', 'login', '--user', 'alice')
    const text = await runKeyway(['logs', '--config', stack.relay.configFile,
      '--user', 'alice@example.test', '--decision', 'allow'])

    expect(alice.some((row) => row['path'] === '/audited' && row['decision'] === 'allow'))
      .toBe(true)
    expect(logins.length).toBeGreaterThan(0)
    expect(logins[0]).toMatchObject({ idp: 'test', host: 'auth.localhost' })
    expect(text.stdout).toContain('alice@example.test')
    expect(stack.relay.handle.output()).not.toMatch(/keyway_(auth|session_)\w*=/)
  })
})
