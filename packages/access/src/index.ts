/**
 * Keyway's access layer: the `access:` config, the policy engine, signing keys and session
 * tokens, service tokens, the session/audit/service-token stores, the OpenID Connect login
 * and the request gate the relay consults on every public request.
 */
export { AccessConfigError, AccessError, AccessErrorCode } from './errors.js'
export { LogField, redactPaths } from './log-fields.js'
export { validateAccessConfig } from './config/validate-access-config.js'
export { audienceTag } from './config/validate-apps.js'
export { parseDurationMs } from './config/durations.js'
export { hostMatches, parseDomainPattern, pathMatches } from './config/domain-pattern.js'
export {
  accessConfigDefaults,
  type AccessConfig,
  type AppConfig,
  type CidrRange,
  type CorsConfig,
  type DomainPattern,
  type IdentityProviderConfig,
  type Policy,
  type PolicyAction,
  type Rule,
  type RuleGroup,
  type Selector,
  type SelectorKind,
} from './config/types.js'
export { evaluatePolicies, evaluationOrder } from './policy/evaluate-policies.js'
export { inRange, parseAddress, parseCidr } from './policy/ip-range.js'
export type {
  AllowReason,
  Decision,
  DenyReason,
  Identity,
  RequestFacts,
} from './policy/types.js'
export { hostHasApp, matchApp, type AppMatch } from './apps/match-app.js'
export { normalizePath, type NormalizedPath } from './apps/normalize-path.js'
export {
  FileKeyStore,
  signingAlgorithm,
  type KeyStore,
  type KeyStoreOptions,
  type SigningKey,
} from './keys/key-store.js'
export {
  TokenService,
  type TokenClaims,
  type TokenRejection,
  type TokenRequest,
  type TokenType,
  type VerifyResult,
} from './tokens/session-token.js'
export {
  ServiceTokens,
  serviceTokenHeaders,
  type NewServiceToken,
} from './tokens/service-tokens.js'
export {
  createMemoryStores,
  MemoryAuditStore,
  MemoryServiceTokenStore,
  MemorySessionStore,
} from './store/memory-stores.js'
export { openSqliteStores } from './store/sqlite-stores.js'
export { auditDecisions, maxAuditQueryRows } from './store/types.js'
export type {
  AccessStores,
  AuditDecision,
  AuditQuery,
  AuditRecord,
  AuditStore,
  ServiceTokenRecord,
  ServiceTokenStore,
  SessionRecord,
  SessionStore,
  TcpSessionFacts,
} from './store/types.js'
export {
  createAccessGate,
  type AccessGate,
  type AccessGateOptions,
} from './gate/create-access-gate.js'
export type {
  GateDecision,
  GateRequest,
  HeaderList,
  RequestGate,
  TcpSessionEnd,
} from './gate/types.js'
export {
  identityHeaderNames,
  isIdentityHeader,
  relayCookiePrefix,
  strippedRequestHeaders,
} from './gate/identity-headers.js'
export { appTokenHeader } from './gate/app-host.js'
export { appCookieName, cookieNames } from './gate/context.js'
export type { Handoff } from './gate/context.js'
export { MemoryLoginStateStore, type LoginStateStore } from './login/login-states.js'
export { OidcLogin, type LoginCarry, type PendingLogin } from './login/oidc-login.js'
export {
  validateReturnPath,
  validateReturnUrl,
  type ReturnTarget,
  type ReturnUrlRules,
} from './login/return-url.js'
export {
  createServiceToken,
  formatAuditRecord,
  listServiceTokens,
  queryAuditLog,
  removeServiceToken,
} from './admin/admin.js'
