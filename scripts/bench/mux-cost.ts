/**
 * The tunnel multiplexer alone, both ends in this one process: the CPU time of one small
 * stream (head, 11-byte answer, trailers) and of one GiB of answer body, over Node's HTTP/2
 * on plain TCP, and over Keyway's H2Mux on a loopback WebSocket. What Keyway's relay and
 * connector can cost at the least, before any HTTP/1.1 on either side.
 *
 *   node --import tsx scripts/bench/mux-cost.ts
 */
import { once } from 'node:events'
import * as http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import { H2Mux, StreamKind, webSocketTransport } from '@keyway/protocol'
import { WebSocket, WebSocketServer } from 'ws'

const MiB = 1024 * 1024
const streams = 6_000
const bulkBytes = 512 * MiB
const body = Buffer.alloc(256 * 1024, 0x6b)

/** CPU time of `run` in this process, in microseconds. */
async function cpuOf(run: () => Promise<void>): Promise<number> {
  const before = process.cpuUsage()
  await run()
  const used = process.cpuUsage(before)
  return used.user + used.system
}

/** Runs `count` calls of `one`, 16 at a time. */
async function inBatches(count: number, one: () => Promise<unknown>): Promise<void> {
  for (let done = 0; done < count; done += 16) {
    await Promise.all(Array.from({ length: 16 }, one))
  }
}

function pump(out: NodeJS.WritableStream & { once: Function }, bytes: number): void {
  let left = bytes
  const next = (): void => {
    while (left > 0) {
      const piece = left >= body.length ? body : body.subarray(0, left)
      left -= piece.length
      if (!out.write(piece)) {
        out.once('drain', next)
        return
      }
    }
    out.end()
  }
  next()
}

async function plainHttp2(): Promise<[number, number]> {
  const server = http2.createServer()
  server.on('stream', (stream, headers) => {
    stream.resume()
    stream.respond({ ':status': 200 }, { waitForTrailers: true })
    stream.on('wantTrailers', () => stream.sendTrailers({}))
    pump(stream, Number(headers[':path']?.slice(1)))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const client = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
  const get = (bytes: number) => new Promise<void>((resolve) => {
    const req = client.request({ ':path': `/${bytes}`, 'x-meta': 'm'.repeat(400) })
    req.resume()
    req.on('close', resolve)
  })
  await inBatches(500, () => get(11))
  const small = (await cpuOf(() => inBatches(streams, () => get(11)))) / streams
  const bulk = (await cpuOf(() => get(bulkBytes))) / 1000 / (bulkBytes / (1024 * MiB))
  client.close()
  server.close()
  return [small, bulk]
}

async function keywayMux(): Promise<[number, number]> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
  await once(wss, 'listening')
  const accepted = once(wss, 'connection') as Promise<[WebSocket]>
  const port = (wss.address() as AddressInfo).port
  const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false })
  await once(ws, 'open')
  const [serverSide] = await accepted
  const opener = H2Mux.opener(webSocketTransport(serverSide))
  const acceptor = H2Mux.acceptor(webSocketTransport(ws))
  acceptor.on('stream', (stream) => {
    stream.data.resume()
    stream.respond({ status: 200, hasBody: true })
    pump(stream.data, Number(stream.head.target))
  })
  const headers: Array<[string, string]> = [['accept', '*/*'], ['user-agent', 'u'.repeat(100)]]
  const get = (bytes: number) => new Promise<void>((resolve) => {
    const stream = opener.open(
      { kind: StreamKind.http, reqId: 'r', host: 'h', method: 'GET', target: String(bytes),
        headers },
      { hasBody: false },
    )
    stream.data.resume()
    stream.data.on('close', resolve)
  })
  await inBatches(500, () => get(11))
  const small = (await cpuOf(() => inBatches(streams, () => get(11)))) / streams
  const bulk = (await cpuOf(() => get(bulkBytes))) / 1000 / (bulkBytes / (1024 * MiB))
  opener.destroy()
  acceptor.destroy()
  wss.close()
  return [small, bulk]
}

const [h2Small, h2Bulk] = await plainHttp2()
const [muxSmall, muxBulk] = await keywayMux()
const row = (label: string, small: number, bulk: number): string =>
  `${label.padEnd(28)} ${small.toFixed(0).padStart(14)} ${bulk.toFixed(0).padStart(12)}`
console.log(`${'both ends, one process'.padEnd(28)}  CPU us/stream   CPU ms/GiB`)
console.log(row('node:http2 over TCP', h2Small, h2Bulk))
console.log(row('H2Mux over a WebSocket', muxSmall, muxBulk))
process.exit(0)
