import type { IncomingStream } from '@keyway/protocol'
import type { Logger } from 'pino'
import type { IngressRule } from './config.js'
import type { OriginPool } from './origin-pool.js'

/**
 * One stream being served: what it is for, where it goes, and the outcome the stream
 * handler logs and counts when the stream closes.
 */
export class StreamContext {
  readonly stream: IncomingStream
  readonly rule: IngressRule
  readonly pool: OriginPool
  readonly log: Logger
  /** The status answered, once answered. */
  status: number | undefined
  /** Body or TCP bytes carried towards the origin. */
  bytesIn = 0
  /** Body or TCP bytes carried back from the origin. */
  bytesOut = 0
  /** Set when the origin could not be reached or failed mid-stream. */
  originError: string | undefined

  constructor(stream: IncomingStream, rule: IngressRule, pool: OriginPool, log: Logger) {
    this.stream = stream
    this.rule = rule
    this.pool = pool
    this.log = log
  }

  /** Counts the bytes a readable side delivers; attach only once it is being consumed. */
  countIn(readable: NodeJS.ReadableStream): void {
    readable.on('data', (chunk: Buffer) => {
      this.bytesIn += chunk.length
    })
  }

  /** See {@link countIn}. */
  countOut(readable: NodeJS.ReadableStream): void {
    readable.on('data', (chunk: Buffer) => {
      this.bytesOut += chunk.length
    })
  }

  /** True once the relay reset the stream or it closed. */
  get closed(): boolean {
    return this.stream.data.destroyed
  }
}
