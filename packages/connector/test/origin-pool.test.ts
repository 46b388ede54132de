import { execFileSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import * as http from 'node:http'
import * as https from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OriginErrorCode } from '@keyway/protocol'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startHandler, type HandlerHarness } from './support/handler-harness.js'
import { readAll } from './support/streams.js'

let dir: string
let harness: HandlerHarness | undefined
const servers: Array<http.Server | https.Server> = []

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'keyway-origin-'))
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-days', '1', '-subj', '/CN=origin.internal', '-addext', 'subjectAltName=DNS:origin.internal',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'ignore' })
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

afterEach(async () => {
  await harness?.close()
  harness = undefined
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    server.close()
  }
})

const answerWithScheme: http.RequestListener = (req, res) => {
  res.end(`${'encrypted' in req.socket ? 'https' : 'http'} ${req.url}`)
}

async function httpsOrigin(): Promise<number> {
  const server = https.createServer(
    { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
    answerWithScheme,
  )
  servers.push(server)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return (server.address() as AddressInfo).port
}

describe('OriginPool', () => {
  it('reaches an origin on a unix socket', async () => {
    const socketPath = join(dir, 'origin.sock')
    const server = http.createServer(answerWithScheme)
    servers.push(server)
    server.listen(socketPath)
    await once(server, 'listening')
    harness = await startHandler({ ingress: [{ service: `unix:${socketPath}` }] })

    const stream = harness.open({ target: '/over-unix' })
    const body = await readAll(stream.data)

    expect(body.toString()).toBe('http /over-unix')
  })

  it('refuses an https origin whose certificate it cannot verify', async () => {
    const port = await httpsOrigin()
    harness = await startHandler({ ingress: [{ service: `https://127.0.0.1:${port}` }] })

    const stream = harness.open({})
    const reply = await stream.reply
    await readAll(stream.data)

    expect(reply.status).toBe(502)
    expect(reply.error?.code).toBe(OriginErrorCode.tls)
  })

  it('accepts that certificate with noTLSVerify', async () => {
    const port = await httpsOrigin()
    harness = await startHandler({
      ingress: [{ service: `https://127.0.0.1:${port}`, originRequest: { noTLSVerify: true } }],
    })

    const first = await readAll(harness.open({ target: '/a' }).data)
    const second = await readAll(harness.open({ target: '/b' }).data)

    expect(first.toString()).toBe('https /a')
    expect(second.toString()).toBe('https /b')
  })

  it('reports an unknown host name as unreachable', async () => {
    harness = await startHandler({ ingress: [{ service: 'http://no-such-host.invalid:8080' }] })

    const stream = harness.open({})
    const reply = await stream.reply
    await readAll(stream.data)

    expect(reply.status).toBe(502)
    expect(reply.error?.code).toBe(OriginErrorCode.unreachable)
  })

  it('answers 400 when the head carries a header Node cannot send', async () => {
    const server = http.createServer(answerWithScheme)
    servers.push(server)
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as AddressInfo
    harness = await startHandler({ ingress: [{ service: `http://127.0.0.1:${port}` }] })

    const stream = harness.open({ headers: [['Host', 'app.test'], ['Bad Name', 'x']] })
    const reply = await stream.reply
    await readAll(stream.data)

    expect(reply.status).toBe(400)
    expect(reply.error?.code).toBe(OriginErrorCode.badRequest)
  })
})
