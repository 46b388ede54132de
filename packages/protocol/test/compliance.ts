import { once } from 'node:events'
import { afterEach, beforeEach, describe } from 'vitest'
import type { IncomingStream, MuxSession } from '../src/mux.js'
import { sessionCases } from './compliance-session.js'
import { streamCases } from './compliance-streams.js'

/** Two ends of one multiplexed connection, as a compliance run needs them. */
export interface MuxPair {
  /** The end that opens streams (the relay's). */
  opener: MuxSession
  /** The end that accepts them (the connector's). */
  acceptor: MuxSession
  /** The per-stream window each end grants: what a paused reader may be sent. */
  streamWindowBytes: number
  close(): Promise<void>
}

/** The pair under test in the current case; a fresh one for every case. */
export class ComplianceFixture {
  private current: MuxPair | undefined

  get pair(): MuxPair {
    if (this.current === undefined) throw new Error('no mux pair outside a test')
    return this.current
  }

  get opener(): MuxSession {
    return this.pair.opener
  }

  get acceptor(): MuxSession {
    return this.pair.acceptor
  }

  /** Resolves with the next stream the acceptor receives. */
  async nextStream(): Promise<IncomingStream> {
    const [stream] = (await once(this.acceptor, 'stream')) as [IncomingStream]
    return stream
  }

  async open(makePair: () => Promise<MuxPair>): Promise<void> {
    this.current = await makePair()
  }

  async close(): Promise<void> {
    await this.current?.close()
    this.current = undefined
  }
}

/**
 * The behaviour every `MuxSession` implementation must show: ordering, half-close each
 * way, resets each way, bounded buffering for a paused reader, many streams in sequence
 * and at once, large transfers, exact heads and trailers, metadata limits, bad heads,
 * GOAWAY and ping. Call it from a test file with a factory that makes a connected pair.
 */
export function muxCompliance(name: string, makePair: () => Promise<MuxPair>): void {
  describe(`${name} (mux compliance)`, () => {
    const fixture = new ComplianceFixture()
    beforeEach(() => fixture.open(makePair))
    afterEach(() => fixture.close())

    streamCases(fixture)
    sessionCases(fixture)
  })
}
