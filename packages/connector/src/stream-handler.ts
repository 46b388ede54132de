import {
  OriginErrorCode,
  ResetCode,
  StreamKind,
  type IncomingStream,
  type StreamHead,
} from '@keyway/protocol'
import type { Logger } from 'pino'
import { respondHello, respondStatus } from './builtin-services.js'
import type { IngressRule } from './config.js'
import { OriginError } from './errors.js'
import { forwardHttp } from './http-proxy.js'
import { matchIngress } from './ingress.js'
import { LogField } from './log-fields.js'
import type { ConnectorMetrics } from './metrics.js'
import { respondOriginError } from './origin-errors.js'
import type { OriginPool } from './origin-pool.js'
import { StreamContext } from './stream-context.js'
import { forwardTcp } from './tcp-proxy.js'
import { forwardUpgrade } from './upgrade-proxy.js'

/** What the stream handler needs; shared by every connection of a connector. */
export interface StreamHandlerOptions {
  readonly rules: readonly IngressRule[]
  readonly pool: OriginPool
  readonly metrics: ConnectorMetrics
  readonly connectorId: string
}

/** The connection a stream arrived on. */
export interface StreamOrigin {
  /** The connection's logger. */
  readonly log: Logger
  /** Called when the relay registers the connection. */
  onRegister(head: StreamHead): void
}

/**
 * Serves the streams the relay opens: registration, HTTP requests, upgrades and TCP
 * sessions. Nothing a stream carries can throw out of here; a failure answers or resets
 * that stream only.
 */
export class StreamHandler {
  private readonly options: StreamHandlerOptions

  constructor(options: StreamHandlerOptions) {
    this.options = options
  }

  /** Serves one stream from `origin`'s connection. */
  handle(stream: IncomingStream, origin: StreamOrigin): void {
    const { head } = stream
    // One child logger per stream: each child() serialises (and redacts) its bindings.
    const bindings = { [LogField.reqId]: head.reqId, [LogField.kind]: head.kind }
    try {
      if (head.kind === StreamKind.register) {
        this.register(stream, origin, origin.log.child(bindings))
      } else {
        this.serve(stream, origin.log, bindings)
      }
    } catch (err) {
      origin.log.error({ ...bindings, [LogField.err]: err }, 'stream handling failed')
      stream.reset(ResetCode.internal)
    }
  }

  private register(stream: IncomingStream, origin: StreamOrigin, log: Logger): void {
    stream.respond({ status: 200, hasBody: false, connectorId: this.options.connectorId })
    stream.data.resume()
    log.debug({ tunnel: stream.head.tunnel, relayId: stream.head.relayId }, 'register received')
    origin.onRegister(stream.head)
  }

  private serve(stream: IncomingStream, log: Logger, bindings: Record<string, string>): void {
    const { head } = stream
    const { metrics } = this.options
    const match = matchIngress(this.options.rules, { host: head.host, path: head.target ?? '/' })
    if (match === undefined) {
      stream.respond({
        status: 502,
        hasBody: false,
        error: { code: OriginErrorCode.noRule, message: 'no ingress rule matches' },
      })
      stream.data.resume()
      log.error({ ...bindings, [LogField.host]: head.host }, 'no ingress rule matches')
      return
    }

    const ctx = new StreamContext(
      stream,
      match.rule,
      this.options.pool,
      log.child({ ...bindings, [LogField.rule]: match.ruleNumber }),
    )
    const startedAt = performance.now()
    metrics.activeStreams.inc()
    stream.data.once('close', () => {
      metrics.activeStreams.dec()
      this.finish(ctx, performance.now() - startedAt)
    })
    this.dispatch(ctx)
  }

  private dispatch(ctx: StreamContext): void {
    const { service } = ctx.rule
    const kind = ctx.stream.head.kind
    // A TCP session accepts any 2xx as "connected" and then carries raw bytes, so a rule
    // that answers HTTP by itself must refuse it rather than write a page into the pipe.
    if (kind === StreamKind.tcp && (service.kind === 'hello' ||
      (service.kind === 'status' && service.status < 400))) {
      return mismatch(ctx, `rule ${ctx.rule.number} serves HTTP (${service.source}), not TCP`)
    }
    if (service.kind === 'status') return respondStatus(ctx, service.status)
    if (service.kind === 'hello') return respondHello(ctx)
    if (service.kind === 'tcp') {
      if (kind === StreamKind.tcp) return forwardTcp(ctx, service)
      return mismatch(
        ctx,
        `rule ${ctx.rule.number} serves TCP (${service.source}); use keyway access`,
      )
    }
    if (kind === StreamKind.http) return forwardHttp(ctx, service)
    if (kind === StreamKind.upgrade) return forwardUpgrade(ctx, service)
    return mismatch(ctx, `rule ${ctx.rule.number} serves HTTP (${service.source}), not TCP`)
  }

  private finish(ctx: StreamContext, durationMs: number): void {
    const { metrics } = this.options
    const { head } = ctx.stream
    const status = ctx.status === undefined ? 'none' : String(ctx.status)
    metrics.requests.inc({ kind: head.kind, status })
    metrics.bytes.inc({ direction: 'in' }, ctx.bytesIn)
    metrics.bytes.inc({ direction: 'out' }, ctx.bytesOut)
    if (ctx.originError !== undefined) metrics.originErrors.inc({ code: ctx.originError })
    ctx.log.debug(
      {
        [LogField.host]: head.host,
        [LogField.method]: head.method,
        [LogField.path]: head.target,
        [LogField.status]: ctx.status,
        [LogField.durationMs]: Math.round(durationMs),
        [LogField.bytesIn]: ctx.bytesIn,
        [LogField.bytesOut]: ctx.bytesOut,
        resetCode: ctx.stream.resetCode,
      },
      'stream finished',
    )
  }
}

function mismatch(ctx: StreamContext, message: string): void {
  respondOriginError(ctx, new OriginError(OriginErrorCode.protocol, message))
}
