import { statSync } from 'node:fs'

import { SAML, ValidateInResponseTo } from '@node-saml/node-saml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { launchChromium, request, screenshot, stopAll } from '@keyway/testkit'

import { startLoginStack, type LoginStack } from './support/saml-stack.js'

const engineers = [{ name: 'engineers', action: 'allow', include: [{ group: ['eng'] }] }]
const bobOnly = [{ name: 'bob-only', action: 'allow', include: [{ email: ['bob@example.test'] }] }]
const apps = [
  { name: 'docs', domains: ['docs.localhost'], policies: engineers },
  { name: 'blog', domains: ['blog.localhost/news'], public: true },
  { name: 'shell', domains: ['shell.localhost'], launcher: 'ssh', policies: engineers },
  { name: 'desktop', domains: ['desktop.localhost'], launcher: 'rdp', policies: engineers },
  { name: '<b>Tools</b> & "Co"', domains: ['tools.localhost'], policies: engineers },
  { name: 'vault', domains: ['vault.localhost'], policies: bobOnly },
  { name: 'deploy', domains: ['deploy.localhost'],
    policies: [{ name: 'ci', action: 'service_auth', include: [{ serviceToken: ['ci'] }] }] },
  { name: 'metrics', domains: ['metrics.localhost'], launcher: 'hidden', policies: engineers },
  { name: 'wiki', type: 'saml', entityId: 'https://wiki.example.test/saml',
    acsUrls: ['https://wiki.example.test/saml/acs'], idpInitiated: true,
    defaultRelayState: '/start', policies: engineers },
  { name: 'crm', type: 'saml', entityId: 'https://crm.example.test/saml',
    acsUrls: ['https://crm.example.test/saml/acs'], policies: engineers },
  { name: 'payroll', type: 'saml', entityId: 'https://payroll.example.test/saml',
    acsUrls: ['https://payroll.example.test/saml/acs'], idpInitiated: true, policies: bobOnly },
]

let stack: LoginStack
let browser: Browser
let page: Page
let port: number

/** The text of each app entry the page shows, as a user reads it. */
function entries(): Promise<string[]> {
  return page.locator('li.app').evaluateAll((items) => items.map((item) =>
    (item as unknown as { innerText: string }).innerText.replace(/\s+/g, ' ').trim()))
}

beforeAll(async () => {
  stack = await startLoginStack({
    apps,
    users: { alice: { email: 'alice@example.test', groups: ['eng'] } },
  })
  port = stack.relay.publicPort
  browser = await launchChromium()
  page = await browser.newPage()
})

afterAll(async () => {
  await stopAll()
  await stack?.provider.close()
  await stack?.dir.remove()
})

