import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  startTcpEcho,
  stopAll,
  type ProcessHandle,
  type TcpEcho,
  type TcpEchoConnection,
} from '@keyway/testkit'

import { startKeyway } from './support/keyway-process.js'
import {
  auditedSession,
  browserRecorder,
  startTcpAppStack,
  userHome,
  type TcpAppStack,
} from './support/tcp-app-stack.js'

let sorter: TcpEcho
let echo: TcpEcho
let resetter: Server
let stack: TcpAppStack
let browserLog: string
let tcp: ProcessHandle
let localPort: number

/** Starts `keyway access tcp` for the app and reads the port from its `listening` line. */
async function startAccessTcp(
  app: string,
  env: Record<string, string | undefined>,
  listen = '127.0.0.1:0',
): Promise<{ handle: ProcessHandle; port: number }> {
  const handle = startKeyway(
    ['access', 'tcp', '--hostname', stack.appUrl(app), '--listen', listen],
    `access tcp ${app}`,
    env,
  )
  const line = await handle.waitForLine(/^keyway: listening on /, { stream: 'stderr' })
  return { handle, port: Number(/:(\d+) for /.exec(line)?.[1]) }
}

/** Sends `input`, half-closes, and reads everything until the peer ends. */
async function exchange(port: number, input: string): Promise<{ answer: string }> {
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true })
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  await once(socket, 'connect')
  socket.end(input)
  await once(socket, 'end')
  socket.destroy()
  return { answer: Buffer.concat(chunks).toString('utf8') }
}

/** Resolves with how the origin's connection closed, or 'open' after `ms`. */
function closedWithin(connection: TcpEchoConnection, ms: number) {
  return Promise.race([
    connection.closed,
    new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), ms)),
  ])
}

beforeAll(async () => {
  sorter = await startTcpEcho({ mode: 'sort' })
  echo = await startTcpEcho()
  // An origin that resets the connection as soon as it reads anything.
  resetter = createServer((socket) => {
    socket.on('error', () => undefined)
    socket.once('data', () => socket.resetAndDestroy())
  })
  await new Promise<void>((resolve) => resetter.listen(0, '127.0.0.1', resolve))
  const resetterPort = (resetter.address() as AddressInfo).port
  const ciOnly = [{ name: 'ci', action: 'service_auth', include: [{ serviceToken: ['ci'] }] }]
  stack = await startTcpAppStack({
    apps: [
      { name: 'sort', service: `tcp://127.0.0.1:${sorter.port}`, policies: ciOnly },
      { name: 'brief', service: `tcp://127.0.0.1:${echo.port}`, policies: ciOnly,
        settings: { tcp: { idleTimeout: '1s' } } },
      { name: 'resets', service: `tcp://127.0.0.1:${resetterPort}`, policies: ciOnly },
      { name: 'capped', service: `tcp://127.0.0.1:${echo.port}`, policies: ciOnly,
        settings: { tcp: { maxDuration: '1s' } } },
    ],
    serviceTokens: ['ci'],
  })
  const recorder = browserRecorder(stack, 'machine-browser')
  browserLog = recorder.logFile
  const ci = stack.serviceTokens['ci']
  const started = await startAccessTcp('sort', {
    KEYWAY_HOME: userHome(stack, 'machine'),
    KEYWAY_SERVICE_TOKEN_ID: ci?.clientId,
    KEYWAY_SERVICE_TOKEN_SECRET: ci?.clientSecret,
    ...recorder.env,
  })
  tcp = started.handle
  localPort = started.port
})

afterAll(async () => {
  await stopAll()
  await sorter?.close()
  await echo?.close()
  resetter?.close()
  await stack?.dir.remove()
})

