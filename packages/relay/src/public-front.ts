import type * as http from 'node:http'
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import { DIAL_ERROR_HEADER, type HeaderList } from '@keyway/protocol'
import type { Logger } from 'pino'
import { answer, answerUpgrade, writeRawResponse } from './answers.js'
import { RelayAnswerCode } from './errors.js'
import type { GateDecision, GateRequest, RequestGate } from './gate.js'
import { canonicalHost, isValidHost } from './hostnames.js'
import { forwardHttp } from './http-proxy.js'
import { LogField } from './log-fields.js'
import { RequestRecord } from './request-record.js'
import type { HostRouter } from './router.js'
import {
  TcpBridge,
  forwardTcpUpgrade,
  offersTcpSubprotocol,
  type TcpSessionLimits,
  type TcpSessionSummary,
} from './tcp-bridge.js'
import type { TunnelRegistry } from './tunnel-registry.js'
import { forwardUpgrade } from './upgrade-proxy.js'

/** What the public front needs. */
export interface PublicFrontOptions {
  readonly router: HostRouter
  readonly registry: TunnelRegistry
  readonly gate: RequestGate | undefined
  readonly proto: 'http' | 'https'
  readonly responseTimeoutMs: number
  readonly log: Logger
}

/** Statuses for requests Node's parser rejects before they reach a handler. */
const clientErrorStatus: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
}

/** A decision after which the request goes down a tunnel, or was answered already. */
type Admission =
  | {
      forward: true
      addHeaders?: HeaderList
      removeHeaders?: readonly string[]
      tcpSessionLimits?: TcpSessionLimits
    }
  | { forward: false }

/**
 * The public listener's request handling: canonical host, route, access gate, then a
 * tunnel stream per request or upgrade. Each request ends in exactly one log line.
 */
export class PublicFront {
  private readonly options: PublicFrontOptions
  private inFlight = 0
  private draining = false
  private readonly idleWaiters = new Set<() => void>()
  private readonly tcpBridge = new TcpBridge()

  constructor(options: PublicFrontOptions) {
    this.options = options
  }

  /** Requests and upgraded connections under way. */
  get activeRequests(): number {
    return this.inFlight
  }

