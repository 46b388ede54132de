import type * as http from 'node:http'
import { STATUS_CODES } from 'node:http'
import {
  DIAL_ERROR_HEADER,
  ProtocolError,
  ResetCode,
  StreamKind,
  type HeaderList,
  type InfoHead,
  type OutgoingStream,
  type ReplyHead,
  type StreamHead,
} from '@keyway/protocol'
import type { Logger } from 'pino'
import { answer } from './answers.js'
import { RelayAnswerCode } from './errors.js'
import { LogField } from './log-fields.js'
import { openTunnelStream } from './open-stream.js'
import {
  flattenPairs,
  forwardedHeaders,
  pairsFromRaw,
  requestFraming,
} from './request-headers.js'
import type { RequestRecord } from './request-record.js'
import type { TunnelRegistry } from './tunnel-registry.js'

/** What forwarding one public request needs. */
export interface HttpForward {
  readonly record: RequestRecord
  readonly req: http.IncomingMessage
  readonly res: http.ServerResponse
  readonly tunnel: string
  readonly proto: 'http' | 'https'
  readonly addHeaders: HeaderList | undefined
  readonly removeHeaders: readonly string[] | undefined
  readonly registry: TunnelRegistry
  readonly responseTimeoutMs: number
  readonly log: Logger
}

/**
 * Forwards one public HTTP request as one tunnel stream and streams the answer back:
 * the exact header lines, the body with backpressure both ways, trailers both ways, 1xx
 * answers, and cancellation both ways. A stream reset after the answer began destroys the
 * client connection, so a cut-short body is never presented as complete.
 */
export function forwardHttp(forward: HttpForward): void {
  const { record, req, res } = forward
  // The client may have gone while the gate decided: nothing would cancel the stream then.
  if (res.destroyed) return
  const framing = requestFraming(req.headers)
  const head: StreamHead = {
    kind: StreamKind.http,
    reqId: record.reqId,
    host: record.host,
    method: record.method,
    target: record.path,
    headers: forwardedHeaders(req.rawHeaders, {
      clientIp: record.clientIp,
      proto: forward.proto,
      host: req.headers.host ?? record.host,
      addHeaders: forward.addHeaders,
      removeHeaders: forward.removeHeaders,
    }),
    hasBody: framing.hasBody,
    mayHaveTrailers: framing.chunked,
    clientIp: record.clientIp,
    proto: forward.proto,
  }
  let current: OutgoingStream | undefined
  let timer: NodeJS.Timeout | undefined

  req.on('error', () => {})
  res.on('error', () => {})
  res.once('close', () => {
    clearTimeout(timer)
    if (res.writableFinished) {
      // The answer is whole but the request body is not (the origin answered without reading
      // it all, or the client left mid-upload): nothing would ever end the stream, so free it.
      if (framing.hasBody && !req.complete) current?.reset(ResetCode.cancel)
      return
    }
    record.outcome ??= 'client-aborted'
    current?.reset(ResetCode.cancel)
  })
  if (!framing.hasBody) req.resume()

  const attempt = (retriesLeft: number): void => {
    const opened = openTunnelStream(forward.registry, forward.tunnel, head, {
      hasBody: framing.hasBody,
      mayHaveTrailers: framing.chunked,
    })
    if (!opened.ok) return answer(record, res, opened.status, opened.code, opened.message)
    const { stream } = opened
    current = stream
    record.link = opened.link
    if (framing.hasBody) sendBody(record, req, stream, framing.chunked)
    stream.onInfo((info) => relayInfo(res, info))

    timer = setTimeout(() => {
      if (res.headersSent) return
      stream.reset(ResetCode.cancel)
      answer(record, res, 504, RelayAnswerCode.streamFailed, 'the connector did not answer ' +
        `within ${forward.responseTimeoutMs} ms`)
    }, forward.responseTimeoutMs)
    stream.reply.then(
      (reply) => {
        clearTimeout(timer)
        relayReply(forward, stream, reply)
      },
      (err: unknown) => {
        clearTimeout(timer)
        if (res.destroyed || res.headersSent) return
        record.resetCode = stream.resetCode
        const refused = stream.resetCode === ResetCode.refused
        const fields = { [LogField.reqId]: record.reqId, [LogField.err]: err }
        // A connector that began draining refuses streams it never started; a request
        // without a body can safely go to another connection once.
        if (refused && !framing.hasBody && retriesLeft > 0) {
          forward.log.info(fields, 'stream refused by a draining connector; retrying')
          return attempt(retriesLeft - 1)
        }
        forward.log.warn(fields, 'stream failed')
        if (refused) {
          answer(record, res, 503, RelayAnswerCode.tunnelBusy, 'the connector refused the ' +
            'request (draining or at its limit); retry shortly')
        } else {
          const detail = err instanceof ProtocolError ? err.message : 'the stream failed'
          answer(record, res, 502, RelayAnswerCode.streamFailed, 'the tunnel stream failed ' +
            `before the origin answered (${detail})`)
        }
      },
    )
  }
  attempt(1)
}

