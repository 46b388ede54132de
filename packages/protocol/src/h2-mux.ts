import { EventEmitter } from 'node:events'
import * as http2 from 'node:http2'
import type { Duplex } from 'node:stream'
import { ProtocolError, ProtocolErrorCode } from './errors.js'
import {
  decodeInfoHead,
  decodeReplyHead,
  decodeStreamHead,
  decodeTrailers,
  encodeMeta,
} from './meta.js'
import type {
  IncomingStream,
  MuxSession,
  MuxStream,
  OpenOptions,
  OutgoingStream,
} from './mux.js'
import {
  META_HEADER,
  ResetCode,
  TRAILERS_HEADER,
  type HeaderList,
  type InfoHead,
  type ReplyHead,
  type StreamHead,
} from './wire.js'

/** Limits of one HTTP/2 tunnel session. Every one is finite. */
export interface H2MuxLimits {
  /** Inbound flow-control window per stream: what a paused reader may hold. */
  streamWindowBytes: number
  /** Inbound window for the whole connection: the memory cap across its streams. */
  sessionWindowBytes: number
  /** Streams the peer may have open at once towards us. */
  maxConcurrentStreams: number
  /** Largest header block accepted. */
  maxHeaderListBytes: number
  /** Node's cap on memory held by the session, in MiB. */
  maxSessionMemoryMiB: number
}

/** Defaults sized for a fast link without letting one connection hold much memory. */
export const defaultH2MuxLimits: Readonly<H2MuxLimits> = Object.freeze({
  streamWindowBytes: 4 * 1024 * 1024,
  sessionWindowBytes: 32 * 1024 * 1024,
  maxConcurrentStreams: 16_384,
  maxHeaderListBytes: 128 * 1024,
  maxSessionMemoryMiB: 64,
})

const { NGHTTP2_CANCEL } = http2.constants

function settingsFor(limits: H2MuxLimits): http2.Settings {
  return {
    initialWindowSize: limits.streamWindowBytes,
    maxConcurrentStreams: limits.maxConcurrentStreams,
    maxHeaderListSize: limits.maxHeaderListBytes,
    maxFrameSize: 64 * 1024,
    enablePush: false,
  }
}

abstract class H2Stream implements MuxStream {
  readonly data: Duplex
  protected readonly h2: http2.Http2Stream
  private trailers: HeaderList | undefined
  private sentReset: number | undefined
  /** The peer's trailers, kept from arrival: they often come in the same read as the head. */
  private receivedTrailers: HeaderList | undefined
  private readonly trailerListeners: Array<(trailers: HeaderList) => void> = []

  constructor(h2: http2.Http2Stream) {
    this.h2 = h2
    this.data = h2
    // Listen at once: a caller that adds its listener after awaiting the reply would miss
    // trailers that arrived with it (Node emits them once, on the next tick).
    h2.once('trailers', (headers: http2.IncomingHttpHeaders) => {
      let list: HeaderList
      try {
        list = decodeTrailers(headers[TRAILERS_HEADER])
      } catch {
        this.reset(ResetCode.protocol)
        return
      }
      this.receivedTrailers = list
      for (const listener of this.trailerListeners.splice(0)) listener(list)
    })
    // Every stream with a body waits for trailers, so that its END_STREAM flag is only ever
    // sent here. Node ends the writable side before it sends RST_STREAM; without the wait,
    // a reset of a stream whose peer had finished sending went out as a clean end.
    h2.on('wantTrailers', () => {
      if (this.sentReset !== undefined) return
      const list = this.trailers
      let trailers: http2.OutgoingHttpHeaders = {}
      try {
        if (list && list.length > 0) trailers = { [TRAILERS_HEADER]: encodeMeta(list) }
      } catch {
        // Oversized trailers: the body cannot be presented as complete without them.
        this.reset(ResetCode.internal)
        return
      }
      h2.sendTrailers(trailers)
    })
    // Errors surface through 'close' and resetCode; an unhandled 'error' must not crash.
    h2.on('error', () => {})
  }

  get resetCode(): number | undefined {
    if (this.sentReset !== undefined) return this.sentReset
    const code = this.h2.rstCode
    return code === undefined || (code === 0 && !this.h2.aborted) ? undefined : code
  }

