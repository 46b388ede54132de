import { ResetCode, TCP_EOF_MESSAGE, TcpCloseCode } from '@keyway/protocol'
import type { RawData, WebSocket } from 'ws'
import { LogField } from './log-fields.js'
import type {
  TcpBridgeLimits,
  TcpBridgeRequest,
  TcpSessionSummary,
  TcpSessionTally,
} from './tcp-bridge.js'

/**
 * Joins one accepted WebSocket and its stream. Binary messages become stream bytes and
 * stream bytes become binary messages; `eof` ends the stream's output and the stream's
 * end sends `eof`. Once both ended, the WebSocket closes with 1000.
 */
export function spliceSession(
  ws: WebSocket,
  request: TcpBridgeRequest,
  tally: TcpSessionTally,
  limits: TcpBridgeLimits,
  startedAtMs: number,
): void {
  const { stream, log } = request
  const { data } = stream
  const lowWaterBytes = Math.floor(limits.highWaterBytes / 2)
  let clientEnded = false
  let originEnded = false
  let waitingForDrain = false
  let pausedForClient = false

  const closeWith = (code: number, reason: string) => {
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason)
    // A socket paused for a stream that will never drain now would not read the client's
    // answering close frame, and the session would hang on until ws's close timeout.
    if (waitingForDrain) {
      waitingForDrain = false
      ws.resume()
    }
  }
  const idle = setTimeout(() => {
    log.info({ [LogField.reqId]: request.reqId }, 'tcp session idle; closing')
    closeWith(TcpCloseCode.idleTimeout, 'idle timeout')
    stream.reset(ResetCode.cancel)
  }, limits.idleTimeoutMs)
  const deadline = setTimeout(() => {
    log.info({ [LogField.reqId]: request.reqId }, 'tcp session reached its maximum duration')
    closeWith(TcpCloseCode.maxDuration, 'maximum session duration')
    stream.reset(ResetCode.cancel)
  }, limits.maxSessionMs)
  const closeWhenBothEnded = () => {
    if (!clientEnded || !originEnded) return
    tally.outcome = 'upgraded'
    closeWith(TcpCloseCode.normal, '')
  }
  const protocolError = (what: string) => {
    log.info({ [LogField.reqId]: request.reqId, problem: what }, 'tcp session protocol error')
    closeWith(TcpCloseCode.protocolError, 'protocol error')
    stream.reset(ResetCode.cancel)
  }

  ws.on('message', (message: RawData, isBinary: boolean) => {
    idle.refresh()
    const bytes = message as Buffer
    if (!isBinary) {
      if (clientEnded || bytes.toString('utf8') !== TCP_EOF_MESSAGE) {
        return protocolError('unexpected text message')
      }
      clientEnded = true
      data.end()
      // A Writable that is ending emits no 'drain': read on, to see the close frame.
      if (waitingForDrain) {
        waitingForDrain = false
        ws.resume()
      }
      return closeWhenBothEnded()
    }
    if (clientEnded) return protocolError('data after eof')
    if (bytes.length === 0) return
    tally.bytesIn += bytes.length
    if (!data.write(bytes) && !waitingForDrain) {
      waitingForDrain = true
      ws.pause()
      data.once('drain', () => {
        waitingForDrain = false
        ws.resume()
      })
    }
  })
  const sent = () => {
    if (pausedForClient && ws.bufferedAmount <= lowWaterBytes) {
      pausedForClient = false
      data.resume()
    }
  }
  data.on('data', (chunk: Buffer) => {
    idle.refresh()
    tally.bytesOut += chunk.length
    ws.send(chunk, { binary: true }, sent)
    if (ws.bufferedAmount > limits.highWaterBytes) {
      pausedForClient = true
      data.pause()
    }
  })
  data.once('end', () => {
    if (stream.resetCode !== undefined) return
    originEnded = true
    if (ws.readyState === ws.OPEN) ws.send(TCP_EOF_MESSAGE, { binary: false })
    closeWhenBothEnded()
  })
  data.once('close', () => {
    if (stream.resetCode === undefined && clientEnded && originEnded) return
    tally.outcome ??= 'stream-reset'
    tally.resetCode ??= stream.resetCode
    const code = stream.resetCode ?? ResetCode.cancel
    closeWith(TcpCloseCode.resetBase + (code <= 0xff ? code : ResetCode.internal), 'reset')
  })
  ws.on('error', (err) => {
    log.info({ [LogField.reqId]: request.reqId, [LogField.err]: err }, 'tcp session error')
  })
  ws.once('close', (code: number) => {
    clearTimeout(idle)
    clearTimeout(deadline)
    const clean = clientEnded && originEnded && code === TcpCloseCode.normal
    if (!clean) {
      tally.outcome ??= 'client-aborted'
      stream.reset(ResetCode.cancel)
    }
    request.onEnd?.(summary(request, tally, clean ? 'closed' : 'reset', startedAtMs, code))
  })
  data.resume()
}

/** The summary of a session for {@link TcpBridgeRequest.onEnd}. */
export function summary(
  request: TcpBridgeRequest,
  tally: TcpSessionTally,
  outcome: TcpSessionSummary['outcome'],
  startedAtMs: number,
  closeCode: number | undefined,
): TcpSessionSummary {
  return Object.freeze({
    reqId: request.reqId,
    status: tally.status ?? 0,
    outcome,
    startedAtMs,
    endedAtMs: Date.now(),
    bytesIn: tally.bytesIn,
    bytesOut: tally.bytesOut,
    closeCode,
    resetCode: tally.resetCode ?? request.stream.resetCode,
  })
}
