/**
 * The Keyway test kit: real processes and real peers on loopback for end-to-end tests, and the
 * demo origin and OpenID provider that `keyway demo` runs.
 */
export { TestkitError, TestkitErrorCode } from './errors.js'
export { requireTool } from './require-tool.js'
export { LineLog, type LineLogLimits, type LineStream, type LogLine } from './line-log.js'
export type { LineMatcher, WaitForLineOptions } from './wait-for-line.js'
export {
  ProcessHandle,
  spawnProcess,
  type ExitInfo,
  type SpawnOptions,
} from './spawn-process.js'
export { liveResources, registerStoppable, stopAll, type Stoppable } from './process-registry.js'
export {
  freePort,
  freePorts,
  isListening,
  waitForListen,
  type WaitForListenOptions,
} from './ports.js'
export { tempDir, type TempDir } from './temp-dir.js'
export { patternBytes, patternSha256 } from './pattern-bytes.js'
export { handleOriginRoute, headerPairs, type EchoReply } from './http-origin-routes.js'
export {
  startHttpOrigin,
  type HttpOrigin,
  type HttpOriginOptions,
  type OriginRequestRecord,
  type RequestOutcome,
} from './http-origin.js'
export {
  startTcpEcho,
  type TcpEcho,
  type TcpEchoConnection,
  type TcpEchoMode,
  type TcpEchoOptions,
} from './tcp-echo.js'
export {
  decodeJwtUnverified,
  identityAssertionHeaders,
  startDemoOrigin,
  type DemoOriginOptions,
} from './demo-origin.js'
export {
  claimsFor,
  type OidcClientConfig,
  type OidcProviderOptions,
  type OidcUser,
} from './oidc-provider-config.js'
export {
  oidcProviderCommand,
  spawnOidcProvider,
  startOidcProvider,
  type OidcProvider,
  type OidcProviderProcess,
} from './oidc-provider.js'
export { CookieJar, type StoredCookie } from './cookie-jar.js'
export {
  loopbackLookup,
  request,
  type LoopbackResponse,
  type RequestOptions,
} from './loopback-request.js'
export {
  oidcHeadlessLogin,
  parseFirstForm,
  type HeadlessLoginOptions,
  type HeadlessLoginResult,
  type NextStep,
} from './oidc-headless-login.js'
export {
  chromiumPath,
  launchChromium,
  repositoryRoot,
  screenshot,
  type LaunchChromiumOptions,
} from './chromium.js'
export { startSshd, type Sshd, type SshdOptions } from './sshd.js'
export {
  runXfreerdpAuthOnly,
  startRdpShadow,
  startXvfb,
  type RdpShadow,
  type RdpShadowOptions,
  type Xvfb,
  type XfreerdpAuthOptions,
  type XfreerdpResult,
} from './rdp.js'
