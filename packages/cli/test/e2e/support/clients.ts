import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  request,
  type ClientRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http'
import { connect } from 'node:net'

import { loopbackLookup } from '@keyway/testkit'

/** Opens a request to `url` with every name resolved to 127.0.0.1 and no connection reuse. */
export function openRequest(
  url: string,
  options: { method?: string; headers?: OutgoingHttpHeaders | string[] } = {},
): ClientRequest {
  return request(url, {
    method: options.method ?? 'GET',
    headers: options.headers,
    lookup: loopbackLookup,
    agent: false,
  })
}

/** Waits for the response head of `req`. */
export function responseOf(req: ClientRequest): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    req.once('response', resolve)
    req.once('error', reject)
  })
}

/** How a response body ended: whole (`end`), or cut (`aborted`, with the error seen). */
export interface BodyResult {
  readonly ended: 'end' | 'aborted'
  readonly bytes: number
  readonly sha256: string
  readonly text: string
  readonly error: string | undefined
}

/** Reads a response body to its end or its abort, hashing it; keeps up to 1 MiB as text. */
export function readBody(res: IncomingMessage): Promise<BodyResult> {
  return new Promise((resolve) => {
    const hash = createHash('sha256')
    const kept: Buffer[] = []
    let bytes = 0
    let settled = false
    const finish = (ended: 'end' | 'aborted', error?: Error): void => {
      if (settled) return
      settled = true
      const text = Buffer.concat(kept).toString('utf8')
      resolve({ ended, bytes, sha256: hash.digest('hex'), text, error: error?.message })
    }
    res.on('data', (chunk: Buffer) => {
      hash.update(chunk)
      if (bytes < 1024 * 1024) kept.push(chunk)
      bytes += chunk.length
    })
    res.once('end', () => finish(res.complete ? 'end' : 'aborted'))
    res.once('error', (err) => finish('aborted', err))
    res.once('close', () => finish(res.complete ? 'end' : 'aborted'))
  })
}

/**
 * Sends raw bytes to 127.0.0.1:`port` and returns everything received until the server
 * closes the connection (or `timeoutMs`, default 5 s). The socket is not half-closed: the
 * request should say `Connection: close`.
 */
export function rawExchange(port: number, text: string, timeoutMs = 5_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const timer = setTimeout(() => socket.destroy(), timeoutMs)
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.once('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    socket.once('close', () => {
      clearTimeout(timer)
      resolve(Buffer.concat(chunks))
    })
    socket.write(text)
  })
}

/** What `curl` printed and how it exited. */
export interface CurlResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs curl (which resolves `*.localhost` to loopback by itself) with `args`. */
export function curl(args: readonly string[], timeoutMs = 15_000): Promise<CurlResult> {
  return new Promise((resolve) => {
    execFile(
      'curl',
      ['-sS', '--max-time', String(Math.ceil(timeoutMs / 1000)), ...args],
      { maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
        resolve({ code, stdout, stderr })
      },
    )
  })
}
