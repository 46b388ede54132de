import type * as http from 'node:http'
import { OriginErrorCode } from '@keyway/protocol'
import { OriginError } from './errors.js'
import { pairsFromRaw, withoutHopByHop } from './headers.js'
import { LogField } from './log-fields.js'
import {
  classifyOriginError,
  discardRequest,
  failMidStream,
  isStaleSocketError,
  respondOriginError,
} from './origin-errors.js'
import type { HttpService, UnixService } from './service.js'
import type { StreamContext } from './stream-context.js'

/**
 * Forwards one HTTP request stream to an HTTP origin and streams the answer back: body
 * with backpressure both ways, trailers both ways, 1xx answers, and cancellation both
 * ways. A request without a body that fails on a reused keep-alive connection before any
 * answer is retried once on a fresh connection.
 */
export function forwardHttp(ctx: StreamContext, service: HttpService | UnixService): void {
  const { stream } = ctx
  const { head } = stream
  let current: http.ClientRequest | undefined
  let answered = false
  let finished = false

  stream.data.once('close', () => {
    if (!finished || stream.resetCode !== undefined) current?.destroy()
  })

  const attempt = (fresh: boolean): void => {
    const req = openRequest(ctx, service, fresh, false)
    if (req === undefined) return
    current = req
    req.on('information', (info) => {
      stream.sendInfo({ status: info.statusCode, headers: pairsFromRaw(info.rawHeaders) })
    })
    req.once('response', (res) => {
      answered = true
      relayResponse(ctx, res, () => {
        finished = true
        // The origin answered without waiting for the whole body (an early 413, a redirect).
        // Node sends no more of a request whose answer has ended, so forwarding the rest
        // would stall the client's upload until the origin drops the connection: read and
        // drop it here instead, with the origin connection, which cannot be reused mid-body.
        if (!req.writableEnded && !stream.data.readableEnded) {
          discardRequest(ctx)
          req.destroy()
        }
      })
    })
    req.on('error', (err) => {
      if (ctx.closed || finished) return
      if (answered) {
        failMidStream(ctx, err)
      } else if (!fresh && req.reusedSocket && head.hasBody !== true && isStaleSocketError(err)) {
        ctx.log.warn({ [LogField.err]: err }, 'pooled origin connection was stale; retrying once')
        attempt(true)
      } else {
        respondOriginError(ctx, classifyOriginError(err))
      }
    })
    if (head.hasBody === true) sendBody(ctx, req)
    else req.end()
  }
  attempt(false)
}

/**
 * Opens the origin request; a head Node refuses to send (bad target or header) is
 * answered with 400 and yields undefined.
 */
export function openRequest(
  ctx: StreamContext,
  service: HttpService | UnixService,
  fresh: boolean,
  upgrade: boolean,
): http.ClientRequest | undefined {
  try {
    return ctx.pool.request({ head: ctx.stream.head, rule: ctx.rule, service, fresh, upgrade })
  } catch (err) {
    const message = `the request cannot be sent to the origin: ${(err as Error).message}`
    respondOriginError(ctx, new OriginError(OriginErrorCode.badRequest, message, { cause: err }))
    return undefined
  }
}

function sendBody(ctx: StreamContext, req: http.ClientRequest): void {
  const { stream } = ctx
  if (stream.head.mayHaveTrailers === true) {
    stream.onTrailers((trailers) => {
      if (trailers.length > 0) req.addTrailers(trailers)
    })
  }
  stream.data.pipe(req, { end: false })
  ctx.countIn(stream.data)
  // The mux delivers trailers before the end of the data, so they are in place here. A
  // reset also ends the data; it must not complete the origin request.
  stream.data.once('end', () => {
    if (stream.resetCode === undefined) req.end()
  })
}

/**
 * Sends the origin's answer down the stream: status, headers without hop-by-hop ones,
 * the body with backpressure, then trailers. An answer cut short resets the stream, so the
 * public client never sees a truncated body presented as complete.
 */
export function relayResponse(
  ctx: StreamContext,
  res: http.IncomingMessage,
  onEnd: () => void,
): void {
  const { stream } = ctx
  const status = res.statusCode ?? 502
  const bodyless = ctx.stream.head.method === 'HEAD' || status === 204 || status === 304
  const chunked = /\bchunked\b/i.test(String(res.headers['transfer-encoding'] ?? ''))

  res.on('error', () => {})
  res.once('close', () => {
    if (!res.complete) failMidStream(ctx, res.errored ?? new Error('origin response aborted'))
  })
  ctx.status = status
  stream.respond({
    status,
    statusMessage: res.statusMessage,
    headers: withoutHopByHop(pairsFromRaw(res.rawHeaders)),
    hasBody: !bodyless,
    mayHaveTrailers: !bodyless && chunked,
  })
  if (bodyless) {
    res.resume()
    res.once('end', onEnd)
    return
  }
  res.pipe(stream.data, { end: false })
  ctx.countOut(res)
  res.once('end', () => {
    const trailers = pairsFromRaw(res.rawTrailers)
    if (chunked && trailers.length > 0) stream.setTrailers(trailers)
    stream.data.end()
    onEnd()
  })
}

/** Answers a stream whose head said "upgrade" but whose origin answered normally. */
export function relayPlainAnswer(
  ctx: StreamContext,
  res: http.IncomingMessage,
  onEnd: () => void,
): void {
  relayResponse(ctx, res, onEnd)
  discardRequest(ctx)
}
