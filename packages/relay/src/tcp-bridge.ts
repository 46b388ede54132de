import type * as http from 'node:http'
import type { Duplex } from 'node:stream'
import {
  DIAL_ERROR_HEADER,
  ResetCode,
  TCP_SUBPROTOCOL,
  TcpCloseCode,
  type OutgoingStream,
  type ReplyHead,
} from '@keyway/protocol'
import type { Logger } from 'pino'
import { WebSocketServer, type WebSocket } from 'ws'
import { answerBody, answerUpgrade, writeRawResponse } from './answers.js'
import { RelayAnswerCode } from './errors.js'
import { LogField } from './log-fields.js'
import type { RequestRecord } from './request-record.js'
import { openTcpStream } from './tcp-stream.js'
import { spliceSession, summary } from './tcp-splice.js'
import type { TunnelRegistry } from './tunnel-registry.js'

/** Limits of TCP sessions over WebSocket. Every one is finite. */
export interface TcpBridgeLimits {
  /** Largest WebSocket message accepted from the access client. */
  readonly maxMessageBytes: number
  /** Bytes queued towards the client above which the tunnel stream is paused. */
  readonly highWaterBytes: number
  /** How long the connector may take to reach the origin and answer. */
  readonly replyTimeoutMs: number
  /** A session with no byte either way for this long is closed. */
  readonly idleTimeoutMs: number
  /** A session is closed after this long whatever it carries. */
  readonly maxSessionMs: number
}

/** Durations an app may set for its own sessions. */
export type TcpSessionLimits = Partial<Pick<TcpBridgeLimits, 'idleTimeoutMs' | 'maxSessionMs'>>

/** Defaults: SSH and RDP sessions may idle for an hour and last a working day and more. */
export const defaultTcpBridgeLimits: TcpBridgeLimits = Object.freeze({
  maxMessageBytes: 1024 * 1024,
  highWaterBytes: 1024 * 1024,
  replyTimeoutMs: 30_000,
  idleTimeoutMs: 60 * 60_000,
  maxSessionMs: 24 * 60 * 60_000,
})

/**
 * The fields of the relay's request record the bridge keeps up to date while the session
 * runs (the record's log line is written when the client socket closes).
 */
export interface TcpSessionTally {
  status: number | undefined
  code: string | undefined
  resetCode: number | undefined
  outcome: 'complete' | 'client-aborted' | 'stream-reset' | 'upgraded' | undefined
  bytesIn: number
  bytesOut: number
}

/** One TCP session from the upgrade to its end, for the audit log. */
export interface TcpSessionSummary {
  readonly reqId: string
  /** 101 when the session was opened, else the refusal status the client got. */
  readonly status: number
  /** `closed`: both sides ended their output; `reset`: anything else after the 101. */
  readonly outcome: 'closed' | 'reset' | 'refused'
  readonly startedAtMs: number
  readonly endedAtMs: number
  /** Bytes from the client to the origin. */
  readonly bytesIn: number
  /** Bytes from the origin to the client. */
  readonly bytesOut: number
  /** WebSocket close code of the session, once opened. */
  readonly closeCode: number | undefined
  readonly resetCode: number | undefined
}

/** One upgrade to bridge. */
export interface TcpBridgeRequest {
  readonly req: http.IncomingMessage
  readonly socket: Duplex
  /** Bytes the client sent after its request head. */
  readonly head: Buffer
  /** A `tcp` stream opened with `hasBody: true` (see `openTcpStream`). */
  readonly stream: OutgoingStream
  readonly reqId: string
  readonly log: Logger
  /** Kept up to date as the session runs; the relay's `RequestRecord` fits. */
  readonly tally?: TcpSessionTally
  /** Called once when the session (or its refusal) is over. */
  /** Per-app idle and maximum durations (issue #5); the bridge's limits when omitted. */
  readonly sessionLimits?: TcpSessionLimits
  readonly onEnd?: (summary: TcpSessionSummary) => void
}

