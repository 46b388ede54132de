import type { Logger } from 'pino'

import { ExitCode } from './errors.js'

/** Options of {@link exitOnSignals}. */
export interface ExitOnSignalsOptions {
  readonly logger: Logger
  /** What the process is, for the log lines: `relay`, `connector`, `demo`. */
  readonly component: string
  /** The graceful stop: stop taking work, let work under way finish, close. */
  readonly drain: () => Promise<void>
  /** Last synchronous cleanup before a second signal ends the process without draining. */
  readonly onForcedExit?: () => void
  /** Ends the process; `process.exit` when omitted. */
  readonly exit?: (code: number) => void
}

const signals = ['SIGTERM', 'SIGINT'] as const

/**
 * The shutdown of a long-running command: the first SIGTERM or SIGINT drains and then exits
 * 0 (1 when draining failed); a second one exits at once with 130. Until then the process
 * stays up even with nothing else to wait on. Returns a function that removes the handlers.
 */
export function exitOnSignals(options: ExitOnSignalsOptions): () => void {
  const { logger, component } = options
  const exit = options.exit ?? ((code: number) => process.exit(code))
  let draining = false

  const finish = (code: number): void => {
    logger.flush()
    exit(code)
  }
  const onSignal = (signal: NodeJS.Signals): void => {
    if (draining) {
      logger.warn({ signal, component }, 'second signal; exiting without draining')
      try {
        options.onForcedExit?.()
      } finally {
        finish(ExitCode.interrupted)
      }
      return
    }
    draining = true
    logger.info({ signal, component }, 'shutting down')
    options.drain().then(
      () => {
        logger.info({ component }, 'stopped')
        finish(ExitCode.ok)
      },
      (err: unknown) => {
        logger.error({ err, component }, 'shutdown failed')
        finish(ExitCode.failure)
      },
    )
  }

  for (const signal of signals) process.on(signal, onSignal)
  // The libraries unref their timers; a connector waiting to redial holds no socket, and
  // the process must stay up until a signal says otherwise.
  const keepAlive = setInterval(() => undefined, 1 << 30)
  return () => {
    clearInterval(keepAlive)
    for (const signal of signals) process.off(signal, onSignal)
  }
}
