import type { Command } from 'commander'
import { createRelayLogger, loadRelayConfig, startRelay } from '@keyway/relay'

import { configOption, gracePeriodOption, logLevelOption, type LogLevel } from '../options.js'
import { exitOnSignals } from '../shutdown.js'

/** Flags of `keyway relay`. */
export interface RelayRunOptions {
  readonly config: string
  readonly gracePeriod?: number
  readonly logLevel: LogLevel
}

/**
 * `keyway relay`: loads and validates the config (a bad one throws before anything
 * listens), starts the listeners, and drains them on SIGTERM or SIGINT.
 */
export async function runRelay(options: RelayRunOptions): Promise<void> {
  const config = await loadRelayConfig(options.config)
  const logger = createRelayLogger({ level: options.logLevel })
  const gracePeriodMs = options.gracePeriod ?? config.gracePeriodMs
  // TODO(#4): pass the access gate built from `config.access` once @keyway/access has it.
  const starting = startRelay({ config, logger })

  // Handlers go in before the listeners open: a signal right after `relay listening` drains.
  const release = exitOnSignals({
    logger,
    component: 'relay',
    drain: async () => (await starting).drain(gracePeriodMs),
  })
  try {
    await starting
  } catch (err) {
    release()
    throw err
  }
}

/** Adds `keyway relay`. */
export function registerRelayCommand(program: Command): void {
  program
    .command('relay')
    .description('run the relay: public HTTP and tunnel endpoint')
    .addOption(configOption('relay'))
    .addOption(gracePeriodOption())
    .addOption(logLevelOption())
    .addHelpText(
      'after',
      '\nSIGTERM or SIGINT stops accepting, lets requests under way finish within the grace ' +
        'period,\nand exits 0; a second signal exits at once.',
    )
    .action((options: RelayRunOptions) => runRelay(options))
}
