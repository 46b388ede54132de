import { randomUUID } from 'node:crypto'
import type { OpenOptions, OutgoingStream, StreamHead } from '@keyway/protocol'
import { ConnectorMetrics } from '../../src/metrics.js'
import { OriginPool } from '../../src/origin-pool.js'
import { StreamHandler } from '../../src/stream-handler.js'
import { validateConnectorConfig } from '../../src/validate-config.js'
import { captureLog, type CapturedLog } from './log-sink.js'
import { openTunnelPair, type TunnelPair } from './tunnel-pair.js'

/** A stream handler serving the connector end of a real tunnel pair. */
export interface HandlerHarness {
  pair: TunnelPair
  metrics: ConnectorMetrics
  log: CapturedLog
  registered: StreamHead[]
  /** Opens a stream from the relay end; the head defaults to `GET /` for `app.test`. */
  open(head: Partial<StreamHead>, options?: OpenOptions): OutgoingStream
  close(): Promise<void>
}

/** Starts a harness whose config has the given `ingress` rules and top-level settings. */
export async function startHandler(settings: Record<string, unknown>): Promise<HandlerHarness> {
  const config = validateConnectorConfig({ relay: 'ws://127.0.0.1:9', ...settings }, 'test.yaml')
  const pair = await openTunnelPair()
  const log = captureLog()
  const metrics = new ConnectorMetrics()
  const pool = new OriginPool()
  const handler = new StreamHandler({
    rules: config.ingress,
    pool,
    metrics,
    connectorId: 'connector-under-test',
  })
  const registered: StreamHead[] = []
  pair.connector.on('stream', (stream) => {
    handler.handle(stream, { log: log.logger, onRegister: (head) => registered.push(head) })
  })

  return {
    pair,
    metrics,
    log,
    registered,
    open(head, options) {
      const full: StreamHead = {
        kind: 'http',
        reqId: randomUUID(),
        host: 'app.test',
        method: 'GET',
        target: '/',
        headers: [['Host', 'app.test']],
        ...head,
      }
      return pair.relay.open(full, options ?? { hasBody: full.hasBody === true })
    },
    close: async () => {
      pool.close()
      await pair.close()
    },
  }
}
