import type * as http from 'node:http'
import type { Duplex } from 'node:stream'
import {
  ResetCode,
  StreamKind,
  type HeaderList,
  type OutgoingStream,
  type ReplyHead,
} from '@keyway/protocol'
import type { Logger } from 'pino'
import { answerUpgrade, rawResponseHead } from './answers.js'
import { RelayAnswerCode } from './errors.js'
import { LogField } from './log-fields.js'
import { openTunnelStream } from './open-stream.js'
import { forwardedHeaders } from './request-headers.js'
import type { RequestRecord } from './request-record.js'
import type { TunnelRegistry } from './tunnel-registry.js'

/** Once both directions have ended, the client socket is closed within this time. */
const CLOSE_AFTER_BOTH_ENDED_MS = 1_000

/** What forwarding one upgrade request needs. */
export interface UpgradeForward {
  readonly record: RequestRecord
  readonly req: http.IncomingMessage
  readonly socket: Duplex
  /** Bytes the client sent after its request head. */
  readonly rest: Buffer
  readonly tunnel: string
  readonly proto: 'http' | 'https'
  readonly addHeaders: HeaderList | undefined
  readonly removeHeaders: readonly string[] | undefined
  readonly registry: TunnelRegistry
  readonly responseTimeoutMs: number
  readonly log: Logger
}

/**
 * Forwards an upgrade request (WebSocket) as an `upgrade` stream. On 101 the origin's
 * handshake answer goes to the client as it was (with `Sec-WebSocket-Accept` and the
 * chosen subprotocol) and the socket and the stream are joined byte for byte; any other
 * answer is written as a plain response and the connection closed.
 */
export function forwardUpgrade(forward: UpgradeForward): void {
  const { record, req, socket } = forward
  if (socket.destroyed) return
  const opened = openTunnelStream(
    forward.registry,
    forward.tunnel,
    {
      kind: StreamKind.upgrade,
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
        upgrade: true,
      }),
      hasBody: true,
      clientIp: record.clientIp,
      proto: forward.proto,
    },
    { hasBody: true },
  )
  if (!opened.ok) return answerUpgrade(record, socket, opened.status, opened.code, opened.message)
  const { stream } = opened
  record.link = opened.link

  socket.once('close', () => {
    if (stream.data.destroyed) return
    record.outcome ??= 'client-aborted'
    stream.reset(ResetCode.cancel)
  })
  const timer = setTimeout(() => {
    stream.reset(ResetCode.cancel)
    answerUpgrade(record, socket, 504, RelayAnswerCode.streamFailed,
      `the connector did not answer within ${forward.responseTimeoutMs} ms`)
  }, forward.responseTimeoutMs)
  stream.reply.then(
    (reply) => {
      clearTimeout(timer)
      if (socket.destroyed) return
      if (reply.status === 101) return joinUpgraded(forward, stream, reply)
      relayPlainAnswer(forward, stream, reply)
    },
    (err: unknown) => {
      clearTimeout(timer)
      record.resetCode = stream.resetCode
      forward.log.warn({ [LogField.reqId]: record.reqId, [LogField.err]: err }, 'stream failed')
      answerUpgrade(record, socket, 502, RelayAnswerCode.streamFailed,
        'the tunnel stream failed before the origin answered')
    },
  )
}

function relayPlainAnswer(
  forward: UpgradeForward,
  stream: OutgoingStream,
  reply: ReplyHead,
): void {
  const { record, socket } = forward
  record.status = reply.status
  record.code = reply.error?.code
  record.outcome = 'complete'
  socket.write(rawResponseHead(reply.status, reply.headers ?? [], reply.statusMessage))
  if (!reply.hasBody) {
    socket.end()
    return
  }
  stream.data.on('data', (chunk: Buffer) => {
    record.bytesOut += chunk.length
  })
  stream.data.pipe(socket)
  stream.data.once('close', () => {
    if (stream.resetCode !== undefined) {
      record.outcome = 'stream-reset'
      socket.destroy()
    }
  })
}

function joinUpgraded(forward: UpgradeForward, stream: OutgoingStream, reply: ReplyHead): void {
  const { record, socket, rest } = forward
  const lines = [`HTTP/1.1 101 ${reply.statusMessage || 'Switching Protocols'}`]
  for (const [name, value] of reply.headers ?? []) lines.push(`${name}: ${value}`)
  socket.write(`${lines.join('\r\n')}\r\n\r\n`)
  record.status = 101
  if (rest.length > 0) {
    record.bytesIn += rest.length
    stream.data.write(rest)
  }
  splice(record, socket, stream)
}

/**
 * Joins the client socket and the stream both ways with backpressure. Half-close is
 * carried each way; a reset or error on either side ends the other at once.
 */
function splice(record: RequestRecord, socket: Duplex, stream: OutgoingStream): void {
  const { data } = stream
  let clientEnded = false
  let originEnded = false
  const closeWhenBothEnded = () => {
    if (!clientEnded || !originEnded) return
    record.outcome = 'upgraded'
    const timer = setTimeout(() => socket.destroy(), CLOSE_AFTER_BOTH_ENDED_MS)
    timer.unref()
    socket.once('close', () => clearTimeout(timer))
  }

  socket.once('end', () => {
    clientEnded = true
    closeWhenBothEnded()
  })
  data.once('end', () => {
    if (stream.resetCode !== undefined) return
    originEnded = true
    closeWhenBothEnded()
  })
  data.once('close', () => {
    if (clientEnded && originEnded && stream.resetCode === undefined) return
    record.outcome ??= 'stream-reset'
    record.resetCode = stream.resetCode
    socket.destroy()
  })
  socket.on('data', (chunk: Buffer) => {
    record.bytesIn += chunk.length
  })
  data.on('data', (chunk: Buffer) => {
    record.bytesOut += chunk.length
  })
  socket.pipe(data)
  data.pipe(socket)
}
