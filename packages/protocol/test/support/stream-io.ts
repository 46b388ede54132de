import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import type { Readable, Writable } from 'node:stream'
import type { IncomingStream, MuxSession, MuxStream } from '../../src/mux.js'
import type { StreamHead } from '../../src/wire.js'

/** An `http` stream head; `overrides` replace its fields. */
export function httpHead(overrides: Partial<StreamHead> = {}): StreamHead {
  return {
    kind: 'http',
    reqId: 'req-1',
    host: 'app.test',
    method: 'GET',
    target: '/',
    ...overrides,
  }
}

/** Serves every stream the acceptor receives with `serve`. */
export function serveStreams(
  session: MuxSession,
  serve: (stream: IncomingStream) => void,
): void {
  session.on('stream', serve)
}

/** Answers with a body and sends back every byte received, half-close included. */
export function echo(stream: IncomingStream): void {
  stream.respond({ status: 200, hasBody: true })
  stream.data.pipe(stream.data)
}

/** Reads a readable to its end. */
export async function readAll(readable: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of readable) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** Resolves once the stream has closed, whether cleanly or by a reset. */
export function closed(stream: MuxStream): Promise<void> {
  if (stream.data.closed) return Promise.resolve()
  return new Promise((resolve) => stream.data.once('close', () => resolve()))
}

/**
 * Watches a stream's readable side: `cleanEnds` counts the times it ended while no reset
 * code was set, which for a reset stream must stay 0.
 */
export function watchEnds(stream: MuxStream): { cleanEnds: number } {
  const seen = { cleanEnds: 0 }
  stream.data.on('end', () => {
    if (stream.resetCode === undefined) seen.cleanEnds++
  })
  return seen
}

/** Writes `chunk`, waiting for `drain` when the writer says so. */
export async function writeWithBackpressure(writable: Writable, chunk: Buffer): Promise<void> {
  if (!writable.write(chunk)) await once(writable, 'drain')
}

/** Sends `totalBytes` of random data and resolves with their SHA-256 (hex). */
export async function sendRandom(
  writable: Writable,
  totalBytes: number,
  chunkBytes = 256 * 1024,
): Promise<string> {
  const hash = createHash('sha256')
  for (let sent = 0; sent < totalBytes; sent += chunkBytes) {
    const chunk = randomBytes(Math.min(chunkBytes, totalBytes - sent))
    hash.update(chunk)
    await writeWithBackpressure(writable, chunk)
  }
  writable.end()
  return hash.digest('hex')
}

/** Reads to the end and resolves with the byte count and SHA-256 (hex). */
export async function hashAll(readable: Readable): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256')
  let bytes = 0
  for await (const chunk of readable) {
    hash.update(chunk as Buffer)
    bytes += (chunk as Buffer).length
  }
  return { bytes, sha256: hash.digest('hex') }
}

/**
 * Writes chunks until the writer stops being drained (no `drain` within `quietMs` after
 * `write()` returned false) or `capBytes` were written; resolves with the bytes written.
 * `record` receives every chunk so the caller can check what finally arrives.
 */
export async function writeUntilStalled(
  writable: Writable,
  capBytes: number,
  record: (chunk: Buffer) => void,
  quietMs = 300,
): Promise<number> {
  let written = 0
  while (written < capBytes) {
    const chunk = randomBytes(16 * 1024)
    record(chunk)
    written += chunk.length
    if (writable.write(chunk)) continue
    const drained = await Promise.race([
      once(writable, 'drain').then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), quietMs).unref()),
    ])
    if (!drained) break
  }
  return written
}

/** The `code` of what `action` throws, or undefined when it does not throw. */
export function thrownCode(action: () => unknown): string | undefined {
  try {
    action()
  } catch (err) {
    return (err as { code?: string }).code ?? 'no code'
  }
  return undefined
}
