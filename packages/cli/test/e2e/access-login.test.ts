import { once } from 'node:events'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTcpEcho, stopAll, type TcpEcho } from '@keyway/testkit'

import { startKeyway } from './support/keyway-process.js'
import { runTool } from './support/run-tool.js'
import {
  browserEnv,
  browserLoginScript,
  startTcpAppStack,
  userHome,
  type TcpAppStack,
} from './support/tcp-app-stack.js'

let echo: TcpEcho
let stack: TcpAppStack

/** Runs `keyway access ARGS` to its end with `env`. */
async function access(args: readonly string[], env: Record<string, string | undefined>) {
  const handle = startKeyway(['access', ...args], `access ${args[0] ?? ''}`, {
    KEYWAY_SERVICE_TOKEN_ID: undefined,
    KEYWAY_SERVICE_TOKEN_SECRET: undefined,
    DISPLAY: undefined,
    BROWSER: undefined,
    ...env,
  })
  const exit = await handle.waitForExit(60_000)
  return { code: exit.code, stdout: handle.output('stdout'), stderr: handle.output('stderr') }
}

/** The claims of a JWT, read without verifying it. */
function claimsOf(token: string): Record<string, unknown> {
  const payload = token.split('.')[1] ?? ''
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>
}

/** One echo exchange through `keyway access tcp` on `port`. */
async function echoThrough(port: number, text: string): Promise<string> {
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true })
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  await once(socket, 'connect')
  socket.end(text)
  await once(socket, 'end')
  socket.destroy()
  return Buffer.concat(chunks).toString('utf8')
}

/** How a connection through `keyway access tcp` on `port` ended when it carried nothing. */
async function refusedThrough(port: number): Promise<string> {
  const socket = connect({ port, host: '127.0.0.1' })
  let outcome = 'closed'
  socket.on('data', () => {
    outcome = 'answered'
  })
  socket.on('error', (err: NodeJS.ErrnoException) => {
    outcome = err.code === 'ECONNRESET' ? 'reset' : String(err.code)
  })
  // Not events.once: it rejects on the 'error' that a reset emits before 'close'.
  await new Promise((resolve) => socket.once('close', resolve))
  return outcome
}

beforeAll(async () => {
  echo = await startTcpEcho()
  stack = await startTcpAppStack({
    apps: [{
      name: 'echo',
      service: `tcp://127.0.0.1:${echo.port}`,
      policies: [{ name: 'staff', action: 'allow', include: [{ email: ['alice@example.test'] }] }],
    }],
  })
})

afterAll(async () => {
  await stopAll()
  await echo?.close()
  await stack?.dir.remove()
})

