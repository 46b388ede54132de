import * as http from 'node:http'
import type { Readable } from 'node:stream'

/** A response as a real client received it. */
export interface ClientResponse {
  status: number
  statusMessage: string
  rawHeaders: string[]
  headers: http.IncomingHttpHeaders
  body: Buffer
  rawTrailers: string[]
}

/** What {@link send} sends. */
export interface SendOptions {
  host?: string
  method?: string
  path?: string
  /** Flat raw header list, sent as written (`[name, value, name, value]`). */
  headers?: string[]
  body?: Buffer | string | Readable
}

/** Sends one request to `127.0.0.1:port` with the given Host and reads the whole answer. */
export function send(port: number, options: SendOptions = {}): Promise<ClientResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: options.method ?? 'GET',
      path: options.path ?? '/',
      headers: ['Host', options.host ?? 'app.test', ...(options.headers ?? [])],
      agent: false,
    })
    req.once('error', reject)
    req.once('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.once('error', reject)
      res.once('aborted', () => reject(new Error('response aborted')))
      res.once('end', () => {
        if (!res.complete) return reject(new Error('response incomplete'))
        resolve({
          status: res.statusCode ?? 0,
          statusMessage: res.statusMessage ?? '',
          rawHeaders: res.rawHeaders,
          headers: res.headers,
          body: Buffer.concat(chunks),
          rawTrailers: res.rawTrailers,
        })
      })
    })
    const { body } = options
    if (body === undefined) req.end()
    else if (typeof body === 'string' || Buffer.isBuffer(body)) req.end(body)
    else body.pipe(req)
  })
}

/** The header lines called `name` (any case) of a flat raw list. */
export function linesOf(raw: readonly string[], name: string): string[] {
  const values: string[] = []
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() === name.toLowerCase()) values.push(raw[i + 1] as string)
  }
  return values
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Polls `condition` every 10 ms until it holds; rejects after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await delay(10)
  }
}
