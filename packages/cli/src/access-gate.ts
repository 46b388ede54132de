import { unwatchFile, watchFile, type Stats } from 'node:fs'

import type { AccessGate } from '@keyway/access'
import { loadRelayConfig, type RelayConfig } from '@keyway/relay'
import type { Logger } from 'pino'

/** How often relay.yaml is checked for a change (one `stat`). */
const watchIntervalMs = 500

/**
 * Builds the relay's access gate from the `access:` section of relay.yaml, or returns
 * undefined when there is none (every route is then public). The access layer is loaded
 * only here, so the commands that do not need it never open its stores.
 *
 * @throws the access layer's config error (code `ERR_CONFIG`) naming every problem.
 */
export async function openAccessGate(
  config: RelayConfig,
  logger: Logger,
): Promise<AccessGate | undefined> {
  if (config.access === undefined) return undefined
  const access = await import('@keyway/access')
  const accessConfig = access.validateAccessConfig(config.access, config.file)
  return access.createAccessGate({ config: accessConfig, dataDir: config.dataDir, logger })
}

/**
 * On SIGHUP, and when relay.yaml changes on disk (written in place or replaced by a rename),
 * reads the file again and swaps in its `access:` section; a config with problems is logged
 * with every problem and the running one kept. Reloads never overlap: a change that comes
 * during one is read once that one ends. Returns a function that stops both.
 */
export function reloadAccessOnChange(
  gate: AccessGate,
  started: RelayConfig,
  logger: Logger,
): () => void {
  const file = started.file
  let running: Promise<void> | undefined
  let again = false
  const reload = (trigger: 'signal' | 'file'): void => {
    if (running !== undefined) {
      again = true
      return
    }
    running = reloadAccess(gate, file)
      .then(
        (config) => {
          logger.info({ file, trigger }, 'access config reloaded')
          const changed = changedOutsideAccess(started, config)
          if (changed.length > 0) {
            logger.warn({ file, trigger, changed }, 'only "access" is reloaded; restart the ' +
              'relay to apply the other changes')
          }
        },
        (err: unknown) =>
          logger.error({ err, file, trigger }, 'access config not reloaded; keeping the old'),
      )
      .finally(() => {
        running = undefined
        if (again) {
          again = false
          reload(trigger)
        }
      })
  }
  const onHangup = (): void => reload('signal')
  const onStat = (current: Stats, previous: Stats): void => {
    const changed = current.mtimeMs !== previous.mtimeMs || current.ino !== previous.ino ||
      current.size !== previous.size
    // A missing file (nlink 0) is an editor between delete and write: wait for the new one.
    if (changed && current.nlink > 0) reload('file')
  }
  process.on('SIGHUP', onHangup)
  watchFile(file, { interval: watchIntervalMs, persistent: false }, onStat)
  return () => {
    process.off('SIGHUP', onHangup)
    unwatchFile(file, onStat)
  }
}

async function reloadAccess(gate: AccessGate, file: string): Promise<RelayConfig> {
  const config = await loadRelayConfig(file)
  if (config.access === undefined) {
    throw new Error(`${file} no longer has an "access" section; restart the relay to drop it`)
  }
  const access = await import('@keyway/access')
  gate.reload(access.validateAccessConfig(config.access, config.file))
  return config
}

/** The top-level keys of relay.yaml, other than `access`, whose values differ. */
function changedOutsideAccess(before: RelayConfig, after: RelayConfig): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)])
  keys.delete('access')
  const record = (config: RelayConfig) => config as unknown as Record<string, unknown>
  return [...keys].filter((key) =>
    JSON.stringify(record(before)[key]) !== JSON.stringify(record(after)[key])).sort()
}
