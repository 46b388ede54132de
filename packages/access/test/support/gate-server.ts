import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

import type { GateDecision, RequestGate } from '../../src/index.js'

/** What the stand-in origin answers: the request as it would have reached the origin. */
export interface ForwardedEcho {
  readonly method: string
  readonly url: string
  readonly headers: Array<[string, string]>
  readonly identity: { user?: string; app?: string } | undefined
}

/** A plain HTTP server that does what the relay does with a gate. */
export interface GateServer {
  readonly port: number
  readonly decisions: GateDecision[]
  close(): Promise<void>
}

/**
 * Stands in for the relay: every request goes to `gate.decide()`. A `respond` decision is
 * written as is; a `forward` decision is answered 200 with the headers the origin would get
 * (client headers minus `keyway-access-*`, `cf-access-jwt-assertion` and `removeHeaders`,
 * then `addHeaders`), so tests see exactly what would be forwarded.
 */
export async function startGateServer(
  gate: RequestGate,
  tunnelHosts: readonly string[],
): Promise<GateServer> {
  const decisions: GateDecision[] = []
  const sockets = new Set<Socket>()
  const server = createServer((req, res) => {
    handle(gate, tunnelHosts, decisions, req, res).catch((err: unknown) => {
      res.statusCode = 599
      res.end(String(err))
    })
  })
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    decisions,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const socket of sockets) socket.destroy()
      await closed
    },
  }
}

async function handle(
  gate: RequestGate,
  tunnelHosts: readonly string[],
  decisions: GateDecision[],
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  req.resume()
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase()
  const decision = await gate.decide({
    req, res, host, path: req.url ?? '/',
    tunnel: tunnelHosts.includes(host) ? 'apps' : undefined,
    kind: 'http', clientIp: req.socket.remoteAddress ?? '', proto: 'http', reqId: randomUUID(),
  })
  decisions.push(decision)
  if (decision.action === 'handled') return
  if (decision.action === 'respond') {
    const body = Buffer.from(decision.body ?? '')
    res.writeHead(decision.status, [...(decision.headers ?? []).flat(),
      'Content-Length', String(body.length)])
    res.end(body)
    return
  }
  const removed = new Set((decision.removeHeaders ?? []).map((name) => name.toLowerCase()))
  const headers: Array<[string, string]> = []
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string
    const lower = name.toLowerCase()
    if (lower.startsWith('keyway-access-') || lower === 'cf-access-jwt-assertion') continue
    if (removed.has(lower)) continue
    headers.push([name, req.rawHeaders[i + 1] as string])
  }
  headers.push(...(decision.addHeaders ?? []))
  const echo: ForwardedEcho = { method: req.method ?? '', url: req.url ?? '', headers,
    identity: decision.identity }
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify(echo))
}