/** True when the upgrade request offers the `keyway-tcp.v1` subprotocol. */
export function offersTcpSubprotocol(req: http.IncomingMessage): boolean {
  const offered = req.headers['sec-websocket-protocol']
  if (offered === undefined) return false
  return offered.split(',').some((name) => name.trim() === TCP_SUBPROTOCOL)
}

/**
 * What is wrong with a TCP session upgrade request for a WebSocket handshake, or
 * undefined when it can be accepted. Checked before a stream is opened, so that a bad
 * handshake is a 400 and never an origin connection.
 */
export function tcpUpgradeProblem(req: http.IncomingMessage): string | undefined {
  if (req.method !== 'GET') return 'a TCP session upgrade must be a GET request'
  if (req.headers.upgrade?.toLowerCase() !== 'websocket') return 'Upgrade must be websocket'
  const key = req.headers['sec-websocket-key']
  if (key === undefined || !/^[+/0-9A-Za-z]{22}==$/.test(key)) {
    return 'Sec-WebSocket-Key is missing or malformed'
  }
  const version = req.headers['sec-websocket-version']
  if (version !== '13' && version !== '8') return 'Sec-WebSocket-Version must be 13'
  return undefined
}

/** What forwarding one TCP session upgrade needs (after the gate decided to forward). */
export interface TcpUpgradeForward {
  readonly record: RequestRecord
  readonly req: http.IncomingMessage
  readonly socket: Duplex
  readonly rest: Buffer
  readonly tunnel: string
  readonly registry: TunnelRegistry
  readonly bridge: TcpBridge
  readonly log: Logger
  /** Called once with the session's summary, for the audit log. */
  /** Per-app idle and maximum durations (issue #5); the bridge's limits when omitted. */
  readonly sessionLimits?: TcpSessionLimits
  readonly onEnd?: (summary: TcpSessionSummary) => void
}

/**
 * Forwards an upgrade that offers `keyway-tcp.v1`: opens a `tcp` stream on the routed
 * tunnel and bridges it (see {@link TcpBridge}); a bad handshake is a 400 and a tunnel
 * without a usable connection a 503, both before any WebSocket is accepted. Each session
 * ends with one `tcp session` log line: who, from where, the access decision, when, and
 * bytes each way.
 */
export function forwardTcpUpgrade(forward: TcpUpgradeForward): void {
  const { record, req, socket } = forward
  const problem = tcpUpgradeProblem(req)
  if (problem !== undefined) {
    return answerUpgrade(record, socket, 400, RelayAnswerCode.badRequest, problem)
  }
  const opened = openTcpStream(forward.registry, {
    tunnel: forward.tunnel,
    host: record.host,
    reqId: record.reqId,
    clientIp: record.clientIp,
  })
  if (!opened.ok) return answerUpgrade(record, socket, opened.status, opened.code, opened.message)
  record.link = opened.link
  forward.bridge.bridge({
    req,
    socket,
    head: forward.rest,
    stream: opened.stream,
    reqId: record.reqId,
    log: forward.log,
    tally: record,
    ...(forward.sessionLimits === undefined ? {} : { sessionLimits: forward.sessionLimits }),
    onEnd: (session) => {
      forward.log.info(
        {
          [LogField.reqId]: record.reqId,
          [LogField.host]: record.host,
          [LogField.tunnelId]: forward.tunnel,
          [LogField.user]: record.user,
          [LogField.app]: record.app,
          [LogField.decision]: record.decision,
          [LogField.clientIp]: record.clientIp,
          [LogField.status]: session.status,
          [LogField.outcome]: session.outcome,
          [LogField.bytesIn]: session.bytesIn,
          [LogField.bytesOut]: session.bytesOut,
          [LogField.durationMs]: session.endedAtMs - session.startedAtMs,
          startedAt: new Date(session.startedAtMs).toISOString(),
          endedAt: new Date(session.endedAtMs).toISOString(),
          closeCode: session.closeCode,
          [LogField.resetCode]: session.resetCode,
        },
        'tcp session',
      )
      forward.onEnd?.(session)
    },
  })
}

/**
 * Carries access-client TCP sessions: accepts the client's WebSocket once the connector
 * has reached the origin, then joins WebSocket messages and stream bytes both ways with
 * backpressure, half-close (the `eof` text message) and resets (close codes), as
 * docs/protocol.md describes. A refusal before the 101 is a plain HTTP answer.
 */
