import type { Command } from 'commander'
import { loadRelayConfig, TunnelTokens } from '@keyway/relay'

import { CliError, CliErrorCode } from '../errors.js'
import { configOption } from '../options.js'

/**
 * The token of tunnel `name` from the relay's store under `dataDir`: the same token on every
 * call, or, with `rotate`, a new one (the old ones are refused from the next dial on).
 *
 * @throws CliError when `name` is not a tunnel of the config.
 */
export async function tunnelToken(
  configFile: string,
  name: string,
  options: { rotate?: boolean } = {},
): Promise<string> {
  const config = await loadRelayConfig(configFile)
  const names = config.tunnels.map((tunnel) => tunnel.name)
  if (!names.includes(name)) {
    const known = names.length === 0 ? 'it lists none' : `it lists ${names.join(', ')}`
    throw new CliError(
      CliErrorCode.unknownTunnel,
      `tunnel "${name}" is not in ${configFile} (${known}); add it under "tunnels" with its ` +
        'hostnames, or check the spelling',
    )
  }
  const tokens = TunnelTokens.open(config.dataDir, { tunnels: names })
  return options.rotate === true ? tokens.rotate(name) : tokens.tokenFor(name)
}

/** Adds `token` and `rotate` under `keyway tunnel`. */
export function registerTunnelTokenCommands(tunnel: Command): void {
  tunnel
    .command('token')
    .description("print a tunnel's token, and nothing else")
    .argument('<name>', 'the tunnel, as named under "tunnels" in relay.yaml')
    .addOption(configOption('relay'))
    .addHelpText(
      'after',
      '\nThe token is created on first use and stays the same until rotated. Store it in a ' +
        'file\nfor "keyway tunnel run --token-file FILE".',
    )
    .action(async (name: string, options: { config: string }) => {
      process.stdout.write(`${await tunnelToken(options.config, name)}\n`)
    })

  tunnel
    .command('rotate')
    .description("replace a tunnel's token (old ones stop working)")
    .argument('<name>', 'the tunnel, as named under "tunnels" in relay.yaml')
    .addOption(configOption('relay'))
    .action(async (name: string, options: { config: string }) => {
      process.stdout.write(`${await tunnelToken(options.config, name, { rotate: true })}\n`)
    })
}
