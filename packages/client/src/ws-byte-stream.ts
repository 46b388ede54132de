import { Duplex } from 'node:stream'
import { ResetCode, TCP_EOF_MESSAGE, TcpCloseCode } from '@keyway/protocol'
import { WebSocket, type RawData } from 'ws'
import { ClientError, ClientErrorCode } from './errors.js'

/** Options of {@link WebSocketByteStream}. */
export interface WebSocketByteStreamOptions {
  /** Names the app in error messages. */
  readonly appName: string
  /** Sends a WebSocket ping this often so idle sessions survive proxies. Default 30,000. */
  readonly keepAliveMs?: number
}

/**
 * The TCP bytes of one session over an open `keyway-tcp.v1` WebSocket, as a Duplex with
 * half-close: `end()` sends the end-of-output message and keeps reading; the peer's
 * end-of-output ends the readable side. Once both sides ended the WebSocket closes with
 * 1000. Any other close, and `destroy()` before both ended, is a reset and surfaces as a
 * `ERR_CONNECTION_RESET` error. Backpressure: a reader that stops pausing the stream
 * pauses the WebSocket, and each write completes once its frame reached the socket.
 */
export class WebSocketByteStream extends Duplex {
  private readonly ws: WebSocket
  private readonly appName: string
  private readonly keepAlive: NodeJS.Timeout
  private localEnded = false
  private remoteEnded = false

  constructor(ws: WebSocket, options: WebSocketByteStreamOptions) {
    super({ allowHalfOpen: true })
    this.ws = ws
    this.appName = options.appName
    ws.binaryType = 'nodebuffer'
    this.keepAlive = setInterval(() => {
      if (ws.readyState === WebSocket.OPEN) ws.ping()
    }, options.keepAliveMs ?? 30_000)
    this.keepAlive.unref()
    ws.on('message', (data, isBinary) => this.wsOnMessage(data, isBinary))
    ws.once('close', (code) => this.wsOnClose(code))
    // The close that follows an error carries what the user needs to know.
    ws.on('error', () => {})
  }

  override _read(): void {
    if (this.ws.isPaused) this.ws.resume()
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: WriteCb): void {
    if (this.ws.readyState !== WebSocket.OPEN) {
      callback(this.closedError())
      return
    }
    this.ws.send(chunk, { binary: true }, callback)
  }

  override _final(callback: WriteCb): void {
    if (this.ws.readyState !== WebSocket.OPEN) {
      callback(this.closedError())
      return
    }
    // Ended from here on: the relay may answer our eof with its close before the send
    // callback runs, and that close must count as clean.
    this.localEnded = true
    this.ws.send(TCP_EOF_MESSAGE, { binary: false }, (err) => {
      callback(err)
      this.closeWhenBothEnded()
    })
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    clearInterval(this.keepAlive)
    const state = this.ws.readyState
    if (state === WebSocket.OPEN || state === WebSocket.CONNECTING) {
      if (this.localEnded && this.remoteEnded) this.ws.close(TcpCloseCode.normal)
      else this.ws.close(TcpCloseCode.resetBase + ResetCode.cancel, 'reset by the client')
    }
    callback(err)
  }

  private wsOnMessage(data: RawData, isBinary: boolean): void {
    const bytes = data as Buffer
    if (this.remoteEnded) {
      this.protocolError('data after the end of output')
      return
    }
    if (isBinary) {
      if (bytes.length > 0 && !this.push(bytes)) this.ws.pause()
      return
    }
    if (bytes.toString('utf8') !== TCP_EOF_MESSAGE) {
      this.protocolError('an unknown text message')
      return
    }
    this.remoteEnded = true
    this.push(null)
    this.closeWhenBothEnded()
  }

  private wsOnClose(code: number): void {
    clearInterval(this.keepAlive)
    if (this.localEnded && this.remoteEnded) return
    this.destroy(closeError(code, this.appName))
  }

  private closeWhenBothEnded(): void {
    if (this.localEnded && this.remoteEnded && this.ws.readyState === WebSocket.OPEN) {
      this.ws.close(TcpCloseCode.normal)
    }
  }

  private protocolError(what: string): void {
    this.ws.close(TcpCloseCode.protocolError, 'protocol error')
    const message = `the relay for ${this.appName} broke the TCP session framing: ${what}`
    this.destroy(new ClientError(ClientErrorCode.protocol, message))
  }

  private closedError(): ClientError {
    return closeError(1006, this.appName)
  }
}

type WriteCb = (err?: Error | null) => void

/** The error for a session that closed before both sides ended their output. */
export function closeError(code: number, appName: string): ClientError {
  const reset = (what: string) =>
    new ClientError(ClientErrorCode.connectionReset, `${what} (${appName})`, { closeCode: code })
  if (code === TcpCloseCode.protocolError || code === TcpCloseCode.tooBig) {
    return new ClientError(
      ClientErrorCode.protocol,
      `the relay ended the session with a protocol error, code ${code} (${appName})`,
      { closeCode: code },
    )
  }
  if (code === TcpCloseCode.idleTimeout) return reset('the relay closed the idle session')
  if (code === TcpCloseCode.maxDuration) {
    return reset('the session reached its maximum duration; connect again')
  }
  if (code === TcpCloseCode.goingAway) return reset('the relay is shutting down; connect again')
  if (code >= TcpCloseCode.resetBase && code < TcpCloseCode.resetBase + 0x100) {
    const resetCode = code - TcpCloseCode.resetBase
    if (resetCode === ResetCode.connect) return reset("the app's server reset the connection")
    if (resetCode === ResetCode.refused) return reset('the tunnel refused the session; retry')
    return reset(`the session was reset (code ${resetCode})`)
  }
  if (code === 1006) return reset('the connection to the relay was lost')
  return reset(`the relay closed the session early, code ${code}`)
}
