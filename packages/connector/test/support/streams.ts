import { once } from 'node:events'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Readable } from 'node:stream'

/** Reads a readable to its end. */
export async function readAll(readable: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of readable) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** Resolves when `emitter` emits 'close' (errors before it are not rejections). */
export function closed(emitter: NodeJS.EventEmitter & { closed?: boolean }): Promise<void> {
  if (emitter.closed === true) return Promise.resolve()
  return new Promise((resolve) => emitter.once('close', () => resolve()))
}

/** Starts an HTTP server on loopback; returns it with its port. */
export async function listenHttp(
  handler: http.RequestListener,
): Promise<{ server: http.Server; port: number; close: () => Promise<void> }> {
  const server = http.createServer(handler)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    server,
    port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Polls `condition` every 10 ms until it holds; rejects after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await delay(10)
  }
}
