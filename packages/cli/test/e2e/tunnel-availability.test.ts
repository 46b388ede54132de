import { afterEach, describe, expect, it } from 'vitest'
import { request, stopAll } from '@keyway/testkit'

import { openRequest, responseOf } from './support/clients.js'
import {
  delay,
  jsonLines,
  logged,
  rssBytes,
  waitForLog,
  writeFile,
} from './support/keyway-process.js'
import { restartRelay, startConnector, type RelayProcess } from './support/stack.js'
import { startTunnelFixture, type TunnelFixture } from './support/tunnel-fixture.js'

const MiB = 1024 * 1024
let fx: TunnelFixture | undefined
let restarted: RelayProcess | undefined

afterEach(async () => {
  await stopAll()
  await fx?.origin.close()
  await fx?.dir.remove()
  fx = undefined
  restarted = undefined
})

function url(fixture: TunnelFixture, path: string): string {
  return fixture.relay.url('web.localhost', path)
}

/** The connector ids the relay logged as carrying requests to `path`. */
function carriers(relay: RelayProcess, path: string): Set<unknown> {
  return new Set(
    jsonLines(relay.handle)
      .filter((line) => line['msg'] === 'request' && line['path'] === path)
      .map((line) => line['connectorId']),
  )
}

describe('several connections and connectors', () => {
  it('keeps haConnections registered and reports them on /ready and /metrics', async () => {
    fx = await startTunnelFixture({ haConnections: 2 })

    const ready = await fx.connector.ready()
    const metrics = await fetch(`${fx.connector.metricsUrl}/metrics`)
    const text = await metrics.text()

    expect(ready).toMatchObject({ status: 200, readyConnections: 2 })
    expect(ready.connectorId).toMatch(/\S/)
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(text).toMatch(/^# TYPE \S+ (gauge|counter)$/m)
    expect(logged(fx.relay.handle, 'tunnel registered')).toHaveLength(2)
  })

  it('serves one tunnel from two connector processes, and from the other at once when one dies',
    async () => {
      fx = await startTunnelFixture({ haConnections: 1 })
      const second = await startConnector({
        dir: fx.dir.path,
        relays: [fx.relay.tunnelUrl],
        tokenFile: fx.token.file,
        ingress: [{ service: fx.origin.url }],
        name: 'connector-2',
      })
      for (let i = 0; i < 20; i++) {
        expect((await request(url(fx, '/shared'))).status).toBe(200)
      }
      const ids = [await fx.connector.connectorId(), await second.connectorId()]
      expect([...carriers(fx.relay, '/shared')].sort()).toEqual([...ids].sort())

      process.kill(fx.connector.pid, 'SIGKILL')
      await fx.connector.handle.waitForExit()
      const after: number[] = []
      for (let i = 0; i < 20; i++) after.push((await request(url(fx, '/after'))).status)

      expect(after).toEqual(Array.from({ length: 20 }, () => 200))
      expect([...carriers(fx.relay, '/after')]).toEqual([ids[1]])
    })
})

describe('reconnection', () => {
  it('has the connector back after the relay restarts on the same ports', async () => {
    fx = await startTunnelFixture({ haConnections: 2 })
    const { relay, connector } = fx

    await relay.handle.stop()
    const firstOutage = waitForLog(connector.handle, 'tunnel disconnected')
      .catch(() => undefined)
    restarted = await restartRelay(relay, { name: 'relay-again' })
    await firstOutage
    await connector.waitReady(2, 15_000)

    const answer = await request(restarted.url('web.localhost', '/back'))
    expect(answer.status).toBe(200)
    expect(logged(restarted.handle, 'tunnel registered')).toHaveLength(2)
  })

  it('keeps retrying with a bad token, and says why on both sides without the token', async () => {
    fx = await startTunnelFixture()
    const badToken = 'keyway1.web.' + 'A'.repeat(43)
    const tokenFile = writeFile(fx.dir.path, 'bad.token', `${badToken}\n`)
    const bad = await startConnector({
      dir: fx.dir.path,
      relays: [fx.relay.tunnelUrl],
      tokenFile,
      ingress: [{ service: fx.origin.url }],
      name: 'bad-connector',
      waitReady: 0,
    })

    await waitForLog(bad.handle, 'tunnel token rejected')
    const since = bad.handle.lines().length
    await waitForLog(bad.handle, 'tunnel token rejected', { since, timeoutMs: 20_000 })
    await waitForLog(fx.relay.handle, 'tunnel dial refused', { fields: { status: 401 } })

    expect(bad.handle.running).toBe(true)
    expect((await bad.ready()).status).toBe(503)
    // The refusal is logged once per dial, without a second "dial failed" line and stack.
    expect(logged(bad.handle, 'tunnel dial failed')).toHaveLength(0)
    expect(bad.handle.output('stdout') + bad.handle.output('stderr')).not.toContain('A'.repeat(43))
    expect(fx.relay.handle.output('stdout') + fx.relay.handle.output('stderr'))
      .not.toContain('A'.repeat(43))
  })
})

describe('backpressure', () => {
  it('holds a 1 GiB download for a paused client within tens of MiB, then delivers it all',
    async () => {
      fx = await startTunnelFixture()
      const { relay, connector } = fx
      const total = 1024 * MiB
      const before = rssBytes(relay.pid) + rssBytes(connector.pid)

      const req = openRequest(url(fx, `/bytes/${total}`))
      req.end()
      const res = await responseOf(req)
      res.pause()
      let peak = 0
      for (let i = 0; i < 10; i++) {
        await delay(200)
        peak = Math.max(peak, rssBytes(relay.pid) + rssBytes(connector.pid))
      }
      let received = 0
      res.on('data', (chunk: Buffer) => {
        received += chunk.length
      })
      res.resume()
      await new Promise<void>((resolve, reject) => {
        res.once('end', resolve)
        res.once('error', reject)
      })

      expect(res.statusCode).toBe(200)
      expect(received).toBe(total)
      expect((peak - before) / MiB).toBeLessThan(64)
    }, 120_000)
})
