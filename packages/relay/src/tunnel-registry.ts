import type { MuxSession } from '@keyway/protocol'

/** One registered tunnel connection, as the registry and the proxies see it. */
export interface TunnelLink {
  readonly connectionId: string
  readonly tunnel: string
  readonly connectorId: string
  /** The connector's own number for this connection (`keyway-conn-index`). */
  readonly connIndex: number | undefined
  readonly mux: MuxSession
  readonly registeredAt: number
}

/**
 * Which connector connections serve which tunnel. Kept behind this interface so a shared
 * store can replace the in-memory one when several relays serve one address.
 */
export interface TunnelRegistry {
  add(link: TunnelLink): void
  remove(link: TunnelLink): void
  /**
   * A live connection of `tunnel` that may take one more stream (not draining, below the
   * stream limit), or undefined.
   */
  pick(tunnel: string): TunnelLink | undefined
  /** The registered connections of `tunnel`, or of every tunnel. */
  list(tunnel?: string): readonly TunnelLink[]
}

/** Whether a link can take new streams at all (not closed, not draining). */
export function isLive(link: TunnelLink): boolean {
  return !link.mux.closed && !link.mux.draining
}

/**
 * The registry of one relay process. `pick` chooses the live connection with the fewest
 * open streams, rotating among equals so that idle connections share the load.
 */
export class InMemoryTunnelRegistry implements TunnelRegistry {
  private readonly byTunnel = new Map<string, TunnelLink[]>()
  private readonly maxStreamsPerConnection: number
  private turn = 0

  constructor(options: { maxStreamsPerConnection: number }) {
    this.maxStreamsPerConnection = options.maxStreamsPerConnection
  }

  add(link: TunnelLink): void {
    const links = this.byTunnel.get(link.tunnel) ?? []
    if (!links.includes(link)) links.push(link)
    this.byTunnel.set(link.tunnel, links)
  }

  remove(link: TunnelLink): void {
    const links = this.byTunnel.get(link.tunnel)
    if (links === undefined) return
    const rest = links.filter((entry) => entry !== link)
    if (rest.length === 0) this.byTunnel.delete(link.tunnel)
    else this.byTunnel.set(link.tunnel, rest)
  }

  pick(tunnel: string): TunnelLink | undefined {
    const links = this.byTunnel.get(tunnel)
    if (links === undefined || links.length === 0) return undefined
    this.turn = (this.turn + 1) % links.length
    let best: TunnelLink | undefined
    for (let i = 0; i < links.length; i++) {
      const link = links[(this.turn + i) % links.length] as TunnelLink
      if (!isLive(link)) continue
      const streams = link.mux.activeStreams
      if (streams >= this.maxStreamsPerConnection) continue
      if (best === undefined || streams < best.mux.activeStreams) best = link
    }
    return best
  }

  list(tunnel?: string): readonly TunnelLink[] {
    if (tunnel !== undefined) return [...(this.byTunnel.get(tunnel) ?? [])]
    return [...this.byTunnel.values()].flat()
  }
}
