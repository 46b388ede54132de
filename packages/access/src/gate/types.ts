/**
 * The shapes of the relay's gate hook. They live here, and the relay imports them as types,
 * so that dependencies point one way: relay to access.
 */
import type * as http from 'node:http'

/** Header lines in order, names as written; repeated names stay repeated. */
export type HeaderList = Array<[name: string, value: string]>

/** One public request as the gate sees it. */
export interface GateRequest {
  readonly req: http.IncomingMessage
  /** Undefined for upgrades. */
  readonly res: http.ServerResponse | undefined
  /** Canonical host: lower case, no port, no trailing dot. */
  readonly host: string
  /** Path and query as received. */
  readonly path: string
  /** The routed tunnel, or undefined when no tunnel serves the host. */
  readonly tunnel: string | undefined
  readonly kind: 'http' | 'upgrade'
  readonly clientIp: string
  readonly proto: 'http' | 'https'
  readonly reqId: string
}

/** What the gate decided. */
export type GateDecision =
  | {
      action: 'forward'
      /** Appended to the forwarded request after the relay removed client-sent copies. */
      addHeaders?: HeaderList
      /**
       * Client-sent header names (exactly as received) the relay must drop before
       * forwarding: identity headers in any spelling and the `Cookie` header carrying the
       * relay's own cookies (a cleaned `Cookie` is then in `addHeaders`).
       */
      removeHeaders?: string[]
      /** Who is forwarded, and the audited decision that let them through, for the logs. */
      identity?: { user?: string; app?: string; decision?: string }
      /** The app's own idle and maximum durations for a TCP session (`apps[].tcp`). */
      tcpSessionLimits?: { idleTimeoutMs?: number; maxSessionMs?: number }
    }
  | { action: 'respond'; status: number; headers?: HeaderList; body?: string | Buffer }
  | { action: 'handled' }

/** How a TCP session the gate let through went, told by the relay once it ended. */
export interface TcpSessionEnd {
  /** The `reqId` of the upgrade the gate decided on. */
  readonly reqId: string
  readonly startedAtMs: number
  readonly endedAtMs: number
  /** Bytes from the user to the server. */
  readonly bytesIn: number
  /** Bytes from the server to the user. */
  readonly bytesOut: number
  readonly outcome: 'closed' | 'reset'
}

/** The hook itself. */
export interface RequestGate {
  decide(request: GateRequest): Promise<GateDecision>
  /** Records the end of a TCP session in the audit log. */
  tcpSessionEnded?(session: TcpSessionEnd): Promise<void>
}
