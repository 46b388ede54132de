export { loadConnectorConfig } from './load-config.js'
export { validateConnectorConfig } from './validate-config.js'
export {
  connectorConfigDefaults,
  type ConnectorConfig,
  type IngressRule,
  type MetricsAddress,
  type OriginRequestOptions,
} from './config.js'
export {
  canonicalHost,
  compilePathPattern,
  describeRuleMatch,
  matchIngress,
  renderIngressRules,
  requestPath,
  type IngressMatch,
  type IngressRequest,
} from './ingress.js'
export {
  parseService,
  type HelloService,
  type HttpService,
  type IngressService,
  type StatusService,
  type TcpService,
  type UnixService,
} from './service.js'
export {
  Connector,
  type ConnectionInfo,
  type ConnectorOptions,
  type DisconnectInfo,
} from './connector.js'
export { Backoff, defaultBackoffOptions, type BackoffOptions } from './backoff.js'
export { systemClock, type Clock, type TimerHandle } from './clock.js'
export { ConfigError, ConnectorError, ConnectorErrorCode, OriginError } from './errors.js'
export {
  startMetricsServer,
  type MetricsServer,
  type MetricsServerOptions,
  type ReadinessReport,
} from './metrics-server.js'
export { ConnectorMetrics } from './metrics.js'
export {
  LogField,
  connectorRedactPaths,
  createConnectorLogger,
  type ConnectorLoggerOptions,
} from './log-fields.js'
export { StreamHandler, type StreamHandlerOptions, type StreamOrigin } from './stream-handler.js'
export { OriginPool } from './origin-pool.js'
export { tunnelNameOfToken } from './token.js'
export { CONNECTOR_VERSION } from './version.js'
