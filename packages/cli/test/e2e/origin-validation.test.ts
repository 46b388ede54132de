import type { IncomingMessage } from 'node:http'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { oidcHeadlessLogin, request, stopAll } from '@keyway/testkit'

import { authDomain, startAccessStack, type AccessStack } from './support/access-stack.js'
import { keywayVerifier, type OriginView } from './support/identity-origin.js'

let stack: AccessStack
let wikiAssertion = ''
let blogAssertion = ''

const page = { accept: 'text/html, application/json' }

function assertionOf(view: OriginView): string {
  const found = view.headers.find(([name]) => name.toLowerCase() === 'keyway-jwt-assertion')
  return found?.[1] ?? ''
}

/** A request as an origin would see it, carrying `assertion`. */
function requestWith(assertion: string): IncomingMessage {
  return { headers: { 'keyway-jwt-assertion': assertion } } as unknown as IncomingMessage
}

beforeAll(async () => {
  stack = await startAccessStack()
  const wiki = await oidcHeadlessLogin({ startUrl: stack.url('wiki.localhost'), login: 'alice',
    headers: page })
  const blog = await oidcHeadlessLogin({ startUrl: stack.url('blog.localhost'), login: 'alice',
    jar: wiki.jar, headers: page })
  wikiAssertion = assertionOf(wiki.response.json<OriginView>())
  blogAssertion = assertionOf(blog.response.json<OriginView>())
})

afterAll(async () => {
  await stopAll()
  await stack?.close()
})

describe('an origin verifying Keyway-Jwt-Assertion as docs/origin-validation.md shows', () => {
  const verifier = (app: string) =>
    keywayVerifier({ authDomain, port: stack.relay.publicPort, app })

  it('accepts the assertion the relay sent it, with the user in its claims', async () => {
    const user = await verifier('wiki')(requestWith(wikiAssertion))

    expect(user).toMatchObject({ sub: 'alice', email: 'alice@example.test', idp: 'test',
      iss: `https://${authDomain}`, type: 'assertion' })
    expect((user?.exp ?? 0) - (user?.iat ?? 0)).toBe(300)
  })

  it('refuses the assertion of another app', async () => {
    await expect(verifier('wiki')(requestWith(blogAssertion)))
      .rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'aud' })
  })

  it('refuses an assertion whose claims were changed', async () => {
    const [head, body, signature] = wikiAssertion.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>
    const forged = Buffer.from(JSON.stringify({ ...claims, email: 'ceo@example.test' }))
      .toString('base64url')

    await expect(verifier('wiki')(requestWith(`${head}.${forged}.${signature}`)))
      .rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' })
  })

  it('finds no user on a public app, where the relay sends no assertion', async () => {
    const answer = await request(stack.url('www.localhost', '/'), { headers: {
      accept: 'application/json', 'keyway-jwt-assertion': wikiAssertion } })
    const view = answer.json<OriginView>()

    expect(answer.status).toBe(200)
    expect(view.user).toBeNull()
    expect(assertionOf(view)).toBe('')
  })

  it('reads the same keys from /.keyway/certs on the auth domain and on an app host', async () => {
    const fromAuth = await request(stack.url(authDomain, '/.keyway/certs'))
    const fromApp = await request(stack.url('wiki.localhost', '/.keyway/certs'))
    const keys = fromAuth.json<{ keys: Array<Record<string, unknown>> }>().keys

    expect(fromApp.json()).toEqual(fromAuth.json())
    expect(keys.length).toBeGreaterThan(0)
    expect(keys.every((key) => key['alg'] === 'ES256' && key['d'] === undefined)).toBe(true)
  })
})
