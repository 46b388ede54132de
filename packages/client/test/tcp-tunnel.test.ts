import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import * as net from 'node:net'
import { PassThrough, type Duplex } from 'node:stream'
import { ResetCode, TcpCloseCode } from '@keyway/protocol'
import { freePort, startTcpEcho, tempDir, type TcpEcho, type TempDir } from '@keyway/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectApp } from '../src/connect-app.js'
import { ClientErrorCode, type ClientError } from '../src/errors.js'
import { sshProxy } from '../src/ssh-proxy.js'
import { tcpListener } from '../src/tcp-listener.js'
import { openTcpTunnel, type Credentials } from '../src/tcp-tunnel.js'
import { TokenCache } from '../src/token-cache.js'
import { fakeBrowser } from './support/fake-browser.js'
import { startRelayHarness, testCredentials, type RelayHarness } from './support/relay-harness.js'

const good: Credentials = { kind: 'app-token', token: testCredentials.goodToken }

function readAll(stream: Duplex): Promise<Buffer> {
  const chunks: Buffer[] = []
  stream.on('data', (chunk: Buffer) => chunks.push(chunk))
  return new Promise((resolve, reject) => {
    stream.once('end', () => resolve(Buffer.concat(chunks)))
    stream.once('error', reject)
  })
}

async function refusalOf(attempt: Promise<unknown>): Promise<ClientError> {
  try {
    await attempt
  } catch (err) {
    return err as ClientError
  }
  throw new Error('the attempt succeeded')
}

