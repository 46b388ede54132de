import type * as http from 'node:http'
import { pairsFromRaw } from './headers.js'
import { openRequest, relayPlainAnswer } from './http-proxy.js'
import { classifyOriginError, failMidStream, respondOriginError } from './origin-errors.js'
import type { HttpService, UnixService } from './service.js'
import { splice } from './splice.js'
import type { StreamContext } from './stream-context.js'

/**
 * Forwards an upgrade request (WebSocket). When the origin switches protocols the stream
 * answers 101 with the origin's headers as they were, then carries raw bytes both ways;
 * when the origin answers normally the answer is relayed like any HTTP response.
 */
export function forwardUpgrade(ctx: StreamContext, service: HttpService | UnixService): void {
  const { stream } = ctx
  let req: http.ClientRequest | undefined
  let answered = false
  let finished = false

  stream.data.once('close', () => {
    if (!answered || (!finished && stream.resetCode !== undefined)) req?.destroy()
  })

  req = openRequest(ctx, service, false, true)
  if (req === undefined) return
  req.once('upgrade', (res, socket, rest) => {
    answered = true
    finished = true
    ctx.status = 101
    stream.respond({
      status: 101,
      statusMessage: res.statusMessage,
      headers: pairsFromRaw(res.rawHeaders),
      hasBody: true,
    })
    if (rest.length > 0) {
      ctx.bytesOut += rest.length
      stream.data.write(rest)
    }
    splice(ctx, socket)
  })
  req.once('response', (res) => {
    answered = true
    relayPlainAnswer(ctx, res, () => {
      finished = true
    })
  })
  req.on('error', (err) => {
    if (ctx.closed || finished) return
    if (answered) failMidStream(ctx, err)
    else respondOriginError(ctx, classifyOriginError(err))
  })
  req.end()
}
