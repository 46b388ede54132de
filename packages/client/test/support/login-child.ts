// Run with tsx: logs in to argv[2] with KEYWAY_HOME argv[3] through a fake browser that
// answers with argv[4] after argv[5] ms, then prints the token on stdout.
import { login } from '../../src/login.js'
import { fakeBrowser } from './fake-browser.js'

const [url, home, token, delay] = process.argv.slice(2) as [string, string, string, string]
const result = await login(url, {
  home,
  openBrowser: fakeBrowser((nonce) => ({ token, nonce }), { delayMs: Number(delay) }),
})
process.stdout.write(`${result}\n`)