export class TcpBridge {
  readonly limits: TcpBridgeLimits
  private readonly server: WebSocketServer
  private readonly sessions = new Set<WebSocket>()

  constructor(limits: Partial<TcpBridgeLimits> = {}) {
    this.limits = Object.freeze({ ...defaultTcpBridgeLimits, ...limits })
    this.server = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      clientTracking: false,
      maxPayload: this.limits.maxMessageBytes,
      handleProtocols: (offered) => (offered.has(TCP_SUBPROTOCOL) ? TCP_SUBPROTOCOL : false),
    })
  }

  /** Sessions open now. */
  get activeSessions(): number {
    return this.sessions.size
  }

  /** Waits for the stream's answer, then opens the session or refuses the upgrade. */
  bridge(request: TcpBridgeRequest): void {
    const { socket, stream } = request
    const startedAtMs = Date.now()
    const tally = request.tally ?? newTally()
    let settled = false
    const refuse = (status: number, code: string, message: string) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      stream.reset(ResetCode.cancel)
      tally.status = status
      tally.code = code
      writeRawResponse(socket, status, [
        ['Content-Type', 'text/plain; charset=utf-8'],
        ['Cache-Control', 'no-store'],
        [DIAL_ERROR_HEADER, code],
      ], answerBody(status, code as RelayAnswerCode, message))
      request.onEnd?.(summary(request, tally, 'refused', startedAtMs, undefined))
    }

    const problem = tcpUpgradeProblem(request.req)
    const timer = setTimeout(() => {
      refuse(504, RelayAnswerCode.streamFailed,
        `the connector did not reach the app within ${this.limits.replyTimeoutMs} ms`)
    }, this.limits.replyTimeoutMs)
    if (problem !== undefined) return refuse(400, RelayAnswerCode.badRequest, problem)
    socket.once('close', () => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      tally.outcome = 'client-aborted'
      stream.reset(ResetCode.cancel)
      request.onEnd?.(summary(request, tally, 'refused', startedAtMs, undefined))
    })
    stream.reply.then(
      (reply) => {
        if (settled) return
        if (reply.status !== 200) return refuseReply(reply, refuse)
        settled = true
        clearTimeout(timer)
        this.accept(request, tally, startedAtMs)
      },
      () => {
        const draining = stream.resetCode === ResetCode.refused
        tally.resetCode = stream.resetCode
        refuse(draining ? 503 : 502, RelayAnswerCode.streamFailed,
          'the tunnel stream failed before the connector reached the app')
      },
    )
  }

  /** Closes every open session with 1001 (the relay is going away). */
  closeAll(): void {
    for (const ws of this.sessions) ws.close(TcpCloseCode.goingAway, 'relay shutting down')
  }

  private accept(request: TcpBridgeRequest, tally: TcpSessionTally, startedAtMs: number): void {
    const { req, socket, head, stream } = request
    let upgraded = false
    socket.once('close', () => {
      if (!upgraded) stream.reset(ResetCode.cancel)
    })
    this.server.handleUpgrade(req, socket, head, (ws) => {
      upgraded = true
      tally.status = 101
      this.sessions.add(ws)
      ws.once('close', () => this.sessions.delete(ws))
      const limits = { ...this.limits, ...request.sessionLimits }
      spliceSession(ws, request, tally, limits, startedAtMs)
    })
  }
}

function refuseReply(
  reply: ReplyHead,
  refuse: (status: number, code: string, message: string) => void,
): void {
  const status = reply.status >= 400 && reply.status <= 599 ? reply.status : 502
  const code = reply.error?.code ?? RelayAnswerCode.streamFailed
  const message = reply.error?.message ?? `the connector answered ${reply.status}`
  refuse(status, code, `the app cannot be reached: ${message}`)
}

function newTally(): TcpSessionTally {
  return {
    status: undefined,
    code: undefined,
    resetCode: undefined,
    outcome: undefined,
    bytesIn: 0,
    bytesOut: 0,
  }
}
