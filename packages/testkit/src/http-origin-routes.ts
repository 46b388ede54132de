import { createHash, randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'

import { patternBytes } from './pattern-bytes.js'

/** The JSON body the echo route answers with. */
export interface EchoReply {
  readonly method: string
  readonly url: string
  readonly httpVersion: string
  /** Header lines exactly as received: names in their case, repeated names repeated. */
  readonly headers: Array<[string, string]>
  readonly trailers: Array<[string, string]>
  readonly bodyBytes: number
  readonly bodySha256: string
  readonly remoteAddress: string | undefined
}

const maxChunkBytes = 1024 * 1024
const maxBytesRoute = 2 ** 40

/**
 * The built-in routes of the HTTP origin; anything not listed is the echo route.
 * - `/bytes/N`: N bytes (pattern, or `?random=1`), `?chunked=1` for chunked with a
 *   `x-bytes-sha256` trailer, `?chunkBytes=K`; written with backpressure.
 * - `/slow?chunks=N&intervalMs=M`: text lines, one per interval.
 * - `/sse?events=N&intervalMs=M`: server-sent events, one per interval.
 * - `/status/N`: that status, with a short body unless it forbids one.
 * - `/trailers`: a chunked body followed by two trailers.
 * - `/reset?afterBytes=N`: promises more than it sends, then destroys the connection.
 * - `/hang`: never answers.
 * - echo: `?resHeader=name:value` (repeatable) adds response headers; `?status=N`.
 */
export function handleOriginRoute(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://origin.invalid')
  const query = url.searchParams
  const path = url.pathname
  const bytesMatch = /^\/bytes\/(\d{1,13})$/.exec(path)
  const statusMatch = /^\/status\/(\d{3})$/.exec(path)

  if (bytesMatch) return sendBytes(req, res, Number(bytesMatch[1]), query)
  if (statusMatch) return sendStatus(req, res, Number(statusMatch[1]))
  if (path === '/slow') return sendSlow(req, res, query, 'text')
  if (path === '/sse') return sendSlow(req, res, query, 'sse')
  if (path === '/trailers') return sendTrailers(req, res)
  if (path === '/reset') return sendReset(req, res, query)
  if (path === '/hang') return void req.resume()
  return sendEcho(req, res, query)
}

function sendEcho(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void {
  const hash = createHash('sha256')
  let bodyBytes = 0
  req.on('data', (chunk: Buffer) => {
    hash.update(chunk)
    bodyBytes += chunk.length
  })
  req.on('end', () => {
    const reply: EchoReply = {
      method: req.method ?? '',
      url: req.url ?? '',
      httpVersion: req.httpVersion,
      headers: headerPairs(req.rawHeaders),
      trailers: headerPairs(req.rawTrailers),
      bodyBytes,
      bodySha256: hash.digest('hex'),
      remoteAddress: req.socket.remoteAddress,
    }
    const extra = new Map<string, string[]>()
    for (const line of query.getAll('resHeader')) {
      const colon = line.indexOf(':')
      if (colon <= 0) continue
      const name = line.slice(0, colon).trim()
      extra.set(name, [...(extra.get(name) ?? []), line.slice(colon + 1).trim()])
    }
    for (const [name, values] of extra) res.setHeader(name, values)
    const status = Number(query.get('status') ?? 200)
    res.statusCode = status >= 200 && status <= 599 ? status : 200
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify(reply))
  })
}

function sendBytes(
  req: IncomingMessage,
  res: ServerResponse,
  total: number,
  query: URLSearchParams,
): void {
  req.resume()
  if (total > maxBytesRoute) return sendText(res, 400, `'N' must be at most ${maxBytesRoute}\n`)
  const chunkBytes = Math.min(Number(query.get('chunkBytes') ?? 65_536) || 65_536, maxChunkBytes)
  const random = query.get('random') === '1'
  const chunked = query.get('chunked') === '1'
  const hash = createHash('sha256')
  const block = random ? undefined : patternBytes(0, chunkBytes + 251)

  res.setHeader('content-type', 'application/octet-stream')
  if (chunked) res.setHeader('trailer', 'x-bytes-sha256')
  else res.setHeader('content-length', total)
  let sent = 0
  const pump = (): void => {
    while (sent < total && !res.destroyed) {
      const size = Math.min(chunkBytes, total - sent)
      const start = sent % 251
      const chunk = block ? block.subarray(start, start + size) : randomBytes(size)
      if (chunked) hash.update(chunk)
      sent += size
      if (!res.write(chunk)) return void res.once('drain', pump)
    }
    if (res.destroyed) return
    if (chunked) res.addTrailers({ 'x-bytes-sha256': hash.digest('hex') })
    res.end()
  }
  pump()
}

function sendSlow(
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
  kind: 'text' | 'sse',
): void {
  req.resume()
  const count = clampInt(query.get(kind === 'sse' ? 'events' : 'chunks'), 5, 1, 100_000)
  const intervalMs = clampInt(query.get('intervalMs'), 200, 0, 60_000)
  res.setHeader('content-type', kind === 'sse' ? 'text/event-stream' : 'text/plain')
  res.setHeader('cache-control', 'no-store')
  res.flushHeaders()
  let index = 0
  const timer = setInterval(() => {
    if (res.destroyed) return void clearInterval(timer)
    res.write(kind === 'sse' ? `id: ${index}\ndata: event ${index}\n\n` : `chunk ${index}\n`)
    index++
    if (index >= count) {
      clearInterval(timer)
      res.end()
    }
  }, intervalMs)
  res.on('close', () => clearInterval(timer))
}

function sendStatus(req: IncomingMessage, res: ServerResponse, status: number): void {
  req.resume()
  if (status < 200 || status > 599) return sendText(res, 400, "'N' must be from 200 to 599\n")
  if (status === 204 || status === 304) {
    res.statusCode = status
    return void res.end()
  }
  sendText(res, status, `status ${status}\n`)
}

function sendTrailers(req: IncomingMessage, res: ServerResponse): void {
  req.resume()
  res.setHeader('content-type', 'text/plain')
  res.setHeader('trailer', 'x-trailer-one, x-trailer-two')
  res.write('body before trailers\n')
  res.addTrailers({ 'x-trailer-one': 'one', 'x-trailer-two': 'two' })
  res.end()
}

function sendReset(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void {
  req.resume()
  const afterBytes = clampInt(query.get('afterBytes'), 1024, 0, maxChunkBytes)
  res.setHeader('content-type', 'application/octet-stream')
  res.setHeader('content-length', afterBytes * 2 + 1)
  res.write(patternBytes(0, afterBytes), () => {
    // Give the bytes a moment to leave before the abrupt end, so the reset comes mid-body.
    setTimeout(() => res.socket?.destroy(), 50)
  })
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status
  res.setHeader('content-type', 'text/plain')
  res.end(text)
}

/** Turns Node's flat raw header list into `[name, value]` lines. */
export function headerPairs(flat: readonly string[]): Array<[string, string]> {
  const result: Array<[string, string]> = []
  for (let index = 0; index + 1 < flat.length; index += 2) {
    result.push([flat[index] as string, flat[index + 1] as string])
  }
  return result
}

function clampInt(raw: string | null, fallback: number, min: number, max: number): number {
  const value = raw === null ? fallback : Number(raw)
  if (!Number.isInteger(value)) return fallback
  return Math.min(Math.max(value, min), max)
}
