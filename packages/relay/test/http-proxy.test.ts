import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { patternBytes } from '@keyway/testkit'
import { linesOf, send } from './support/client.js'
import { startTunnel, type TunnelHarness } from './support/tunnel-harness.js'

describe('forwardHttp', () => {
  let h: TunnelHarness

  beforeAll(async () => {
    h = await startTunnel()
  })
  afterAll(async () => {
    await h?.close()
  })

  it('carries a GET to the origin and its JSON answer back', async () => {
    const res = await send(h.relay.publicAddress.port, { path: '/hello?x=1' })
    expect(res.status).toBe(200)
    const echo = JSON.parse(res.body.toString())
    expect(echo.method).toBe('GET')
    expect(echo.url).toBe('/hello?x=1')
  })
})