describe('keyway access tcp', () => {
  it('carries an answer the origin gives only after end of input, then closes it', async () => {
    const since = stack.relay.handle.log.nextSeq
    const accepted = sorter.connections.length
    const input = 'pear\napple\nfig\n'

    const { answer } = await exchange(localPort, input)
    const origin = sorter.connections[accepted] as TcpEchoConnection
    const closed = await closedWithin(origin, 1_000)
    const session = await stack.relay.handle.waitForJsonLine(
      (entry) => entry['msg'] === 'tcp session', { since })

    expect(answer).toBe('apple\nfig\npear\n')
    expect(origin.bytesIn).toBe(input.length)
    expect(closed).toEqual({ hadError: false })
    expect(session).toMatchObject({ app: 'sort', user: 'service-token:ci',
      decision: 'service_token', status: 101, outcome: 'closed',
      bytesIn: input.length, bytesOut: input.length, clientIp: '127.0.0.1' })
    const audited = await auditedSession(stack, 'sort', String(session['reqId']))
    expect(audited).toMatchObject({ decision: 'service_token', serviceToken: 'ci',
      policy: 'ci', clientIp: '127.0.0.1', tcp: { bytesIn: input.length,
        bytesOut: input.length, outcome: 'closed' } })
  })

  it('uses the service token and never opens a browser', async () => {
    const { answer } = await exchange(localPort, 'b\na\n')

    expect(answer).toBe('a\nb\n')
    expect(readFileSync(browserLog, 'utf8')).toBe('')
    expect(tcp.output('stderr')).toMatch(
      /^keyway: listening on 127\.0\.0\.1:\d+ for sort\.localhost:\d+$/)
  })

  it('resets the origin connection when the local client resets', async () => {
    const accepted = sorter.connections.length
    const socket: Socket = connect({ port: localPort, host: '127.0.0.1' })
    socket.on('error', () => undefined)
    await once(socket, 'connect')
    socket.write('never sorted\n')
    const origin = await sorter.waitForConnection(accepted)
    while (origin.bytesIn === 0) await new Promise((resolve) => setTimeout(resolve, 20))
    socket.resetAndDestroy()

    expect(await closedWithin(origin, 5_000)).toEqual({ hadError: true })
  })

  it('resets the local connection when the origin resets', async () => {
    const ci = stack.serviceTokens['ci']
    const resets = await startAccessTcp('resets', {
      KEYWAY_HOME: userHome(stack, 'resets'),
      KEYWAY_SERVICE_TOKEN_ID: ci?.clientId,
      KEYWAY_SERVICE_TOKEN_SECRET: ci?.clientSecret,
    })
    const socket = connect({ port: resets.port, host: '127.0.0.1' })
    const error = new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      socket.once('error', resolve)
      socket.once('close', () => resolve(undefined))
    })
    await once(socket, 'connect')
    socket.write('anything\n')

    expect((await error)?.code).toBe('ECONNRESET')
    expect(await resets.handle.waitForLine(/^keyway: the /, { stream: 'stderr' })).toMatch(
      /^keyway: the app's server reset the connection \(resets\.localhost:\d+\)$/)
  })

  it('refuses a wrong service token with one line and resets the connection', async () => {
    const ci = stack.serviceTokens['ci']
    const wrong = await startAccessTcp('sort', {
      KEYWAY_HOME: userHome(stack, 'wrong'),
      KEYWAY_SERVICE_TOKEN_ID: ci?.clientId,
      KEYWAY_SERVICE_TOKEN_SECRET: 'not-the-secret',
    })
    const socket = connect({ port: wrong.port, host: '127.0.0.1' })
    const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      socket.once('error', resolve)
      socket.once('close', () => resolve(undefined))
    })
    const refusal = await wrong.handle.waitForLine(/denied/, { stream: 'stderr' })

    expect(error?.code).toBe('ECONNRESET')
    expect(refusal).toMatch(/^keyway: access to sort\.localhost:\d+ is denied \(HTTP 403\): /)
    expect(refusal).toContain('check --service-token-id and --service-token-secret')
  })

  it("closes a session that idles past its app's tcp.idleTimeout", async () => {
    const ci = stack.serviceTokens['ci']
    const brief = await startAccessTcp('brief', {
      KEYWAY_HOME: userHome(stack, 'brief'),
      KEYWAY_SERVICE_TOKEN_ID: ci?.clientId,
      KEYWAY_SERVICE_TOKEN_SECRET: ci?.clientSecret,
    })
    const since = stack.relay.handle.log.nextSeq
    const socket = connect({ port: brief.port, host: '127.0.0.1' })
    let error: NodeJS.ErrnoException | undefined
    socket.on('error', (err) => (error = err))
    const closed = new Promise((resolve) => socket.once('close', resolve))
    const echoed = new Promise<string>((resolve) => socket.once('data', (b) => resolve(`${b}`)))
    await once(socket, 'connect')
    socket.write('still here\n')

    expect(await echoed).toBe('still here\n')
    await closed
    expect(error?.code).toBe('ECONNRESET')
    const session = await stack.relay.handle.waitForJsonLine(
      (entry) => entry['msg'] === 'tcp session' && entry['app'] === 'brief', { since })
    expect(session).toMatchObject({ app: 'brief', outcome: 'reset', closeCode: 4100 })
    expect(await brief.handle.waitForLine(/idle/, { stream: 'stderr' })).toMatch(
      /^keyway: the relay closed the idle session \(brief\.localhost:\d+\)$/)
  })

  it("ends a busy session at its app's tcp.maxDuration", async () => {
    const ci = stack.serviceTokens['ci']
    const capped = await startAccessTcp('capped', {
      KEYWAY_HOME: userHome(stack, 'capped'),
      KEYWAY_SERVICE_TOKEN_ID: ci?.clientId,
      KEYWAY_SERVICE_TOKEN_SECRET: ci?.clientSecret,
    })
    const since = stack.relay.handle.log.nextSeq
    const socket = connect({ port: capped.port, host: '127.0.0.1' })
    socket.on('error', () => undefined)
    socket.on('data', () => undefined)
    const closed = new Promise((resolve) => socket.once('close', resolve))
    await once(socket, 'connect')
    // Never idle: a line every 100 ms until the session is ended.
    const ticker = setInterval(() => socket.write('tick\n'), 100)
    await closed
    clearInterval(ticker)

    const session = await stack.relay.handle.waitForJsonLine(
      (entry) => entry['msg'] === 'tcp session' && entry['app'] === 'capped', { since })
    expect(session).toMatchObject({ outcome: 'reset', closeCode: 4101 })
    expect(Number(session['bytesIn'])).toBeGreaterThan(0)
    const said = await capped.handle.waitForLine(/^keyway: the /, { stream: 'stderr' })
    expect(said).toMatch(/^keyway: the session reached its maximum duration; connect again /)
    expect(said).toMatch(/ \(capped\.localhost:\d+\)$/)
  })

  it('fails with one line and exit 1 when the local address is taken', async () => {
    const taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    const { port } = taken.address() as AddressInfo
    try {
      const handle = startKeyway(
        ['access', 'tcp', '--hostname', stack.appUrl('sort'), '--listen', `127.0.0.1:${port}`],
        'access tcp taken',
        { KEYWAY_SERVICE_TOKEN_ID: 'x', KEYWAY_SERVICE_TOKEN_SECRET: 'y' },
      )
      const exit = await handle.waitForExit()

      expect(exit.code).toBe(1)
      expect(handle.output('stderr')).toBe(
        `error: cannot listen on 127.0.0.1:${port} (EADDRINUSE)`)
    } finally {
      taken.close()
    }
  })
})