  reset(code: number): void {
    if (this.h2.destroyed) return
    this.sentReset = code
    this.h2.close(code)
  }

  setTrailers(trailers: HeaderList): void {
    this.trailers = trailers
  }

  onTrailers(listener: (trailers: HeaderList) => void): void {
    if (this.receivedTrailers !== undefined) listener(this.receivedTrailers)
    else this.trailerListeners.push(listener)
  }
}

class H2Outgoing extends H2Stream implements OutgoingStream {
  readonly reply: Promise<ReplyHead>

  constructor(h2: http2.ClientHttp2Stream) {
    super(h2)
    this.reply = new Promise<ReplyHead>((resolve, reject) => {
      let settled = false
      h2.once('response', (headers) => {
        settled = true
        try {
          resolve(decodeReplyHead(headers[META_HEADER]))
        } catch (err) {
          this.reset(ResetCode.protocol)
          reject(err)
        }
      })
      h2.once('close', () => {
        // Most streams close after their reply: no error (and stack trace) is built for them.
        if (settled) return
        reject(
          new ProtocolError(
            ProtocolErrorCode.streamReset,
            `stream closed before its reply (reset code ${h2.rstCode})`,
            { resetCode: h2.rstCode },
          ),
        )
      })
    })
    // A rejection nobody awaits (the caller gave up on the stream) is not a crash.
    this.reply.catch(() => {})
  }

  onInfo(listener: (info: InfoHead) => void): void {
    this.h2.on('headers', (headers: http2.IncomingHttpHeaders) => {
      try {
        listener(decodeInfoHead(headers[META_HEADER]))
      } catch {
        this.reset(ResetCode.protocol)
      }
    })
  }
}

class H2Incoming extends H2Stream implements IncomingStream {
  readonly head: StreamHead
  private readonly server: http2.ServerHttp2Stream

  constructor(h2: http2.ServerHttp2Stream, head: StreamHead) {
    super(h2)
    this.server = h2
    this.head = head
    // Node closes a server stream whose answer is complete if nothing ever read its request
    // side, discarding the rest of the peer's bytes. A half-close must not end the stream,
    // so mark it read at once (this buffers at most the readable high-water mark).
    h2.read(0)
  }

  respond(reply: ReplyHead): void {
    if (this.server.destroyed || this.server.headersSent) return
    const meta = this.encodeOrReset(reply)
    if (meta === undefined) return
    this.server.respond(
      { ':status': 200, [META_HEADER]: meta },
      { endStream: !reply.hasBody, waitForTrailers: reply.hasBody },
    )
  }

  sendInfo(info: InfoHead): void {
    if (this.server.destroyed || this.server.headersSent) return
    const meta = this.encodeOrReset(info)
    if (meta === undefined) return
    this.server.additionalHeaders({ ':status': info.status, [META_HEADER]: meta })
  }

  /** Heads are sent from event handlers, so an oversized one resets rather than throws. */
  private encodeOrReset(head: ReplyHead | InfoHead): string | undefined {
    try {
      return encodeMeta(head)
    } catch {
      this.reset(ResetCode.internal)
      return undefined
    }
  }
}

/** A multiplexed session over HTTP/2 on any duplex transport. */
export class H2Mux extends EventEmitter implements MuxSession {
  private readonly session: http2.Http2Session
  private readonly role: 'opener' | 'acceptor'
  private goneAway = false
  private streams = 0

  private constructor(session: http2.Http2Session, role: 'opener' | 'acceptor') {
    super()
    this.session = session
    this.role = role
    session.on('goaway', () => {
      this.goneAway = true
      this.emit('goaway')
    })
    session.on('error', (err) => this.emit('sessionError', err))
    session.once('close', () => this.emit('close'))
    session.on('stream', (stream: http2.ServerHttp2Stream, headers) => {
      this.track(stream)
      if (this.role !== 'acceptor') {
        stream.close(http2.constants.NGHTTP2_REFUSED_STREAM)
        return
      }
      let head: StreamHead
      try {
        head = decodeStreamHead(headers[META_HEADER])
      } catch (err) {
        stream.on('error', () => {})
        stream.close(err instanceof ProtocolError ? (err.resetCode ?? 1) : 1)
        this.emit('badStream', err)
        return
      }
      this.emit('stream', new H2Incoming(stream, head))
    })
  }