describe('keyway access login', () => {
  it('logs in through headless Chromium and caches the token privately', async () => {
    const home = userHome(stack, 'alice-chromium')
    const url = stack.appUrl('echo')
    const env = { KEYWAY_HOME: home, ...browserEnv(stack, 'alice', 'chromium') }

    const login = await access(['login', url], env)
    const token = await access(['token', url], { KEYWAY_HOME: home })
    const browserLog = readFileSync(env.KEYWAY_TEST_BROWSER_LOG, 'utf8')
    const tokens = join(home, 'tokens')
    const [file] = readdirSync(tokens)

    expect(login.stderr).toContain(
      `keyway: to log in, open this URL in a browser:\n  ${url}/.keyway/cli?port=`)
    expect(login.stderr.split('\n').at(-1)).toBe(
      `keyway: logged in to echo.localhost:${stack.relay.publicPort}`)
    expect(login.stdout).toBe('')
    expect(login.code).toBe(0)
    expect(browserLog).toContain('\nconfirm\n')
    expect(browserLog).toContain('page You are logged in to echo.localhost')
    expect(token.code).toBe(0)
    expect(claimsOf(token.stdout)).toMatchObject({ type: 'app', email: 'alice@example.test',
      sub: 'alice', idp: 'corp' })
    expect(statSync(home).mode & 0o777).toBe(0o700)
    expect(statSync(tokens).mode & 0o777).toBe(0o700)
    expect(statSync(join(tokens, file ?? '')).mode & 0o777).toBe(0o600)
    expect(readFileSync(join(tokens, file ?? ''), 'utf8')).toContain(token.stdout)
  }, 90_000)

  it('prints the URL when no browser can be opened; visiting it logs in', async () => {
    const home = userHome(stack, 'alice-printed')
    const login = startKeyway(['access', 'login', stack.appUrl('echo')], 'access login printed',
      { KEYWAY_HOME: home, BROWSER: undefined, DISPLAY: undefined, WAYLAND_DISPLAY: undefined })
    const printed = (await login.waitForLine(/^ {2}http:/, { stream: 'stderr' })).trim()
    const visit = browserEnv(stack, 'alice', 'chromium')

    const chromium = await runTool(process.execPath, [browserLoginScript, printed],
      { env: visit })
    const exit = await login.waitForExit(30_000)

    expect(chromium.code).toBe(0)
    expect(exit.code).toBe(0)
    expect(login.output('stderr').split('\n').at(-1)).toBe(
      `keyway: logged in to echo.localhost:${stack.relay.publicPort}`)
  }, 90_000)

  it('fails at once with one line for a user the policy refuses', async () => {
    const url = stack.appUrl('echo')
    const env = { KEYWAY_HOME: userHome(stack, 'mallory'), ...browserEnv(stack, 'mallory') }

    const login = await access(['login', url], env)

    expect(login.code).toBe(1)
    expect(login.stdout).toBe('')
    expect(login.stderr.split('\n').at(-1)).toBe(`error: the login for echo.localhost:` +
      `${stack.relay.publicPort} failed: access denied by policy`)
    expect(readdirSync(env.KEYWAY_HOME)).not.toContain('tokens')
  }, 90_000)

  it('shares one browser login between two concurrent invocations', async () => {
    const home = userHome(stack, 'alice-twice')
    const env = { KEYWAY_HOME: home, ...browserEnv(stack, 'alice', 'http') }
    const url = stack.appUrl('echo')

    const [first, second] = await Promise.all([access(['login', url], env),
      access(['login', url], env)])
    const opened = readFileSync(env.KEYWAY_TEST_BROWSER_LOG, 'utf8')
      .split('\n').filter((line) => line.startsWith('open '))

    expect([first.code, second.code]).toEqual([0, 0])
    expect(opened.length).toBe(1)
  }, 90_000)

  it('logs in first when keyway access tcp has no token, then carries the session', async () => {
    const home = userHome(stack, 'alice-first-use')
    const env = { KEYWAY_HOME: home, ...browserEnv(stack, 'alice', 'http') }
    const tcp = startKeyway(
      ['access', 'tcp', '--hostname', stack.appUrl('echo'), '--listen', '127.0.0.1:0'],
      'access tcp echo', { KEYWAY_SERVICE_TOKEN_ID: undefined, ...env })
    const line = await tcp.waitForLine(/^keyway: listening on /, { stream: 'stderr' })

    const answer = await echoThrough(Number(/:(\d+) for /.exec(line)?.[1]), 'first use\n')
    const token = await access(['token', stack.appUrl('echo')], { KEYWAY_HOME: home })

    expect(answer).toBe('first use\n')
    expect(readFileSync(env.KEYWAY_TEST_BROWSER_LOG, 'utf8')).toMatch(/^open http /)
    expect(claimsOf(token.stdout)['email']).toBe('alice@example.test')
  }, 90_000)
})

describe('keyway access tcp after a denial', () => {
  it('refuses the next connections at once instead of opening the browser again', async () => {
    const env = { KEYWAY_HOME: userHome(stack, 'mallory-tcp'),
      ...browserEnv(stack, 'mallory', 'http') }
    const tcp = startKeyway(
      ['access', 'tcp', '--hostname', stack.appUrl('echo'), '--listen', '127.0.0.1:0'],
      'access tcp denied', { KEYWAY_SERVICE_TOKEN_ID: undefined, ...env })
    const line = await tcp.waitForLine(/^keyway: listening on /, { stream: 'stderr' })
    const port = Number(/:(\d+) for /.exec(line)?.[1])

    const answers = [await refusedThrough(port), await refusedThrough(port),
      await refusedThrough(port)]
    const denials = await tcp.waitForLine(/access denied|is denied/, { stream: 'stderr' })
    const opened = readFileSync(env.KEYWAY_TEST_BROWSER_LOG, 'utf8')
      .split('\n').filter((entry) => entry.startsWith('open '))

    expect(answers).toEqual(['reset', 'reset', 'reset'])
    expect(denials).toMatch(/denied/)
    expect(opened).toHaveLength(1)
  }, 90_000)
})

describe('keyway access token', () => {
  it('fails with how to log in when nothing is cached', async () => {
    const url = stack.appUrl('echo')
    const result = await access(['token', '--hostname', url],
      { KEYWAY_HOME: userHome(stack, 'nobody') })

    expect(result.stdout).toBe('')
    expect(result.stderr).toBe(
      `error: no valid token for echo.localhost:${stack.relay.publicPort} ` +
        `(not logged in, or the session expired); run: keyway access login ${url}`)
    expect(result.code).toBe(1)
  })
})
