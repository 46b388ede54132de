import * as net from 'node:net'
import { OriginErrorCode } from '@keyway/protocol'
import { OriginError } from './errors.js'
import { classifyOriginError, respondOriginError } from './origin-errors.js'
import type { TcpService } from './service.js'
import { splice } from './splice.js'
import type { StreamContext } from './stream-context.js'

/**
 * Serves a `tcp` stream: dials the origin within the rule's connect timeout, answers 200
 * once connected, then splices bytes both ways. Bytes the relay sends before the answer
 * wait in the stream's flow-control window.
 */
export function forwardTcp(ctx: StreamContext, service: TcpService): void {
  const { stream } = ctx
  const timeoutMs = ctx.rule.originRequest.connectTimeoutMs
  let connected = false

  const socket = net.connect({
    host: service.hostname,
    port: service.port,
    allowHalfOpen: true,
    noDelay: true,
  })
  const timer = setTimeout(() => {
    const message = `connecting to the origin took longer than ${timeoutMs} ms`
    socket.destroy(new OriginError(OriginErrorCode.timeout, message))
  }, timeoutMs)

  stream.data.once('close', () => {
    clearTimeout(timer)
    if (!connected) socket.destroy()
  })
  socket.once('error', (err) => {
    clearTimeout(timer)
    if (connected || ctx.closed) return
    respondOriginError(ctx, classifyOriginError(err))
  })
  socket.once('connect', () => {
    clearTimeout(timer)
    if (ctx.closed) {
      socket.destroy()
      return
    }
    connected = true
    ctx.status = 200
    stream.respond({ status: 200, hasBody: true })
    splice(ctx, socket)
  })
}
