import { Writable } from 'node:stream'
import type { Logger } from 'pino'
import { createConnectorLogger } from '../../src/log-fields.js'

/** A logger whose JSON lines are kept for the test to read back. */
export interface CapturedLog {
  logger: Logger
  lines: () => Array<Record<string, unknown>>
}

export function captureLog(level = 'debug'): CapturedLog {
  const chunks: string[] = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString())
      callback()
    },
  })
  const logger = createConnectorLogger({ level, destination: sink })
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  }
}
