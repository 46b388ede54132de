import { Writable } from 'node:stream'
import type { Logger } from 'pino'
import { createRelayLogger } from '../../src/log-fields.js'

/** A logger whose JSON lines are kept for the test to read back. */
export interface CapturedLog {
  logger: Logger
  lines: () => Array<Record<string, unknown>>
  /** Lines whose `msg` is `msg`. */
  find: (msg: string) => Array<Record<string, unknown>>
}

export function captureLog(level = 'debug'): CapturedLog {
  const chunks: string[] = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString())
      callback()
    },
  })
  const logger = createRelayLogger({ level, destination: sink })
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
  return { logger, lines, find: (msg) => lines().filter((line) => line.msg === msg) }
}
