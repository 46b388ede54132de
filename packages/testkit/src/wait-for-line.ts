import { TestkitError, TestkitErrorCode } from './errors.js'
import type { LineLog, LineStream, LogLine } from './line-log.js'

/** A regular expression tested against each line, or a predicate on the line's text. */
export type LineMatcher = RegExp | ((line: string) => boolean)

/** Options of the line waits. */
export interface WaitForLineOptions {
  /** Default 15,000 ms. */
  readonly timeoutMs?: number
  /** Only lines with this sequence number or later (see `log.nextSeq`). Default 0: all. */
  readonly since?: number
  /** Only lines of this stream. Default: both. */
  readonly stream?: LineStream
  readonly signal?: AbortSignal
  /** How the awaited line is described in error messages. Default: the matcher. */
  readonly description?: string
}

/** What a wait reads from: the log, and a promise that settles when no more lines come. */
export interface LineSource {
  readonly name: string
  readonly log: LineLog
  readonly exited: Promise<{ code: number | null; signal: string | null; error?: Error }>
}

const defaultTimeoutMs = 15_000

/** Resolves with the first matching line of `source`; see `ProcessHandle.waitForLine`. */
export function waitForLineIn(
  source: LineSource,
  match: LineMatcher,
  options: WaitForLineOptions = {},
): Promise<LogLine> {
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs
  const since = options.since ?? 0
  const description = options.description ?? String(match)
  const test = typeof match === 'function' ? match : (text: string) => match.test(text)
  const accepts = (line: LogLine): boolean =>
    line.seq >= since &&
    (options.stream === undefined || line.stream === options.stream) &&
    test(line.text)

  return new Promise((resolve, reject) => {
    let settled = false
    const finish = (error: Error | undefined, line?: LogLine): void => {
      if (settled) return
      settled = true
      stopListening()
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
      if (error) reject(error)
      else resolve(line as LogLine)
    }
    const fail = (code: TestkitErrorCode, why: string, cause?: unknown): void => {
      const message =
        `'${source.name}' printed no line matching ${description}: ${why}; last lines:\n` +
        (source.log.tail() || '(no output)')
      finish(new TestkitError(code, message, { cause }))
    }
    const onAbort = (): void => fail(TestkitErrorCode.timeout, 'aborted', options.signal?.reason)

    const stopListening = source.log.onLine((line) => {
      if (accepts(line)) finish(undefined, line)
    })
    const timer = setTimeout(
      () => fail(TestkitErrorCode.timeout, `none within ${timeoutMs} ms`),
      timeoutMs,
    )
    options.signal?.addEventListener('abort', onAbort, { once: true })
    if (options.signal?.aborted) onAbort()

    const kept = source.log.lines.find(accepts)
    if (kept) finish(undefined, kept)

    void source.exited.then((info) => {
      if (settled) return
      const late = source.log.lines.find(accepts)
      if (late) return finish(undefined, late)
      const how = info.error
        ? `it could not be started (${info.error.message})`
        : `it exited with ${info.signal ? `signal ${info.signal}` : `code ${info.code}`}`
      fail(TestkitErrorCode.processExited, how, info.error)
    })
  })
}
