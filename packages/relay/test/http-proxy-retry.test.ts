import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InMemoryTunnelRegistry, type TunnelLink } from '../src/tunnel-registry.js'
import { send } from './support/client.js'
import { openRefusingLink, type RefusingLink } from './support/refusing-link.js'
import { startTunnel, type TunnelHarness } from './support/tunnel-harness.js'

/** A registry that hands out the refusing connection first for each request it is armed for. */
class RefusingFirstRegistry extends InMemoryTunnelRegistry {
  refusing: TunnelLink | undefined
  armed = 0

  override pick(tunnel: string): TunnelLink | undefined {
    if (this.armed > 0 && this.refusing !== undefined) {
      this.armed--
      return this.refusing
    }
    return super.pick(tunnel)
  }
}

describe('forwardHttp when a connector refuses the stream', () => {
  const registry = new RefusingFirstRegistry({ maxStreamsPerConnection: 100 })
  let h: TunnelHarness
  let refusing: RefusingLink

  beforeAll(async () => {
    h = await startTunnel({ registry })
    refusing = await openRefusingLink('app')
    registry.refusing = refusing.link
  })
  afterAll(async () => {
    await refusing?.close()
    await h?.close()
  })

  it('retries a request without a body once on another connection', async () => {
    registry.armed = 1
    const before = refusing.refused()
    const res = await send(h.relay.publicAddress.port, { path: '/retried' })

    expect(refusing.refused()).toBe(before + 1)
    expect(res.status).toBe(200)
    expect(h.origin.requests.filter((r) => r.url === '/retried')).toHaveLength(1)
  })

  it('answers 503 for a request with a body rather than sending it twice', async () => {
    registry.armed = 1
    const res = await send(h.relay.publicAddress.port, {
      method: 'POST',
      path: '/not-retried',
      body: 'once',
    })

    expect(res.status).toBe(503)
    expect(res.headers['keyway-error']).toBe('ERR_TUNNEL_BUSY')
    expect(h.origin.requests.some((r) => r.url === '/not-retried')).toBe(false)
  })
})