  /** Serves `server`'s requests, `Expect: 100-continue` requests and upgrades. */
  attach(server: http.Server): void {
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.handleRequest(req, res).catch((err: unknown) => this.crashed(err, res))
    }
    server.on('request', onRequest)
    // Without this listener Node would answer 100 Continue itself; the origin decides.
    server.on('checkContinue', onRequest)
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, rest: Buffer) => {
      this.handleUpgrade(req, socket, rest).catch((err: unknown) => this.crashed(err, socket))
    })
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      this.options.log.info({ [LogField.code]: err.code }, 'bad request from client')
      if (!socket.writable) {
        socket.destroy()
        return
      }
      const status = clientErrorStatus[err.code ?? ''] ?? 400
      const reason = STATUS_CODES[status] ?? 'Bad Request'
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
    })
  }

  /** Marks the front as draining: answers close their connection instead of keeping it. */
  startDraining(): void {
    this.draining = true
  }

  /** Resolves once no request is under way. */
  whenIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.add(resolve))
  }

  /** A failure of the relay's own code: that request fails alone. */
  private crashed(err: unknown, target: http.ServerResponse | Duplex): void {
    this.options.log.error({ [LogField.err]: err }, 'request handling failed')
    if ('writeHead' in target && !target.headersSent) {
      target.writeHead(500, { 'content-length': 0, [DIAL_ERROR_HEADER]: RelayAnswerCode.internal })
      target.end()
    } else {
      target.destroy()
    }
  }

  private track(record: RequestRecord, closing: http.ServerResponse | Duplex): void {
    this.inFlight++
    closing.once('close', () => {
      if (record.status === undefined && 'statusCode' in closing && closing.headersSent) {
        record.status = closing.statusCode
      }
      record.log(this.options.log)
      this.inFlight--
      if (this.inFlight > 0) return
      for (const resolve of this.idleWaiters) resolve()
      this.idleWaiters.clear()
    })
  }

  private async handleRequest(req: http.IncomingMessage, res: http.ServerResponse) {
    const record = new RequestRecord('http', req.method ?? 'GET', req.url ?? '/', clientIp(req))
    this.track(record, res)
    if (this.draining) res.shouldKeepAlive = false
    record.host = canonicalHost(req.headers.host ?? '')
    if (record.host === '') {
      return answer(record, res, 400, RelayAnswerCode.badRequest, 'the request has no Host')
    }
    if (!isValidHost(record.host)) {
      return answer(record, res, 400, RelayAnswerCode.badRequest,
        'the Host header is not a valid host name')
    }
    const route = this.options.router.route(record.host)
    record.tunnel = route?.tunnel

    const admission = await this.admit(record, req, res, res)
    if (!admission.forward) return
    if (route === undefined) {
      return answer(record, res, 404, RelayAnswerCode.unknownHost,
        `no tunnel serves the host "${record.host}"`)
    }
    forwardHttp({
      record,
      req,
      res,
      tunnel: route.tunnel,
      proto: this.options.proto,
      addHeaders: admission.addHeaders,
      removeHeaders: admission.removeHeaders,
      registry: this.options.registry,
      responseTimeoutMs: this.options.responseTimeoutMs,
      log: this.options.log,
    })
  }

  private async handleUpgrade(req: http.IncomingMessage, socket: Duplex, rest: Buffer) {
    socket.on('error', () => {})
    const record = new RequestRecord('upgrade', req.method ?? 'GET', req.url ?? '/', clientIp(req))
    this.track(record, socket)
    record.host = canonicalHost(req.headers.host ?? '')
    if (record.host === '') {
      return answerUpgrade(record, socket, 400, RelayAnswerCode.badRequest, 'no Host header')
    }
    if (!isValidHost(record.host)) {
      return answerUpgrade(record, socket, 400, RelayAnswerCode.badRequest,
        'the Host header is not a valid host name')
    }
    const route = this.options.router.route(record.host)
    record.tunnel = route?.tunnel

    const admission = await this.admit(record, req, undefined, socket)
    if (!admission.forward) return
    if (route === undefined) {
      return answerUpgrade(record, socket, 404, RelayAnswerCode.unknownHost,
        `no tunnel serves the host "${record.host}"`)
    }
    if (offersTcpSubprotocol(req)) {
      return forwardTcpUpgrade({ record, req, socket, rest, tunnel: route.tunnel,
        registry: this.options.registry, bridge: this.tcpBridge, log: this.options.log,
        ...(admission.tcpSessionLimits === undefined ? {}
          : { sessionLimits: admission.tcpSessionLimits }),
        onEnd: (session) => this.auditTcpSession(session) })
    }
    forwardUpgrade({
      record,
      req,
      socket,
      rest,
      tunnel: route.tunnel,
      proto: this.options.proto,
      addHeaders: admission.addHeaders,
      removeHeaders: admission.removeHeaders,
      registry: this.options.registry,
      responseTimeoutMs: this.options.responseTimeoutMs,
      log: this.options.log,
    })
  }

  /** Tells the gate how a TCP session it let through went, for its audit log. */
  private auditTcpSession(session: TcpSessionSummary): void {
    const { gate, log } = this.options
    if (gate?.tcpSessionEnded === undefined || session.outcome === 'refused') return
    const { reqId, startedAtMs, endedAtMs, bytesIn, bytesOut, outcome } = session
    gate.tcpSessionEnded({ reqId, startedAtMs, endedAtMs, bytesIn, bytesOut, outcome })
      .catch((err: unknown) => {
        log.error({ [LogField.reqId]: reqId, [LogField.err]: err },
          'tcp session not written to the audit log')
      })
  }

  /** Asks the gate (when there is one) and carries out answers other than forwarding. */
  private async admit(
    record: RequestRecord,
    req: http.IncomingMessage,
    res: http.ServerResponse | undefined,
    target: http.ServerResponse | Duplex,
  ): Promise<Admission> {
    const { gate } = this.options
    if (gate === undefined) return { forward: true }
    const request: GateRequest = {
      req,
      res,
      host: record.host,
      path: record.path,
      tunnel: record.tunnel,
      kind: record.kind,
      clientIp: record.clientIp,
      proto: this.options.proto,
      reqId: record.reqId,
    }
    let decision: GateDecision
    try {
      decision = await gate.decide(request)
    } catch (err) {
      this.options.log.error({ [LogField.reqId]: record.reqId, [LogField.err]: err },
        'access gate failed')
      this.refuse(record, target, 500, RelayAnswerCode.gateFailed,
        'the access check failed; the request was not forwarded')
      return { forward: false }
    }
    if (decision.action === 'forward') {
      record.user = decision.identity?.user
      record.app = decision.identity?.app
      record.decision = decision.identity?.decision
      return {
        forward: true,
        ...(decision.addHeaders === undefined ? {} : { addHeaders: decision.addHeaders }),
        ...(decision.removeHeaders === undefined ? {} : { removeHeaders: decision.removeHeaders }),
        ...(decision.tcpSessionLimits === undefined ? {}
          : { tcpSessionLimits: decision.tcpSessionLimits }),
      }
    }
    if (decision.action === 'handled') return { forward: false }
    record.status = decision.status
    const body = decision.body === undefined ? Buffer.alloc(0) : Buffer.from(decision.body)
    const headers = (decision.headers ?? []).filter(([name]) => !isFraming(name))
    if (res === undefined) {
      writeRawResponse(target as Duplex, decision.status, headers, body)
    } else if (!res.headersSent) {
      res.writeHead(decision.status, [...headers.flat(), 'Content-Length', String(body.length)])
      res.end(body)
    }
    return { forward: false }
  }

  private refuse(
    record: RequestRecord,
    target: http.ServerResponse | Duplex,
    status: number,
    code: RelayAnswerCode,
    message: string,
  ): void {
    if ('writeHead' in target) answer(record, target, status, code, message)
    else answerUpgrade(record, target, status, code, message)
  }
}

function clientIp(req: http.IncomingMessage): string {
  const address = req.socket.remoteAddress ?? ''
  return address.startsWith('::ffff:') ? address.slice(7) : address
}

function isFraming(name: string): boolean {
  const lower = name.toLowerCase()
  return lower === 'content-length' || lower === 'transfer-encoding'
}
