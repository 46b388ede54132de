import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import { DIAL_ERROR_HEADER } from '@keyway/protocol'
import type { RelayAnswerCode } from './errors.js'

/**
 * Answers an upgrade request on its raw socket with a plain HTTP error and closes it.
 * The `keyway-error` header carries `code`; the body explains it in a sentence.
 */
export function refuseUpgrade(
  socket: Duplex,
  status: number,
  code: RelayAnswerCode,
  message: string,
): void {
  if (socket.destroyed) return
  const body = Buffer.from(`${status} keyway: ${message} (${code})\n`)
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${body.length}`,
    `${DIAL_ERROR_HEADER}: ${code}`,
    'Connection: close',
  ].join('\r\n')
  socket.end(Buffer.concat([Buffer.from(`${head}\r\n\r\n`), body]))
  // A peer that never reads must not keep the socket open.
  setTimeout(() => socket.destroy(), 1_000).unref()
}
