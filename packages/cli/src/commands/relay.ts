import type { Command } from 'commander'
import { createRelayLogger, loadRelayConfig, startRelay } from '@keyway/relay'

import { openAccessGate, reloadAccessOnChange } from '../access-gate.js'
import { configOption, gracePeriodOption, logLevelOption, type LogLevel } from '../options.js'
import { exitOnSignals } from '../shutdown.js'

/** Flags of `keyway relay`. */
export interface RelayRunOptions {
  readonly config: string
  readonly gracePeriod?: number
  readonly logLevel: LogLevel
}

/**
 * `keyway relay`: loads and validates the config, `access:` included (a bad one throws
 * before anything listens), opens the access gate when there is one, starts the listeners,
 * and drains them on SIGTERM or SIGINT. SIGHUP, or a change of the file, reloads the
 * `access:` section.
 */
export async function runRelay(options: RelayRunOptions): Promise<void> {
  const config = await loadRelayConfig(options.config)
  const logger = createRelayLogger({ level: options.logLevel })
  const gracePeriodMs = options.gracePeriod ?? config.gracePeriodMs
  const gate = await openAccessGate(config, logger)
  const starting = startRelay({ config, logger, gate })
  let stopReloading = (): void => undefined

  // Handlers go in before the listeners open: a signal right after `relay listening` drains.
  const release = exitOnSignals({
    logger,
    component: 'relay',
    drain: async () => {
      stopReloading()
      await (await starting).drain(gracePeriodMs)
      await gate?.close()
    },
  })
  try {
    await starting
  } catch (err) {
    release()
    await gate?.close()
    throw err
  }
  if (gate !== undefined) {
    stopReloading = reloadAccessOnChange(gate, config, logger)
  } else {
    // Without a handler, Node ends the process on SIGHUP, cutting every request under way.
    const onHangup = (): void => {
      logger.warn({ file: options.config, trigger: 'signal' }, 'nothing reloaded: relay.yaml ' +
        'had no "access" section at start; restart the relay to apply changes')
    }
    process.on('SIGHUP', onHangup)
    stopReloading = () => process.off('SIGHUP', onHangup)
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
        'period,\nand exits 0; a second signal exits at once. SIGHUP, or saving the file, ' +
        'reloads the\n"access" section (one with problems is logged and the running one kept).',
    )
    .action((options: RelayRunOptions) => runRelay(options))
}
