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
  /**
   * The stream's bytes. `end()` half-closes. `'end'` while `resetCode` is undefined means
   * the peer half-closed; a reset may also end the readable side, but `resetCode` is set
   * before that `'end'`, so a reset is never taken for a clean end by a reader who checks.
   * Do not `pipe()` with `end: true` where a reset must not look like a clean end.
   */
  readonly data: Duplex
  /** Resets the stream in both directions with an HTTP/2 error code (see `ResetCode`). */
  reset(code: number): void
  /** The reset code the stream closed with (sent or received), once closed by a reset. */
  readonly resetCode: number | undefined
  /** Trailers to send after the body; call before `data.end()` on a stream that may have them. */
  setTrailers(trailers: HeaderList): void
  /** Called once with the peer's trailers: when they arrive, or at once if they already have. */
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
  /**
   * Sends the answer head; with `hasBody: false` the stream's sending side ends with it.
   * A head over `MAX_META_BYTES` resets the stream with `internal` instead of throwing.
   */
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

/**
 * One multiplexed connection. Events: `'stream'` (IncomingStream), `'goaway'`, `'close'`,
 * `'badStream'` (a ProtocolError: a stream with a malformed head was reset, the session
 * carries on) and `'sessionError'` (the transport or session failed; `'close'` follows).
 */
export interface MuxSession extends EventEmitter {
  /**
   * Opens a stream carrying `head`. Throws `ERR_SESSION_DRAINING` once either end went
   * away, `ERR_SESSION_CLOSED` once closed or closing, and `ERR_META_TOO_LARGE` for a head
   * whose encoding is over `MAX_META_BYTES` (nothing is sent then).
   */
  open(head: StreamHead, options: OpenOptions): OutgoingStream
  /** Tells the peer to open no new streams; streams under way carry on. */
  goAway(): void
  /** True once either side announced it will accept no new streams. */
  readonly draining: boolean
  /** True once the session has ended: no stream runs on it any more. */
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
