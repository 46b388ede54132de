/** The benchmark's measurements, each against one path (direct, baseline or Keyway). */
import { once } from 'node:events'
import * as http from 'node:http'
import autocannon from 'autocannon'
import { WebSocket } from 'ws'

/** Where a client connects to reach the origin, and the Host it sends. */
export interface BenchPath {
  readonly name: string
  readonly port: number
  readonly host: string
}

const MiB = 1024 * 1024

function request(
  path: BenchPath,
  options: http.RequestOptions,
  agent?: http.Agent,
): http.ClientRequest {
  return http.request({
    host: '127.0.0.1',
    port: path.port,
    agent: agent ?? false,
    ...options,
    headers: { host: path.host, ...options.headers },
  })
}

function download(path: BenchPath, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(path, { method: 'GET', path: `/bytes/${bytes}` })
    req.on('response', (res) => {
      let received = 0
      res.on('data', (data: Buffer) => {
        received += data.length
      })
      res.on('end', () => resolve(received))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** One stream downloading `bytes`: MiB/s. */
export async function bulkDownload(path: BenchPath, bytes: number): Promise<number> {
  const started = performance.now()
  const received = await download(path, bytes)
  if (received !== bytes) throw new Error(`${path.name}: got ${received} of ${bytes} bytes`)
  return received / MiB / ((performance.now() - started) / 1000)
}

/** One stream uploading `bytes`: MiB/s. */
export async function bulkUpload(path: BenchPath, bytes: number): Promise<number> {
  const chunk = Buffer.alloc(256 * 1024, 0x75)
  const started = performance.now()
  const answer = await new Promise<string>((resolve, reject) => {
    const req = request(path, {
      method: 'POST',
      path: '/sink',
      headers: { 'content-length': String(bytes) },
    })
    req.on('response', (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (data: string) => {
        body += data
      })
      res.on('end', () => resolve(body))
    })
    req.on('error', reject)
    let left = bytes
    const pump = (): void => {
      while (left > 0) {
        const piece = left >= chunk.length ? chunk : chunk.subarray(0, left)
        left -= piece.length
        if (!req.write(piece)) {
          req.once('drain', pump)
          return
        }
      }
      req.end()
    }
    pump()
  })
  if (Number(answer) !== bytes) throw new Error(`${path.name}: origin got ${answer} of ${bytes}`)
  return bytes / MiB / ((performance.now() - started) / 1000)
}

/** `count` concurrent downloads of `bytes` each: aggregate MiB/s. */
export async function concurrentDownloads(
  path: BenchPath,
  count: number,
  bytes: number,
): Promise<number> {
  const started = performance.now()
  const sizes = await Promise.all(Array.from({ length: count }, () => download(path, bytes)))
  const total = sizes.reduce((sum, size) => sum + size, 0)
  if (total !== count * bytes) throw new Error(`${path.name}: got ${total} of ${count * bytes}`)
  return total / MiB / ((performance.now() - started) / 1000)
}

/** Result of the small-request load. */
export interface LoadResult {
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  errors: number
  /** Requests answered with 2xx. */
  completed: number
}

/** Small requests with keep-alive at `connections` connections for `seconds`. */
export async function smallRequests(
  path: BenchPath,
  connections: number,
  seconds: number,
): Promise<LoadResult> {
  // autocannon's own latency histogram counts whole milliseconds; its response event carries
  // each latency in fractional milliseconds, which the percentiles here are taken from.
  const latenciesMs: number[] = []
  const instance = autocannon({
    url: `http://127.0.0.1:${path.port}/small`,
    headers: { host: path.host },
    connections,
    duration: seconds,
    pipelining: 1,
  })
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, ms: number) => {
    if (statusCode >= 200 && statusCode < 300) latenciesMs.push(ms)
  })
  const result = await instance
  latenciesMs.sort((a, b) => a - b)
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: percentile(latenciesMs, 0.5),
    p99Ms: percentile(latenciesMs, 0.99),
    errors: result.errors + result.non2xx,
    completed: latenciesMs.length,
  }
}

/** Result of the sequential latency run, in microseconds. */
export interface LatencyResult {
  p50Us: number
  p99Us: number
}

function percentile(sorted: readonly number[], fraction: number): number {
  const index = Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))
  return sorted[index] ?? Number.NaN
}

/** `count` sequential small requests over one keep-alive connection. */
export async function sequentialLatency(path: BenchPath, count: number): Promise<LatencyResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  const samples: number[] = []
  try {
    for (let i = 0; i < count + 50; i++) {
      const started = process.hrtime.bigint()
      await new Promise<void>((resolve, reject) => {
        const req = request(path, { method: 'GET', path: '/small' }, agent)
        req.on('response', (res) => {
          res.resume()
          res.on('end', () => resolve())
        })
        req.on('error', reject)
        req.end()
      })
      // The first requests warm up the connection and the JIT; they are not counted.
      if (i >= 50) samples.push(Number(process.hrtime.bigint() - started) / 1000)
    }
  } finally {
    agent.destroy()
  }
  samples.sort((a, b) => a - b)
  return { p50Us: percentile(samples, 0.5), p99Us: percentile(samples, 0.99) }
}

/** Opens a WebSocket through `path`. */
export async function openWebSocket(path: BenchPath): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${path.port}/ws`, {
    headers: { host: path.host },
    perMessageDeflate: false,
  })
  await once(ws, 'open')
  return ws
}

/** 1 KiB messages echoed over one WebSocket for `seconds`, 16 in flight: messages/s. */
export async function webSocketEcho(path: BenchPath, seconds: number): Promise<number> {
  const ws = await openWebSocket(path)
  const message = Buffer.alloc(1024, 0x77)
  const inFlight = 16
  let echoed = 0
  const deadline = performance.now() + seconds * 1000
  const started = performance.now()
  await new Promise<void>((resolve, reject) => {
    ws.on('error', reject)
    ws.on('message', () => {
      echoed++
      if (performance.now() < deadline) ws.send(message)
      else if (echoed % inFlight === 0 || performance.now() > deadline + 1000) resolve()
    })
    for (let i = 0; i < inFlight; i++) ws.send(message)
  })
  const elapsed = (performance.now() - started) / 1000
  ws.terminate()
  return echoed / elapsed
}

/** Opens `count` idle WebSockets through `path`, `batch` at a time. */
export async function openManyWebSockets(
  path: BenchPath,
  count: number,
  batch = 250,
): Promise<WebSocket[]> {
  const sockets: WebSocket[] = []
  for (let opened = 0; opened < count; opened += batch) {
    const size = Math.min(batch, count - opened)
    sockets.push(...(await Promise.all(Array.from({ length: size }, () => openWebSocket(path)))))
  }
  return sockets
}
