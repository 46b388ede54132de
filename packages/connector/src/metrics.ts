import { Counter, Gauge, Registry } from 'prom-client'

/**
 * The connector's Prometheus metrics, in a registry of their own so that embedding the
 * connector never touches prom-client's global registry.
 */
export class ConnectorMetrics {
  readonly registry = new Registry()

  /** Tunnel connections, by state (`connected`, `registered`). */
  readonly connections = new Gauge({
    name: 'keyway_connector_connections',
    help: 'Tunnel connections to relays, by state.',
    labelNames: ['state'] as const,
    registers: [this.registry],
  })

  readonly activeStreams = new Gauge({
    name: 'keyway_connector_active_streams',
    help: 'Streams currently being served.',
    registers: [this.registry],
  })

  readonly requests = new Counter({
    name: 'keyway_connector_requests_total',
    help: 'Streams served, by kind (http, upgrade, tcp) and answered status.',
    labelNames: ['kind', 'status'] as const,
    registers: [this.registry],
  })

  readonly originErrors = new Counter({
    name: 'keyway_connector_origin_errors_total',
    help: 'Failures to reach or finish with an origin, by error code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  })

  readonly bytes = new Counter({
    name: 'keyway_connector_bytes_total',
    help: 'Body and TCP bytes carried, by direction (in: towards the origin, out: back).',
    labelNames: ['direction'] as const,
    registers: [this.registry],
  })

  readonly dials = new Counter({
    name: 'keyway_connector_dials_total',
    help: 'Attempts to connect to a relay, by outcome.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  })

  constructor() {
    this.bytes.inc({ direction: 'in' }, 0)
    this.bytes.inc({ direction: 'out' }, 0)
    this.connections.set({ state: 'connected' }, 0)
    this.connections.set({ state: 'registered' }, 0)
  }

  /** The metrics in Prometheus text format. */
  render(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }
}