describe('the app launcher at the auth domain root', () => {
  it('offers a sign-in to a visitor without a session', async () => {
    await page.goto(stack.authUrl('/'))
    expect(await page.locator('h1').innerText()).toBe('Your applications')
    expect(await page.locator('body').innerText()).toContain('You are not signed in.')
    expect(await page.locator('li.app').count()).toBe(0)
  })

  it('shows a signed-in user the apps their policies admit, in Chromium', async () => {
    await page.click('text=Sign in')
    await page.waitForURL((url) => url.href.startsWith(stack.provider.issuer))
    await page.fill('input[name="login"]', 'alice')
    await page.fill('input[name="password"]', 'any-password')
    await page.click('button[type="submit"]')
    await page.waitForURL(stack.authUrl('/'))

    expect(await page.locator('body').innerText()).toContain('Signed in as alice@example.test.')
    const shown = await entries()
    const path = await screenshot(page, 'app-launcher')
    expect(statSync(path).size).toBeGreaterThan(1000)
    expect(shown).toEqual([
      'docs',
      'blog',
      `shell SSH shell.localhost ssh -o ProxyCommand='keyway access ssh --hostname ` +
        `http://shell.localhost:${port}' shell.localhost`,
      `desktop RDP desktop.localhost keyway access tcp --hostname ` +
        `http://desktop.localhost:${port} --listen 127.0.0.1:13389 then connect your RDP ` +
        'client to 127.0.0.1:13389',
      '<b>Tools</b> & "Co"',
      'wiki',
      'crm (sign in from the app\'s own page)',
    ])
    const links = await page.locator('li.app a').evaluateAll((anchors) =>
      anchors.map((anchor) => [anchor.textContent, anchor.getAttribute('href')]))
    expect(links).toEqual([
      ['docs', `http://docs.localhost:${port}/`],
      ['blog', `http://blog.localhost:${port}/news`],
      ['<b>Tools</b> & "Co"', `http://tools.localhost:${port}/`],
      ['wiki', stack.authUrl('/_keyway/saml/wiki/launch')],
    ])
    expect(await page.locator('li.app b').count()).toBe(0)
  })

  it('launches a SAML app from its link: the browser posts the response to its ACS URL',
    async () => {
      let posted: URLSearchParams | undefined
      await page.route('https://wiki.example.test/**', async (route) => {
        posted = new URLSearchParams(route.request().postData() ?? '')
        await route.fulfill({ status: 200, contentType: 'text/html',
          body: '<title>wiki</title><p>signed in to the wiki</p>' })
      })
      await page.click('li.app a:text-is("wiki")')
      await page.waitForURL('https://wiki.example.test/saml/acs')
      expect(await page.locator('p').innerText()).toBe('signed in to the wiki')
      expect(posted?.get('RelayState')).toBe('/start')
      const xml = Buffer.from(posted?.get('SAMLResponse') ?? '', 'base64').toString('utf8')
      expect(xml).toContain('>alice@example.test</saml:NameID>')
      expect(xml).toContain('<saml:Audience>https://wiki.example.test/saml</saml:Audience>')
    })

  it('signs in to a SAML app that starts at the app, by a cross-site POST-binding form',
    async () => {
      const metadata = (await request(stack.authUrl('/_keyway/saml/wiki/metadata'))).text()
      const sp = new SAML({
        entryPoint: stack.authUrl('/_keyway/saml/wiki/sso'),
        callbackUrl: 'https://wiki.example.test/saml/acs',
        issuer: 'https://wiki.example.test/saml',
        audience: 'https://wiki.example.test/saml',
        idpCert: [...metadata.matchAll(/<ds:X509Certificate>([^<]+)</g)].map((m) => m[1] ?? ''),
        wantAssertionsSigned: true,
        wantAuthnResponseSigned: true,
        validateInResponseTo: ValidateInResponseTo.always,
        acceptedClockSkewMs: 0,
      })
      // The service provider's own page: node-saml's auto-submitting AuthnRequest form. The
      // post to the auth domain is cross-site, so the browser leaves out the Lax session
      // cookie and the relay takes the sign-in through its login redirect.
      const spPage = await sp.getAuthorizeFormAsync('from-the-app')
      await page.route('http://wiki.example.test/login', (route) =>
        route.fulfill({ status: 200, contentType: 'text/html', body: spPage }))
      let posted: URLSearchParams | undefined
      await page.route('https://wiki.example.test/saml/acs', async (route) => {
        posted = new URLSearchParams(route.request().postData() ?? '')
        await route.fulfill({ status: 200, contentType: 'text/html', body: '<p>welcome</p>' })
      })
      const visited: string[] = []
      page.on('request', (sent) => {
        if (sent.isNavigationRequest()) visited.push(`${sent.method()} ${sent.url()}`)
      })
      await page.goto('http://wiki.example.test/login')
      await page.waitForURL('https://wiki.example.test/saml/acs')
      const paths = visited.map((line) => line.replace(/\?.*$/, ''))
      expect(paths).toEqual([
        'GET http://wiki.example.test/login',
        `POST ${stack.authUrl('/_keyway/saml/wiki/sso')}`,
        `GET ${stack.authUrl('/.keyway/login')}`,
        `GET ${stack.authUrl('/_keyway/saml/wiki/sso')}`,
        'POST https://wiki.example.test/saml/acs',
      ])
      expect(posted?.get('RelayState')).toBe('from-the-app')
      const { profile } = await sp.validatePostResponseAsync({
        SAMLResponse: posted?.get('SAMLResponse') ?? '' })
      expect(profile?.nameID).toBe('alice@example.test')
    })
})