function sendBody(
  record: RequestRecord,
  req: http.IncomingMessage,
  stream: OutgoingStream,
  chunked: boolean,
): void {
  req.on('data', (chunk: Buffer) => {
    record.bytesIn += chunk.length
  })
  req.pipe(stream.data, { end: false })
  // A stream that closes before the body is all in (reset once the answer was complete, or
  // failed) takes no more of it: read and drop the rest, as Node's own server does, so that
  // the client finishes its upload and its connection carries on.
  stream.data.once('close', () => {
    if (req.complete || req.destroyed) return
    req.unpipe(stream.data)
    req.resume()
  })
  req.once('end', () => {
    if (stream.data.destroyed) return
    const trailers = pairsFromRaw(req.rawTrailers)
    if (chunked && trailers.length > 0) stream.setTrailers(trailers)
    stream.data.end()
  })
}

function relayInfo(res: http.ServerResponse, info: InfoHead): void {
  if (res.headersSent || res.destroyed) return
  if (info.status === 100) {
    res.writeContinue()
  } else if (info.status === 103) {
    const links = (info.headers ?? []).filter(([name]) => name.toLowerCase() === 'link')
    if (links.length > 0) res.writeEarlyHints({ link: links.map(([, value]) => value) })
  }
}

function relayReply(forward: HttpForward, stream: OutgoingStream, reply: ReplyHead): void {
  const { record, res } = forward
  if (res.destroyed) return
  record.status = reply.status
  if (reply.error !== undefined) {
    record.code = reply.error.code
    forward.log.error(
      {
        [LogField.reqId]: record.reqId,
        [LogField.code]: reply.error.code,
        cause: reply.error.message,
      },
      'origin request failed at the connector',
    )
  }
  const headers = reply.headers ?? []
  if (reply.error !== undefined) headers.push([DIAL_ERROR_HEADER, reply.error.code])
  try {
    if (reply.status < 200 || reply.status > 599) throw new RangeError('status out of range')
    const reason = reply.statusMessage || STATUS_CODES[reply.status] || ''
    res.writeHead(reply.status, reason, flattenPairs(headers))
  } catch (err) {
    stream.reset(ResetCode.protocol)
    forward.log.warn({ [LogField.reqId]: record.reqId, [LogField.err]: err }, 'bad reply head')
    answer(record, res, 502, RelayAnswerCode.streamFailed, 'the origin answered with a head ' +
      'that cannot be sent over HTTP/1.1')
    return
  }
  const bodyless = !reply.hasBody || record.method === 'HEAD' ||
    reply.status === 204 || reply.status === 304
  if (bodyless) {
    stream.data.resume()
    res.end()
    return
  }
  streamBody(forward, stream)
  // The head leaves with the first piece of body, in one write. When none has come by the
  // next turn of the loop it goes alone: an event stream's head must not wait for an event.
  setImmediate(() => {
    if (record.bytesOut === 0 && !res.writableEnded && !res.destroyed) res.flushHeaders()
  })
}

function streamBody(forward: HttpForward, stream: OutgoingStream): void {
  const { record, res } = forward
  let trailers: HeaderList = []
  const abort = () => {
    if (res.writableEnded) return
    record.outcome = record.outcome ?? 'stream-reset'
    record.resetCode = stream.resetCode
    // Destroying the socket makes the client see an aborted response, never a complete one.
    res.destroy()
  }

  stream.onTrailers((list) => {
    trailers = list
  })
  stream.data.on('data', (chunk: Buffer) => {
    record.bytesOut += chunk.length
  })
  stream.data.pipe(res, { end: false })
  stream.data.once('end', () => {
    if (stream.resetCode !== undefined) return abort()
    if (trailers.length > 0) res.addTrailers(trailers)
    res.end()
  })
  stream.data.once('close', () => {
    if (!res.writableEnded || stream.resetCode !== undefined) abort()
  })
}
