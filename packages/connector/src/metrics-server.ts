import { once } from 'node:events'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { ConnectorError, ConnectorErrorCode } from './errors.js'
import { LogField } from './log-fields.js'
import type { ConnectorMetrics } from './metrics.js'

/** The body of `/ready`. */
export interface ReadinessReport {
  readyConnections: number
  connectorId: string
}

/** Options for {@link startMetricsServer}. */
export interface MetricsServerOptions {
  host: string
  /** 0 picks a free port; read it back from `address`. */
  port: number
  metrics: ConnectorMetrics
  readiness: () => ReadinessReport
  logger?: Logger
}

/** A running metrics and readiness server. */
export interface MetricsServer {
  readonly address: { host: string; port: number }
  close(): Promise<void>
}

/**
 * Starts the local HTTP server with `/ready` (200 with {@link ReadinessReport} once at
 * least one tunnel connection is registered, 503 with the same body before) and
 * `/metrics` (Prometheus text).
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    handleRequest(options, req, res).catch((err: unknown) => {
      options.logger?.error({ [LogField.err]: err }, 'metrics request failed')
      if (!res.headersSent) res.writeHead(500)
      res.end()
    })
  })
  server.requestTimeout = 10_000
  server.headersTimeout = 5_000
  server.keepAliveTimeout = 5_000

  server.listen(options.port, options.host)
  try {
    await once(server, 'listening')
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message
    throw new ConnectorError(ConnectorErrorCode.configInvalid, `cannot listen on "metrics" ` +
      `${options.host}:${options.port} (${reason}); choose another address, or port 0 for a ` +
      `free one`, { cause: err })
  }
  const bound = server.address() as AddressInfo
  options.logger?.info({ host: bound.address, port: bound.port }, 'metrics server listening')
  return {
    address: Object.freeze({ host: bound.address, port: bound.port }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

async function handleRequest(
  options: MetricsServerOptions,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end()
    return
  }
  if (path === '/ready') {
    const report = options.readiness()
    const body = JSON.stringify(report)
    res.writeHead(report.readyConnections > 0 ? 200 : 503, {
      'content-type': 'application/json',
      'cache-control': 'no-store',
    })
    res.end(body)
    return
  }
  if (path === '/metrics') {
    const text = await options.metrics.render()
    res.writeHead(200, { 'content-type': options.metrics.contentType })
    res.end(text)
    return
  }
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; try /ready or /metrics\n')
}
