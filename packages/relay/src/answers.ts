import type * as http from 'node:http'
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import { DIAL_ERROR_HEADER, type HeaderList } from '@keyway/protocol'
import type { RelayAnswerCode } from './errors.js'
import type { RequestRecord } from './request-record.js'

/** The text body of a relay answer: status, cause and code, one line. */
export function answerBody(status: number, code: RelayAnswerCode, message: string): Buffer {
  return Buffer.from(`${status} keyway: ${message} (${code})\n`)
}

/**
 * Answers a public request on behalf of the relay (no tunnel, unavailable, gate failure...)
 * with a one-line text body and the `keyway-error` header carrying `code`.
 */
export function answer(
  record: RequestRecord,
  res: http.ServerResponse,
  status: number,
  code: RelayAnswerCode,
  message: string,
): void {
  record.status = status
  record.code = code
  if (res.headersSent) {
    res.destroy()
    return
  }
  const body = answerBody(status, code, message)
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': body.length,
    'cache-control': 'no-store',
    [DIAL_ERROR_HEADER]: code,
  })
  res.end(body)
}

/**
 * The head of an HTTP/1.1 response for a raw socket, ending with `Connection: close`.
 * Framing and connection headers of `headers` are dropped except `Content-Length`; lines
 * that cannot be written safely are skipped.
 */
export function rawResponseHead(
  status: number,
  headers: HeaderList,
  statusMessage?: string,
): string {
  const reason = (statusMessage ?? STATUS_CODES[status] ?? '').replace(/[\r\n]/g, ' ')
  const lines = [`HTTP/1.1 ${status} ${reason}`]
  for (const [name, value] of headers) {
    const lower = name.toLowerCase()
    if (lower === 'connection' || lower === 'transfer-encoding' || lower === 'keep-alive') continue
    if (!isHeaderSafe(name, value)) continue
    lines.push(`${name}: ${value}`)
  }
  lines.push('Connection: close')
  return `${lines.join('\r\n')}\r\n\r\n`
}

/**
 * Writes a complete HTTP/1.1 response on a raw socket (an upgrade request that is not
 * upgraded) and closes the connection after it.
 */
export function writeRawResponse(
  socket: Duplex,
  status: number,
  headers: HeaderList,
  body: Buffer,
): void {
  if (socket.destroyed) return
  const framed: HeaderList = [
    ...headers.filter(([name]) => name.toLowerCase() !== 'content-length'),
    ['Content-Length', String(body.length)],
  ]
  socket.end(Buffer.concat([Buffer.from(rawResponseHead(status, framed)), body]))
}

/** A relay answer on a raw socket, for refused upgrades. */
export function answerUpgrade(
  record: RequestRecord,
  socket: Duplex,
  status: number,
  code: RelayAnswerCode,
  message: string,
): void {
  record.status = status
  record.code = code
  const headers: HeaderList = [
    ['Content-Type', 'text/plain; charset=utf-8'],
    [DIAL_ERROR_HEADER, code],
  ]
  writeRawResponse(socket, status, headers, answerBody(status, code, message))
}

/** True when a header line can be written on the wire without splitting it. */
export function isHeaderSafe(name: string, value: string): boolean {
  return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name) && !/[\r\n\0]/.test(value)
}
