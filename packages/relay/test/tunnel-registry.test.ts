import { EventEmitter } from 'node:events'
import type { MuxSession } from '@keyway/protocol'
import { describe, expect, it } from 'vitest'
import { InMemoryTunnelRegistry, type TunnelLink } from '../src/tunnel-registry.js'

/** A stand-in session: only the state the registry reads. */
function fakeLink(id: string, tunnel = 'app', state: Partial<MuxSession> = {}): TunnelLink {
  const mux = Object.assign(new EventEmitter(), {
    draining: false,
    closed: false,
    activeStreams: 0,
    ...state,
  }) as unknown as MuxSession
  return { connectionId: id, tunnel, connectorId: `c-${id}`, connIndex: 0, mux, registeredAt: 0 }
}

describe('InMemoryTunnelRegistry', () => {
  describe('#pick', () => {
    it('returns undefined for a tunnel without connections', () => {
      const registry = new InMemoryTunnelRegistry({ maxStreamsPerConnection: 10 })

      expect(registry.pick('app')).toBeUndefined()
    })

    it('prefers the connection with the fewest open streams', () => {
      const registry = new InMemoryTunnelRegistry({ maxStreamsPerConnection: 10 })
      registry.add(fakeLink('busy', 'app', { activeStreams: 5 }))
      registry.add(fakeLink('quiet', 'app', { activeStreams: 1 }))

      expect(registry.pick('app')?.connectionId).toBe('quiet')
      expect(registry.pick('app')?.connectionId).toBe('quiet')
    })

    it('rotates among equally loaded connections', () => {
      const registry = new InMemoryTunnelRegistry({ maxStreamsPerConnection: 10 })
      for (const id of ['a', 'b', 'c']) registry.add(fakeLink(id))
      const picked = new Set(Array.from({ length: 6 }, () => registry.pick('app')?.connectionId))

      expect(picked).toEqual(new Set(['a', 'b', 'c']))
    })

    it('skips draining and closed connections', () => {
      const registry = new InMemoryTunnelRegistry({ maxStreamsPerConnection: 10 })
      registry.add(fakeLink('draining', 'app', { draining: true }))
      registry.add(fakeLink('closed', 'app', { closed: true }))
      registry.add(fakeLink('live', 'app', { activeStreams: 9 }))

      for (let i = 0; i < 4; i++) expect(registry.pick('app')?.connectionId).toBe('live')
    })

    it('skips connections at the stream limit', () => {
      const registry = new InMemoryTunnelRegistry({ maxStreamsPerConnection: 3 })
      registry.add(fakeLink('full', 'app', { activeStreams: 3 }))

      expect(registry.pick('app')).toBeUndefined()
      expect(registry.list('app')).toHaveLength(1)
    })

    it('never picks a connection of another tunnel', () => {
      const registry = new InMemoryTunnelRegistry({ maxStreamsPerConnection: 3 })
      registry.add(fakeLink('other', 'other'))

      expect(registry.pick('app')).toBeUndefined()
    })
  })

  describe('#remove', () => {
    it('forgets the connection', () => {
      const registry = new InMemoryTunnelRegistry({ maxStreamsPerConnection: 3 })
      const link = fakeLink('a')
      registry.add(link)
      registry.remove(link)

      expect(registry.pick('app')).toBeUndefined()
      expect(registry.list()).toEqual([])
    })
  })
})
