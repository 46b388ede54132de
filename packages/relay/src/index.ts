/** The Keyway relay: the public front door and the endpoint connectors dial. */
export { loadRelayConfig } from './load-config.js'
export { validateRelayConfig } from './validate-config.js'
export {
  relayConfigDefaults,
  type ListenAddress,
  type RelayConfig,
  type RelayLimits,
  type TlsFiles,
  type TunnelRoute,
} from './config.js'
export { ConfigError, RelayAnswerCode, RelayError, RelayErrorCode } from './errors.js'
export {
  TOKEN_FILE,
  TOKEN_PREFIX,
  TunnelTokens,
  type TunnelTokensOptions,
} from './tunnel-tokens.js'
export { startRelay, type Relay, type RelayOptions } from './relay.js'
export type { GateDecision, GateRequest, RequestGate, TcpSessionEnd } from './gate.js'
export { isAccessHeader } from './gate.js'
export {
  InMemoryTunnelRegistry,
  isLive,
  type TunnelLink,
  type TunnelRegistry,
} from './tunnel-registry.js'
export { HostRouter, type RouteMatch } from './router.js'
export { canonicalHost, hostnamePatternProblem, matchHostname } from './hostnames.js'
export { openTcpStream, type TcpStreamRequest } from './tcp-stream.js'
export type { NoStream, OpenedStream } from './open-stream.js'
export {
  LogField,
  createRelayLogger,
  relayRedactPaths,
  type RelayLoggerOptions,
} from './log-fields.js'