describe('openTcpTunnel through a relay and a connector', () => {
  let h: RelayHarness
  let echo: TcpEcho
  let sorter: TcpEcho
  let resetter: net.Server

  beforeAll(async () => {
    echo = await startTcpEcho()
    sorter = await startTcpEcho({ mode: 'sort' })
    resetter = net.createServer((socket) => {
      socket.on('error', () => {})
      socket.once('data', () => socket.resetAndDestroy())
    })
    resetter.listen(0, '127.0.0.1')
    await once(resetter, 'listening')
    h = await startRelayHarness({
      echo: `tcp://127.0.0.1:${echo.port}`,
      sort: `tcp://127.0.0.1:${sorter.port}`,
      reset: `tcp://127.0.0.1:${(resetter.address() as net.AddressInfo).port}`,
      down: 'tcp://127.0.0.1:9',
    })
  })
  afterAll(async () => {
    await h?.close()
    await echo?.close()
    await sorter?.close()
    resetter?.close()
  })

  it('carries bytes both ways with an app token', async () => {
    const tunnel = await openTcpTunnel(h.urlOf('echo'), good)
    const received = readAll(tunnel)

    tunnel.write('ping\n')
    tunnel.end('pong\n')

    expect((await received).toString()).toBe('ping\npong\n')
    const seen = h.gate.seen.at(-1)
    expect(seen?.kind).toBe('upgrade')
    expect(seen?.host).toBe('echo.localhost')
  })

  it('carries half-close: the origin reads end of input and still answers', async () => {
    const before = sorter.connections.length
    const tunnel = await openTcpTunnel(h.urlOf('sort'), good)
    const received = readAll(tunnel)

    tunnel.write('pear\nfig\n')
    tunnel.end('apple\n')
    const connection = await sorter.waitForConnection(before)
    await connection.inputEnded

    expect((await received).toString()).toBe('apple\nfig\npear\n')
    expect(await connection.closed).toEqual({ hadError: false })
  })

  it('carries 64 MiB intact both ways', async () => {
    const tunnel = await openTcpTunnel(h.urlOf('echo'), good)
    const sent = createHash('sha256')
    const back = createHash('sha256')
    let backBytes = 0
    tunnel.on('data', (chunk: Buffer) => {
      back.update(chunk)
      backBytes += chunk.length
    })
    const ended = once(tunnel, 'end')

    for (let i = 0; i < 256; i++) {
      const chunk = randomBytes(256 * 1024)
      sent.update(chunk)
      if (!tunnel.write(chunk)) await once(tunnel, 'drain')
    }
    tunnel.end()
    await ended

    expect(backBytes).toBe(64 * 1024 * 1024)
    expect(back.digest('hex')).toBe(sent.digest('hex'))
  })

  it('authenticates with the service-token headers', async () => {
    const tunnel = await openTcpTunnel(h.urlOf('echo'), {
      kind: 'service-token',
      clientId: testCredentials.serviceId,
      clientSecret: testCredentials.serviceSecret,
    })
    const received = readAll(tunnel)
    tunnel.end('machine\n')

    expect((await received).toString()).toBe('machine\n')
  })

  it('surfaces an origin reset as ERR_CONNECTION_RESET', async () => {
    const tunnel = await openTcpTunnel(h.urlOf('reset'), good)
    tunnel.write('boom')
    const [err] = (await once(tunnel, 'error')) as [ClientError]

    expect(err.code).toBe(ClientErrorCode.connectionReset)
    expect(err.closeCode).toBe(TcpCloseCode.resetBase + ResetCode.connect)
    expect(err.message).toBe("the app's server reset the connection (reset.localhost:" +
      `${h.relay.publicAddress.port})`)
  })

  describe('refusals', () => {
    it('maps 401 without credentials to ERR_NOT_LOGGED_IN with where to log in', async () => {
      const err = await refusalOf(openTcpTunnel(h.urlOf('echo'), undefined))

      expect(err.code).toBe(ClientErrorCode.notLoggedIn)
      expect(err.status).toBe(401)
      expect(err.loginUrl).toBe('http://echo.localhost/.keyway/cli')
      expect(err.message).toBe(
        `not logged in to ${new URL(h.urlOf('echo')).host} (no session); ` +
          `run: keyway access login ${h.urlOf('echo')}`,
      )
    })

    it('maps a refused service token to ERR_SERVICE_TOKEN_REFUSED', async () => {
      const err = await refusalOf(
        openTcpTunnel(h.urlOf('echo'), {
          kind: 'service-token',
          clientId: testCredentials.serviceId,
          clientSecret: 'wrong',
        }),
      )

      expect(err.code).toBe(ClientErrorCode.serviceTokenRefused)
    })

    it('maps 403 to ERR_ACCESS_DENIED', async () => {
      const denied: Credentials = { kind: 'app-token', token: testCredentials.deniedToken }
      const err = await refusalOf(openTcpTunnel(h.urlOf('echo'), denied))

      expect(err.code).toBe(ClientErrorCode.accessDenied)
      expect(err.message).toContain('is denied by its policy')
    })

    it('maps a host no tunnel serves to ERR_APP_NOT_FOUND', async () => {
      const err = await refusalOf(openTcpTunnel(h.urlOf('nothing'), good))

      expect(err.code).toBe(ClientErrorCode.appNotFound)
      expect(err.relayCode).toBe('ERR_UNKNOWN_HOST')
    })

    it('maps a tunnel with no connector to ERR_APP_UNAVAILABLE', async () => {
      const err = await refusalOf(openTcpTunnel(h.urlOf('offline'), good))

      expect(err).toMatchObject({ code: ClientErrorCode.appUnavailable, status: 503 })
    })

    it('maps an origin that refuses the connection to ERR_APP_UNAVAILABLE', async () => {
      const err = await refusalOf(openTcpTunnel(h.urlOf('down'), good))

      expect(err).toMatchObject({
        code: ClientErrorCode.appUnavailable,
        status: 502,
        relayCode: 'ERR_ORIGIN_REFUSED',
      })
    })

    it('maps a relay that is not listening to ERR_RELAY_UNREACHABLE', async () => {
      const port = await freePort()
      const err = await refusalOf(openTcpTunnel(`http://echo.localhost:${port}`, good))

      expect(err.code).toBe(ClientErrorCode.relayUnreachable)
      expect(err.message).toContain('ECONNREFUSED')
    })
  })

  describe('connectApp', () => {
    let dir: TempDir

    beforeAll(() => {
      dir = tempDir('keyway-client-connect-')
    })
    afterAll(async () => {
      await dir?.remove()
    })

    it('logs in again once when the relay refuses the cached token', async () => {
      const home = dir.path
      const url = h.urlOf('echo')
      const cache = new TokenCache({ home })
      cache.write(url, testCredentials.deniedToken.replace(/\.c2ln$/, '.b2xk'))
      let opened = 0
      const openBrowser = fakeBrowser((nonce) => {
        opened++
        return { token: testCredentials.goodToken, nonce }
      })
      // The gate answers 401 to a token it does not know: a revoked session.
      const tunnel = await connectApp(url, { home, openBrowser })
      const received = readAll(tunnel)
      tunnel.end('again\n')

      expect((await received).toString()).toBe('again\n')
      expect(opened).toBe(1)
      expect(cache.read(url)?.token).toBe(testCredentials.goodToken)
    })

    it('refuses to open a browser when not interactive', async () => {
      const empty = tempDir('keyway-client-empty-')
      const err = await refusalOf(
        connectApp(h.urlOf('echo'), { home: empty.path, interactive: false }),
      )
      await empty.remove()

      expect(err.code).toBe(ClientErrorCode.loginRequired)
    })
  })

  describe('sshProxy', () => {
    it('pipes its input to the app and the answer to its output', async () => {
      const stdin = new PassThrough()
      const stdout = new PassThrough()
      const output = readAll(stdout)
      const done = sshProxy(h.urlOf('sort'), {
        stdin,
        stdout,
        serviceToken: {
          clientId: testCredentials.serviceId,
          clientSecret: testCredentials.serviceSecret,
        },
      })

      stdin.end('b\na\n')
      await done

      expect((await output).toString()).toBe('a\nb\n')
    })
  })

  describe('tcpListener', () => {
    it('carries each accepted connection over its own session', async () => {
      const listener = await tcpListener({
        listen: '127.0.0.1:0',
        connect: () => openTcpTunnel(h.urlOf('echo'), good),
      })
      const before = echo.connections.length
      const exchange = async (text: string) => {
        const socket = net.connect(listener.address.port, '127.0.0.1')
        socket.setEncoding('utf8')
        let answer = ''
        socket.on('data', (chunk: string) => (answer += chunk))
        await once(socket, 'connect')
        socket.end(text)
        await once(socket, 'end')
        return answer
      }

      const answers = await Promise.all([exchange('one\n'), exchange('two\n')])
      await listener.close()

      expect(answers).toEqual(['one\n', 'two\n'])
      expect(echo.connections.length - before).toBe(2)
    })

    it('resets the local connection when the tunnel cannot be opened', async () => {
      const errors: unknown[] = []
      const listener = await tcpListener({
        listen: '0',
        connect: () => openTcpTunnel(h.urlOf('offline'), good),
        onError: (err) => errors.push(err),
      })
      const socket = net.connect(listener.address.port, '127.0.0.1')
      const [err] = (await once(socket, 'error')) as [NodeJS.ErrnoException]
      await listener.close()

      expect(err.code).toBe('ECONNRESET')
      expect(errors).toMatchObject([{ code: ClientErrorCode.appUnavailable }])
    })

    it('resets the session, and reports nothing, when the local client resets', async () => {
      const errors: unknown[] = []
      const listener = await tcpListener({
        listen: '127.0.0.1:0',
        connect: () => openTcpTunnel(h.urlOf('echo'), good),
        onError: (err) => errors.push(err),
      })
      const before = echo.connections.length
      const socket = net.connect(listener.address.port, '127.0.0.1')
      socket.on('error', () => {})
      await once(socket, 'connect')
      socket.write('ping\n')
      await once(socket, 'data')
      socket.resetAndDestroy()
      const origin = echo.connections[before]
      const closed = await origin?.closed
      await new Promise((resolve) => setTimeout(resolve, 100))
      await listener.close()

      expect(closed?.hadError).toBe(true)
      expect(errors).toEqual([])
    })
  })
})
