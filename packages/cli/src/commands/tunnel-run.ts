import type { Command } from 'commander'
import {
  Connector,
  createConnectorLogger,
  loadConnectorConfig,
  tunnelNameOfToken,
  type ConnectorConfig,
} from '@keyway/connector'

import { configOption, gracePeriodOption, logLevelOption, type LogLevel } from '../options.js'
import { exitOnSignals } from '../shutdown.js'
import { resolveTunnelToken } from '../token-source.js'

/** Flags of `keyway tunnel run`. */
export interface TunnelRunOptions {
  readonly config: string
  readonly tokenFile?: string
  readonly token?: string
  readonly gracePeriod?: number
  readonly logLevel: LogLevel
}

/**
 * `keyway tunnel run`: loads the config and the token, starts the connector, and drains it
 * on SIGTERM or SIGINT. Config and token problems throw before anything is dialled.
 */
export async function runTunnel(options: TunnelRunOptions): Promise<void> {
  const config = withGracePeriod(loadConnectorConfig(options.config), options.gracePeriod)
  const token = resolveTunnelToken({
    tokenFile: options.tokenFile,
    token: options.token,
    envToken: process.env['KEYWAY_TUNNEL_TOKEN'],
  })
  const logger = createConnectorLogger({ level: options.logLevel })
  if (tunnelNameOfToken(token) === undefined) {
    logger.warn('the tunnel token is not of the form keyway1.<tunnel>.<secret>; check its source')
  }
  const connector = new Connector({ config, token, logger })

  const release = exitOnSignals({
    logger,
    component: 'connector',
    drain: () => connector.drain(),
  })
  // Without a handler, Node ends the process on SIGHUP (a closed terminal, or a reload
  // habit), cutting every request under way.
  const onHangup = (): void => {
    logger.warn({ file: options.config }, 'nothing reloaded: the connector reads its config ' +
      'at start; restart it (SIGTERM drains first) to apply changes')
  }
  process.on('SIGHUP', onHangup)
  try {
    await connector.start()
  } catch (err) {
    process.off('SIGHUP', onHangup)
    release()
    throw err
  }
}

function withGracePeriod(config: ConnectorConfig, gracePeriodMs: number | undefined) {
  if (gracePeriodMs === undefined) return config
  return Object.freeze({ ...config, gracePeriodMs })
}

/** Adds `run` under `keyway tunnel`. */
export function registerTunnelRunCommand(tunnel: Command): void {
  tunnel
    .command('run')
    .description('run the connector (dials out to the relay)')
    .addOption(configOption('connector'))
    .option('--token-file <file>', 'read the tunnel token from this file (preferred)')
    .option('--token <token>', 'the tunnel token (visible to other local users in ps)')
    .addHelpText(
      'after',
      '\nThe token comes from --token-file, else --token, else $KEYWAY_TUNNEL_TOKEN.\n' +
        'SIGTERM or SIGINT drains (in-flight requests finish within the grace period) and ' +
        'exits 0;\na second signal exits at once.',
    )
    .addOption(gracePeriodOption())
    .addOption(logLevelOption())
    .action((options: TunnelRunOptions) => runTunnel(options))
}
