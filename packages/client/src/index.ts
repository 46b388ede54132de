/**
 * The Keyway access client: the user side of `keyway access ...`. Logs in through the
 * browser, caches app tokens under `~/.keyway`, and carries TCP sessions (SSH, RDP, any
 * TCP service) over a WebSocket to the relay.
 */
export { ClientError, ClientErrorCode, isClientError, type ClientErrorDetails } from './errors.js'
export { lookupFor, resolveAppTarget, type AppTarget } from './app-url.js'
export {
  TokenCache,
  decodeTokenExpiry,
  looksLikeJwt,
  readToken,
  requireToken,
  type CachedToken,
  type TokenCacheOptions,
} from './token-cache.js'
export { withLoginLock, type LoginLockOptions } from './login-lock.js'
export { systemBrowser, type OpenBrowser, type SystemBrowserOptions } from './browser.js'
export {
  CALLBACK_PATH,
  startLoopbackCallback,
  type LoopbackCallback,
  type LoopbackCallbackOptions,
} from './loopback-callback.js'
export { CLI_LOGIN_PATH, cliLoginUrl, login, type LoginOptions } from './login.js'
export { checkRelayReachable, type RelayProbeOptions } from './relay-probe.js'
export {
  LOGIN_URL_HEADER,
  RELAY_ERROR_HEADER,
  refusalError,
  unreachableError,
  type CredentialKind,
  type Refusal,
} from './refusal.js'
export {
  WebSocketByteStream,
  closeError,
  type WebSocketByteStreamOptions,
} from './ws-byte-stream.js'
export {
  APP_TOKEN_HEADER,
  ServiceTokenHeader,
  openTcpTunnel,
  type Credentials,
  type TcpTunnelOptions,
} from './tcp-tunnel.js'
export {
  connectApp,
  resolveCredentials,
  type ConnectOptions,
  type ServiceToken,
} from './connect-app.js'
export { joinStreams, spliceSocket } from './join-streams.js'
export { sshProxy, type SshProxyOptions } from './ssh-proxy.js'
export {
  parseListenAddress,
  tcpListener,
  type ListenAddress,
  type TcpListener,
  type TcpListenerOptions,
} from './tcp-listener.js'
export { renderSshConfig, type SshConfigOptions } from './ssh-config.js'
export { holdDenials, type DenialHoldOptions } from './denial-hold.js'
