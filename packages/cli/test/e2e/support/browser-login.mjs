// The browser of the access-client tests, started by `keyway access login` through
// $BROWSER with the login URL as its last argument. It logs in at the test OpenID
// provider as $KEYWAY_TEST_LOGIN, either with plain HTTP requests (KEYWAY_TEST_BROWSER=http)
// or by driving headless Chromium (KEYWAY_TEST_BROWSER=chromium), follows the relay's
// redirects back to the CLI's loopback listener, and appends what happened to
// $KEYWAY_TEST_BROWSER_LOG (the CLI starts it detached, without output).
import { appendFileSync } from 'node:fs'

import { launchChromium, oidcHeadlessLogin, parseFirstForm } from '@keyway/testkit'

const url = process.argv.at(-1)
const login = process.env.KEYWAY_TEST_LOGIN ?? 'alice'
const mode = process.env.KEYWAY_TEST_BROWSER ?? 'http'
const logFile = process.env.KEYWAY_TEST_BROWSER_LOG

function note(line) {
  if (logFile) appendFileSync(logFile, `${line}\n`)
}

/** The relay's page that asks to let the command line in: press its Continue button. */
function confirmStep(response) {
  const form = parseFirstForm(response.text())
  if (response.status !== 200 || !form?.action.startsWith('/.keyway/cli')) return undefined
  note('confirm')
  return { url: new URL(form.action, response.url), method: 'POST' }
}

async function withHttp() {
  const result = await oidcHeadlessLogin({ startUrl: url, login, onPage: confirmStep })
  note(`visited ${result.visited.join(' -> ')}`)
  note(`final ${result.response.status} ${result.response.text().replace(/\s+/g, ' ')}`)
}

async function withChromium() {
  const browser = await launchChromium()
  try {
    const page = await browser.newPage()
    await page.goto(url)
    // The test provider's devInteractions form: any password, the login picks the user.
    await page.fill('input[name="login"]', login)
    await page.fill('input[name="password"]', 'chromium-test-password')
    await page.click('button[type="submit"]')
    // Back on the app host: the relay asks before it lets the command line in.
    await page.waitForSelector('text=Continue only if you started it', { timeout: 30_000 })
    note('confirm')
    await Promise.all([
      page.waitForURL((target) => target.hostname === '127.0.0.1' &&
        target.pathname === '/callback', { timeout: 30_000 }),
      page.click('button:has-text("Continue")'),
    ])
    note(`final ${page.url().replace(/token=[^&]+/, 'token=…')}`)
    note(`page ${(await page.textContent('body'))?.trim()}`)
  } finally {
    await browser.close()
  }
}

note(`open ${mode} ${url}`)
try {
  await (mode === 'chromium' ? withChromium() : withHttp())
} catch (err) {
  note(`failed ${err?.stack ?? err}`)
  process.exitCode = 1
}
