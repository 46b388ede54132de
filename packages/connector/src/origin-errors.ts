import { OriginErrorCode, ResetCode } from '@keyway/protocol'
import { OriginError } from './errors.js'
import { LogField } from './log-fields.js'
import type { StreamContext } from './stream-context.js'

const refused = new Set(['ECONNREFUSED'])
const timedOut = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT'])
const unreachable = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'ENOENT',
  'EACCES',
  'EADDRNOTAVAIL',
])
const staleSocket = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED'])

/** Errors that mean a pooled keep-alive connection had died while idle. */
export function isStaleSocketError(err: unknown): boolean {
  return staleSocket.has(String((err as NodeJS.ErrnoException).code))
}

/** Maps an error from dialling or talking to an origin onto a stable {@link OriginError}. */
export function classifyOriginError(err: unknown): OriginError {
  if (err instanceof OriginError) return err
  const code = String((err as NodeJS.ErrnoException).code ?? '')
  const detail = code === '' ? (err as Error).message : code
  if (refused.has(code)) {
    return new OriginError(OriginErrorCode.refused, 'the origin refused the connection', {
      cause: err,
    })
  }
  if (timedOut.has(code)) {
    return new OriginError(OriginErrorCode.timeout, 'connecting to the origin timed out', {
      cause: err,
    })
  }
  if (unreachable.has(code)) {
    return new OriginError(OriginErrorCode.unreachable, `the origin is unreachable (${detail})`, {
      cause: err,
    })
  }
  if (/CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME_MISMATCH/.test(code)) {
    return new OriginError(OriginErrorCode.tls, `TLS with the origin failed (${detail})`, {
      cause: err,
    })
  }
  return new OriginError(
    OriginErrorCode.protocol,
    `the origin closed the connection without a valid response (${detail})`,
    { cause: err },
  )
}

/** The HTTP status the public client gets for an origin error. */
export function statusForOriginError(code: string): number {
  if (code === OriginErrorCode.timeout) return 504
  if (code === OriginErrorCode.badRequest) return 400
  return 502
}

/**
 * Answers the stream on behalf of an origin that could not be reached: 502 (504 for a
 * timeout) with the error in the reply head and a short text body naming the cause.
 * Request bytes still arriving are read and dropped so the stream can finish.
 */
export function respondOriginError(ctx: StreamContext, error: OriginError): void {
  const { stream } = ctx
  const status = statusForOriginError(error.code)
  const body = Buffer.from(`${status} keyway: ${error.message} (${error.code})\n`)
  ctx.status = status
  ctx.originError = error.code
  ctx.log.error(
    {
      [LogField.status]: status,
      [LogField.code]: error.code,
      [LogField.err]: error.cause ?? error,
    },
    'origin request failed',
  )
  stream.respond({
    status,
    headers: [
      ['Content-Type', 'text/plain; charset=utf-8'],
      ['Content-Length', String(body.length)],
    ],
    hasBody: true,
    error: { code: error.code, message: error.message },
  })
  stream.data.end(body)
  discardRequest(ctx)
}

/** Reads and drops the rest of the request bytes. */
export function discardRequest(ctx: StreamContext): void {
  const { data } = ctx.stream
  data.unpipe()
  data.resume()
}

/** Resets the stream because the origin failed after the answer had started. */
export function failMidStream(ctx: StreamContext, err: unknown): void {
  if (ctx.closed) return
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  const resetCode = code === 'ECONNRESET' ? ResetCode.connect : ResetCode.internal
  ctx.originError = classifyOriginError(err).code
  ctx.log.warn({ [LogField.err]: err, resetCode }, 'origin failed mid-stream')
  ctx.stream.reset(resetCode)
}
