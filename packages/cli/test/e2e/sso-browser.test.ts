import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { launchChromium, stopAll } from '@keyway/testkit'

import { startAccessStack, type AccessStack } from './support/access-stack.js'

let stack: AccessStack
let browser: Browser

beforeAll(async () => {
  stack = await startAccessStack()
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await stopAll()
  await stack?.close()
})

/** Records every navigation response of `page` as `STATUS URL`. */
function recordNavigations(page: Page): string[] {
  const seen: string[] = []
  page.on('response', (response) => {
    if (!response.request().isNavigationRequest()) return
    seen.push(`${response.status()} ${response.url()}`)
  })
  return seen
}

/** Fills the provider's login form, which the page must be showing. */
async function signIn(page: Page, login: string): Promise<void> {
  await page.waitForURL((url) => url.href.startsWith(stack.provider.issuer))
  await page.fill('input[name="login"]', login)
  await page.fill('input[name="password"]', 'any-password')
  await page.click('button[type="submit"]')
}

describe('single sign-on through keyway relay, in Chromium', () => {
  it('logs in once, reaches two apps, and is signed out of both by logout', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const wiki = stack.url('wiki.localhost', '/docs?page=2')
    const blog = stack.url('blog.localhost', '/')

    await page.goto(wiki)
    await signIn(page, 'alice')
    await page.waitForURL(wiki)
    const wikiUser = await page.textContent('#user')
    const scriptCookies = await page.evaluate<string>('document.cookie')

    await page.goto(blog)
    const blogUrl = page.url()
    const blogUser = await page.textContent('#user')
    const cookies = await context.cookies()

    await page.goto(stack.url('wiki.localhost', '/.keyway/logout'))
    const navigations = recordNavigations(page)
    await page.goto(blog)
    await page.waitForURL(blog)
    await context.close()

    expect(wikiUser).toBe('alice@example.test')
    expect(scriptCookies).toBe('')
    expect(blogUrl).toBe(blog)
    expect(blogUser).toBe('alice@example.test')
    const relayCookies = cookies.filter((cookie) => cookie.name.startsWith('keyway_'))
    expect(relayCookies.map((cookie) => cookie.domain).sort()).toEqual(
      expect.arrayContaining(['auth.localhost', 'blog.localhost', 'wiki.localhost']))
    expect(relayCookies.every((c) => c.httpOnly && c.sameSite === 'Lax')).toBe(true)
    // The provider still knows alice, so she comes back at once: through a new login.
    expect(navigations[0]).toBe(`302 ${blog}`)
    expect(navigations.some((line) => line.includes('/.keyway/login?'))).toBe(true)
    expect(navigations.some((line) => line.startsWith(`303 ${stack.provider.issuer}/auth`)))
      .toBe(true)
  })

  it('shows a user no policy admits a denial page and no content', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()

    const navigations = recordNavigations(page)
    await page.goto(stack.url('wiki.localhost', '/docs'))
    await signIn(page, 'bob')
    await page.waitForURL((url) => url.pathname === '/.keyway/callback')
    const text = await page.textContent('body')
    await context.close()

    expect(navigations.at(-1)).toMatch(/^403 http:\/\/wiki\.localhost:\d+\/\.keyway\/callback\?/)
    expect(text).not.toContain('bob@example.test')
    expect(text).not.toContain('no_matching_policy')
  })
})