  /**
   * The side that opens streams (the relay): an HTTP/2 client on `transport`.
   * Resolves once the peer's settings arrived.
   */
  static opener(transport: Duplex, limits: H2MuxLimits = defaultH2MuxLimits): H2Mux {
    const session = http2.connect('http://keyway.tunnel', {
      createConnection: () => transport,
      settings: settingsFor(limits),
      maxSessionMemory: limits.maxSessionMemoryMiB,
      peerMaxConcurrentStreams: limits.maxConcurrentStreams,
      maxHeaderListPairs: 256,
    })
    setSessionWindow(session, limits)
    return new H2Mux(session, 'opener')
  }

  /** The side that accepts streams (the connector): an HTTP/2 server on `transport`. */
  static acceptor(transport: Duplex, limits: H2MuxLimits = defaultH2MuxLimits): H2Mux {
    const server = http2.createServer({
      settings: settingsFor(limits),
      maxSessionMemory: limits.maxSessionMemoryMiB,
      peerMaxConcurrentStreams: limits.maxConcurrentStreams,
      maxHeaderListPairs: 256,
    })
    let created: http2.ServerHttp2Session | undefined
    server.once('session', (session) => {
      created = session
    })
    server.emit('connection', transport)
    if (created === undefined) throw new Error('http2 server did not create a session')
    setSessionWindow(created, limits)
    return new H2Mux(created, 'acceptor')
  }

  get draining(): boolean {
    return this.goneAway || this.session.closed
  }

  get closed(): boolean {
    // Not session.closed: Node closes a client session as soon as a GOAWAY arrives, while
    // the streams under way still run on it.
    return this.session.destroyed
  }

  get activeStreams(): number {
    return this.streams
  }

  open(head: StreamHead, options: OpenOptions): OutgoingStream {
    if (this.role !== 'opener') {
      throw new TypeError('only the opening end of a tunnel session (the relay) opens streams')
    }
    if (this.session.destroyed) {
      throw new ProtocolError(ProtocolErrorCode.sessionClosed, 'tunnel session is closed')
    }
    if (this.goneAway) {
      throw new ProtocolError(ProtocolErrorCode.sessionDraining, 'tunnel session is draining')
    }
    if (this.session.closed) {
      throw new ProtocolError(ProtocolErrorCode.sessionClosed, 'tunnel session is closing')
    }
    // Checked before anything is written: an oversized header field fails the connection.
    const meta = encodeMeta(head)
    const session = this.session as http2.ClientHttp2Session
    const stream = session.request(
      { ':method': 'POST', ':path': '/', [META_HEADER]: meta },
      {
        endStream: !options.hasBody,
        waitForTrailers: options.hasBody,
      },
    )
    this.track(stream)
    return new H2Outgoing(stream)
  }

  goAway(): void {
    if (this.session.destroyed) return
    this.goneAway = true
    this.session.goaway(http2.constants.NGHTTP2_NO_ERROR)
  }

  ping(): Promise<number> {
    return new Promise((resolve, reject) => {
      const sent = this.session.ping((err, durationMs) => {
        if (err) reject(err)
        else resolve(durationMs)
      })
      if (!sent) reject(new ProtocolError(ProtocolErrorCode.sessionClosed, 'ping not sent'))
    })
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.session.destroyed) {
        resolve()
        return
      }
      this.session.close(() => resolve())
    })
  }

  destroy(error?: Error): void {
    if (this.session.destroyed) return
    this.session.destroy(error, NGHTTP2_CANCEL)
  }

  private track(stream: http2.Http2Stream): void {
    this.streams++
    stream.once('close', () => {
      this.streams--
    })
  }
}

function setSessionWindow(session: http2.Http2Session, limits: H2MuxLimits): void {
  const apply = () => {
    if (!session.destroyed) session.setLocalWindowSize(limits.sessionWindowBytes)
  }
  if (session.connecting) session.once('connect', apply)
  else apply()
}
