import { createServer, type AddressInfo } from 'node:net'

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { request, stopAll, tempDir, type ProcessHandle, type TempDir } from '@keyway/testkit'

import { runKeyway, startKeyway, writeFile } from '../support/keyway.js'
import { startTunnel, type RunningTunnel } from '../support/tunnel-setup.js'

const logged = (handle: ProcessHandle, msg: string) =>
  handle.waitForJsonLine((line) => line['msg'] === msg)

let dir: TempDir
let config: string

beforeAll(() => {
  dir = tempDir('keyway-cli-run-')
  // Port 9 (discard) refuses on loopback: the connector keeps redialling, never connects.
  config = writeFile(
    dir.path,
    'connector.yaml',
    'relay: ws://127.0.0.1:9\ningress:\n  - service: hello_world\n',
  )
})

let tunnel: RunningTunnel | undefined

afterEach(async () => {
  await stopAll()
  await tunnel?.held.origin.close()
  tunnel = undefined
})

afterAll(async () => {
  await dir.remove()
})

describe('keyway tunnel run', () => {
  describe('token', () => {
    it('exits 1 with the ways to pass a token when none is given', async () => {
      const result = await runKeyway(['tunnel', 'run', '--config', config])

      expect(result.code).toBe(1)
      expect(result.stdout).toBe('')
      expect(result.stderr).toBe(
        'error: no tunnel token given: pass "--token-file FILE" (preferred), "--token TOKEN" ' +
          'or set KEYWAY_TUNNEL_TOKEN; print one on the relay host with ' +
          '"keyway tunnel token NAME --config relay.yaml"',
      )
    })

    it('exits 1 naming a token file that cannot be read', async () => {
      const missing = `${dir.path}/missing.token`
      const result = await runKeyway(['tunnel', 'run', '-c', config, '--token-file', missing])

      expect(result.code).toBe(1)
      expect(result.stderr).toBe(
        `error: cannot read the token file ${missing} (ENOENT); check the path and its ` +
          'permissions',
      )
    })

    it('exits 1 for an empty token file', async () => {
      const empty = writeFile(dir.path, 'empty.token', '\n')
      const result = await runKeyway(['tunnel', 'run', '-c', config, '--token-file', empty])

      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/^error: the token file .*empty\.token is empty; /)
    })

    it('reads the token file without its trailing newline and never logs the token', async () => {
      const secret = 'keyway1.demo.c2VjcmV0LXZhbHVlLWZvci10ZXN0'
      const file = writeFile(dir.path, 'demo.token', `${secret}\n`)
      const connector = startKeyway(['tunnel', 'run', '-c', config, '--token-file', file])

      const starting = await logged(connector, 'connector starting')
      await logged(connector, 'reconnecting')

      expect(starting['tunnelId']).toBe('demo')
      expect(connector.output()).not.toContain('c2VjcmV0')
    })

    it('takes the token from KEYWAY_TUNNEL_TOKEN', async () => {
      const connector = startKeyway(['tunnel', 'run', '-c', config], {
        env: { KEYWAY_TUNNEL_TOKEN: 'keyway1.fromenv.abc' },
      })

      const starting = await logged(connector, 'connector starting')

      expect(starting['tunnelId']).toBe('fromenv')
    })
  })

  describe('config', () => {
    it('exits 1 with the config problems before dialling', async () => {
      const bad = writeFile(dir.path, 'bad.yaml', 'relay: ws://127.0.0.1:9\ningres: []\n')
      const result = await runKeyway(['tunnel', 'run', '-c', bad, '--token', 'keyway1.a.b'])

      expect(result.code).toBe(1)
      expect(result.stdout).toBe('')
      expect(result.stderr).toContain(
        `${bad}: "ingres" is not a known key; did you mean "ingress"?`,
      )
    })

    it('exits 1 in one line naming "metrics" when its address is taken', async () => {
      const taken = createServer()
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
      const port = (taken.address() as AddressInfo).port
      const busy = writeFile(dir.path, 'busy-metrics.yaml',
        `relay: ws://127.0.0.1:9\nmetrics: 127.0.0.1:${port}\ningress:\n  - service: hello_world\n`)
      const result = await runKeyway(['tunnel', 'run', '-c', busy, '--token', 'keyway1.a.b'])
      taken.close()

      expect(result.code).toBe(1)
      expect(result.stderr.trim()).toBe(`error: cannot listen on "metrics" 127.0.0.1:${port} ` +
        '(EADDRINUSE); choose another address, or port 0 for a free one')
      expect(result.stdout).not.toContain('connector starting')
    })

    it('exits 2 for a grace period that is not a number', async () => {
      const args = ['tunnel', 'run', '-c', config, '--token', 'keyway1.a.b', '--grace-period', 'x']
      const result = await runKeyway(args)

      expect(result.code).toBe(2)
      expect(result.stderr).toContain("option '--grace-period <ms>' argument 'x' is invalid")
    })
  })

  describe('signals', () => {
    it.each(['SIGTERM', 'SIGINT'] as const)('drains on %s and exits 0', async (signal) => {
      const connector = startKeyway([
        ...['tunnel', 'run', '-c', config],
        ...['--token', 'keyway1.a.b', '--grace-period', '500'],
      ])
      await logged(connector, 'connector starting')

      connector.kill(signal)
      const exit = await connector.waitForExit()

      expect(exit.code).toBe(0)
      const draining = await logged(connector, 'connector draining')
      expect(draining['gracePeriodMs']).toBe(500)
      await logged(connector, 'stopped')
    })

    it('keeps running on SIGHUP and says that nothing was reloaded', async () => {
      const connector = startKeyway([...['tunnel', 'run', '-c', config], '--token', 'keyway1.a.b'])
      await logged(connector, 'connector starting')

      connector.kill('SIGHUP')
      const warning = await logged(connector, 'nothing reloaded: the connector reads its ' +
        'config at start; restart it (SIGTERM drains first) to apply changes')

      expect(warning['file']).toBe(config)
      expect(connector.running).toBe(true)
      connector.kill('SIGTERM')
      expect((await connector.waitForExit()).code).toBe(0)
    })
  })

  describe('through a relay', () => {
    it('serves a public request from the origin', async () => {
      tunnel = await startTunnel(dir.path)

      const response = await request(`${tunnel.url}/hello`)

      expect(response.status).toBe(200)
      expect(response.text()).toBe('ok')
    })

    it('lets a request under way finish after SIGTERM, then exits 0', async () => {
      tunnel = await startTunnel(dir.path)
      const { connector, held } = tunnel
      const response = request(`${tunnel.url}/held`)
      await held.arrived

      connector.kill('SIGTERM')
      const draining = await logged(connector, 'connector draining')
      held.release('finished while draining')

      expect(draining['activeStreams']).toBe(1)
      expect((await response).text()).toBe('finished while draining')
      expect((await connector.waitForExit()).code).toBe(0)
      await logged(connector, 'connector drained')
    })

    it('exits 130 at once on a second signal while a request is under way', async () => {
      tunnel = await startTunnel(dir.path)
      const { connector, held } = tunnel
      const response = request(`${tunnel.url}/held`).catch((err: unknown) => err)
      await held.arrived

      connector.kill('SIGINT')
      await logged(connector, 'connector draining')
      connector.kill('SIGINT')

      expect((await connector.waitForExit(5_000)).code).toBe(130)
      // The relay answers for the connection that vanished under the request.
      expect(await response).toMatchObject({ status: 502 })
    })
  })
})
