import { once } from 'node:events'
import * as http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { loopbackLookup, type EchoReply } from '@keyway/testkit'
import type { GateDecision, GateRequest, RequestGate } from '../src/gate.js'
import { send, waitFor } from './support/client.js'
import { startTunnel, type TunnelHarness } from './support/tunnel-harness.js'

/** A gate whose decision each test sets; it records what it was asked. */
class ScriptedGate implements RequestGate {
  seen: GateRequest[] = []
  decision: (request: GateRequest) => GateDecision = () => ({ action: 'forward' })
  /** When set, decisions wait for it. */
  hold: Promise<void> | undefined

  async decide(request: GateRequest): Promise<GateDecision> {
    this.seen.push(request)
    await this.hold
    return this.decision(request)
  }
}

describe('PublicFront with an access gate', () => {
  let h: TunnelHarness
  let port: number
  const gate = new ScriptedGate()

  beforeAll(async () => {
    h = await startTunnel({ gate })
    port = h.relay.publicAddress.port
  })
  afterAll(async () => {
    await h?.close()
  })

  it('logs no public-routes warning', () => {
    expect(h.relayLog.lines().some((line) => String(line.msg).includes('public'))).toBe(false)
  })

  it('forwards with the gate headers after removing client-sent access headers', async () => {
    gate.decision = () => ({
      action: 'forward',
      addHeaders: [['Keyway-Access-Authenticated-User-Email', 'ada@example.com']],
      identity: { user: 'ada@example.com', app: 'app' },
    })
    const res = await send(port, {
      path: '/gated?q=1',
      headers: ['Keyway-Access-Authenticated-User-Email', 'mallory@example.com'],
    })
    const echo = JSON.parse(res.body.toString()) as EchoReply
    const access = echo.headers.filter(([name]) => name.toLowerCase().startsWith('keyway-access-'))
    const asked = gate.seen.find((request) => request.path === '/gated?q=1')

    expect(access).toEqual([['Keyway-Access-Authenticated-User-Email', 'ada@example.com']])
    expect(asked).toMatchObject({ host: 'app.test', tunnel: 'app', kind: 'http', proto: 'http' })
    expect(asked?.clientIp).toBe('127.0.0.1')
    const line = () => h.relayLog.find('request').find((entry) => entry.path === '/gated?q=1')
    await waitFor(() => line() !== undefined)
    expect(line()).toMatchObject({ user: 'ada@example.com', app: 'app', status: 200 })
  })

  it('drops the client-sent headers the gate removes', async () => {
    gate.decision = () => ({
      action: 'forward',
      removeHeaders: ['cookie'],
      addHeaders: [['Cookie', 'theme=dark']],
    })
    const res = await send(port, {
      path: '/cookie-clean',
      headers: ['Cookie', 'keyway_session=s3cret; theme=dark', 'X-Other', 'kept'],
    })
    const echo = JSON.parse(res.body.toString()) as EchoReply
    const cookies = echo.headers.filter(([name]) => name.toLowerCase() === 'cookie')

    expect(cookies).toEqual([['Cookie', 'theme=dark']])
    expect(echo.headers).toContainEqual(['X-Other', 'kept'])
  })

  it('forwards nothing for a client that left while the gate decided', async () => {
    let release = () => {}
    gate.hold = new Promise((resolve) => {
      release = resolve
    })
    gate.decision = () => ({ action: 'forward' })
    const req = http.get({ port, host: '127.0.0.1', path: '/left-early',
      headers: { host: 'app.test' }, agent: false })
    req.on('error', () => {})
    await waitFor(() => gate.seen.some((request) => request.path === '/left-early'))
    req.destroy()
    const line = () => h.relayLog.find('request').find((entry) => entry.path === '/left-early')
    await waitFor(() => line() !== undefined)
    release()
    gate.hold = undefined
    await send(port, { path: '/after-left-early' })

    expect(h.origin.requests.map((request) => request.url)).toContain('/after-left-early')
    expect(h.origin.requests.map((request) => request.url)).not.toContain('/left-early')
  })

  it('answers what the gate says without forwarding', async () => {
    gate.decision = () => ({
      action: 'respond',
      status: 302,
      headers: [['Location', 'https://auth.test/login']],
    })
    const res = await send(port, { path: '/denied' })

    expect(res.status).toBe(302)
    expect(res.headers.location).toBe('https://auth.test/login')
    expect(h.origin.requests.some((request) => request.url === '/denied')).toBe(false)
  })

  it('asks the gate about hosts without a tunnel, so it can serve them', async () => {
    gate.decision = (request) =>
      request.tunnel === undefined
        ? { action: 'respond', status: 200, body: 'login page' }
        : { action: 'forward' }
    const res = await send(port, { host: 'auth.test', path: '/login' })

    expect(res.status).toBe(200)
    expect(res.body.toString()).toBe('login page')
  })

  it('lets the gate write the answer itself', async () => {
    gate.decision = (request) => {
      request.res?.writeHead(401, { 'content-type': 'text/plain' }).end('who are you?')
      return { action: 'handled' }
    }
    const res = await send(port, { path: '/handled' })

    expect(res.status).toBe(401)
    expect(res.body.toString()).toBe('who are you?')
  })

  it('answers 500 and never forwards when the gate throws', async () => {
    gate.decision = () => {
      throw new Error('policy store down')
    }
    const res = await send(port, { path: '/gate-fails' })

    expect(res.status).toBe(500)
    expect(res.headers['keyway-error']).toBe('ERR_GATE_FAILED')
    expect(h.origin.requests.some((request) => request.url === '/gate-fails')).toBe(false)
    expect(h.relayLog.find('access gate failed')).toHaveLength(1)
  })

  it('asks the gate about upgrades and writes its refusal on the socket', async () => {
    gate.decision = (request) =>
      request.kind === 'upgrade'
        ? { action: 'respond', status: 403, body: 'no websockets for you' }
        : { action: 'forward' }
    const ws = new WebSocket(`ws://app.test:${port}/ws`, { lookup: loopbackLookup })
    ws.on('error', () => {})
    const [, res] = (await once(ws, 'unexpected-response')) as [unknown, http.IncomingMessage]
    const chunks: Buffer[] = []
    res.on('data', (chunk: Buffer) => chunks.push(chunk))
    await once(res, 'end')

    expect(res.statusCode).toBe(403)
    expect(Buffer.concat(chunks).toString()).toBe('no websockets for you')
  })
})
