import type { IncomingMessage } from 'node:http'
import type { LookupFunction } from 'node:net'
import type { Duplex } from 'node:stream'
import { TCP_SUBPROTOCOL } from '@keyway/protocol'
import { WebSocket, type ClientOptions } from 'ws'
import { lookupFor, resolveAppTarget, type AppTarget } from './app-url.js'
import { ClientError, ClientErrorCode } from './errors.js'
import { refusalError, unreachableError, type CredentialKind } from './refusal.js'
import { WebSocketByteStream } from './ws-byte-stream.js'

/**
 * Header that carries the app token to the relay's access gate (which reads it instead of
 * the app's session cookie). The relay strips it before anything is forwarded.
 */
export const APP_TOKEN_HEADER = 'Keyway-Access-Token'

/** Headers that carry a service token (issue #4). */
export const ServiceTokenHeader = {
  clientId: 'Keyway-Access-Client-Id',
  clientSecret: 'Keyway-Access-Client-Secret',
} as const

/** What proves who the user is: an app token from a login, or a service token. */
export type Credentials =
  | { readonly kind: 'app-token'; readonly token: string }
  | { readonly kind: 'service-token'; readonly clientId: string; readonly clientSecret: string }

/** Options of {@link openTcpTunnel}. */
export interface TcpTunnelOptions {
  /** TCP connect, TLS and the upgrade together. Default 15,000 ms. */
  readonly connectTimeoutMs?: number
  /** Largest message accepted from the relay. Default 1 MiB. */
  readonly maxMessageBytes?: number
  /** WebSocket pings on an open session, to keep it through proxies. Default 30,000 ms. */
  readonly keepAliveMs?: number
  /** Extra trusted CA certificates (PEM), for a relay with a private CA. */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>
  /** Name resolution override; `*.localhost` goes to 127.0.0.1 by default. */
  readonly lookup?: LookupFunction
  readonly signal?: AbortSignal
}

/**
 * Opens a TCP session to the app at `url` (hostname or URL): a WebSocket upgrade with the
 * `keyway-tcp.v1` subprotocol carrying the credentials (app token in
 * {@link APP_TOKEN_HEADER}, or the service-token headers). Resolves with the session's bytes
 * as a Duplex with half-close (see {@link WebSocketByteStream}). A refusal rejects with a
 * `ClientError` whose one-line message says what to do (see {@link refusalError}).
 */
export function openTcpTunnel(
  url: string | AppTarget,
  credentials: Credentials | undefined,
  options: TcpTunnelOptions = {},
): Promise<Duplex> {
  const app = typeof url === 'string' ? resolveAppTarget(url) : url
  const used: CredentialKind = credentials?.kind ?? 'none'
  const lookup = options.lookup ?? lookupFor(app.hostname)
  const wsOptions: ClientOptions = {
    perMessageDeflate: false,
    handshakeTimeout: options.connectTimeoutMs ?? 15_000,
    maxPayload: options.maxMessageBytes ?? 1024 * 1024,
    followRedirects: false,
    headers: credentialHeaders(credentials),
    ...(lookup === undefined ? {} : { lookup }),
    ...(options.ca === undefined ? {} : { ca: options.ca as ClientOptions['ca'] }),
  }

  return new Promise<Duplex>((resolve, reject) => {
    const ws = new WebSocket(app.webSocketUrl, [TCP_SUBPROTOCOL], wsOptions)
    let settled = false
    const fail = (err: ClientError) => {
      if (settled) return
      settled = true
      options.signal?.removeEventListener('abort', onAbort)
      reject(err)
    }
    const onAbort = () => {
      ws.terminate()
      fail(new ClientError(ClientErrorCode.connectionReset, `aborted (${app.display})`))
    }
    options.signal?.addEventListener('abort', onAbort, { once: true })

    ws.once('unexpected-response', (req, res: IncomingMessage) => {
      fail(refusalError({ status: res.statusCode ?? 0, headers: res.headers }, app, used))
      res.resume()
      req.destroy()
    })
    ws.once('error', (err) => {
      if (settled) return
      if (/subprotocol/i.test(err.message)) {
        const message =
          `${app.display} accepted the upgrade without the ${TCP_SUBPROTOCOL} protocol; ` +
          'is it a Keyway relay of a matching version?'
        fail(new ClientError(ClientErrorCode.unexpectedAnswer, message, { cause: err }))
        return
      }
      fail(unreachableError(err, app))
    })
    ws.once('open', () => {
      if (settled) {
        ws.terminate()
        return
      }
      settled = true
      options.signal?.removeEventListener('abort', onAbort)
      const streamOptions = { appName: app.display }
      resolve(
        new WebSocketByteStream(
          ws,
          options.keepAliveMs === undefined
            ? streamOptions
            : { ...streamOptions, keepAliveMs: options.keepAliveMs },
        ),
      )
    })
  })
}

function credentialHeaders(credentials: Credentials | undefined): Record<string, string> {
  if (credentials === undefined) return {}
  if (credentials.kind === 'app-token') return { [APP_TOKEN_HEADER]: credentials.token }
  return {
    [ServiceTokenHeader.clientId]: credentials.clientId,
    [ServiceTokenHeader.clientSecret]: credentials.clientSecret,
  }
}
