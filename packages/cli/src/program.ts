import { Command } from 'commander'

import { registerAccessClientCommands } from './commands/access-client.js'
import { registerDemoCommand } from './commands/demo.js'
import { registerIngressCommands } from './commands/ingress.js'
import { registerLogsCommand } from './commands/logs.js'
import { registerRelayCommand } from './commands/relay.js'
import { registerServiceTokenCommands } from './commands/service-token.js'
import { registerTunnelRunCommand } from './commands/tunnel-run.js'
import { registerTunnelTokenCommands } from './commands/tunnel-token.js'
import { commandOverview } from './help-text.js'
import { CLI_VERSION } from './version.js'

/**
 * The `keyway` command tree. Usage errors throw commander's `CommanderError` (see
 * `exitOverride`) so that `main` alone decides how the process ends.
 */
export function createProgram(): Command {
  const program = new Command('keyway')
    .description('Keyway: reach private apps from the internet through an outbound tunnel')
    .version(CLI_VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()

  registerRelayCommand(program)
  const tunnel = program
    .command('tunnel')
    .description('tunnel credentials, the connector, and its ingress rules')
  registerTunnelTokenCommands(tunnel)
  registerTunnelRunCommand(tunnel)
  registerIngressCommands(tunnel)
  const access = program
    .command('access')
    .description('reach SSH, RDP and TCP apps; service tokens for machines')
  registerAccessClientCommands(access)
  registerServiceTokenCommands(access)
  registerLogsCommand(program)
  registerDemoCommand(program)

  program.addHelpText('after', () => commandOverview(program))
  return program
}
