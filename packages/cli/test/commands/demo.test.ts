import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:net'

import { afterEach, describe, expect, it } from 'vitest'
import {
  launchChromium,
  oidcHeadlessLogin,
  request,
  stopAll,
  type ProcessHandle,
} from '@keyway/testkit'

import { runKeyway, startKeyway } from '../support/keyway.js'

let blocker: Server | undefined

afterEach(async () => {
  await stopAll()
  await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()))
  blocker = undefined
})

/** Starts `keyway demo` and reads the URL to open and the generated files from its banner. */
async function startDemo(args: readonly string[]) {
  const demo = startKeyway(['demo', ...args])
  const open = await demo.waitForLine(/^ {2}Open +http:\/\/app\.localhost:\d+\/$/, {
    timeoutMs: 20_000,
  })
  await demo.waitForLine(/^Press Ctrl-C to stop\.$/)
  const url = open.trim().split(/ +/)[1] as string
  const folder = /Generated files in (\S+) /.exec(demo.output('stdout'))?.[1] as string
  return { demo, url, folder }
}

async function stopDemo(demo: ProcessHandle, signal: NodeJS.Signals) {
  demo.kill(signal)
  return demo.waitForExit()
}

describe('keyway demo', () => {
  it('serves the demo page through the tunnel and exits 0 on SIGTERM', async () => {
    const { demo, url, folder } = await startDemo(['--port', '0'])
    const port = new URL(url).port

    const page = await request(url)
    const hello = await request(`http://hello.localhost:${port}/`, {
      headers: { accept: 'application/json' },
    })

    expect(page.status).toBe(200)
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(page.text()).toContain('<h1>Keyway demo origin</h1>')
    expect(page.text()).toContain('reached through a Keyway tunnel')
    const forwardedHost = `<tr><td>X-Forwarded-Host</td><td>app.localhost:${port}</td></tr>`
    expect(page.text()).toContain(forwardedHost)
    expect(hello.json()).toMatchObject({ service: 'keyway hello_world', host: 'hello.localhost' })
    expect(demo.output('stdout')).toContain(`curl ${url}`)

    const exit = await stopDemo(demo, 'SIGTERM')

    expect(exit.code).toBe(0)
    expect(demo.output('stdout')).toContain(`keyway demo stopped; removed ${folder}`)
    expect(existsSync(folder)).toBe(false)
  })

  it('writes configs that keyway itself accepts', async () => {
    const { demo, folder } = await startDemo(['--port', '0'])

    const validate = await runKeyway([
      ...['tunnel', 'ingress', 'validate'],
      ...['--config', `${folder}/connector.yaml`],
    ])
    const token = await runKeyway(['tunnel', 'token', 'demo', '--config', `${folder}/relay.yaml`])

    expect(validate.code).toBe(0)
    expect(validate.stdout).toContain('rule 1: hostname "app.localhost" -> http://127.0.0.1:')
    expect(validate.stdout).toContain('rule 2: hostname "hello.localhost" -> hello_world')
    expect(validate.stdout).toContain('rule 3: hostname "private.localhost" -> http://127.0.0.1:')
    expect(token.stdout).toMatch(/^keyway1\.demo\.[A-Za-z0-9_-]{43}$/)
    expect(demo.output('stdout')).toContain(`${folder}/demo.token`)
    expect((await stopDemo(demo, 'SIGINT')).code).toBe(0)
  })

  it('sends a visitor of the protected app through the demo provider and back', async () => {
    const { demo, url } = await startDemo(['--port', '0'])
    const port = new URL(url).port
    const privateUrl = `http://private.localhost:${port}/notes`

    const script = await request(privateUrl, { headers: { accept: 'application/json' } })
    const demoUser = await oidcHeadlessLogin({ startUrl: privateUrl, login: 'demo' })
    const stranger = await oidcHeadlessLogin({ startUrl: privateUrl, login: 'mallory' })
    const publicPage = await request(url)

    expect(demo.output('stdout')).toMatch(/^ {2}Sign in +http:\/\/private\.localhost:\d+\/$/m)
    expect(demo.output('stdout')).toContain('log in as "demo" with any password')
    expect(script.status).toBe(401)
    expect(demoUser.visited.some((step) => step.includes('auth.localhost'))).toBe(true)
    expect(demoUser.response.status).toBe(200)
    expect(demoUser.response.url.href).toBe(privateUrl)
    expect(demoUser.response.text()).toContain('<h2>Signed in as demo@example.test</h2>')
    expect(stranger.response.status).toBe(403)
    expect(publicPage.text()).toContain('<h2>No identity assertion</h2>')
    expect(demo.output('stderr')).not.toContain('oidc-provider')
    expect((await stopDemo(demo, 'SIGTERM')).code).toBe(0)
  })

  it('lets a newcomer log in with a real browser', async () => {
    const { demo, url } = await startDemo(['--port', '0'])
    const privateUrl = `http://private.localhost:${new URL(url).port}/`
    const browser = await launchChromium()
    const page = await browser.newPage()

    await page.goto(privateUrl)
    await page.fill('input[name="login"]', 'demo')
    await page.fill('input[name="password"]', 'anything')
    await Promise.all([
      page.waitForURL(privateUrl),
      page.click('button[type="submit"]'),
    ])
    const heading = await page.textContent('section.ok h2')
    await browser.close()

    expect(heading).toBe('Signed in as demo@example.test')
    expect((await stopDemo(demo, 'SIGINT')).code).toBe(0)
  })

  it('takes a free port when the requested one is taken', async () => {
    blocker = createServer()
    const taken = await new Promise<number>((resolve) => {
      blocker?.listen(0, '127.0.0.1', () => {
        const address = blocker?.address()
        resolve(typeof address === 'object' && address !== null ? address.port : 0)
      })
    })

    const { demo, url } = await startDemo(['--port', String(taken)])
    const page = await request(url)

    expect(demo.output('stdout')).toMatch(
      new RegExp(`port ${taken} is taken, so the relay listens on \\d+ instead`),
    )
    expect(new URL(url).port).not.toBe(String(taken))
    expect(page.status).toBe(200)
    expect((await stopDemo(demo, 'SIGINT')).code).toBe(0)
  })
})
