import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { LogField } from './log-fields.js'
import type { TunnelLink } from './tunnel-registry.js'

/** How a public request ended. */
export type RequestOutcome =
  /** The answer was delivered whole. */
  | 'complete'
  /** The client went away before the answer was complete. */
  | 'client-aborted'
  /** The tunnel stream was reset mid-answer; the client saw an aborted response. */
  | 'stream-reset'
  /** An upgraded connection ran and closed. */
  | 'upgraded'

/**
 * One public request (or upgrade) from arrival to its single log line: what it was, where
 * it went, and how it ended.
 */
export class RequestRecord {
  readonly reqId = randomUUID()
  readonly startedAt = performance.now()
  readonly kind: 'http' | 'upgrade'
  readonly method: string
  readonly path: string
  readonly clientIp: string
  host = ''
  tunnel: string | undefined
  link: TunnelLink | undefined
  status: number | undefined
  /** `keyway-error` code of a relay answer, or the connector's origin error code. */
  code: string | undefined
  resetCode: number | undefined
  outcome: RequestOutcome | undefined
  user: string | undefined
  app: string | undefined
  /** The access decision that let the request through, when a gate decided. */
  decision: string | undefined
  bytesIn = 0
  bytesOut = 0
  private logged = false

  constructor(kind: 'http' | 'upgrade', method: string, path: string, clientIp: string) {
    this.kind = kind
    this.method = method
    this.path = path
    this.clientIp = clientIp
  }

  /** Writes the request's one log line, once: error for 5xx and resets, info otherwise. */
  log(log: Logger): void {
    if (this.logged) return
    this.logged = true
    const outcome = this.outcome ?? 'complete'
    const fields = {
      [LogField.reqId]: this.reqId,
      [LogField.kind]: this.kind,
      [LogField.host]: this.host,
      [LogField.method]: this.method,
      [LogField.path]: this.path,
      [LogField.status]: this.status,
      [LogField.code]: this.code,
      [LogField.outcome]: outcome,
      [LogField.resetCode]: this.resetCode,
      [LogField.bytesIn]: this.bytesIn,
      [LogField.bytesOut]: this.bytesOut,
      [LogField.durationMs]: Math.round(performance.now() - this.startedAt),
      [LogField.tunnelId]: this.tunnel,
      [LogField.connectionId]: this.link?.connectionId,
      [LogField.connIndex]: this.link?.connIndex,
      [LogField.connectorId]: this.link?.connectorId,
      [LogField.clientIp]: this.clientIp,
      [LogField.user]: this.user,
      [LogField.app]: this.app,
    }
    const failed = (this.status ?? 0) >= 500 || outcome === 'stream-reset'
    if (failed) log.error(fields, 'request')
    else log.info(fields, 'request')
  }
}
