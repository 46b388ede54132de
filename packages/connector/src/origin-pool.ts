import * as http from 'node:http'
import * as https from 'node:https'
import type { StreamHead } from '@keyway/protocol'
import type { IngressRule } from './config.js'
import { OriginErrorCode } from '@keyway/protocol'
import { OriginError } from './errors.js'
import { flattenPairs, hasHeader, withHost } from './headers.js'
import type { HttpService, UnixService } from './service.js'

/** How to open one request to an HTTP origin. */
export interface OriginRequestInit {
  head: StreamHead
  rule: IngressRule
  service: HttpService | UnixService
  /** Bypass the pool: a new connection used once (the retry after a stale one). */
  fresh: boolean
  /** A WebSocket (or other) upgrade request. */
  upgrade: boolean
}

/**
 * Keep-alive connection pools to HTTP origins, one per ingress rule, bounded by the rule's
 * `maxConnections` and `keepAliveConnections`.
 */
export class OriginPool {
  private readonly agents = new Map<number, http.Agent>()

  /**
   * Starts a request to the origin; the caller writes the body and ends it. Arms the
   * rule's connect timeout, which destroys the request with `ERR_ORIGIN_TIMEOUT`.
   *
   * @throws when the head's target or headers are not valid HTTP/1.1 (Node refuses them).
   */
  request(init: OriginRequestInit): http.ClientRequest {
    const { head, rule, service } = init
    const secure = service.kind === 'http' && service.protocol === 'https:'
    const tls = tlsOptions(rule)
    const options: http.RequestOptions & https.RequestOptions = {
      method: head.method ?? 'GET',
      path: head.target ?? '/',
      headers: originHeaders(init) as unknown as http.OutgoingHttpHeaders,
      agent: init.fresh ? false : this.agentFor(rule, secure),
      ...(init.fresh && secure ? tls : {}),
      ...(service.kind === 'unix'
        ? { socketPath: service.socketPath }
        : { hostname: service.hostname, port: service.port }),
    }
    const req = secure ? https.request(options) : http.request(options)
    armConnectTimeout(req, rule.originRequest.connectTimeoutMs, secure)
    return req
  }

  /** Closes every pooled connection. */
  close(): void {
    for (const agent of this.agents.values()) agent.destroy()
    this.agents.clear()
  }

  private agentFor(rule: IngressRule, secure: boolean): http.Agent {
    const existing = this.agents.get(rule.number)
    if (existing !== undefined) return existing
    const { keepAliveConnections, keepAliveTimeoutMs, maxConnections } = rule.originRequest
    const options: http.AgentOptions = {
      keepAlive: keepAliveConnections > 0,
      maxFreeSockets: Math.max(1, keepAliveConnections),
      maxSockets: maxConnections,
      // An agent's timeout closes idle pooled sockets only, never one serving a request.
      timeout: keepAliveTimeoutMs,
    }
    const agent = secure
      ? new https.Agent({ ...options, ...tlsOptions(rule) })
      : new http.Agent(options)
    this.agents.set(rule.number, agent)
    return agent
  }
}

function tlsOptions(rule: IngressRule): https.AgentOptions {
  const { noTLSVerify, originServerName } = rule.originRequest
  return {
    rejectUnauthorized: !noTLSVerify,
    ...(originServerName === undefined ? {} : { servername: originServerName }),
  }
}

/** The header lines sent to the origin: the public request's, exactly, plus what HTTP needs. */
function originHeaders(init: OriginRequestInit): string[] {
  const { head, rule } = init
  let pairs = head.headers ?? []
  const hostHeader = rule.originRequest.httpHostHeader
  if (hostHeader !== undefined) pairs = withHost(pairs, hostHeader)
  else if (!hasHeader(pairs, 'host')) pairs = withHost(pairs, head.host)
  if (init.upgrade) {
    if (!hasHeader(pairs, 'connection')) pairs = [...pairs, ['Connection', 'Upgrade']]
    if (!hasHeader(pairs, 'upgrade')) pairs = [...pairs, ['Upgrade', 'websocket']]
  } else if (head.hasBody === true && !hasHeader(pairs, 'content-length')) {
    // The relay removed the public hop's framing; a body of unknown length is chunked here.
    pairs = [...pairs, ['Transfer-Encoding', 'chunked']]
  }
  return flattenPairs(pairs)
}

function armConnectTimeout(req: http.ClientRequest, timeoutMs: number, secure: boolean): void {
  req.once('socket', (socket) => {
    if (req.reusedSocket || (!socket.connecting && !secure)) return
    const timer = setTimeout(() => {
      const message = `connecting to the origin took longer than ${timeoutMs} ms`
      req.destroy(new OriginError(OriginErrorCode.timeout, message))
    }, timeoutMs)
    const clear = () => clearTimeout(timer)
    socket.once(secure ? 'secureConnect' : 'connect', clear)
    socket.once('close', clear)
    req.once('response', clear)
    req.once('close', clear)
  })
}
