import type { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'
import type { HeaderList, InfoHead, ReplyHead, StreamHead } from './wire.js'

/**
 * The multiplexer as the relay and connector see it: many streams over one transport,
 * each with a head, bytes both ways with half-close, optional trailers, and resets.
 * `H2Mux` implements it over HTTP/2; test/compliance.ts holds every implementation to it.
 */

/** Common to both ends of a stream. */
export interface MuxStream {
  /** The stream's bytes. `end()` half-closes; `'end'` means the peer half-closed. */
  readonly data: Duplex
  /** Resets the stream in both directions with an HTTP/2 error code (see `ResetCode`). */
  reset(code: number): void
  /** The reset code the stream closed with (sent or received), once closed by a reset. */
  readonly resetCode: number | undefined
  /** Trailers to send after the body; call before `data.end()` on a stream that may have them. */
  setTrailers(trailers: HeaderList): void
  /** Called once when the peer's trailers arrive. */
  onTrailers(listener: (trailers: HeaderList) => void): void
}

/** A stream this side opened. */
export interface OutgoingStream extends MuxStream {
  /** The peer's answer head; rejects if the stream ends or resets before it. */
  readonly reply: Promise<ReplyHead>
  /** Called for each informational head (100 Continue, 103) before the reply. */
  onInfo(listener: (info: InfoHead) => void): void
}

/** A stream the peer opened. */
export interface IncomingStream extends MuxStream {
  readonly head: StreamHead
  /** Sends the answer head; with `hasBody: false` the stream's sending side ends with it. */
  respond(reply: ReplyHead): void
  /** Sends an informational head before `respond`. */
  sendInfo(info: InfoHead): void
}

/** Options for opening a stream. */
export interface OpenOptions {
  /** False ends this side's output with the head (no body follows). */
  hasBody: boolean
  /** True when trailers may be sent after the body. */
  mayHaveTrailers?: boolean
}

/** One multiplexed connection. Events: `'stream'` (IncomingStream), `'goaway'`, `'close'`. */
export interface MuxSession extends EventEmitter {
  /** Opens a stream carrying `head`. Throws `ERR_SESSION_DRAINING` once the peer drains. */
  open(head: StreamHead, options: OpenOptions): OutgoingStream
  /** Tells the peer to open no new streams; streams under way carry on. */
  goAway(): void
  /** True once either side announced it will accept no new streams. */
  readonly draining: boolean
  readonly closed: boolean
  /** Streams currently open in either direction. */
  readonly activeStreams: number
  /** Measures the round trip to the peer. */
  ping(): Promise<number>
  /** Closes after the open streams finish. */
  close(): Promise<void>
  /** Closes at once; open streams are reset. */
  destroy(error?: Error): void
}
