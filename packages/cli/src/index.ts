/**
 * The `keyway` command line: commander wiring over the connector and relay packages.
 * The executable is `bin/keyway.js`; this module exposes the pieces for tests and embedding.
 */
export { createProgram } from './program.js'
export { runCli } from './run-cli.js'
export { CliError, CliErrorCode, ExitCode } from './errors.js'
export { reportError, type ErrorReport } from './report-error.js'
export { resolveTunnelToken, type TokenSources } from './token-source.js'
export { exitOnSignals, type ExitOnSignalsOptions } from './shutdown.js'
export { CLI_VERSION } from './version.js'
