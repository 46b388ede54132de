import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import * as http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { HeaderList, MuxSession } from '@keyway/protocol'

/**
 * The smallest public front a relay could have for upgrades: it turns each upgrade
 * request it receives into an `upgrade` stream on `session` and joins the client's socket
 * to the stream after a 101. Enough to drive real WebSocket clients through a connector.
 */
export async function startMiniFront(session: MuxSession, host = 'app.test') {
  const server = http.createServer((_req, res) => res.writeHead(404).end())
  // An upgraded socket leaves the server's connection list, so closeAllConnections() does
  // not reach it and server.close() would wait for it forever.
  const upgraded = new Set<Socket>()
  server.on('upgrade', (req: http.IncomingMessage, socket: Socket, rest: Buffer) => {
    upgraded.add(socket)
    socket.once('close', () => upgraded.delete(socket))
    void carry(session, host, req, socket, rest)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of upgraded) socket.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

async function carry(
  session: MuxSession,
  host: string,
  req: http.IncomingMessage,
  socket: Socket,
  rest: Buffer,
): Promise<void> {
  socket.on('error', () => {})
  const headers: HeaderList = []
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    headers.push([req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string])
  }
  const stream = session.open(
    {
      kind: 'upgrade',
      reqId: randomUUID(),
      host,
      method: req.method ?? 'GET',
      target: req.url ?? '/',
      headers,
      hasBody: true,
    },
    { hasBody: true },
  )
  let reply
  try {
    reply = await stream.reply
  } catch {
    socket.destroy()
    return
  }
  const lines = [`HTTP/1.1 ${reply.status} ${reply.statusMessage ?? ''}`]
  for (const [name, value] of reply.headers ?? []) lines.push(`${name}: ${value}`)
  if (reply.status !== 101) lines.push('Connection: close')
  socket.write(`${lines.join('\r\n')}\r\n\r\n`)
  if (rest.length > 0) stream.data.write(rest)
  stream.data.pipe(socket)
  socket.pipe(stream.data)
  socket.on('close', () => {
    if (!stream.data.writableEnded) stream.reset(0x8)
  })
}
