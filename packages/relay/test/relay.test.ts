import * as http from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { startRelay } from '../src/relay.js'
import { send, waitFor } from './support/client.js'
import { startTunnel, type TunnelHarness } from './support/tunnel-harness.js'

describe('startRelay', () => {
  let h: TunnelHarness | undefined

  afterEach(async () => {
    await h?.close()
    h = undefined
  })

  it('logs relay listening with both URLs and warns that routes are public', async () => {
    h = await startTunnel({ connector: false })
    const [listening] = h.relayLog.find('relay listening')
    const warning = h.relayLog.lines().find((line) => line.level === 40)

    expect(listening?.publicUrl).toBe(`http://127.0.0.1:${h.relay.publicAddress.port}`)
    expect(listening?.tunnelUrl).toBe(
      `ws://127.0.0.1:${h.relay.tunnelAddress.port}/_keyway/tunnel`,
    )
    expect(h.relay.publicAddress.port).toBeGreaterThan(0)
    expect(warning?.msg).toBe('no access gate configured: every route is public')
  })

  it('answers 503 once every connection of the tunnel is at its stream limit', async () => {
    h = await startTunnel({ limits: { maxStreamsPerConnection: 1 } })
    const harness = h
    await waitFor(() => harness.relay.registry.list('app').length === 2)
    const port = h.relay.publicAddress.port
    const hung = [1, 2].map((i) => {
      const req = http.get({ port, host: '127.0.0.1', path: `/hang?n=${i}`,
        headers: { host: 'app.test' }, agent: false })
      req.on('error', () => {})
      return req
    })
    await harness.origin.waitForRequest((r) => r.url === '/hang?n=1')
    await harness.origin.waitForRequest((r) => r.url === '/hang?n=2')

    const res = await send(port, { path: '/one-too-many' })
    for (const req of hung) req.destroy()

    expect(res.status).toBe(503)
    expect(res.headers['keyway-error']).toBe('ERR_TUNNEL_BUSY')
  })

  it('gets its connector back after a restart on the same ports', async () => {
    h = await startTunnel()
    const harness = h
    const { publicAddress, tunnelAddress } = h.relay
    await h.relay.close()

    h.relay = await startRelay({
      config: { ...h.config, listen: publicAddress, tunnelListen: tunnelAddress },
      logger: h.relayLog.logger,
    })
    await waitFor(() => harness.relay.registry.list('app').length === 2, 10_000)
    const res = await send(publicAddress.port, { path: '/after-restart' })

    expect(res.status).toBe(200)
  })

  describe('#close', () => {
    it('cuts a drain short: requests under way end at once', async () => {
      h = await startTunnel({ gracePeriodMs: 60_000 })
      const port = h.relay.publicAddress.port
      const hanging = send(port, { path: '/hang?close=1' }).then(
        () => 'complete',
        () => 'cut',
      )
      await h.origin.waitForRequest((r) => r.url === '/hang?close=1')

      const drained = h.relay.drain()
      await h.relay.close()
      await drained

      expect(await hanging).toBe('cut')
      expect(h.relayLog.find('relay drained')).toHaveLength(1)
    })
  })

  describe('#drain', () => {
    it('lets a request under way finish, then refuses new connections', async () => {
      h = await startTunnel({ gracePeriodMs: 10_000 })
      const port = h.relay.publicAddress.port
      const slow = send(port, { path: '/slow?chunks=4&intervalMs=100' })
      await h.origin.waitForRequest((r) => r.url.startsWith('/slow'))

      const drained = h.relay.drain()
      const res = await slow
      await drained
      const refused = await send(port, { path: '/late' }).then(
        () => 'answered',
        (err: NodeJS.ErrnoException) => err.code,
      )

      expect(res.status).toBe(200)
      expect(res.body.toString()).toBe('chunk 0\nchunk 1\nchunk 2\nchunk 3\n')
      expect(refused).toBe('ECONNREFUSED')
      expect(h.relayLog.find('relay drained')).toHaveLength(1)
    })

    it('cuts requests still under way when the grace period ends', async () => {
      h = await startTunnel()
      const port = h.relay.publicAddress.port
      const hanging = send(port, { path: '/hang?drain=1' }).then(
        () => 'complete',
        () => 'cut',
      )
      await h.origin.waitForRequest((r) => r.url === '/hang?drain=1')

      await h.relay.drain(200)

      expect(await hanging).toBe('cut')
      expect(h.relayLog.find('grace period over; cutting requests')).toHaveLength(1)
    })
  })
})
