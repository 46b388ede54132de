import type * as http from 'node:http'
import type { HeaderList } from '@keyway/protocol'

/** One public request as the access gate sees it. */
export interface GateRequest {
  /** The raw request (headers as received). */
  readonly req: http.IncomingMessage
  /** The response to write, or undefined for an upgrade. */
  readonly res: http.ServerResponse | undefined
  /** Canonical host (lower case, no port, no trailing dot). */
  readonly host: string
  /** Path and query, as received. */
  readonly path: string
  /** The routed tunnel, or undefined when no tunnel serves the host. */
  readonly tunnel: string | undefined
  readonly kind: 'http' | 'upgrade'
  readonly clientIp: string
  readonly proto: 'http' | 'https'
  readonly reqId: string
}

/** What the gate decided about a request. */
export type GateDecision =
  | {
      action: 'forward'
      /** Added to the forwarded request (after client-sent access headers are removed). */
      addHeaders?: HeaderList
      /**
       * Names (any case) of client-sent headers to drop before forwarding, for example the
       * `Cookie` carrying the relay's session cookie; a cleaned copy goes in `addHeaders`.
       */
      removeHeaders?: readonly string[]
      /**
       * Who is forwarded, for the relay's logs. `decision` is the access decision that let
       * the request through (`allow`, `service_token`, `bypass`, `public`).
       */
      identity?: { user?: string; app?: string; decision?: string }
      /** The app's own idle and maximum durations for a TCP session it lets through. */
      tcpSessionLimits?: { idleTimeoutMs?: number; maxSessionMs?: number }
    }
  | { action: 'respond'; status: number; headers?: HeaderList; body?: string | Buffer }
  /** The gate wrote `res` itself (a login page, a redirect, ...). */
  | { action: 'handled' }

/**
 * The access layer's hook: consulted for every public request, including hosts with no
 * tunnel. A gate that throws makes the relay answer 500 and never forward.
 */
export interface RequestGate {
  decide(request: GateRequest): Promise<GateDecision>
  /**
   * Told once when a TCP session the gate let through has ended, for the audit log. A
   * failure is logged and changes nothing else.
   */
  tcpSessionEnded?(session: TcpSessionEnd): Promise<void>
}

/** How a TCP session went, from the 101 to its end. */
export interface TcpSessionEnd {
  /** The `reqId` of the upgrade the gate decided on. */
  readonly reqId: string
  readonly startedAtMs: number
  readonly endedAtMs: number
  /** Bytes from the user to the server. */
  readonly bytesIn: number
  /** Bytes from the server to the user. */
  readonly bytesOut: number
  /** `closed`: both sides ended their output; `reset`: anything else. */
  readonly outcome: 'closed' | 'reset'
}

/** Request headers a client may not send: only the gate sets them. */
export function isAccessHeader(name: string): boolean {
  const lower = name.toLowerCase()
  return lower.startsWith('keyway-access-') || lower === 'cf-access-jwt-assertion'
}
