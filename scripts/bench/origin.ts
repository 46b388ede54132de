/**
 * The benchmark's origin, run as its own process so that it does not share an event loop
 * with the load generator: `GET /bytes/N` streams N bytes, `POST /sink` reads the body and
 * answers its length, `GET /small` answers a short body, and any WebSocket upgrade echoes.
 * Prints `{"port":N}` on stdout once listening.
 */
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'

const chunk = Buffer.alloc(256 * 1024, 0x6b)
const small = Buffer.from('{"ok":true}')

function sendBytes(res: http.ServerResponse, total: number): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total })
  let left = total
  const pump = (): void => {
    while (left > 0) {
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left)
      left -= piece.length
      if (!res.write(piece)) {
        res.once('drain', pump)
        return
      }
    }
    res.end()
  }
  pump()
}

const server = http.createServer((req, res) => {
  const url = req.url ?? '/'
  if (url === '/small') {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': small.length })
    res.end(small)
    return
  }
  if (url.startsWith('/bytes/')) {
    sendBytes(res, Number(url.slice('/bytes/'.length)))
    return
  }
  if (url === '/sink') {
    let received = 0
    req.on('data', (data: Buffer) => {
      received += data.length
    })
    req.on('end', () => res.writeHead(200).end(String(received)))
    return
  }
  res.writeHead(404).end()
})
server.keepAliveTimeout = 60_000

const wss = new WebSocketServer({ server, perMessageDeflate: false })
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
  ws.on('error', () => {})
})

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`)
})
process.on('SIGTERM', () => process.exit(0))
